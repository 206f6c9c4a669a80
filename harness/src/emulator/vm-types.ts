// Types shared by the VM, the host calls, the streams and the callouts. Kept apart from vm.ts so that modules
// the VM imports (hostcalls/, callouts.ts) can name them without importing the VM back.
import type { BufferType, MapType } from "../abi/index.ts";
import type { LogEntry, LogLevelName, TrapFrames } from "./errors.ts";
import type { HeaderMap } from "./header-map.ts";
import type { PropertyValue } from "./properties.ts";
import type { ExecutionLimits } from "./watchdog/watchdog.ts";

/** A body or data buffer a stream exposes to the module. */
export interface BufferRef {
  readonly bytes: Uint8Array;
  readonly mutable: boolean;
  replace(bytes: Uint8Array): void;
}

/** Availability of a header map in the current phase (Envoy's getMap/getConstMap windows). */
export interface MapAccess {
  readonly map: HeaderMap | null;
  readonly readable: boolean;
  readonly writable: boolean;
  /** Missing-map result for reads: BadArgument normally, NotFound in the access-log phase. */
  readonly unavailableStatus?: number;
}

/** A local reply requested with proxy_send_local_response. */
export interface LocalReply {
  readonly status: number;
  readonly details: string;
  readonly body: Uint8Array;
  readonly headers: ReadonlyArray<[string, string]>;
  /** 0..16, or null when no grpc-status is set. */
  readonly grpcStatus: number | null;
}

/**
 * What a host call may ask of a stream that Envoy carries out after the running callback returns (implemented by
 * deferred-actions.ts, the one owner of deferred actions).
 */
export interface StreamActionRequests {
  /** proxy_continue_stream(type). */
  requestContinue(type: number): void;
  /** proxy_close_stream(type). */
  requestClose(type: number): void;
  /** proxy_send_local_response (HTTP only); the first of a callback wins. */
  requestLocalReply(reply: LocalReply): void;
}

/** What a stream context (HTTP or TCP) provides to the hostcalls: its maps, buffers, properties and deferred actions. */
export interface HostStream {
  readonly kind: "http" | "tcp";
  headerMap(type: number): MapAccess;
  buffer(type: number): BufferRef | null;
  /** A value, a status Envoy answers instead (e.g. SerializationFailure), or undefined (NotFound). */
  property(key: string): Uint8Array | number | undefined;
  setProperty(key: string, value: Uint8Array): void;
  /** Continue/close/local-reply requests, carried out once the running callback returned. */
  readonly actions: StreamActionRequests;
}

/** A root (plugin) context or a stream context. */
export interface ContextState {
  readonly id: number;
  /** Root context id of this context's plugin (its own id for a root). */
  readonly rootContextId: number;
  readonly isRoot: boolean;
  readonly plugin: PluginIdentity;
  stream: HostStream | null;
  readonly logs: LogEntry[];
  /** Root only: status for proxy_get_status. */
  status: { code: number; message: string };
  tickPeriodMs: number;
  tickGeneration: number;
  awaitingDone: boolean;
}

/** Identity of a plugin (one root context). */
export interface PluginIdentity {
  readonly name: string;
  readonly rootId: string;
  readonly configuration: Uint8Array;
}

/** VM-wide settings (from vm_config and the emulator options). */
export interface VmSettings {
  readonly vmId: string;
  readonly vmConfiguration: Uint8Array;
  readonly env: Readonly<Record<string, string>>;
  readonly logLevel: LogLevelName;
  readonly trace: boolean;
  readonly properties: Readonly<Record<string, PropertyValue>>;
  /** Called for every log line (the emulator aggregates them). */
  readonly onLog: (entry: LogEntry) => void;
  /** Deadline per callback and memory ceiling (enforced when the module was instrumented, see watchdog/). */
  readonly limits: ExecutionLimits;
  /** The module's frames in a V8 stack, in source terms (trap-frames.ts), for trap and limit errors. */
  readonly trapFrames: (stack: string | undefined) => TrapFrames;
  /** Imports the harness's own instrumentation adds, by import module (coverage counters, see coverage/). */
  readonly instrumentImports?: Readonly<Record<string, Readonly<Record<string, WebAssembly.ImportValue>>>>;
}

/**
 * One call across the VM boundary recorded when tracing is on: a host call (`call` is "env.<name>" or
 * "wasi_snapshot_preview1.<name>") or an entry into the VM (`call` is "guest.<export>", e.g.
 * "guest.proxy_on_request_headers", or "guest.malloc" / "guest.proxy_on_memory_allocate" when the host
 * allocates memory to copy data in).
 */
export interface TraceEntry {
  readonly contextId: number;
  readonly call: string;
  readonly args: readonly (number | bigint)[];
  result?: number;
}

/** Data readable only inside one root callback (HTTP-call response, gRPC receive, DNS/foreign call data). */
export interface CallbackData {
  /** HttpCallResponseHeaders or GrpcReceiveInitialMetadata. */
  headers?: HeaderMap | null;
  /** HttpCallResponseTrailers or GrpcReceiveTrailingMetadata. */
  trailers?: HeaderMap | null;
  /** HttpCallResponseBody, GrpcReceiveBuffer or CallData. */
  body?: Uint8Array;
  bodyType?: BufferType;
  /** Which map types `headers` and `trailers` answer to. */
  mapTypes?: readonly [MapType, MapType];
}
