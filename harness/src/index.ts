// @proxy-wasm-as/harness: the everyday API in one import. Each folder is a layer with its own entry point
// (also importable alone, e.g. "@proxy-wasm-as/harness/emulator"); this file names what it re-exports, so that
// nothing becomes public by accident.
//   abi/        what Envoy provides and expects (import/export tables) and a module conformance checker
//   emulator/   in-process, Envoy-faithful host for any proxy-wasm module
//   envoy/      real Envoy: provisioning, config builder, process and container runners, observation
//   traffic/    real traffic: undici clients and loopback upstreams (HTTP/1.1, h2c, TCP, gRPC)
//   scenario/   the differential suite: one scenario on the emulator and on real Envoy, compared
//   packaging/  OCI images Istio accepts, registry push/pull, WasmPlugin/TrafficExtension rendering
// Not re-exported here (import them by subpath): "/fuzz" and "/vitest" (the latter needs vitest installed).
import "./node-check.ts";
export { HarnessError, type HarnessErrorOptions } from "./errors.ts";
export {
  WasmBinaryError, sig, formatSignature, sameSignature, ENVOY_IMPORTS, WASI_MODULES, envoyImportsFor, importKey,
  proxyHostcallNames, Action, BufferType, GrpcStatus, LAST_BUFFER_TYPE, LAST_MAP_TYPE, LAST_STREAM_BUFFER,
  LAST_STREAM_MAP, LogLevel, MapType, MetricType, PeerType, Status, StreamType, WasiClock, WasiErrno, WasiFd,
  ABI_MARKERS, ALLOCATOR_EXPORTS, envoyExportsFor, readModuleInterface, checkModule, formatModuleReport
} from "./abi/index.ts";
export type {
  WasmSignature, WasmValueType, AbiVersion, EnvImportName, HostImport, WasiImportName, ExternKind, ModuleExport,
  ModuleImport, ModuleInterface, ExportMismatch, ImportCheck, ModuleReport
} from "./abi/index.ts";
export {
  Emulator, decodeClientRequest, decodeUpstreamResponse, localReplyResponse, LOCAL_REPLIES, runExchange, Router,
  EmulatorHost, HttpStream, HttpMessage, TcpConnection, TcpFlow, HeaderMap, encodeHeaderPairs, decodeHeaderPairs,
  propertyUint, propertyDouble, encodePropertyValue, WasmLoadError, WasmTrapError, EmulatorUsageError,
  WasmLimitError, WasmTimeoutError, WasmMemoryLimitError, LOG_LEVELS, logLevelName, DEFAULT_CALLBACK_TIMEOUT_MS,
  DEFAULT_MEMORY_LIMIT_BYTES, ProxyStatus
} from "./emulator/index.ts";
export type {
  EmulatorOptions, FailurePolicy, HttpStreamOptions, PluginOptions, RequestInit, RequestResult, UpstreamHandler,
  UpstreamRequest, UpstreamResponse, ClientRequest, DecodedMessage, HttpProtocol, MessageFrame, UpstreamAnswer,
  ExchangeOutcome, UpstreamService, RouteSpec, RouteDecision, HeaderMatch, StringMatch, UpstreamAddresses,
  MetricValue, HttpAction, StepOptions, HeadersInit, PropertyValue, CalloutRecord, CalloutRequest, CalloutResponse,
  GrpcReply, GrpcRequest, GrpcServerStream, GrpcServiceHandler, HttpCalloutHandler, LogEntry, LogLevelInput,
  LogLevelName, LocalReply, TraceEntry
} from "./emulator/index.ts";
export {
  startEnvoy, specFromOptions, prepareRunner, DEFAULT_LISTENER, DEFAULT_CLUSTER, httpWasm, networkWasm, wasmService,
  cluster, buildBootstrap, renderBootstrapYaml, pluginName, wasmFilesOf, validateEnvoyConfig, ensureEnvoyBinary,
  envoyBinaryVersion, cachedEnvoyBinaryPath, ensureEnvoyImage, localEnvoyImageName, ensureDockerEngine, pingDocker,
  ensureDebianTools, planDebianTools, EnvoyAdmin, diffStats, EnvoyLog, parseEnvoyLogLine, asWasmLogLine,
  isFailureLine, stopAllEnvoys, reapLeftoverContainers, reapLeftoverProcesses, listEnvoyContainers,
  listEnvoyProcesses, listLeftoverTempDirs, EnvoyHarnessError, DEFAULT_ENVOY_VERSION, OLDEST_SUPPORTED_ENVOY_VERSION,
  HARNESS_LABEL, CACHE_DIR_ENV, cacheRoot
} from "./envoy/index.ts";
export type {
  Envoy, StartEnvoyOptions, ClusterSpec, EnvoyConfigSpec, EnvoyFailurePolicy, HttpWasmFilter, ListenerSpec,
  NetworkWasmFilter, RenderContext, WasmFilter, WasmPluginOptions, WasmServiceSpec, ValidateOptions, DebianTool,
  DebianToolsEnvironment, DebianToolsPlan, StatsSnapshot, EnvoyLogLine, WasmLogLine, EnvoyProcessRecord, RunnerKind,
  RunnerOptions
} from "./envoy/index.ts";
export {
  httpRequest, startHttpUpstream, echoResponder, startTcpUpstream, tcpExchange, startGrpcUpstream, encodeGrpcFrame,
  decodeGrpcFrame
} from "./traffic/index.ts";
export type {
  UpstreamEndpoint, HeaderValues, HttpRequestOptions, HttpResponse, RequestBody, HttpUpstream, HttpUpstreamOptions,
  RecordedRequest, RecordedReset, Responder, HttpUpstreamResponse, TcpUpstream, TcpConnectionRecord,
  TcpUpstreamOptions, TcpExchangeOptions, GrpcUpstream, GrpcHandler, GrpcUpstreamReply, RecordedGrpcCall
} from "./traffic/index.ts";
export {
  PackagingError, mediaTypes, packageWasm, writeOciLayout, sha256Digest, assertWasmBinary, imageFromParts,
  IMAGE_FORMATS, pushImage, fetchManifest, fetchBlob, parseReference, formatReference, pullWasmLikeIstio,
  extractWasmLikeIstio, extractFromImageLikeIstio, ISTIO_MAX_WASM_BYTES, unsafeRealmReason, DEFAULT_ISTIO_VERSION,
  parseIstioVersion, checksChallengeRealms, translatesWasmPlugins, REALM_CHECK_VERSIONS, crdSchema, crdProvenance,
  kindsServedBy, pinnedIstioMinors, CRD_DATA_URL, validateAgainstCrd, buildWasmPlugin, buildTrafficExtension,
  validateResource, assertValidResource, resourcesToYaml, parseResourcesYaml, ISTIO_EXTENSIONS_API,
  renderIstioFilter, toHarnessFilter, orderLikeIstio, agentCachePath, istioNames, ISTIO_DATA_DIR, ISTIO_META_PREFIX,
  WASMPLUGIN_RESOURCE_PREFIX, TRAFFIC_EXTENSION_RESOURCE_PREFIX, TRANSLATED_WASMPLUGIN_SUFFIX,
  WASM_RESOURCE_VERSION_ENV, WASM_PULL_POLICY_ENV, WASM_PULL_SECRET_ENV, startLocalRegistry, registryBinary,
  loopbackHostName
} from "./packaging/index.ts";
export type {
  Descriptor, ImageFormat, ImageManifest, PackageOptions, WasmImage, FetchedManifest, ImageReference, PushResult,
  RegistryOptions, IstioExtraction, IstioImageVariant, IstioPullOptions, IstioVersion, CrdProvenance, CrdSchema,
  ExtensionKind, CrdViolation, FailStrategy, IstioResource, IstioTargetOptions, PluginMetadata, PluginPhase,
  PluginType, PullPolicy, TargetRef, TrafficMatch, IstioEnvoyFilter, RenderIstioOptions, LocalRegistry,
  LocalRegistryOptions
} from "./packaging/index.ts";
export {
  runOnEmulator, clientRequestOf, probeConfig, DEFAULT_UPSTREAM_BODY, MAIN_UPSTREAM, EnvoySuite, QUIET_MS,
  normaliseText, normaliseEvent, headerRecord, CLIENT_TRANSPORT_HEADERS, UPSTREAM_TRANSPORT_HEADERS,
  diffObservations, checkExpectations, formatSideBySide, compareScenario, CompatibilityTable, KNOWN_DIVERGENCES,
  explainDivergence, recordTraces, readTraces, replayTrace, tracePath, scenarioDefinition, runDifferential
} from "./scenario/index.ts";
export type {
  Scenario, ScenarioPlugin, ScenarioRoute, ScenarioRequest, ScenarioUpstream, ScenarioCallout, ScenarioGrpcService,
  ScenarioConnection, ScenarioExpectation, ScenarioObservation, ExchangeObservation, ClientView, UpstreamView,
  EmulatorRunOptions, EnvoySuiteOptions, ScenarioLogLine, Divergence, ScenarioResult, Verdict, KnownDivergence,
  ScenarioTrace, DifferentialOptions, DifferentialReport
} from "./scenario/index.ts";
