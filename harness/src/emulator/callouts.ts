// HTTP calls, gRPC calls/streams and DNS lookups made by a module, routed to TypeScript handlers registered by
// cluster name. Responses are delivered asynchronously (through the host event loop / virtual clock) to the ROOT
// context, with Envoy's token scheme (HTTP ≡ 0 mod 4, gRPC call ≡ 1, gRPC stream ≡ 2; the first of each kind is
// 4, 5 and 6: proxy-wasm-cpp-host's WasmBase starts each counter at its kind and adds 4 before handing one out).
import { BufferType, GrpcStatus, LogLevel, MapType, Status } from "../abi/index.ts";
import { concat } from "./bytes.ts";
import type {
  CalloutDelivery,
  CalloutRecord,
  CalloutResponse,
  CalloutHandlers,
  GrpcCallArgs,
  GrpcReply,
  GrpcRequest,
  GrpcServerStream,
  GrpcServiceHandler,
} from "./callout-types.ts";
import { EnvoyWouldAbortError, WasmTrapError } from "./errors.ts";
import { grpcClusterName, parsesAsTargetlessGrpcService, upstreamStatusMessage } from "./grpc-service.ts";
import { HeaderMap } from "./header-map.ts";
import type { CallbackData, ContextState } from "./vm-types.ts";

export { grpcClusterName, parsesAsTargetlessGrpcService } from "./grpc-service.ts";

const encoder = new TextEncoder();
/** The maps readable in an HTTP callout's response callback, and in gRPC metadata callbacks. */
const CALLOUT_RESPONSE_MAPS = [MapType.HttpCallResponseHeaders, MapType.HttpCallResponseTrailers] as const;
/**
 * Envoy's callout tokens: the kind in `token % TOKEN_STEP`, each next token of a kind TOKEN_STEP higher. The counters
 * start at the kind and are incremented before use (proxy-wasm-cpp-host `nextHttpCallId`/`nextGrpcCallId`/
 * `nextGrpcStreamId`), so Envoy hands out HTTP 4, 8, 12…, gRPC calls 5, 9, 13…, gRPC streams 6, 10, 14… per VM
 * (trace h1-callout-tokens). A call refused for an unknown cluster takes no token.
 */
const TOKEN_STEP = 4;
const TokenKind = { Http: 0, GrpcCall: 1, GrpcStream: 2 } as const;
/** What Envoy prints as it aborts on a GrpcService with no target (1.36.4 and 1.40.0, trace h1-grpc-abort). */
const ENVOY_UNSET_ONEOF_PANIC = "panic: unset oneof";
const GRPC_METADATA_MAPS = [MapType.GrpcReceiveInitialMetadata, MapType.GrpcReceiveTrailingMetadata] as const;
const toBytes = (b: string | Uint8Array | undefined): Uint8Array =>
  typeof b === "string" ? encoder.encode(b) : (b ?? new Uint8Array(0));

/** Per-VM callout engine (tokens are per VM instance). */
export class Callouts {
  /** The VM this engine delivers into, given when the VM builds its engine. */
  readonly #vm: CalloutDelivery;
  readonly #handlers: CalloutHandlers;
  /** Where every callout is recorded (shared across VM instances by the emulator). */
  readonly records: CalloutRecord[];
  #httpToken: number = TokenKind.Http;
  #grpcCallToken: number = TokenKind.GrpcCall;
  #grpcStreamToken: number = TokenKind.GrpcStream;
  #dnsToken = 0;
  readonly #grpcCalls = new Set<number>();
  readonly #grpcStreams = new Map<number, GrpcServerStream & { closed: boolean }>();

  /** `vm`: the VM this engine serves (it builds the engine); `records`: where callouts are recorded (shared across VM instances). */
  constructor(vm: CalloutDelivery, handlers: CalloutHandlers, records: CalloutRecord[] = []) {
    this.#vm = vm;
    this.#handlers = handlers;
    this.records = records;
  }

  /** proxy_http_call. `writeToken` is called before anything is sent (IMA there aborts the call). */
  httpCall(
    root: ContextState,
    cluster: string,
    headerPairs: Array<[string, string]>,
    body: Uint8Array,
    trailerPairs: Array<[string, string]>,
    timeoutMs: number,
    writeToken: (t: number) => void,
  ): number {
    const vm = this.#vm;
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
        return this.#deliverHttp(root, token, {
          status: 504,
          body: "upstream request timeout",
          headers: { "content-type": "text/plain" },
        });
      this.#deliverHttp(root, token, response);
    });
    return Status.Ok;
  }

  #deliverHttp(root: ContextState, token: number, response: CalloutResponse): void {
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

  #rootCallback(root: ContextState, data: CallbackData, name: string, ...args: number[]): void {
    const vm = this.#vm;
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
    root: ContextState,
    service: Uint8Array,
    hostCall: "proxy_grpc_call" | "proxy_grpc_stream",
  ): { cluster: string; handler: GrpcServiceHandler } | null {
    const vm = this.#vm;
    if (parsesAsTargetlessGrpcService(service)) {
      // Envoy parses the service bytes as a GrpcService first; a cluster name that happens to be valid protobuf
      // wire format parses into one with no target, and Envoy aborts (trace h1-grpc-abort on 1.36.4 and 1.40.0).
      const name = new TextDecoder().decode(service);
      const abort = {
        hostCall,
        envoyPanic: ENVOY_UNSET_ONEOF_PANIC,
        envoySource: "source/common/grpc/async_client_manager_impl.cc",
        what: `the gRPC service "${name}" parses as an envoy.config.core.v3.GrpcService protobuf with no target (neither envoy_grpc nor google_grpc)`,
        hint:
          `rename the cluster so that its name is not valid protobuf wire format (a name starting with f, g, n, o, v or w ` +
          `never is, e.g. "grpc-${name}"), or pass a serialized GrpcService naming the cluster in envoy_grpc.cluster_name`,
      };
      const frames = vm.settings.trapFrames(new Error(ENVOY_UNSET_ONEOF_PANIC).stack);
      throw new EnvoyWouldAbortError(abort, vm.exportName, root.id, [...vm.logs], frames);
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
  grpcCall(root: ContextState, args: GrpcCallArgs, writeToken: (t: number) => void): number {
    const vm = this.#vm;
    const found = this.#resolveGrpc(root, args.service, "proxy_grpc_call");
    if (!found) return Status.ParseFailure;
    const unary = typeof found.handler === "function" ? found.handler : found.handler.unary;
    if (!unary) return Status.BadArgument;
    this.#grpcCallToken += TOKEN_STEP;
    const token = this.#grpcCallToken;
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
          root,
          { bodyType: BufferType.GrpcReceiveBuffer, body: msg },
          "proxy_on_grpc_receive",
          token,
          msg.length,
        );
      } else {
        root.status = { code: status, message: reply.statusMessage ?? "" };
        this.#rootCallback(root, {}, "proxy_on_grpc_close", token, status);
      }
    });
    return Status.Ok;
  }

  /** proxy_grpc_stream. */
  grpcStream(root: ContextState, args: GrpcCallArgs, writeToken: (t: number) => void): number {
    const vm = this.#vm;
    const found = this.#resolveGrpc(root, args.service, "proxy_grpc_stream");
    if (!found) return Status.ParseFailure;
    const open = typeof found.handler === "function" ? undefined : found.handler.stream;
    if (!open) return Status.BadArgument;
    this.#grpcStreamToken += TOKEN_STEP;
    const token = this.#grpcStreamToken;
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
              root,
              { mapTypes: GRPC_METADATA_MAPS, trailers: map },
              "proxy_on_grpc_receive_trailing_metadata",
              token,
              map.size,
            );
          }
          this.#grpcStreams.delete(token);
          root.status = { code: status, message: upstreamStatusMessage(statusMessage) };
          this.#rootCallback(root, {}, "proxy_on_grpc_close", token, status);
        }),
    };
    this.#grpcStreams.set(token, stream);
    open(stream);
    return Status.Ok;
  }

  /** proxy_grpc_send. */
  grpcSend(token: number, message: Uint8Array, endStream: boolean): number {
    if (token % TOKEN_STEP !== TokenKind.GrpcStream) return Status.BadArgument;
    const s = this.#grpcStreams.get(token);
    if (!s) return Status.NotFound;
    s.onMessage?.(message, endStream);
    return Status.Ok;
  }

  /** proxy_grpc_cancel: drops a call or resets a stream; no further callbacks for it. */
  grpcCancel(token: number): number {
    if (token % TOKEN_STEP === TokenKind.GrpcCall) return this.#grpcCalls.delete(token) ? Status.Ok : Status.NotFound;
    if (token % TOKEN_STEP !== TokenKind.GrpcStream) return Status.BadArgument;
    const s = this.#grpcStreams.get(token);
    if (!s) return Status.NotFound;
    this.#grpcStreams.delete(token);
    s.onClose?.("cancel");
    return Status.Ok;
  }

  /** proxy_grpc_close: cancels a call, half-closes a stream. */
  grpcClose(token: number): number {
    if (token % TOKEN_STEP === TokenKind.GrpcCall) return this.grpcCancel(token);
    if (token % TOKEN_STEP !== TokenKind.GrpcStream) return Status.BadArgument;
    const s = this.#grpcStreams.get(token);
    if (!s) return Status.NotFound;
    s.onClose?.("half-close");
    return Status.Ok;
  }

  /** envoy_resolve_dns: answers from the `dns` option; unknown names give size 0 (failure). */
  resolveDns(root: ContextState, name: string, writeToken: (t: number) => void): number {
    const vm = this.#vm;
    const token = ++this.#dnsToken;
    writeToken(token);
    const addresses = this.#handlers.dns[name] ?? [];
    vm.host.post(0, () => {
      if (vm.failure || !vm.context(root.id)) return;
      const data = addresses.length === 0 ? new Uint8Array(0) : encodeDnsResult(addresses);
      this.#rootCallback(
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
