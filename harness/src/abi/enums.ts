// The proxy-wasm ABI's enumerations on the host side (values fixed by Envoy / proxy-wasm-cpp-host, ABI 0.2.1;
// proxy-wasm-abi.md §3). The SDK declares the same values for the guest in sdk/assembly/abi/types.ts;
// enums.test.ts keeps the two in step. Plain objects rather than TS enums: Node runs these sources with type
// stripping, which does not support enums.

/** Status codes returned by every proxy_* host call (§3.1). */
export const Status = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  BadExpression: 5,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  ResultMismatch: 9,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;
/** One of the values of {@link Status}. */
export type Status = (typeof Status)[keyof typeof Status];

/** Log levels of proxy_log and proxy_get_log_level. */
export const LogLevel = { Trace: 0, Debug: 1, Info: 2, Warn: 3, Error: 4, Critical: 5 } as const;
/** One of the values of {@link LogLevel}. */
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

/** What a stream callback returns (FilterHeadersStatus / FilterDataStatus, §3.2). */
export const Action = { Continue: 0, Pause: 1, PauseAndWatermark: 2, StopAllAndBuffer: 3 } as const;
/** One of the values of {@link Action}. */
export type Action = (typeof Action)[keyof typeof Action];

/** Buffers of proxy_get_buffer_bytes / proxy_set_buffer_bytes / proxy_get_buffer_status. */
export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  DownstreamData: 2,
  UpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
} as const;
/** One of the values of {@link BufferType}. */
export type BufferType = (typeof BufferType)[keyof typeof BufferType];
/** The buffers that belong to a stream (HTTP bodies, TCP data). */
export const LAST_STREAM_BUFFER = BufferType.UpstreamData;
/** The highest buffer type ABI 0.2.1 defines: a larger one is BadArgument. */
export const LAST_BUFFER_TYPE = BufferType.CallData;

/** Header maps of the proxy_*_header_map_* host calls. */
export const MapType = {
  HttpRequestHeaders: 0,
  HttpRequestTrailers: 1,
  HttpResponseHeaders: 2,
  HttpResponseTrailers: 3,
  GrpcReceiveInitialMetadata: 4,
  GrpcReceiveTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;
/** One of the values of {@link MapType}. */
export type MapType = (typeof MapType)[keyof typeof MapType];
/** The maps that belong to an HTTP stream; the others exist only inside a callout callback. */
export const LAST_STREAM_MAP = MapType.HttpResponseTrailers;
/** The highest map type ABI 0.2.1 defines: a larger one is BadArgument. */
export const LAST_MAP_TYPE = MapType.HttpCallResponseTrailers;

/** Directions of proxy_continue_stream / proxy_close_stream. */
export const StreamType = { HttpRequest: 0, HttpResponse: 1, Downstream: 2, Upstream: 3 } as const;
/** One of the values of {@link StreamType}. */
export type StreamType = (typeof StreamType)[keyof typeof StreamType];

/** Peers of proxy_on_downstream/upstream_connection_close. */
export const PeerType = { Unknown: 0, Local: 1, Remote: 2 } as const;
/** One of the values of {@link PeerType}. */
export type PeerType = (typeof PeerType)[keyof typeof PeerType];

/** Metric kinds of proxy_define_metric. */
export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2 } as const;
/** One of the values of {@link MetricType}. */
export type MetricType = (typeof MetricType)[keyof typeof MetricType];

/** gRPC status codes (0–16) of proxy_send_local_response and gRPC callouts. */
export const GrpcStatus = {
  Ok: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
/** One of the values of {@link GrpcStatus}. */
export type GrpcStatus = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/** WASI preview1 errno values the emulator returns. */
export const WasiErrno = {
  Success: 0,
  Badf: 8,
  Fault: 21,
  Inval: 28,
  Noent: 44,
  Nosys: 52,
  Notsup: 58,
} as const;
/** One of the values of {@link WasiErrno}. */
export type WasiErrno = (typeof WasiErrno)[keyof typeof WasiErrno];

/** WASI clock ids of clock_time_get. */
export const WasiClock = { Realtime: 0, Monotonic: 1 } as const;
/** WASI standard output and error file descriptors. */
export const WasiFd = { Stdout: 1, Stderr: 2 } as const;
