// The emulator's public face: load any proxy-wasm module, start it like Envoy, and drive HTTP streams,
// TCP connections, callouts and time. State-based: drive, then read headers, bodies, local replies, logs, metrics.
import { readFile } from "node:fs/promises";
import type { AbiVersion } from "../abi/index.ts";
import type { CalloutRecord } from "./callout-types.ts";
import { requestIdFor } from "./connection-manager.ts";
import {
  EmulatorUsageError,
  WasmLimitError,
  WasmLoadError,
  type WasmTrapError,
  logLevelName,
  type LogEntry,
  type LogLevelInput,
  type LogLevelName,
} from "./errors.ts";
import { EmulatorHost, type MetricValue } from "./host.ts";
import { runExchange } from "./exchange.ts";
import { HttpStream } from "./http-stream.ts";
import type { FilterMode } from "./stream-engine.ts";
import { DEFAULT_CLUSTER, Router } from "./router.ts";
import { defaultUpstreamEndpoint, type UpstreamAddresses } from "./upstream-properties.ts";
import type { PropertyValue } from "./properties.ts";
import { TcpConnection } from "./tcp-connection.ts";
import { WasmVm, type VmWiring } from "./vm.ts";
import type { TraceEntry, VmSettings } from "./vm-types.ts";
import { prepareModule, startPlugin, type Plugin } from "./plugin-start.ts";
import {
  pluginIdentity,
  vmSettingsFrom,
  type EmulatorOptions,
  type HttpStreamOptions,
  type PluginOptions,
  type RequestInit,
  type RequestResult,
  type UpstreamHandler,
} from "./emulator-options.ts";
import type { TrapSymbolicator } from "./trap-frames.ts";
import { errorOfFailedVm } from "./watchdog/watchdog.ts";
import type { MeasuredBytes } from "./coverage/runtime.ts";

export type {
  EmulatorOptions,
  FailurePolicy,
  HttpStreamOptions,
  PluginOptions,
  RequestInit,
  RequestResult,
  UpstreamHandler,
  UpstreamResponse,
} from "./emulator-options.ts";
export type { UpstreamRequest } from "./exchange.ts";

/** An emulated Envoy running one proxy-wasm module. Create with {@link Emulator.load}. */
export class Emulator {
  /** The shared process state (clock, shared data, queues, stats). */
  readonly host: EmulatorHost;
  /** Every log line of every VM instance of this emulator, in order. */
  readonly logs: LogEntry[] = [];
  /** Every trap seen (the VM is failed after each; see failurePolicy). */
  readonly failures: WasmTrapError[] = [];

  readonly #module: WebAssembly.Module;
  readonly #abi: AbiVersion;
  readonly #options: EmulatorOptions;
  readonly #plugins: Plugin[] = [];
  #vm: WasmVm;
  #mainThreadVm: WasmVm | null = null;
  readonly #calloutRecords: CalloutRecord[] = [];
  #failedAtMs = 0;
  #nextConnectionId = 1;
  /** Set by setLogLevel: the level new VM instances start at instead of the option's. */
  #logLevel: LogLevelName | undefined;
  #vmInstances = 0;
  readonly #router: Router;
  readonly #endpoints = new Map<string, UpstreamAddresses>();
  readonly #symbolicator: TrapSymbolicator;
  readonly #coverage: MeasuredBytes | null;

  private constructor(
    module: WebAssembly.Module,
    abi: AbiVersion,
    options: EmulatorOptions,
    symbolicator: TrapSymbolicator,
    coverage: MeasuredBytes | null,
  ) {
    this.#module = module;
    this.#symbolicator = symbolicator;
    this.#coverage = coverage;
    this.#abi = abi;
    this.#options = options;
    this.host = options.host ?? new EmulatorHost();
    this.#router = new Router(options.routes ?? [], options.defaultCluster ?? DEFAULT_CLUSTER);
    this.#plugins.push({ identity: pluginIdentity(options), root: null });
    if (options.canary) {
      WasmVm.start(module, abi, this.host, this.#vmSettings(), this.#vmWiring()); // base VM: load + _initialize only
      // The canary: full plugin start, then dropped. Envoy destroys it right after on_configure, so a tick period
      // it set never fires (only the main thread's and the worker's roots tick).
      const canary = this.#startVm();
      for (const p of this.#plugins) if (p.root) canary.dropContext(p.root);
      this.#mainThreadVm = this.#startVm(); // the main thread's copy: it ticks, serves no traffic
    }
    this.#vm = this.#startVm();
  }

  /**
   * Loads a module from a path, URL or bytes, checks it against Envoy's import/export tables, instantiates it,
   * runs `_initialize` (restricted), then root on_context_create → on_vm_start → on_configure.
   * Throws WasmLoadError with a clear reason (and the module's logs) when Envoy would reject the module or config.
   */
  static async load(wasm: string | URL | Uint8Array, options: EmulatorOptions = {}): Promise<Emulator> {
    const label = options.label ?? (wasm instanceof Uint8Array ? "module" : String(wasm));
    let bytes: Uint8Array;
    try {
      bytes = wasm instanceof Uint8Array ? wasm : await readFile(wasm);
    } catch (e) {
      throw new WasmLoadError(
        `cannot read ${label}: ${(e as Error).message}. Build the module first (\`npx proxy-wasm-as build\`) or fix the path (a relative path starts at ${process.cwd()}).`,
      );
    }
    return Emulator.#fromBytes(bytes, { ...options, label }, wasm instanceof Uint8Array ? undefined : wasm);
  }

  /**
   * Synchronous form of {@link load} for bytes already in memory. Traps get source lines from `options.sourceMap`
   * (bytes have no file to find a map beside).
   */
  static fromBytes(bytes: Uint8Array, options: EmulatorOptions = {}): Emulator {
    return Emulator.#fromBytes(bytes, options, undefined);
  }

  /** `file`: where the bytes were read from (traps and coverage look for the module's map and coverage build there). */
  static #fromBytes(bytes: Uint8Array, options: EmulatorOptions, file: string | URL | undefined): Emulator {
    const prepared = prepareModule(bytes, options, file);
    return new Emulator(prepared.module, prepared.abiVersion, options, prepared.symbolicator, prepared.coverage);
  }

  /** ABI version detected from the module's marker export. */
  get abiVersion(): string {
    return this.#abi;
  }

  /** @internal The current VM instance (replaced after a fail-reload). Not part of the published API. */
  get vm(): WasmVm {
    return this.#vm;
  }

  /**
   * With `canary: true`, the main thread's VM: its root ticks like the worker's but it serves no traffic, so
   * what its ticks allocate is all it holds (read `mainThreadVm.memoryBytes` to check it stays bounded). Null otherwise.
   */
  get mainThreadVm(): WasmVm | null {
    return this.#mainThreadVm;
  }

  /** How many VM instances served traffic or ran a canary (1 + canary + reloads). */
  get vmInstances(): number {
    return this.#vmInstances;
  }

  /** True when the current VM instance has trapped. */
  get failed(): boolean {
    return this.#vm.failure !== null;
  }

  /** Hostcalls recorded when `trace: true`, for the current VM instance. */
  get trace(): readonly TraceEntry[] {
    return this.#vm.trace;
  }

  /** Every HTTP/gRPC callout the module made (all VM instances). */
  get callouts(): readonly CalloutRecord[] {
    return this.#calloutRecords;
  }

  /**
   * Changes Envoy's `wasm` log level at run time, as `POST /logging?wasm=<level>` on Envoy's admin API does: lines
   * below it are dropped from now on, and proxy_get_log_level reports it. As in Envoy, the module is not told; it
   * sees the new level the next time it asks. New VM instances (after a failure) start at this level too.
   */
  setLogLevel(level: LogLevelInput): void {
    const name = logLevelName(level);
    this.#logLevel = name;
    this.#vm.setLogLevel(name);
    this.#mainThreadVm?.setLogLevel(name);
  }

  /** Log messages, optionally only those at `level` ("warn" is an alias of "warning"). */
  logMessages(level?: LogLevelInput): string[] {
    const name = level === undefined ? undefined : logLevelName(level);
    return this.logs.filter((l) => !name || l.level === name).map((l) => l.message);
  }

  /** Counter or gauge value (as a number), or undefined if not defined. For histograms use {@link histogram}. */
  metric(name: string): number | undefined {
    const m = this.host.metric(name);
    return m && m.type !== "histogram" ? Number(m.value) : undefined;
  }

  /** Recorded histogram samples, or undefined. */
  histogram(name: string): number[] | undefined {
    const m = this.host.metric(name);
    return m?.type === "histogram" ? m.samples.map(Number) : undefined;
  }

  /** Full metric record (type and exact bigint values). */
  metricValue(name: string): MetricValue | undefined {
    return this.host.metric(name);
  }

  /** Adds a second plugin (root context) sharing this VM: on_context_create → on_vm_start → on_configure. */
  addPlugin(options: PluginOptions): void {
    const plugin: Plugin = { identity: pluginIdentity(options), root: null };
    if (this.#plugins.some((p) => p.identity.rootId === plugin.identity.rootId)) {
      throw new EmulatorUsageError(
        `a plugin with root id "${plugin.identity.rootId}" already exists; root ids must be unique per VM.`,
      );
    }
    startPlugin(this.#vm, plugin);
    this.#plugins.push(plugin);
  }

  /** Root context id of a plugin (default: the first). */
  rootContextId(rootId?: string): number {
    return this.#plugin(rootId).root?.id ?? 0;
  }

  /**
   * Starts an HTTP stream through the plugin `rootId` (default: the first plugin). Drive it with the raw steps
   * (requestHeaders(), requestBody(), …) or as Envoy's connection manager would (sendClientRequest(),
   * sendUpstreamResponse()); either way the router of `routes` picks the upstream once the headers leave the filter.
   */
  httpStream(options: HttpStreamOptions = {}): HttpStream {
    const plugin = this.#plugin(options.rootId);
    const mode = this.#modeForNewStream();
    const connectionId = this.#nextConnectionId++;
    return new HttpStream({
      router: this.#router,
      protocol: options.protocol ?? "HTTP/1.1",
      requestId: requestIdFor(connectionId),
      now: () => this.host.nowMs,
      upstreamEndpoint: (cluster) => this.#endpoint(cluster),
      vm: this.#vm,
      root: plugin.root!,
      mode,
      properties: { ...this.#options.properties, ...options.properties },
      connectionId,
      onTrap: (e) => this.#onTrap(e),
      bufferLimitBytes: this.#options.bufferLimitBytes ?? 1 << 20,
      allowHeadersStopIteration: this.#options.allowOnHeadersStopIteration ?? false,
    });
  }

  /** Opens a TCP connection through the plugin (on_context_create, on_new_connection). */
  tcpConnection(
    options: { rootId?: string; properties?: Readonly<Record<string, PropertyValue>> } = {},
  ): TcpConnection {
    const plugin = this.#plugin(options.rootId);
    const conn = new TcpConnection({
      vm: this.#vm,
      root: plugin.root!,
      mode: this.#modeForNewStream("a new connection"),
      properties: { ...this.#options.properties, ...options.properties },
      connectionId: this.#nextConnectionId++,
      onTrap: (e) => this.#onTrap(e),
      upstreamEndpoint: this.#endpoint(this.#options.defaultCluster ?? DEFAULT_CLUSTER),
    });
    conn.open();
    return conn;
  }

  /** Runs everything due now on the event loop (queue notifications, zero-latency callouts). */
  flush(): number {
    return this.host.flush();
  }

  /** Advances the virtual clock by `ms`, firing ticks, callout responses and timeouts in order. */
  advance(ms: number): void {
    this.host.advance(ms);
  }

  /**
   * Runs one whole request like Envoy: the client's request through the connection manager (x-forwarded-proto,
   * x-request-id, pseudo-header order and body framing of `init.protocol`) and the filter → the router's cluster
   * → `upstream` (if the filter let the request through), whose answer reaches the filter as Envoy's router hands it
   * over (the upstream's connection, date and framing headers, x-envoy-upstream-service-time) → on_log/on_done/on_delete.
   * Pending callouts and timers are driven on the virtual clock while the filter waits. The rules are those of
   * connection-manager.ts and router.ts, shared with httpStream().sendClientRequest() and the scenario backend.
   */
  async request(
    init: RequestInit = {},
    upstream: UpstreamHandler = () => ({ status: 200 }),
    options: { rootId?: string; properties?: Readonly<Record<string, PropertyValue>>; maxWaitMs?: number } = {},
  ): Promise<RequestResult> {
    const s = this.httpStream({ ...options, protocol: init.protocol });
    const maxWait = options.maxWaitMs ?? 60_000;
    const outcome = await runExchange(s, init, upstream, (done) => this.#driveUntil(done, maxWait));
    if (outcome.stalled) {
      throw new EmulatorUsageError(
        `request stalled: the filter paused the request and nothing resumed it within ${maxWait} virtual ms (no pending callout or timer continued it). Use httpStream() to test a paused stream step by step.\n${this.logs
          .slice(-10)
          .map((l) => `  [${l.level}] ${l.message}`)
          .join("\n")}`,
      );
    }
    return {
      status: Number(s.response.headers.get(":status") ?? 0),
      headers: s.response.headers,
      body: s.response.body,
      trailers: s.response.trailers,
      upstream: outcome.upstream,
      localReply: s.localReply,
      stream: s,
    };
  }

  /** Tears every plugin down (on_done/on_delete on each root; roots that return false wait for proxy_done). */
  shutdown(): void {
    for (const p of this.#plugins) if (p.root && !this.#vm.failure) this.#vm.shutdownRoot(p.root);
    this.#vm.applyDeferred();
  }

  // ------------------------------------------------------------------ internals

  #driveUntil(done: () => boolean, maxWaitMs: number): void {
    const deadline = this.host.nowMs + maxWaitMs;
    this.host.flush();
    while (!done()) {
      const at = this.host.nextTaskAt();
      if (at === undefined || at > deadline) return;
      this.host.advance(Math.max(0, at - this.host.nowMs));
    }
  }

  #endpoint(cluster: string): UpstreamAddresses {
    let endpoint = this.#options.upstreamEndpoints?.[cluster] ?? this.#endpoints.get(cluster);
    if (!endpoint) {
      endpoint = defaultUpstreamEndpoint(this.#endpoints.size);
      this.#endpoints.set(cluster, endpoint);
    }
    return endpoint;
  }

  #plugin(rootId?: string): Plugin {
    const p = rootId === undefined ? this.#plugins[0]! : this.#plugins.find((x) => x.identity.rootId === rootId);
    if (!p)
      throw new EmulatorUsageError(
        `no plugin with root id "${rootId}"; known: ${this.#plugins.map((x) => JSON.stringify(x.identity.rootId)).join(", ")}. Add one with addPlugin().`,
      );
    return p;
  }

  #vmSettings(): VmSettings {
    const symbolicator = this.#symbolicator;
    const settings = vmSettingsFrom(
      this.#options,
      (entry) => this.logs.push(entry),
      (stack) => symbolicator.frames(stack),
      this.#coverage?.imports,
    );
    return this.#logLevel ? { ...settings, logLevel: this.#logLevel } : settings;
  }

  /** What every VM instance of this emulator reports to: the test's callout handlers, the shared records, traps. */
  #vmWiring(): VmWiring {
    const o = this.#options;
    return {
      calloutHandlers: { upstreams: o.upstreams ?? {}, grpcServices: o.grpcServices ?? {}, dns: o.dns ?? {} },
      calloutRecords: this.#calloutRecords,
      onTrap: (error) => {
        this.failures.push(error);
        this.#failedAtMs = this.host.nowMs;
      },
    };
  }

  #startVm(): WasmVm {
    const vm = WasmVm.start(this.#module, this.#abi, this.host, this.#vmSettings(), this.#vmWiring());
    this.#vmInstances++;
    for (const p of this.#plugins) startPlugin(vm, p);
    return vm;
  }

  #onTrap(_error: WasmTrapError): "bypass" | "fail-closed" {
    return (this.#options.failurePolicy ?? "fail-closed") === "fail-open" ? "bypass" : "fail-closed";
  }

  #modeForNewStream(refused = "a new stream"): FilterMode {
    if (!this.#vm.failure) return "filter";
    // An execution limit is the emulator's, not Envoy's: no failure policy hides it, every new stream says the VM is dead.
    if (this.#vm.failure instanceof WasmLimitError) throw errorOfFailedVm(this.#vm.failure, refused);
    const policy = this.#options.failurePolicy ?? "fail-closed";
    if (policy === "fail-open") return "bypass";
    if (policy === "fail-reload" && this.host.nowMs - this.#failedAtMs >= (this.#options.reloadBackoffMs ?? 1000)) {
      this.#vm = this.#startVm();
      return "filter";
    }
    return "failed";
  }
}
