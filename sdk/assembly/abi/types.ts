// Raw layer: the ABI's enumerations (values fixed by Envoy / proxy-wasm-cpp-host, ABI 0.2.1).

/** Result of every host call. NotFound and Empty are ordinary outcomes, not errors. */
export enum Status {
  Ok = 0, NotFound = 1, BadArgument = 2, SerializationFailure = 3, ParseFailure = 4, BadExpression = 5,
  InvalidMemoryAccess = 6, Empty = 7, CasMismatch = 8, ResultMismatch = 9, InternalFailure = 10,
  BrokenConnection = 11, Unimplemented = 12,
}

/** Log levels of Envoy's `wasm` logger. `Off` (6) is only ever reported, never logged at. */
export enum LogLevel { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Critical = 5, Off = 6 }

/**
 * What a stream callback tells Envoy to do next. `Continue` passes the data on; `Pause` stops iteration
 * (headers: StopAllIterationAndWatermark unless Envoy's `allow_on_headers_stop_iteration`; body:
 * StopIterationAndBuffer; trailers and TCP data: StopIteration). Resume later with continueRequest() etc.
 * The other values are the raw per-callback codes for experts (see the ABI reference §3.2).
 */
export enum Action {
  Continue = 0,
  Pause = 1,
  /** Body callbacks only: stop and keep buffering up to the watermark. */
  PauseAndWatermark = 2,
  /** Headers: StopAllIterationAndBuffer. Body: StopIterationNoBuffer. */
  StopAllAndBuffer = 3,
}

export enum BufferType {
  HttpRequestBody = 0, HttpResponseBody = 1, DownstreamData = 2, UpstreamData = 3, HttpCallResponseBody = 4,
  GrpcReceiveBuffer = 5, VmConfiguration = 6, PluginConfiguration = 7, CallData = 8,
}

export enum MapType {
  HttpRequestHeaders = 0, HttpRequestTrailers = 1, HttpResponseHeaders = 2, HttpResponseTrailers = 3,
  GrpcReceiveInitialMetadata = 4, GrpcReceiveTrailingMetadata = 5, HttpCallResponseHeaders = 6, HttpCallResponseTrailers = 7,
}

export enum StreamType { HttpRequest = 0, HttpResponse = 1, Downstream = 2, Upstream = 3 }

/** Which side closed a TCP connection. */
export enum PeerType { Unknown = 0, Local = 1, Remote = 2 }

export enum MetricType { Counter = 0, Gauge = 1, Histogram = 2 }

/** gRPC status codes; `-1` means "no gRPC status" for sendLocalResponse. */
export enum GrpcStatus {
  Ok = 0, Canceled = 1, Unknown = 2, InvalidArgument = 3, DeadlineExceeded = 4, NotFound = 5, AlreadyExists = 6,
  PermissionDenied = 7, ResourceExhausted = 8, FailedPrecondition = 9, Aborted = 10, OutOfRange = 11,
  Unimplemented = 12, Internal = 13, Unavailable = 14, DataLoss = 15, Unauthenticated = 16, None = -1,
}
