// Public API of harness/src/emulator (`@proxy-wasm-as/harness/emulator`; the root entry re-exports its everyday names).
// An in-process, Envoy-faithful host for proxy-wasm modules from any SDK. See README.md.
import "../node-check.ts";
export {
  Emulator,
  type EmulatorOptions,
  type FailurePolicy,
  type HttpStreamOptions,
  type PluginOptions,
  type RequestInit,
  type RequestResult,
  type UpstreamHandler,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./emulator.ts";
export {
  decodeClientRequest,
  decodeUpstreamResponse,
  localReplyResponse,
  LOCAL_REPLIES,
  type ClientRequest,
  type DecodedMessage,
  type HttpProtocol,
  type MessageFrame,
  type UpstreamAnswer,
} from "./connection-manager.ts";
export { runExchange, type ExchangeOutcome, type UpstreamService } from "./exchange.ts";
export { Router, type RouteSpec, type RouteDecision, type HeaderMatch, type StringMatch } from "./router.ts";
export type { UpstreamAddresses } from "./upstream-properties.ts";
export { EmulatorHost, type MetricValue } from "./host.ts";
export { HttpStream, type HttpAction, type StepOptions } from "./http-stream.ts";
export { HttpMessage } from "./http-direction.ts";
export { TcpConnection, TcpFlow } from "./tcp-connection.ts";
export { HeaderMap, type HeadersInit } from "./header-map.ts";
export { encodePairs as encodeHeaderPairs, decodePairs as decodeHeaderPairs } from "./pairs.ts";
export {
  uint as propertyUint,
  double as propertyDouble,
  encodePropertyValue,
  type PropertyValue,
} from "./properties.ts";
export type {
  CalloutRecord,
  CalloutRequest,
  CalloutResponse,
  GrpcReply,
  GrpcRequest,
  GrpcServerStream,
  GrpcServiceHandler,
  HttpCalloutHandler,
} from "./callout-types.ts";
export {
  WasmLoadError,
  WasmTrapError,
  EmulatorUsageError,
  WasmLimitError,
  WasmTimeoutError,
  WasmVmDeadError,
  WasmMemoryLimitError,
  EnvoyWouldAbortError,
  type EnvoyAbort,
  LOG_LEVELS,
  logLevelName,
  type LogEntry,
  type LogLevelInput,
  type LogLevelName,
  type TrapFrames,
} from "./errors.ts";
export { ENVOY_ATTRIBUTES, envoyAttribute, type AttributeType, type EnvoyAttribute } from "./attributes.ts";
export { DEFAULT_CALLBACK_TIMEOUT_MS, DEFAULT_MEMORY_LIMIT_BYTES } from "./watchdog/watchdog.ts";
export type { EmulatorCoverageOptions } from "./coverage/runtime.ts";
export { Status as ProxyStatus } from "../abi/index.ts";
export type { LocalReply, TraceEntry } from "./vm-types.ts";
