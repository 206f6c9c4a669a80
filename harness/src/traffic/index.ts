// Public API of harness/src/traffic (`@proxy-wasm-as/harness/traffic`; the root entry re-exports its everyday names): real traffic for tests —
// an undici client (HTTP/1.1, h2c, trailers, chunked bodies), recording loopback upstreams (HTTP, TCP, gRPC).
// This layer knows nothing about Envoy; the envoy layer builds on it.
import "../node-check.ts";
export type { UpstreamEndpoint, HeaderValues } from "./endpoint.ts";
export { httpRequest, DEFAULT_HTTP_TIMEOUT_MS } from "./http-client.ts";
export { HttpTimeoutError } from "./errors.ts";
export type { HttpRequestOptions, HttpResponse, RequestBody } from "./http-client.ts";
export { startHttpUpstream, echoResponder, jsonEchoResponder } from "./http-upstream.ts";
export type {
  HttpUpstream,
  HttpUpstreamOptions,
  RecordedRequest,
  RecordedReset,
  Responder,
  HttpUpstreamResponse,
} from "./http-upstream.ts";
export { startTcpUpstream, tcpExchange } from "./tcp.ts";
export type { TcpUpstream, TcpConnectionRecord, TcpUpstreamOptions, TcpExchangeOptions } from "./tcp.ts";
export { startGrpcUpstream, encodeGrpcFrame, decodeGrpcFrame } from "./grpc-upstream.ts";
export type { GrpcUpstream, GrpcHandler, GrpcUpstreamReply, RecordedGrpcCall } from "./grpc-upstream.ts";
