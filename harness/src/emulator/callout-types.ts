// The types of the callout engine (callouts.ts): what a test registers (HTTP upstream handlers, gRPC services, DNS
// answers), what those handlers receive and return, the records of the callouts a module made, and the narrow view
// of a VM the engine delivers into.
import type { LogLevel } from "../abi/index.ts";
import type { HeaderMap, HeadersInit } from "./header-map.ts";
import type { EmulatorHost } from "./host.ts";
import type { LogEntry } from "./errors.ts";
import type { CallbackData, ContextState, VmSettings } from "./vm-types.ts";

/**
 * The narrow view of a VM the callout engine delivers into (implemented by WasmVm): its clock, its liveness, its
 * root callbacks and what an EnvoyWouldAbortError reports. The engine never sees the rest of the VM.
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
  /** The export running now ("" between callbacks): where an EnvoyWouldAbortError happened. */
  readonly exportName: string;
  /** Every log line of the VM, and how its frames read in source terms (for EnvoyWouldAbortError). */
  readonly logs: readonly LogEntry[];
  readonly settings: Pick<VmSettings, "trapFrames">;
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

/** The arguments of proxy_grpc_call / proxy_grpc_stream, decoded from guest memory. */
export interface GrpcCallArgs {
  readonly service: Uint8Array;
  readonly serviceName: string;
  readonly method: string;
  readonly metadata: Array<[string, string]>;
  readonly message?: Uint8Array;
  readonly timeoutMs?: number;
}
