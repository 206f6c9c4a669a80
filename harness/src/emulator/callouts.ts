// HTTP calls, gRPC calls/streams and DNS lookups made by a module, routed to TypeScript handlers registered by
// cluster name. Responses are delivered asynchronously (through the host event loop / virtual clock) to the ROOT
// context, with Envoy's token scheme (HTTP ≡ 0 mod 4, gRPC call ≡ 1, gRPC stream ≡ 2).
import { HeaderMap, type HeadersInit } from "./header-map.ts";
import { BufferType, GrpcStatus, LogLevel, MapType, Status } from "../abi/index.ts";
import { concat } from "./bytes.ts";
import { EmulatorUsageError, WasmTrapError } from "./errors.ts";
import type { EmulatorHost } from "./host.ts";
import type { CallbackData, ContextState } from "./vm-types.ts";

const encoder = new TextEncoder();
/** The maps readable in an HTTP callout's response callback, and in gRPC metadata callbacks. */
const CALLOUT_RESPONSE_MAPS = [MapType.HttpCallResponseHeaders, MapType.HttpCallResponseTrailers] as const;
/** Envoy's callout tokens: the kind in `token % TOKEN_STEP`, each next token of a kind TOKEN_STEP higher. */
const TOKEN_STEP = 4;
const TokenKind = { Http: 0, GrpcCall: 1, GrpcStream: 2 } as const;
const GRPC_METADATA_MAPS = [MapType.GrpcReceiveInitialMetadata, MapType.GrpcReceiveTrailingMetadata] as const;
const toBytes = (b: string | Uint8Array | undefined): Uint8Array =>
  typeof b === "string" ? encoder.encode(b) : (b ?? new Uint8Array(0));

/**
 * The narrow view of a VM the callout engine delivers into (implemented by WasmVm): its clock, its liveness and
 * its root callbacks. The engine never sees the rest of the VM.
 */
export interface CalloutDelivery {
  readonly host: EmulatorHost;
  /** Non-null once the VM trapped or hit a limit: nothing more is delivered. */
  readonly failure: unknown;
  /** The live context `id`, or undefined once it is gone. */
  context(id: number): ContextState | undefined;
  /** Calls a root callback with data readable only during it. A trap throws WasmTrapError. */
  callWithData(ctx: ContextState, data: CallbackData, name: string, ...args: number[]): number | undefined;
  /** Applies the stream actions and root teardown requested during the last call. */
  applyDeferred(): void;
  /** Logs on behalf of the host, attributed to `ctx`. */
  hostLog(level: LogLevel, ctx: ContextState | null, message: string): void;
}

/** What an HTTP callout handler receives. */
export interface CalloutRequest {
  readonly cluster: string;
  readonly headers: HeaderMap;
  readonly body: Uint8Array;
  readonly trailers: HeaderMap;
  /** 0 = no timeout. */
  readonly timeoutMs: number;
  /** The body decoded as UTF-8. */
  text(): string;
}

/**
 * What an HTTP callout handler returns: a response (status defaults to 200), or `{ reset: true }` for a stream
 * reset (delivered as num_headers=0; proxy_get_status gives 11 "reset"). `delayMs` is the virtual latency; if it
 * exceeds the call's timeout the module gets Envoy's 504 "upstream request timeout" instead.
 */
export type CalloutResponse =
  | {
      readonly status?: number;
      readonly headers?: HeadersInit;
      readonly body?: string | Uint8Array;
      readonly trailers?: HeadersInit;
      readonly delayMs?: number;
    }
  | { readonly reset: true; readonly delayMs?: number };

/** Handles proxy_http_call requests sent to one cluster. Must be synchronous. */
export type HttpCalloutHandler = (request: CalloutRequest) => CalloutResponse;

/** A gRPC request as the service handler sees it. */
export interface GrpcRequest {
  readonly cluster: string;
  readonly serviceName: string;
  readonly method: string;
  readonly metadata: HeaderMap;
  /** The request message (unary calls; empty for streams). */
  readonly message: Uint8Array;
}

/** Reply to a unary gRPC call: status 0 (default) delivers `message`; any other status closes with it. */
export interface GrpcReply {
  readonly status?: number;
  readonly message?: string | Uint8Array;
  readonly statusMessage?: string;
  readonly delayMs?: number;
}

/** The server side of a gRPC stream opened by the module. Calls are delivered to the module asynchronously. */
export interface GrpcServerStream {
  readonly request: GrpcRequest;
  /** Set by the handler: called for each message the module sends (endStream true on its last one). */
  onMessage: ((message: Uint8Array, endStream: boolean) => void) | null;
  /** Set by the handler: called when the module half-closes (proxy_grpc_close) or cancels (proxy_grpc_cancel). */
  onClose: ((how: "half-close" | "cancel") => void) | null;
  sendInitialMetadata(metadata: HeadersInit): void;
  send(message: string | Uint8Array): void;
  /** Sends trailing metadata (if any) then closes the stream with `status` (proxy_on_grpc_close). */
  close(status: number, statusMessage?: string, trailers?: HeadersInit): void;
}

/** A gRPC service registered by cluster name: a unary function, or an object with `unary` and/or `stream`. */
export type GrpcServiceHandler =
  | ((request: GrpcRequest) => GrpcReply)
  | { readonly unary?: (request: GrpcRequest) => GrpcReply; readonly stream?: (stream: GrpcServerStream) => void };

/** One callout the module made (for assertions). */
export interface CalloutRecord {
  readonly kind: "http" | "grpc-call" | "grpc-stream";
  readonly cluster: string;
  readonly token: number;
  readonly headers: HeaderMap;
  readonly body: Uint8Array;
}

/** Handlers by cluster name, and DNS answers by host name. */
export interface CalloutHandlers {
  readonly upstreams: Readonly<Record<string, HttpCalloutHandler>>;
  readonly grpcServices: Readonly<Record<string, GrpcServiceHandler>>;
  readonly dns: Readonly<Record<string, readonly string[]>>;
}

interface GrpcCallArgs {
  readonly service: Uint8Array;
  readonly serviceName: string;
  readonly method: string;
  readonly metadata: Array<[string, string]>;
  readonly message?: Uint8Array;
  readonly timeoutMs?: number;
}

/** Per-VM callout engine (tokens are per VM instance). */
export class Callouts {
  readonly #handlers: CalloutHandlers;
  /** Where every callout is recorded (shared across VM instances by the emulator). */
  readonly records: CalloutRecord[];
  #httpToken = 0;
  #grpcCallToken: number = TokenKind.GrpcCall;
  #grpcStreamToken: number = TokenKind.GrpcStream;
  #dnsToken = 0;
  readonly #grpcCalls = new Set<number>();
  readonly #grpcStreams = new Map<number, GrpcServerStream & { closed: boolean }>();

  constructor(handlers: CalloutHandlers, records: CalloutRecord[] = []) {
    this.#handlers = handlers;
    this.records = records;
  }

  /** proxy_http_call. `writeToken` is called before anything is sent (IMA there aborts the call). */
  httpCall(
    vm: CalloutDelivery,
    root: ContextState,
    cluster: string,
    headerPairs: Array<[string, string]>,
    body: Uint8Array,
    trailerPairs: Array<[string, string]>,
    timeoutMs: number,
    writeToken: (t: number) => void,
  ): number {
    const handler = this.#handlers.upstreams[cluster];
    if (!handler) {
      vm.hostLog(
        LogLevel.Warn,
        root,
        `emulator: proxy_http_call to unknown cluster "${cluster}" -> BadArgument (register it in upstreams)`,
      );
      return Status.BadArgument;
    }
    const headers = new HeaderMap(headerPairs);
    if (!headers.has(":method") || !headers.has(":path") || !headers.has(":authority") || timeoutMs >= 2 ** 31)
      return Status.BadArgument;
    if (body.length > 0) headers.set("content-length", String(body.length));
    this.#httpToken += TOKEN_STEP;
    const token = this.#httpToken;
    writeToken(token);
    this.records.push({ kind: "http", cluster, token, headers, body });
    let response: CalloutResponse;
    try {
      response = handler({
        cluster,
        headers,
        body,
        trailers: new HeaderMap(trailerPairs),
        timeoutMs,
        text: () => new TextDecoder().decode(body),
      });
    } catch (e) {
      vm.hostLog(
        LogLevel.Error,
        root,
        `emulator: upstream handler for cluster "${cluster}" threw: ${(e as Error).message}; delivering a reset`,
      );
      response = { reset: true };
    }
    const delay = response.delayMs ?? 0;
    const timedOut = timeoutMs > 0 && delay > timeoutMs;
    vm.host.post(timedOut ? timeoutMs : delay, () => {
      if (vm.failure || !vm.context(root.id)) return;
      if (timedOut)
        return this.#deliverHttp(vm, root, token, {
          status: 504,
          body: "upstream request timeout",
          headers: { "content-type": "text/plain" },
        });
      this.#deliverHttp(vm, root, token, response);
    });
    return Status.Ok;
  }

  #deliverHttp(vm: CalloutDelivery, root: ContextState, token: number, response: CalloutResponse): void {
    let result: { headers: HeaderMap | null; body: Uint8Array; trailers: HeaderMap | null };
    if ("reset" in response) {
      root.status = { code: Status.BrokenConnection, message: "reset" };
      result = { headers: null, body: new Uint8Array(0), trailers: null };
    } else {
      const headers = new HeaderMap([[":status", String(response.status ?? 200)]]);
      const body = toBytes(response.body);
      for (const [k, v] of new HeaderMap(response.headers).entries()) headers.add(k, v);
      if (!headers.has("content-length") && body.length > 0) headers.add("content-length", String(body.length));
      result = { headers, body, trailers: response.trailers ? new HeaderMap(response.trailers) : null };
    }
    this.#rootCallback(
      vm,
      root,
      {
        mapTypes: CALLOUT_RESPONSE_MAPS,
        headers: result.headers,
        trailers: result.trailers,
        bodyType: BufferType.HttpCallResponseBody,
        body: result.body,
      },
      "proxy_on_http_call_response",
      token,
      result.headers?.size ?? 0,
      result.body.length,
      result.trailers?.size ?? 0,
    );
  }

  #rootCallback(vm: CalloutDelivery, root: ContextState, data: CallbackData, name: string, ...args: number[]): void {
    try {
      vm.callWithData(root, data, name, root.id, ...args);
    } catch (e) {
      if (!(e instanceof WasmTrapError)) throw e;
    } finally {
      root.status = { code: Status.Ok, message: "" };
    }
    vm.applyDeferred();
  }

  #resolveGrpc(
    vm: CalloutDelivery,
    root: ContextState,
    service: Uint8Array,
  ): { cluster: string; handler: GrpcServiceHandler } | null {
    if (parsesAsTargetlessGrpcService(service)) {
      // Envoy parses the service bytes as a GrpcService first; a cluster name that happens to be valid protobuf
      // wire format parses into one with no target, and Envoy aborts (trace h1-grpc-stream-answered, first run).
      throw new EmulatorUsageError(
        `the gRPC service "${new TextDecoder().decode(service)}" parses as an envoy.config.core.v3.GrpcService protobuf with no target, ` +
          `and Envoy 1.36–1.40 then aborts the whole process ("panic: unset oneof", async_client_manager_impl.cc). Rename the ` +
          `cluster so that its name is not valid protobuf (a name starting with f, g, n, o, v or w never is), or pass a serialized GrpcService.`,
      );
    }
    const cluster = grpcClusterName(service);
    const handler = this.#handlers.grpcServices[cluster];
    if (!handler) {
      vm.hostLog(
        LogLevel.Warn,
        root,
        `emulator: gRPC service "${cluster}" is neither a GrpcService proto nor a registered cluster -> ParseFailure (register it in grpcServices)`,
      );
      return null;
    }
    return { cluster, handler };
  }

  /** proxy_grpc_call. */
  grpcCall(vm: CalloutDelivery, root: ContextState, args: GrpcCallArgs, writeToken: (t: number) => void): number {
    const found = this.#resolveGrpc(vm, root, args.service);
    if (!found) return Status.ParseFailure;
    const unary = typeof found.handler === "function" ? found.handler : found.handler.unary;
    if (!unary) return Status.BadArgument;
    const token = this.#grpcCallToken;
    this.#grpcCallToken += TOKEN_STEP;
    writeToken(token);
    const request: GrpcRequest = {
      cluster: found.cluster,
      serviceName: args.serviceName,
      method: args.method,
      metadata: new HeaderMap(args.metadata),
      message: args.message ?? new Uint8Array(0),
    };
    this.records.push({
      kind: "grpc-call",
      cluster: found.cluster,
      token,
      headers: request.metadata,
      body: request.message,
    });
    this.#grpcCalls.add(token);
    let reply: GrpcReply;
    try {
      reply = unary(request);
      if ((reply.status ?? GrpcStatus.Ok) !== GrpcStatus.Ok)
        reply = { ...reply, statusMessage: upstreamStatusMessage(reply.statusMessage) };
    } catch (e) {
      reply = { status: GrpcStatus.Internal, statusMessage: `handler threw: ${(e as Error).message}` };
    }
    const timeout = args.timeoutMs ?? 0;
    const delay = reply.delayMs ?? 0;
    // Envoy (1.40, observed) times a unary call out through its HTTP router: status UNAVAILABLE (14), not
    // DEADLINE_EXCEEDED, with the router's reply text and response code details as the message.
    if (timeout > 0 && delay > timeout)
      reply = { status: GrpcStatus.Unavailable, statusMessage: "upstream request timeout{response_timeout}" };
    vm.host.post(Math.min(delay, timeout > 0 ? timeout : delay), () => {
      if (!this.#grpcCalls.delete(token) || vm.failure || !vm.context(root.id)) return;
      const status = reply.status ?? GrpcStatus.Ok;
      if (status === GrpcStatus.Ok) {
        const msg = toBytes(reply.message);
        this.#rootCallback(
          vm,
          root,
          { bodyType: BufferType.GrpcReceiveBuffer, body: msg },
          "proxy_on_grpc_receive",
          token,
          msg.length,
        );
      } else {
        root.status = { code: status, message: reply.statusMessage ?? "" };
        this.#rootCallback(vm, root, {}, "proxy_on_grpc_close", token, status);
      }
    });
    return Status.Ok;
  }

  /** proxy_grpc_stream. */
  grpcStream(vm: CalloutDelivery, root: ContextState, args: GrpcCallArgs, writeToken: (t: number) => void): number {
    const found = this.#resolveGrpc(vm, root, args.service);
    if (!found) return Status.ParseFailure;
    const open = typeof found.handler === "function" ? undefined : found.handler.stream;
    if (!open) return Status.BadArgument;
    const token = this.#grpcStreamToken;
    this.#grpcStreamToken += TOKEN_STEP;
    writeToken(token);
    const request: GrpcRequest = {
      cluster: found.cluster,
      serviceName: args.serviceName,
      method: args.method,
      metadata: new HeaderMap(args.metadata),
      message: new Uint8Array(0),
    };
    this.records.push({
      kind: "grpc-stream",
      cluster: found.cluster,
      token,
      headers: request.metadata,
      body: request.message,
    });
    const live = () => this.#grpcStreams.has(token) && !vm.failure && !!vm.context(root.id);
    const post = (fn: () => void) => vm.host.post(0, () => live() && fn());
    const stream: GrpcServerStream & { closed: boolean } = {
      request,
      onMessage: null,
      onClose: null,
      closed: false,
      sendInitialMetadata: (md) =>
        post(() => {
          const map = new HeaderMap(md);
          this.#rootCallback(
            vm,
            root,
            { mapTypes: GRPC_METADATA_MAPS, headers: map },
            "proxy_on_grpc_receive_initial_metadata",
            token,
            map.size,
          );
        }),
      send: (message) =>
        post(() => {
          const msg = toBytes(message);
          this.#rootCallback(
            vm,
            root,
            { bodyType: BufferType.GrpcReceiveBuffer, body: msg },
            "proxy_on_grpc_receive",
            token,
            msg.length,
          );
        }),
      close: (status, statusMessage = "", trailers) =>
        post(() => {
          if (trailers) {
            const map = new HeaderMap(trailers);
            this.#rootCallback(
              vm,
              root,
              { mapTypes: GRPC_METADATA_MAPS, trailers: map },
              "proxy_on_grpc_receive_trailing_metadata",
              token,
              map.size,
            );
          }
          this.#grpcStreams.delete(token);
          root.status = { code: status, message: upstreamStatusMessage(statusMessage) };
          this.#rootCallback(vm, root, {}, "proxy_on_grpc_close", token, status);
        }),
    };
    this.#grpcStreams.set(token, stream);
    open(stream);
    return Status.Ok;
  }

  /** proxy_grpc_send. */
  grpcSend(_vm: CalloutDelivery, token: number, message: Uint8Array, endStream: boolean): number {
    if (token % TOKEN_STEP !== TokenKind.GrpcStream) return Status.BadArgument;
    const s = this.#grpcStreams.get(token);
    if (!s) return Status.NotFound;
    s.onMessage?.(message, endStream);
    return Status.Ok;
  }

  /** proxy_grpc_cancel: drops a call or resets a stream; no further callbacks for it. */
  grpcCancel(_vm: CalloutDelivery, token: number): number {
    if (token % TOKEN_STEP === TokenKind.GrpcCall) return this.#grpcCalls.delete(token) ? Status.Ok : Status.NotFound;
    if (token % TOKEN_STEP !== TokenKind.GrpcStream) return Status.BadArgument;
    const s = this.#grpcStreams.get(token);
    if (!s) return Status.NotFound;
    this.#grpcStreams.delete(token);
    s.onClose?.("cancel");
    return Status.Ok;
  }

  /** proxy_grpc_close: cancels a call, half-closes a stream. */
  grpcClose(vm: CalloutDelivery, token: number): number {
    if (token % TOKEN_STEP === TokenKind.GrpcCall) return this.grpcCancel(vm, token);
    if (token % TOKEN_STEP !== TokenKind.GrpcStream) return Status.BadArgument;
    const s = this.#grpcStreams.get(token);
    if (!s) return Status.NotFound;
    s.onClose?.("half-close");
    return Status.Ok;
  }

  /** envoy_resolve_dns: answers from the `dns` option; unknown names give size 0 (failure). */
  resolveDns(vm: CalloutDelivery, root: ContextState, name: string, writeToken: (t: number) => void): number {
    const token = ++this.#dnsToken;
    writeToken(token);
    const addresses = this.#handlers.dns[name] ?? [];
    vm.host.post(0, () => {
      if (vm.failure || !vm.context(root.id)) return;
      const data = addresses.length === 0 ? new Uint8Array(0) : encodeDnsResult(addresses);
      this.#rootCallback(
        vm,
        root,
        { bodyType: BufferType.CallData, body: data },
        "envoy_on_resolve_dns",
        token,
        data.length,
      );
    });
    return Status.Ok;
  }
}

/** TTL Envoy reports for each resolved address. */
const DNS_TTL_SECONDS = 60;

function encodeDnsResult(addresses: readonly string[]): Uint8Array {
  const head = new Uint8Array(4 + addresses.length * 4);
  const view = new DataView(head.buffer);
  view.setUint32(0, addresses.length, true);
  for (let i = 0; i < addresses.length; i++) view.setUint32(4 + i * 4, DNS_TTL_SECONDS, true);
  return concat(head, ...addresses.map((a) => encoder.encode(`${a}\0`)));
}

/**
 * The proxy_get_status message Envoy gives after the upstream closed a gRPC call or stream: the grpc-message with
 * the response code details appended, "<message>{via_upstream}", or just "via_upstream" without a message (traces
 * h2-grpc-error and h1-grpc-stream-answered, Envoy 1.36 and 1.40).
 */
function upstreamStatusMessage(message: string | undefined): string {
  return message ? `${message}{via_upstream}` : "via_upstream";
}

/**
 * True when `bytes` is valid protobuf wire format carrying neither `envoy_grpc` (1) nor `google_grpc` (2): Envoy's
 * GrpcService parse succeeds (unknown fields are kept) and the service has no target. Empty input is not judged.
 */
export function parsesAsTargetlessGrpcService(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  const fields = protobufFieldNumbers(bytes);
  return fields !== null && !fields.has(1) && !fields.has(2);
}

/** Top-level field numbers of a protobuf wire-format message, or null when `bytes` is not valid wire format. */
function protobufFieldNumbers(bytes: Uint8Array): Set<number> | null {
  const fields = new Set<number>();
  let at = 0;
  const varint = (): number | null => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (at >= bytes.length) return null;
      const b = bytes[at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    return null;
  };
  const skip = (wireType: number, field: number, depth: number): boolean => {
    switch (wireType) {
      case 0:
        return varint() !== null;
      case 1:
        at += 8;
        return at <= bytes.length;
      case 2: {
        const n = varint();
        if (n === null) return false;
        at += n;
        return at <= bytes.length;
      }
      case 5:
        at += 4;
        return at <= bytes.length;
      case 3: // a group: fields until the matching end-group tag
        for (;;) {
          const key = varint();
          if (key === null || key < 8 || depth > 32) return false;
          if ((key & 7) === 4) return key >>> 3 === field;
          if (!skip(key & 7, Math.floor(key / 8), depth + 1)) return false;
        }
      default:
        return false; // 4 (end group without a start), 6 and 7 (not wire types)
    }
  };
  while (at < bytes.length) {
    const key = varint();
    if (key === null || key < 8) return null;
    const field = Math.floor(key / 8);
    if ((field === 1 || field === 2) && (key & 7) !== 2) return null; // the target fields are messages
    if (!skip(key & 7, field, 0)) return null;
    fields.add(field);
  }
  return fields;
}

/** Cluster name from a serialized GrpcService proto (envoy_grpc.cluster_name), else the bytes as a name. */
export function grpcClusterName(service: Uint8Array): string {
  const text = new TextDecoder().decode(service);
  if (service[0] === 0x0a && service.length > 2) {
    const outerLen = service[1]!;
    const inner = service.subarray(2, 2 + outerLen);
    if (inner.length === outerLen && inner[0] === 0x0a && inner[1]! + 2 <= inner.length) {
      return new TextDecoder().decode(inner.subarray(2, 2 + inner[1]!));
    }
  }
  return text;
}
