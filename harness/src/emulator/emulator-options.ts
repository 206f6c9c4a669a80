// The options of the Emulator (what a test may pass to Emulator.load, addPlugin and httpStream) and their
// normalisation into what the VM takes (plugin identity, VM settings with Envoy's defaults).
import type { GrpcServiceHandler, HttpCalloutHandler } from "./callout-types.ts";
import type { ClientRequest, HttpProtocol, UpstreamAnswer } from "./connection-manager.ts";
import { logLevelName, type LogEntry, type LogLevelInput } from "./errors.ts";
import type { UpstreamRequest, UpstreamService } from "./exchange.ts";
import type { HeaderMap } from "./header-map.ts";
import type { EmulatorHost } from "./host.ts";
import type { HttpStream } from "./http-stream.ts";
import type { PropertyValue } from "./properties.ts";
import type { RouteSpec } from "./router.ts";
import type { UpstreamAddresses } from "./upstream-properties.ts";
import type { EmulatorCoverageOptions } from "./coverage/runtime.ts";
import type { PluginIdentity, VmSettings } from "./vm-types.ts";
import { DEFAULT_CALLBACK_TIMEOUT_MS, DEFAULT_MEMORY_LIMIT_BYTES } from "./watchdog/watchdog.ts";

/** Envoy failure policies (§5.7): fail closed (default, 503), fail open (skip the filter), reload a fresh VM. */
export type FailurePolicy = "fail-closed" | "fail-open" | "fail-reload";

/** A plugin (root context) in the VM. */
export interface PluginOptions {
  /** `root_id`; picks the root context in the module. Default "". */
  readonly rootId?: string;
  /** Plugin `name` (logs, `plugin_name` property). Default "plugin". */
  readonly pluginName?: string;
  /** Plugin configuration; objects are JSON-encoded. Readable only in on_configure. */
  readonly pluginConfig?: string | Uint8Array | object;
}

/** Options of {@link Emulator.load}. Every field is optional. */
export interface EmulatorOptions extends PluginOptions {
  /** VM configuration (vm_config.configuration), readable any time as VM_CONFIGURATION. */
  readonly vmConfig?: string | Uint8Array | object;
  /** `vm_id`: namespace of shared data and queues. Default "". */
  readonly vmId?: string;
  /** vm_config.environment_variables, visible through WASI environ_get. */
  readonly env?: Readonly<Record<string, string>>;
  /** Properties for every stream, by dotted name ("source.address") or NUL-joined path. Override defaults. */
  readonly properties?: Readonly<Record<string, PropertyValue>>;
  /** Envoy's `wasm` logger level ("warn" is an alias of "warning"); lines below it are dropped and proxy_get_log_level reports it. Default "info". */
  readonly logLevel?: LogLevelInput;
  /** Default "fail-closed". */
  readonly failurePolicy?: FailurePolicy;
  /** Envoy ≥ 1.35 `allow_on_headers_stop_iteration`: headers Pause stops only the headers. Default false (stop-all). */
  readonly allowOnHeadersStopIteration?: boolean;
  /** Stream buffer limit for bodies the filter holds (Envoy's per_connection_buffer_limit_bytes). Default 1 MiB. */
  readonly bufferLimitBytes?: number;
  /** fail-reload backoff before a fresh VM is made (virtual ms). Default 1000 (Envoy's default base interval). */
  readonly reloadBackoffMs?: number;
  /** HTTP callout handlers by cluster name (proxy_http_call). */
  readonly upstreams?: Readonly<Record<string, HttpCalloutHandler>>;
  /** gRPC handlers by cluster name (proxy_grpc_call / proxy_grpc_stream). */
  readonly grpcServices?: Readonly<Record<string, GrpcServiceHandler>>;
  /** Routes tried in order before the catch-all to `defaultCluster` (prefix, path, regex, :authority, headers), as in harness/src/envoy/config.ts. */
  readonly routes?: readonly RouteSpec[];
  /** The cluster of the catch-all route. Default "upstream". */
  readonly defaultCluster?: string;
  /** Addresses of upstream clusters (upstream.address, upstream.local_address); default loopback 127.0.0.1:8080, :8081, … by first use. */
  readonly upstreamEndpoints?: Readonly<Record<string, UpstreamAddresses>>;
  /** Answers for envoy_resolve_dns by host name. */
  readonly dns?: Readonly<Record<string, readonly string[]>>;
  /** The shared "Envoy process" (clock, shared data, queues, stats). Pass one host to several emulators to model several VMs/workers. */
  readonly host?: EmulatorHost;
  /**
   * Reproduce Envoy's start-up with `--concurrency 1`: a base VM (only `_initialize`), a canary VM (root lifecycle,
   * then discarded without on_done/on_delete and without ever ticking), the main thread's copy (its root ticks like
   * any other) and the worker's VM that serves traffic: `_initialize` runs 4 times and on_vm_start/on_configure 3
   * times (every recorded trace's start-up lines), with their side effects on shared data and logs. Default false.
   */
  readonly canary?: boolean;
  /** Record every hostcall and every entry into the VM (callbacks, malloc) in `emulator.trace`. Default false. */
  readonly trace?: boolean;
  /** Label used in error messages (defaults to the file path). */
  readonly label?: string;
  /**
   * Deadline of each callback into the module, in wall-clock ms (0: none); the module's host calls and bulk memory
   * operations count too. Past it the emulator stops the module and the call throws WasmTimeoutError naming the
   * callback and the context; later streams then throw WasmVmDeadError. Default 5000.
   */
  readonly callbackTimeoutMs?: number;
  /**
   * Ceiling of the module's linear memory. Growing past it fails as at a declared maximum (memory.grow gives -1);
   * if the callback then traps, the call throws WasmMemoryLimitError. Default 256 MiB.
   */
  readonly memoryLimitBytes?: number;
  /**
   * false: run the module byte for byte as given, without the instrumentation that enforces `callbackTimeoutMs`
   * and `memoryLimitBytes` (to measure its cost, or to read Wasm stack offsets of the original binary). Default true.
   */
  readonly watchdog?: boolean;
  /**
   * The module's source map, for traps told in source lines (`assembly/index.ts:42:7 in MyFilter.onRequestHeaders`
   * in WasmTrapError and the limit errors, and their `frames`): a path, or false for none. Default: the map the
   * build keeps beside the module (`build/x.wasm.map`), or the one its sourceMappingURL names.
   */
  readonly sourceMap?: string | false;
  /**
   * Line, branch and function coverage of the module's AssemblyScript source (see coverage/README.md). true:
   * measure this module, or throw WasmLoadError saying why it cannot be mapped to its source; false: never
   * measure it. Default: measure it when coverage is on for the process (`enableCoverage()`, or the vitest
   * preset run with `--coverage`), unless `watchdog: false` asks for the module byte for byte. With a coverage build beside the module (build/coverage/<name>.wasm, which
   * the preset builds), that build is what runs and is measured. Read the counts with `takeCoverage()`.
   */
  readonly coverage?: boolean | EmulatorCoverageOptions;
}

/** A request for {@link Emulator.request}: what the client sends (see connection-manager.ts for what Envoy makes of it). */
export type RequestInit = ClientRequest;

/** What the upstream service answers in {@link Emulator.request}. Status defaults to 200. */
export type UpstreamResponse = UpstreamAnswer;

/** The upstream service of {@link Emulator.request}; may be async. */
export type UpstreamHandler = UpstreamService;

/** Result of {@link Emulator.request}: what the client and the upstream saw. */
export interface RequestResult {
  /** Response status the client received. */
  readonly status: number;
  readonly headers: HeaderMap;
  readonly body: string;
  readonly trailers: HeaderMap | null;
  /** What reached the upstream, or null when the filter answered locally. */
  readonly upstream: UpstreamRequest | null;
  readonly localReply: HttpStream["localReply"];
  readonly stream: HttpStream;
}

/** Options of {@link Emulator.httpStream}. */
export interface HttpStreamOptions {
  /** The plugin (default: the first). */
  readonly rootId?: string;
  /** Properties for this stream, over the emulator's. */
  readonly properties?: Readonly<Record<string, PropertyValue>>;
  /** The downstream protocol (`request.protocol`, pseudo-header order of sendClientRequest()). Default "HTTP/1.1". */
  readonly protocol?: HttpProtocol;
}

const encoder = new TextEncoder();
/** Configuration bytes: strings UTF-8, objects JSON-encoded. */
const toBytes = (v: string | Uint8Array | object | undefined): Uint8Array =>
  v === undefined
    ? new Uint8Array(0)
    : typeof v === "string"
      ? encoder.encode(v)
      : v instanceof Uint8Array
        ? v
        : encoder.encode(JSON.stringify(v));

/** The plugin identity (name, root id, configuration bytes) of `o`, with Envoy's defaults. */
export function pluginIdentity(o: PluginOptions): PluginIdentity {
  return { name: o.pluginName ?? "plugin", rootId: o.rootId ?? "", configuration: toBytes(o.pluginConfig) };
}

/**
 * The settings of every VM instance made from `o`, with the emulator's defaults; `onLog` receives each log line,
 * `trapFrames` tells a trap's frames in source terms (default: none).
 */
export function vmSettingsFrom(
  o: EmulatorOptions,
  onLog: (entry: LogEntry) => void,
  trapFrames: VmSettings["trapFrames"] = () => ({ frames: [] }),
  instrumentImports?: VmSettings["instrumentImports"],
): VmSettings {
  return {
    trapFrames,
    vmId: o.vmId ?? "",
    vmConfiguration: toBytes(o.vmConfig),
    env: o.env ?? {},
    logLevel: logLevelName(o.logLevel ?? "info"),
    trace: o.trace ?? false,
    properties: o.properties ?? {},
    onLog,
    limits: {
      // `watchdog: false` measures the module without any of the watchdog's checks, the host calls' included.
      callbackTimeoutMs: o.watchdog === false ? 0 : (o.callbackTimeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS),
      memoryLimitBytes: o.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES,
    },
    instrumentImports,
  };
}
