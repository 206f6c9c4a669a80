// @proxy-wasm-as/harness: the everyday API of a filter test in one import: load a module on the emulator and send
// it requests, start real Envoy with it, send real traffic to recording upstreams, and the errors all of these
// throw. Everything else has its own entry point, one per layer (harness/README.md lists them):
//   /emulator   the whole emulator API (streams step by step, hosts, codecs, limits)
//   /envoy      real Envoy: config builder, provisioning, runners, logs, admin, traps, leftovers
//   /traffic    clients and loopback upstreams (HTTP/1.1, h2c, TCP, gRPC), gRPC framing
//   /abi        what Envoy provides and expects; checkModule
//   /symbols    a trap told in source lines
//   /scenario   the differential suite: one scenario on the emulator and on real Envoy, compared
//   /packaging  OCI images, registries, Istio WasmPlugin / TrafficExtension
//   /vitest     the vitest preset and the filter matchers (needs vitest)
//   /build, /coverage, /fuzz, /bench, /cli
// Each name below is the same binding as in its subpath (test/unit/public-api.test.ts checks it), and the API
// reports in harness/api/ list every public name of every entry point.
import "./node-check.ts";
export { HarnessError, type HarnessErrorOptions } from "./errors.ts";
export {
  Emulator,
  HeaderMap,
  HttpStream,
  TcpConnection,
  WasmLoadError,
  WasmTrapError,
  WasmLimitError,
  WasmTimeoutError,
  WasmMemoryLimitError,
  EmulatorUsageError,
} from "./emulator/index.ts";
export type {
  EmulatorOptions,
  FailurePolicy,
  PluginOptions,
  RequestInit,
  RequestResult,
  HttpStreamOptions,
  HeadersInit,
  RouteSpec,
  UpstreamHandler,
  UpstreamRequest,
  UpstreamResponse,
  CalloutRecord,
  CalloutRequest,
  CalloutResponse,
  GrpcRequest,
  GrpcReply,
  GrpcServiceHandler,
  HttpCalloutHandler,
  LogEntry,
  LocalReply,
  MetricValue,
} from "./emulator/index.ts";
export {
  startEnvoy,
  stopAllEnvoys,
  httpWasm,
  networkWasm,
  wasmService,
  cluster,
  runnerKind,
  EnvoyHarnessError,
  EnvoyRequestTimeoutError,
  EnvoyWorkerStuckError,
} from "./envoy/index.ts";
export type {
  Envoy,
  EnvoyResponse,
  StartEnvoyOptions,
  ClusterSpec,
  ListenerSpec,
  EnvoyFailurePolicy,
  WasmPluginOptions,
  WasmServiceSpec,
  RunnerKind,
  EnvoyTrap,
  StatsSnapshot,
  WasmLogLine,
} from "./envoy/index.ts";
export {
  httpRequest,
  HttpTimeoutError,
  startHttpUpstream,
  echoResponder,
  startTcpUpstream,
  startGrpcUpstream,
} from "./traffic/index.ts";
export type {
  HttpRequestOptions,
  HttpResponse,
  HttpUpstream,
  HttpUpstreamOptions,
  HttpUpstreamResponse,
  RecordedRequest,
  Responder,
  TcpUpstream,
  GrpcUpstream,
  GrpcHandler,
  GrpcUpstreamReply,
  RecordedGrpcCall,
} from "./traffic/index.ts";
export { checkModule, type ModuleReport } from "./abi/index.ts";
export { formatFrames, type SourceFrame } from "./symbols/index.ts";
