// One Wasm VM instance as Envoy runs it: strict linking against the abi/ tables, start-up under restricted host calls,
// calls into the module, context bookkeeping, ticks. Host calls are in hostcalls/ (one file per domain), guest memory
// in guest-memory.ts, limits in watchdog/, deferred stream actions and root teardown in deferred-actions.ts. Streams
// (stream-engine.ts, tcp-connection.ts) plug in through the HostStream interface; process-wide state lives in
// EmulatorHost. What the VM reports to (its callout handlers, its trap handler) is given when it is built.
import { LogLevel, type AbiVersion } from "../abi/index.ts";
import { Callouts } from "./callouts.ts";
import type { CalloutDelivery, CalloutHandlers, CalloutRecord } from "./callout-types.ts";
import { DeferredWork } from "./deferred-actions.ts";
import { formatFrames } from "../symbols/index.ts";
import { LOG_LEVELS, WasmLimitError, WasmLoadError, WasmTrapError, type LogEntry } from "./errors.ts";
import { LinearMemory, type GuestMemory } from "./guest-memory.ts";
import type { EmulatorHost } from "./host.ts";
import type { HostcallVm } from "./hostcalls/index.ts";
import type { CallbackData, ContextState, PluginIdentity, TraceEntry, VmSettings } from "./vm-types.ts";
import { instantiate, linkImports, type RestrictedWindow } from "./vm-link.ts";
import { alreadyReported, errorOfFailedVm, Watchdog } from "./watchdog/watchdog.ts";

/** What a VM reports to, fixed when it is built (the emulator's side of it). */
export interface VmWiring {
  /** The test's HTTP upstreams, gRPC services and DNS answers the VM's callouts go to. */
  readonly calloutHandlers: CalloutHandlers;
  /** Where the VM records every callout (shared by the emulator's VM instances). */
  readonly calloutRecords: CalloutRecord[];
  /** Called once when a callback traps and the VM becomes failed. */
  readonly onTrap: (error: WasmTrapError) => void;
}

/** A loaded, started Wasm VM instance. Create with {@link WasmVm.start}. */
export class WasmVm implements CalloutDelivery {
  readonly abiVersion: AbiVersion;
  readonly settings: VmSettings;
  readonly host: EmulatorHost;
  /** Every log line of this VM. */
  readonly logs: LogEntry[] = [];
  /** Recorded host calls and VM entries (only when settings.trace; see TraceEntry). */
  readonly trace: TraceEntry[] = [];
  /** Set when a callback trapped or hit an execution limit; the VM then refuses further calls. */
  failure: WasmTrapError | WasmLimitError | null = null;
  /** gRPC/HTTP/DNS callout engine of this VM instance (its tokens are per VM). */
  readonly callouts: Callouts;
  /** Stream actions waiting for the running call to return, and roots waiting for proxy_done (deferred-actions.ts). */
  readonly deferredWork: DeferredWork;
  /** The module's linear memory, bounds-checked. */
  readonly memory: GuestMemory;

  readonly #exports: Record<string, (...args: never[]) => unknown>;
  readonly #memory: WebAssembly.Memory;
  readonly #watchdog: Watchdog;
  readonly #onTrap: (error: WasmTrapError) => void;
  /** The restricted window Envoy enforces now (vm-link.ts reads it on every host call). */
  readonly #window: { phase: RestrictedWindow } = { phase: null };
  #logThreshold: number;
  readonly #tracing: boolean;
  /** The allocator export Envoy calls: "malloc", else "proxy_on_memory_allocate". */
  readonly #allocName: string;
  #current: ContextState | null = null;
  #effective: ContextState | null = null;
  #nextContextId = 1;
  readonly #contexts = new Map<number, ContextState>();
  #pluginConfigReadable: Uint8Array | null = null;
  #callbackData: CallbackData | null = null;

  private constructor(
    module: WebAssembly.Module,
    abiVersion: AbiVersion,
    host: EmulatorHost,
    settings: VmSettings,
    wiring: VmWiring,
  ) {
    this.abiVersion = abiVersion;
    this.host = host;
    this.settings = settings;
    this.#onTrap = wiring.onTrap;
    this.callouts = new Callouts(this, wiring.calloutHandlers, wiring.calloutRecords);
    this.deferredWork = new DeferredWork((root) => {
      this.safeCall(root, "proxy_on_delete", root.id);
      this.dropContext(root);
    });
    this.#logThreshold = LOG_LEVELS.indexOf(settings.logLevel);
    this.#tracing = settings.trace;
    let instantiated: WebAssembly.Memory | undefined;
    this.#watchdog = new Watchdog(settings.limits, {
      get guestMemory() {
        return instantiated;
      },
      logs: this.logs,
      frames: (stack) => settings.trapFrames(stack),
    });
    const imports = linkImports(
      module,
      {
        window: this.#window,
        abiVersion,
        settings,
        watchdog: this.#watchdog,
        trace: settings.trace ? this.trace : null,
        currentContextId: () => this.#ctx()?.id ?? 0,
        logError: (message) => this.#log(LogLevel.Error, null, message),
      },
      this.#hostcallView(),
    );
    const { instance, memory, allocName, alloc } = instantiate(
      module,
      imports,
      settings.limits.memoryLimitBytes,
      this.logs,
    );
    this.#exports = instance.exports as Record<string, (...args: never[]) => unknown>;
    this.#memory = memory;
    instantiated = memory;
    this.#allocName = allocName;
    this.memory = new LinearMemory(memory, (size) => this.#allocate(alloc, size));
  }

  /**
   * Instantiates `module` (already checked against the abi tables) and runs its entry point as Envoy does:
   * `_initialize` (+ `main(0,0)` or `__main_void`), else `_start`, under the restricted hostcall list.
   * Throws WasmLoadError (with the module's logs) when start-up traps. `wiring`: what the VM reports to.
   */
  static start(
    module: WebAssembly.Module,
    abiVersion: AbiVersion,
    host: EmulatorHost,
    settings: VmSettings,
    wiring: VmWiring,
  ): WasmVm {
    const vm = new WasmVm(module, abiVersion, host, settings, wiring);
    const e = vm.#exports;
    const run = (name: string, ...args: number[]) => {
      vm.#window.phase = "start";
      const callback = vm.#watchdog.begin(name, 0);
      try {
        (e[name] as (...a: number[]) => unknown)(...args);
      } catch (err) {
        if (err instanceof WasmLimitError) throw err;
        const refused = vm.#watchdog.refusalSince(callback);
        if (refused) throw refused;
        const where = formatFrames(settings.trapFrames((err as Error).stack).frames);
        const message = [`${name} failed while the VM started: ${(err as Error).message}`, ...where].join("\n");
        throw new WasmLoadError(message, vm.logs, [], { cause: err });
      } finally {
        vm.#window.phase = null;
      }
    };
    if (e._initialize) {
      run("_initialize");
      if (e.main) run("main", 0, 0);
      else if (e.__main_void) run("__main_void");
    } else if (e._start) {
      run("_start");
    }
    return vm;
  }

  // ---------------------------------------------------------------- contexts and guest calls

  /** True when the module exports `name`. */
  hasExport(name: string): boolean {
    return typeof this.#exports[name] === "function";
  }

  /** Creates a context record (root when `root` is undefined) and returns it; the caller runs on_context_create. */
  newContext(plugin: PluginIdentity, root?: ContextState): ContextState {
    const id = this.#nextContextId++;
    const ctx: ContextState = {
      id,
      rootContextId: root ? root.id : id,
      isRoot: !root,
      plugin,
      stream: null,
      logs: [],
      status: { code: 0, message: "" },
      tickPeriodMs: 0,
      tickGeneration: 0,
      awaitingDone: false,
    };
    this.#contexts.set(id, ctx);
    return ctx;
  }

  /** Forgets a context (after on_delete). */
  dropContext(ctx: ContextState): void {
    this.#contexts.delete(ctx.id);
    ctx.tickGeneration++;
  }

  /**
   * Calls export `name` with `ctx` as the current context; the effective context is reset for the call.
   * Returns undefined when the export is absent. A trap marks the VM failed and throws WasmTrapError.
   */
  call(ctx: ContextState, name: string, a = 0, b = 0, c = 0, d = 0, e = 0): number | undefined {
    // Fixed arity (no rest/spread): this is the hottest path of the emulator. Wasm ignores extra arguments.
    const fn = this.#exports[name] as
      | ((a: number, b: number, c: number, d: number, e: number) => number | undefined)
      | undefined;
    if (!fn) return undefined;
    if (this.failure) throw errorOfFailedVm(this.failure, `${name} (context ${ctx.id})`);
    if (this.#tracing)
      this.trace.push({ contextId: ctx.id, call: `guest.${name}`, args: [a, b, c, d, e].slice(0, fn.length) });
    const prevCurrent = this.#current;
    const prevEffective = this.#effective;
    const watchdog = this.#watchdog;
    const prevExport = watchdog.exportName;
    this.#current = ctx;
    this.#effective = null;
    const callback = watchdog.begin(name, ctx.id);
    try {
      return fn(a, b, c, d, e);
    } catch (thrown) {
      if (alreadyReported(thrown)) throw thrown;
      // A trap after the module was refused memory past the ceiling is reported as the limit it hit.
      const err = thrown instanceof WasmLimitError ? thrown : (watchdog.refusalSince(callback) ?? thrown);
      if (err instanceof WasmLimitError) {
        // Not a trap: the failure policy does not apply, the error reaches the test (see watchdog/watchdog.ts).
        this.failure ??= err;
        throw err;
      }
      const error = new WasmTrapError(name, err, [...this.logs], this.settings.trapFrames((err as Error)?.stack));
      this.failure = error;
      this.#log(LogLevel.Error, ctx, error.message.split("\n")[0]!);
      this.#onTrap(error);
      throw error;
    } finally {
      this.#current = prevCurrent;
      this.#effective = prevEffective;
      watchdog.exportName = prevExport;
    }
  }

  /** Calls `name` with the plugin configuration readable (root on_context_create and on_configure only). */
  callWithPluginConfig(ctx: ContextState, name: string, ...args: number[]): number | undefined {
    this.#pluginConfigReadable = ctx.plugin.configuration;
    try {
      return this.call(ctx, name, ...args);
    } finally {
      this.#pluginConfigReadable = null;
    }
  }

  /** Calls a root callback with data readable only during it (HTTP-call response, gRPC message, call data). */
  callWithData(ctx: ContextState, data: CallbackData, name: string, ...args: number[]): number | undefined {
    const prev = this.#callbackData;
    this.#callbackData = data;
    try {
      return this.call(ctx, name, ...args);
    } finally {
      this.#callbackData = prev;
    }
  }

  /** Carries out the deferred work of the last VM call: stream actions, then roots that called proxy_done. */
  applyDeferred(): void {
    this.deferredWork.run();
  }

  /** Calls a root callback, swallowing a trap (the VM is marked failed and the trap is logged). */
  safeCall(ctx: ContextState, name: string, ...args: number[]): number | undefined {
    try {
      return this.call(ctx, name, ...args);
    } catch (e) {
      if (e instanceof WasmTrapError) return undefined;
      throw e;
    }
  }

  /** Tears a root context down as Envoy does: on_done; on true on_delete; on false wait for proxy_done. */
  shutdownRoot(root: ContextState): void {
    const done = this.safeCall(root, "proxy_on_done", root.id);
    if (done === 0) {
      this.deferredWork.awaitDone(root);
      return;
    }
    this.safeCall(root, "proxy_on_delete", root.id);
    this.dropContext(root);
  }

  /** Looks up a live context by id. */
  context(id: number): ContextState | undefined {
    return this.#contexts.get(id);
  }

  /** Logs on behalf of the host (e.g. policy decisions), attributed to `ctx`. */
  hostLog(level: LogLevel, ctx: ContextState | null, message: string): void {
    this.#log(level, ctx, message);
  }

  /** The export running now ("" between callbacks), for errors raised by host calls (EnvoyWouldAbortError). */
  get exportName(): string {
    return this.#watchdog.exportName;
  }

  /** Bytes of the guest's linear memory (for diagnostics and benchmarks). */
  get memoryBytes(): number {
    return this.#memory.buffer.byteLength;
  }

  // ---------------------------------------------------------------- host side

  /** Calls the guest allocator under the allocator's restricted hostcall list. */
  #allocate(alloc: (size: number) => number, size: number): number {
    const window = this.#window;
    const prev = window.phase;
    window.phase = "alloc";
    if (this.#tracing)
      this.trace.push({ contextId: this.#ctx()?.id ?? 0, call: `guest.${this.#allocName}`, args: [size] });
    try {
      return alloc(size);
    } finally {
      window.phase = prev;
    }
  }

  #ctx(): ContextState | null {
    return this.#effective ?? this.#current;
  }

  #root(): ContextState | null {
    const c = this.#ctx();
    return c ? (this.#contexts.get(c.rootContextId) ?? c) : null;
  }

  /** Changes the `wasm` log level, as Envoy's admin `POST /logging?wasm=<level>` does (the module is not told). */
  setLogLevel(level: VmSettings["logLevel"]): void {
    this.#logThreshold = LOG_LEVELS.indexOf(level);
  }

  #log(level: LogLevel, ctx: ContextState | null, message: string): void {
    if (level < this.#logThreshold) return;
    const entry: LogEntry = {
      level: LOG_LEVELS[level]!,
      message,
      contextId: ctx?.id ?? 0,
      rootId: ctx?.plugin.rootId ?? "",
    };
    this.logs.push(entry);
    ctx?.logs.push(entry);
    this.settings.onLog(entry);
  }

  /** The VM as the host calls see it (hostcalls/types.ts). */
  #hostcallView(): HostcallVm {
    const vm = this;
    return {
      get memory() {
        return vm.memory;
      },
      host: vm.host,
      settings: vm.settings,
      abiVersion: vm.abiVersion,
      callouts: vm.callouts,
      current: () => vm.#ctx(),
      root: () => vm.#root(),
      context: (id) => vm.#contexts.get(id),
      setEffective: (ctx) => {
        vm.#effective = ctx;
      },
      log: (level, ctx, message) => vm.#log(level, ctx, message),
      logs: (level) => level >= vm.#logThreshold,
      logLevel: () => vm.#logThreshold,
      callbackData: () => vm.#callbackData,
      pluginConfiguration: () => vm.#pluginConfigReadable,
      setTick: (root, periodMs) => vm.#setTick(root, periodMs),
      deliverToRoot: (root, name, ...args) => {
        if (vm.failure || !vm.#contexts.has(root.id)) return;
        vm.safeCall(root, name, ...args);
        vm.applyDeferred();
      },
    };
  }

  #setTick(root: ContextState, periodMs: number): void {
    root.tickPeriodMs = periodMs;
    const generation = ++root.tickGeneration;
    if (periodMs === 0) return;
    const fire = () => {
      if (root.tickGeneration !== generation || this.failure || !this.#contexts.has(root.id)) return;
      this.host.post(periodMs, fire);
      this.safeCall(root, "proxy_on_tick", root.id);
      this.applyDeferred();
    };
    this.host.post(periodMs, fire);
  }
}
