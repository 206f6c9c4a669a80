// @proxy-wasm-as/sdk: write Envoy proxy-wasm (ABI 0.2.1) filters in AssemblyScript.
// Layers (imports go one way, top to bottom):
//   api/       typed API: RootContext, HttpContext, TcpContext, HeaderMap, Body, metrics, JSON, properties
//   host/      checked wrappers: UTF-8 and *Bytes variants, header pairs, property paths, status → values
//   abi/       raw `env` imports and ABI enums
//   dispatch/  the proxy_on_* exports (added to your module by the shared asconfig; see README)
export { Status, LogLevel, Action, BufferType, MapType, StreamType, PeerType, MetricType, GrpcStatus } from "./assembly/abi/types";
export { Header, HeaderBytes } from "./assembly/host/pairs";
export { decodeUtf8Strict, isValidUtf8 } from "./assembly/host/utf8";
export {
  lastStatus, getLogLevel, isLogEnabled, log, currentTimeNanoseconds, getStatus, HostStatus, callForeignFunction,
  getProperty, getPropertyBytes, getPropertyPairs, setProperty, setPropertyBytes,
  grpcSend, grpcCancel, grpcClose,
  getSharedData, getSharedDataBytes, setSharedData, setSharedDataBytes, SharedValue, SharedValueBytes,
  registerSharedQueue, resolveSharedQueue, enqueueSharedQueue, enqueueSharedQueueBytes, dequeueSharedQueue, dequeueSharedQueueBytes,
} from "./assembly/host/hostcalls";
export { Context, RootContext, HttpContext, TcpContext, registerRoot } from "./assembly/api/context";
export {
  HeaderMap, Body, Configuration, DEFAULT_MAX_CONFIGURATION_BYTES, httpCallResponseHeaders, httpCallResponseTrailers, httpCallResponseBody,
  grpcReceiveInitialMetadata, grpcReceiveTrailingMetadata, grpcReceiveBuffer, callData,
} from "./assembly/api/maps";
export { Counter, Gauge, Histogram } from "./assembly/api/metrics";
export { getPropertyI64, getPropertyU64, getPropertyF64, getPropertyBool } from "./assembly/api/properties";
export { parseJson, closestMatch, formatNumber, JsonParseResult, JsonList, JsonValue, JsonKind, JsonObject, JsonArray, JsonString, JsonNumber, JsonBool, JsonNull } from "./assembly/api/json";
export {
  ConfigSchema, ConfigObject, ConfigResult, ConfigField, StringField, OneOfField, BoolField, BoundedField, NumberField, IntegerField, StringListField,
  BoundedListField, NumberListField, IntegerListField, ObjectField, StringMapField,
} from "./assembly/api/config-schema";
export { logTrace, logDebug, logInfo, logWarn, logError, logCritical } from "./assembly/api/logging";
export { ProtobufWriter, ProtobufReader, ProtobufWireType, PROTOBUF_MAX_FIELD_NUMBER } from "./assembly/api/protobuf";
