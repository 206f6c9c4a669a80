// One Wasm VM instance as Envoy runs it: strict linking against the abi/ tables, start-up under restricted
// hostcalls, context bookkeeping, guest memory I/O, and every hostcall. Streams (http-stream.ts, tcp-connection.ts)
// plug in through the HostStream interface; process-wide state lives in EmulatorHost.
import { constants as zlibConstants, deflateSync, inflateSync } from "node:zlib";
import { envoyImportsFor, importKey, type AbiVersion, type HostImport } from "../abi/index.ts";
import { LOG_LEVELS, WasmLoadError, WasmTrapError, type LogEntry, type LogLevelName } from "./errors.ts";
import type { HeaderMap } from "./header-map.ts";
import type { EmulatorHost } from "./host.ts";
import { decodePairs, encodePairs } from "./pairs.ts";
import { DEFAULT_CONNECTION_PROPERTIES, encodePropertyValue, propertyKey, type PropertyValue } from "./properties.ts";
import type { Callouts } from "./callouts.ts";

/** Proxy-wasm status codes (proxy-wasm-abi.md §3.1). */
export const Status = {
  Ok: 0, NotFound: 1, BadArgument: 2, SerializationFailure: 3, ParseFailure: 4, InvalidMemoryAccess: 6,
  Empty: 7, CasMismatch: 8, InternalFailure: 10, Unimplemented: 12,
} as const;

/** A body or data buffer a stream exposes to the module. */
export interface BufferRef {
  readonly bytes: Uint8Array;
  readonly mutable: boolean;
  replace(bytes: Uint8Array): void;
}

/** Availability of a header map in the current phase (Envoy's getMap/getConstMap windows). */
export interface MapAccess {
  readonly map: HeaderMap | null;
  readonly readable: boolean;
  readonly writable: boolean;
  /** Missing-map result for reads: BadArgument normally, NotFound in the access-log phase. */
  readonly unavailableStatus?: number;
}

/** A local reply requested with proxy_send_local_response. */
export interface LocalReply {
  readonly status: number;
  readonly details: string;
  readonly body: Uint8Array;
  readonly headers: ReadonlyArray<[string, string]>;
  /** 0..16, or null when no grpc-status is set. */
  readonly grpcStatus: number | null;
}

/** What a stream context (HTTP or TCP) provides to the hostcalls. */
export interface HostStream {
  readonly kind: "http" | "tcp";
  headerMap(type: number): MapAccess;
  buffer(type: number): BufferRef | null;
  property(key: string): Uint8Array | undefined;
  setProperty(key: string, value: Uint8Array): void;
  deferContinue(type: number): number;
  deferClose(type: number): void;
  deferLocalReply(reply: LocalReply): void;
  /** Applies continue/close/local-reply requests made during the last VM call. */
  applyDeferred(): void;
}

/** A root (plugin) context or a stream context. */
export interface ContextState {
  readonly id: number;
  /** Root context id of this context's plugin (its own id for a root). */
  readonly rootContextId: number;
  readonly isRoot: boolean;
  readonly plugin: PluginIdentity;
  stream: HostStream | null;
  readonly logs: LogEntry[];
  /** Root only: status for proxy_get_status. */
  status: { code: number; message: string };
  tickPeriodMs: number;
  tickGeneration: number;
  awaitingDone: boolean;
}

/** Identity of a plugin (one root context). */
export interface PluginIdentity {
  readonly name: string;
  readonly rootId: string;
  readonly configuration: Uint8Array;
}

/** VM-wide settings (from vm_config and the emulator options). */
export interface VmSettings {
  readonly vmId: string;
  readonly vmConfiguration: Uint8Array;
  readonly env: Readonly<Record<string, string>>;
  readonly logLevel: LogLevelName;
  readonly trace: boolean;
  readonly properties: Readonly<Record<string, PropertyValue>>;
  /** Called for every log line (the emulator aggregates them). */
  readonly onLog: (entry: LogEntry) => void;
}

/**
 * One call across the VM boundary recorded when tracing is on: a host call (`call` is "env.<name>" or
 * "wasi_snapshot_preview1.<name>") or an entry into the VM (`call` is "guest.<export>", e.g.
 * "guest.proxy_on_request_headers", or "guest.malloc" / "guest.proxy_on_memory_allocate" when the host allocates
 * memory to copy data in).
 */
export interface TraceEntry {
  readonly contextId: number;
  readonly call: string;
  readonly args: readonly (number | bigint)[];
  result?: number;
}

type Phase = "start" | "alloc" | null;
const IMA = Symbol("invalid memory access");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Data readable only inside one root callback (HTTP-call response, gRPC receive, DNS/foreign call data). */
interface CallbackData {
  headers?: HeaderMap | null; // map 6 or 4
  trailers?: HeaderMap | null; // map 7 or 5
  body?: Uint8Array; // buffer 4 or 5 or 8
  bodyType?: number;
  mapTypes?: readonly [number, number];
}

/** A loaded, started Wasm VM instance. Create with {@link WasmVm.start}. */
export class WasmVm {
  readonly abiVersion: AbiVersion;
  readonly settings: VmSettings;
  readonly host: EmulatorHost;
  /** Every log line of this VM. */
  readonly logs: LogEntry[] = [];
  /** Recorded host calls and VM entries (only when settings.trace). */
  readonly trace: TraceEntry[] = [];
  /** Set when a callback trapped; the VM then refuses further calls. */
  failure: WasmTrapError | null = null;
  /** Called once when a callback traps and the VM becomes failed (set by the emulator). */
  onTrap: ((error: WasmTrapError) => void) | null = null;
  /** gRPC/HTTP callout engine (set by the emulator). */
  callouts: Callouts | null = null;

  readonly #instance: WebAssembly.Instance;
  readonly #exports: Record<string, (...args: never[]) => unknown>;
  readonly #memory: WebAssembly.Memory;
  readonly #alloc: (size: number) => number;
  /** The allocator export Envoy would call: "malloc", else "proxy_on_memory_allocate". */
  readonly #allocName: string;
  #u8 = new Uint8Array(0);
  #view = new DataView(new ArrayBuffer(0));
  #phase: Phase = null;
  readonly #logThreshold: number;
  readonly #tracing: boolean;
  #current: ContextState | null = null;
  #effective: ContextState | null = null;
  #nextContextId = 1;
  readonly #contexts = new Map<number, ContextState>();
  #pluginConfigReadable: Uint8Array | null = null;
  #callbackData: CallbackData | null = null;
  readonly #deferred = new Set<HostStream>();
  readonly #metrics = new Map<number, { name: string; type: 0 | 1 | 2 }>();
  readonly #nextMetricId = [4, 5, 6];
  readonly #rootsAwaitingDone = new Set<ContextState>();

  private constructor(module: WebAssembly.Module, abiVersion: AbiVersion, host: EmulatorHost, settings: VmSettings) {
    this.abiVersion = abiVersion;
    this.host = host;
    this.settings = settings;
    this.#logThreshold = LOG_LEVELS.indexOf(settings.logLevel);
    this.#tracing = settings.trace;
    const imports = this.#buildImports(module);
    try {
      this.#instance = new WebAssembly.Instance(module, imports);
    } catch (e) {
      throw new WasmLoadError(`instantiation failed (a Wasm start section trapped?): ${(e as Error).message}`, this.logs, [], { cause: e });
    }
    this.#exports = this.#instance.exports as Record<string, (...args: never[]) => unknown>;
    const memory = this.#instance.exports["memory"];
    if (!(memory instanceof WebAssembly.Memory)) throw new WasmLoadError('the module exports no memory named "memory"; export it.');
    this.#memory = memory;
    this.#allocName = this.#exports["malloc"] ? "malloc" : "proxy_on_memory_allocate";
    const alloc = this.#exports[this.#allocName] as ((n: number) => number) | undefined;
    if (!alloc) throw new WasmLoadError("Wasm module is missing malloc function: export malloc or proxy_on_memory_allocate ((i32) -> i32).");
    this.#alloc = alloc;
  }

  /**
   * Instantiates `module` (already checked against the abi tables) and runs its entry point as Envoy does:
   * `_initialize` (+ `main(0,0)` or `__main_void`), else `_start`, under the restricted hostcall list.
   * Throws WasmLoadError (with the module's logs) when start-up traps.
   */
  static start(module: WebAssembly.Module, abiVersion: AbiVersion, host: EmulatorHost, settings: VmSettings): WasmVm {
    const vm = new WasmVm(module, abiVersion, host, settings);
    const e = vm.#exports;
    const run = (name: string, ...args: number[]) => {
      vm.#phase = "start";
      try {
        (e[name] as (...a: number[]) => unknown)(...args);
      } catch (err) {
        throw new WasmLoadError(`${name} failed while the VM started: ${(err as Error).message}`, vm.logs, [], { cause: err });
      } finally {
        vm.#phase = null;
      }
    };
    if (e["_initialize"]) {
      run("_initialize");
      if (e["main"]) run("main", 0, 0);
      else if (e["__main_void"]) run("__main_void");
    } else if (e["_start"]) {
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
      id, rootContextId: root ? root.id : id, isRoot: !root, plugin, stream: null, logs: [],
      status: { code: 0, message: "" }, tickPeriodMs: 0, tickGeneration: 0, awaitingDone: false,
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
    const fn = this.#exports[name] as ((a: number, b: number, c: number, d: number, e: number) => number | undefined) | undefined;
    if (!fn) return undefined;
    if (this.failure) throw this.failure;
    if (this.#tracing) this.trace.push({ contextId: ctx.id, call: `guest.${name}`, args: [a, b, c, d, e].slice(0, fn.length) });
    const prevCurrent = this.#current;
    const prevEffective = this.#effective;
    this.#current = ctx;
    this.#effective = null;
    try {
      return fn(a, b, c, d, e);
    } catch (err) {
      if (err instanceof WasmTrapError) throw err;
      const error = new WasmTrapError(name, err, [...this.logs]);
      this.failure = error;
      this.#log(4, ctx, error.message.split("\n")[0]!);
      this.onTrap?.(error);
      throw error;
    } finally {
      this.#current = prevCurrent;
      this.#effective = prevEffective;
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

  /** Applies deferred continue/close/local-reply requests of every stream touched by the last VM call. */
  applyDeferred(): void {
    for (const s of [...this.#deferred]) {
      this.#deferred.delete(s);
      s.applyDeferred();
    }
    for (const root of [...this.#rootsAwaitingDone]) {
      if (!root.awaitingDone) {
        this.#rootsAwaitingDone.delete(root);
        this.safeCall(root, "proxy_on_delete", root.id);
        this.dropContext(root);
      }
    }
  }

  /** Registers `stream` for {@link applyDeferred}. */
  markDeferred(stream: HostStream): void {
    this.#deferred.add(stream);
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
      root.awaitingDone = true;
      this.#rootsAwaitingDone.add(root);
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
  hostLog(level: number, ctx: ContextState | null, message: string): void {
    this.#log(level, ctx, message);
  }

  /** Bytes of the guest's linear memory (for diagnostics and benchmarks). */
  get memoryBytes(): number {
    return this.#memory.buffer.byteLength;
  }

  // ---------------------------------------------------------------- memory helpers

  #refresh(): void {
    // Growing a Wasm memory detaches the old ArrayBuffer (byteLength becomes 0): only then re-read memory.buffer.
    if (this.#u8.byteLength === 0) {
      this.#u8 = new Uint8Array(this.#memory.buffer);
      this.#view = new DataView(this.#memory.buffer);
    }
  }

  #check(ptr: number, len: number): void {
    this.#refresh();
    if (ptr < 0 || len < 0 || ptr + len > this.#u8.length) throw IMA;
  }

  #read(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    len >>>= 0;
    this.#check(ptr, len);
    return this.#u8.slice(ptr, ptr + len);
  }

  #readString(ptr: number, len: number): string {
    ptr >>>= 0;
    len >>>= 0;
    this.#check(ptr, len);
    const u8 = this.#u8;
    if (len <= 64) {
      // Short ASCII strings (header names and values) are far cheaper to decode by hand than with TextDecoder.
      let out = "";
      for (let i = ptr; i < ptr + len; i++) {
        const c = u8[i]!;
        if (c >= 0x80) return decoder.decode(u8.subarray(ptr, ptr + len));
        out += String.fromCharCode(c);
      }
      return out;
    }
    return decoder.decode(u8.subarray(ptr, ptr + len));
  }

  /** Like #returnBytes for a string, writing ASCII directly into guest memory without an intermediate copy. */
  #returnString(ptrPtr: number, sizePtr: number, value: string): void {
    const n = value.length;
    let ascii = n <= 256;
    for (let i = 0; ascii && i < n; i++) if (value.charCodeAt(i) >= 0x80) ascii = false;
    if (!ascii || n === 0) return this.#returnBytes(ptrPtr, sizePtr, encoder.encode(value));
    const ptr = this.#allocate(n);
    const u8 = this.#u8;
    for (let i = 0; i < n; i++) u8[ptr + i] = value.charCodeAt(i);
    this.#writeU32(ptrPtr, ptr);
    this.#writeU32(sizePtr, n);
  }

  /** Calls the guest allocator under the allocator's restricted hostcall list; 0 ⇒ InvalidMemoryAccess. */
  #allocate(size: number): number {
    const prev = this.#phase;
    this.#phase = "alloc";
    if (this.#tracing) this.trace.push({ contextId: this.#ctx()?.id ?? 0, call: `guest.${this.#allocName}`, args: [size] });
    let ptr: number;
    try {
      ptr = this.#alloc(size) >>> 0;
    } finally {
      this.#phase = prev;
    }
    if (ptr === 0) throw IMA;
    this.#check(ptr, size);
    return ptr;
  }

  #writeU32(ptr: number, value: number): void {
    ptr >>>= 0;
    this.#check(ptr, 4);
    this.#view.setUint32(ptr, value >>> 0, true);
  }

  #writeU64(ptr: number, value: bigint): void {
    ptr >>>= 0;
    this.#check(ptr, 8);
    this.#view.setBigUint64(ptr, BigInt.asUintN(64, value), true);
  }

  /** Copies `data` into guest memory obtained from the guest allocator and writes ptr/size; empty ⇒ 0/0. */
  #returnBytes(ptrPtr: number, sizePtr: number, data: Uint8Array): void {
    if (data.length === 0) {
      this.#writeU32(ptrPtr, 0);
      this.#writeU32(sizePtr, 0);
      return;
    }
    const ptr = this.#allocate(data.length);
    this.#u8.set(data, ptr);
    this.#writeU32(ptrPtr, ptr);
    this.#writeU32(sizePtr, data.length);
  }

  #ctx(): ContextState | null {
    return this.#effective ?? this.#current;
  }

  #root(): ContextState | null {
    const c = this.#ctx();
    return c ? (this.#contexts.get(c.rootContextId) ?? c) : null;
  }

  #log(level: number, ctx: ContextState | null, message: string): void {
    if (level < this.#logThreshold) return;
    const entry: LogEntry = { level: LOG_LEVELS[level]!, message, contextId: ctx?.id ?? 0, rootId: ctx?.plugin.rootId ?? "" };
    this.logs.push(entry);
    ctx?.logs.push(entry);
    this.settings.onLog(entry);
  }

  // ---------------------------------------------------------------- linking

  #buildImports(module: WebAssembly.Module): WebAssembly.Imports {
    const table = envoyImportsFor(this.abiVersion);
    const impls = this.#hostcalls();
    const wasi = this.#wasi();
    const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      const spec = table.get(importKey(imp.module, imp.name));
      const impl = imp.module === "env" ? impls[imp.name] : wasi[imp.name];
      if (!spec || !impl) {
        throw new WasmLoadError(`Failed to load Wasm module due to a missing import: ${imp.module}.${imp.name}`);
      }
      (imports[imp.module] ??= {})[imp.name] = this.#wrap(spec, impl);
    }
    return imports;
  }

  #wrap(spec: HostImport, impl: (...args: never[]) => number | void): (...args: never[]) => number | void {
    const isWasi = spec.module !== "env";
    const name = spec.name;
    const fn = impl as (...args: unknown[]) => number | void;
    // Fixed arity (no rest/spread) keeps the hostcall trampoline cheap; Envoy's widest import takes 12 params.
    return ((a0: unknown, a1: unknown, a2: unknown, a3: unknown, a4: unknown, a5: unknown, a6: unknown, a7: unknown, a8: unknown, a9: unknown, a10: unknown, a11: unknown) => {
      if (this.#phase !== null && (this.#phase === "start" ? !spec.allowedDuringStart : !spec.allowedDuringAlloc)) {
        const where = this.#phase === "start" ? "_initialize/_start/main" : "the guest allocator";
        this.#log(4, null, `restricted_callback: ${spec.module}.${name} may not be called during ${where}`);
        throw new WebAssembly.RuntimeError(
          `restricted_callback: ${spec.module}.${name} called during ${where}; Envoy only allows proxy_log and basic WASI there. Move it to on_vm_start/on_configure.`,
        );
      }
      let entry: TraceEntry | undefined;
      if (this.#tracing) {
        const args = [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11].slice(0, spec.signature.params.length) as number[];
        entry = { contextId: this.#ctx()?.id ?? 0, call: `${spec.module}.${name}`, args };
        this.trace.push(entry);
      }
      let result: number | void;
      try {
        result = fn(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
      } catch (e) {
        if (e !== IMA) throw e;
        result = isWasi ? 21 : Status.InvalidMemoryAccess;
      }
      if (entry && typeof result === "number") entry.result = result;
      return result;
    }) as (...args: never[]) => number | void;
  }

  #hostcalls(): Record<string, (...args: never[]) => number | void> {
    const S = Status;
    const vm = this;
    const mapAccess = (type: number): MapAccess | null => {
      if (type === 4 || type === 5 || type === 6 || type === 7) {
        const d = vm.#callbackData;
        if (d?.mapTypes?.[0] === type) return { map: d.headers ?? null, readable: true, writable: false };
        if (d?.mapTypes?.[1] === type) return { map: d.trailers ?? null, readable: true, writable: false };
        return { map: null, readable: false, writable: false };
      }
      const stream = vm.#ctx()?.stream;
      if (!stream || stream.kind !== "http") return { map: null, readable: false, writable: false };
      return stream.headerMap(type);
    };
    const buffer = (type: number): BufferRef | null => {
      if (type <= 3) {
        const stream = vm.#ctx()?.stream;
        return stream ? stream.buffer(type) : null;
      }
      if (type === 6) return { bytes: vm.settings.vmConfiguration, mutable: false, replace() {} };
      if (type === 7) return vm.#pluginConfigReadable ? { bytes: vm.#pluginConfigReadable, mutable: false, replace() {} } : null;
      const d = vm.#callbackData;
      if (d?.bodyType === type && d.body) return { bytes: d.body, mutable: false, replace() {} };
      return null;
    };
    const readPairs = (ptr: number, size: number) => decodePairs(vm.#read(ptr, size)) ?? [];
    const continueStream = (type: number): number => {
      if (type >>> 0 > 3) return S.BadArgument;
      if (type === 3) return S.Unimplemented;
      const stream = vm.#ctx()?.stream;
      if (!stream) return S.BadArgument;
      const result = stream.deferContinue(type);
      vm.markDeferred(stream);
      return result;
    };

    return {
      proxy_log: (level: number, ptr: number, size: number) => {
        if (level >>> 0 > 5) return S.BadArgument;
        if (level < vm.#logThreshold) {
          vm.#check(ptr >>> 0, size >>> 0); // still IMA for bad pointers, but skip decoding a dropped line
          return S.Ok;
        }
        vm.#log(level, vm.#ctx(), vm.#readString(ptr, size));
        return S.Ok;
      },
      proxy_get_log_level: (ptr: number) => {
        vm.#writeU32(ptr, LOG_LEVELS.indexOf(vm.settings.logLevel));
        return S.Ok;
      },
      proxy_get_current_time_nanoseconds: (ptr: number) => {
        vm.#writeU64(ptr, vm.host.wallClockNs());
        return S.Ok;
      },
      proxy_set_tick_period_milliseconds: (ms: number) => {
        const root = vm.#root();
        if (root) vm.#setTick(root, ms >>> 0);
        return S.Ok;
      },
      proxy_set_effective_context: (id: number) => {
        const ctx = vm.#contexts.get(id >>> 0);
        if (!ctx) return S.BadArgument;
        vm.#effective = ctx;
        return S.Ok;
      },
      proxy_done: () => {
        const root = vm.#root();
        if (!root || !root.awaitingDone) return S.NotFound;
        root.awaitingDone = false;
        return S.Ok;
      },
      proxy_get_status: (codePtr: number, msgPtrPtr: number, msgSizePtr: number) => {
        const status = vm.#root()?.status ?? { code: 0, message: "" };
        vm.#writeU32(codePtr, status.code);
        vm.#returnBytes(msgPtrPtr, msgSizePtr, encoder.encode(status.message));
        return S.Ok;
      },
      proxy_call_foreign_function: (np: number, ns: number, ap: number, as: number, rpp: number, rsp: number) => {
        const name = vm.#readString(np, ns);
        const args = vm.#read(ap, as);
        if (name === "compress") {
          vm.#returnBytes(rpp, rsp, deflateSync(args));
          return S.Ok;
        }
        if (name === "uncompress") {
          try {
            vm.#returnBytes(rpp, rsp, inflateSync(args, { finishFlush: zlibConstants.Z_SYNC_FLUSH }));
            return S.Ok;
          } catch {
            return S.SerializationFailure;
          }
        }
        if (name === "clear_route_cache") return S.Ok;
        vm.#log(3, vm.#ctx(), `emulator: foreign function "${name}" is not emulated (Envoy registers compress, uncompress, set_envoy_filter_state, declare_property, clear_route_cache, expr_*, sign, verify_signature)`);
        return S.NotFound;
      },
      proxy_get_property: (pp: number, ps: number, rpp: number, rsp: number) => {
        const key = propertyKey(vm.#readString(pp, ps));
        if (key === "" || key.startsWith("\0")) return S.NotFound;
        const value = vm.#property(key);
        if (value === undefined) return S.NotFound;
        vm.#returnBytes(rpp, rsp, value);
        return S.Ok;
      },
      proxy_set_property: (pp: number, ps: number, vp: number, vs: number) => {
        const stream = vm.#ctx()?.stream;
        if (!stream) return S.NotFound;
        stream.setProperty(propertyKey(vm.#readString(pp, ps)), vm.#read(vp, vs));
        return S.Ok;
      },
      proxy_get_buffer_bytes: (type: number, start: number, max: number, rpp: number, rsp: number) => {
        if (type >>> 0 > 8) return S.BadArgument;
        const buf = buffer(type);
        if (!buf) return S.NotFound;
        const from = Math.min(start >>> 0, buf.bytes.length);
        vm.#returnBytes(rpp, rsp, buf.bytes.subarray(from, Math.min(buf.bytes.length, from + (max >>> 0))));
        return S.Ok;
      },
      proxy_get_buffer_status: (type: number, sizePtr: number, flagsPtr: number) => {
        if (type >>> 0 > 8) return S.BadArgument;
        const buf = buffer(type);
        if (!buf) return S.NotFound;
        vm.#writeU32(sizePtr, buf.bytes.length);
        vm.#writeU32(flagsPtr, 0);
        return S.Ok;
      },
      proxy_set_buffer_bytes: (type: number, start: number, size: number, dp: number, ds: number) => {
        if (type >>> 0 > 8) return S.BadArgument;
        const buf = buffer(type);
        if (!buf) return S.NotFound;
        if (!buf.mutable) return S.BadArgument;
        const data = vm.#read(dp, ds);
        const cur = buf.bytes;
        start >>>= 0;
        let next: Uint8Array;
        if (start === 0) next = concat(data, cur.subarray(Math.min(size >>> 0, cur.length)));
        else if (start >= cur.length) next = concat(cur, data);
        else return S.BadArgument;
        buf.replace(next);
        return S.Ok;
      },
      proxy_get_header_map_pairs: (type: number, rpp: number, rsp: number) => {
        if (type >>> 0 > 7) return S.BadArgument;
        const a = mapAccess(type);
        vm.#returnBytes(rpp, rsp, a?.readable && a.map ? encodePairs(a.map.entries()) : new Uint8Array(0));
        return S.Ok;
      },
      proxy_set_header_map_pairs: (type: number, ptr: number, size: number) => {
        if (type >>> 0 > 7) return S.BadArgument;
        const a = mapAccess(type);
        if (!a?.writable || !a.map) return S.BadArgument;
        const pairs = readPairs(ptr, size);
        a.map.clear();
        for (const [k, v] of pairs) a.map.add(k, v);
        return S.Ok;
      },
      proxy_get_header_map_value: (type: number, kp: number, ks: number, rpp: number, rsp: number) => {
        if (type >>> 0 > 7) return S.BadArgument;
        const a = mapAccess(type);
        const key = vm.#readString(kp, ks);
        if (!a?.readable) return a?.unavailableStatus ?? S.BadArgument;
        const value = a.map?.get(key);
        if (value === undefined) {
          if (vm.abiVersion === "0.1.0") {
            vm.#returnBytes(rpp, rsp, new Uint8Array(0));
            return S.Ok;
          }
          return S.NotFound;
        }
        vm.#returnString(rpp, rsp, value);
        return S.Ok;
      },
      proxy_add_header_map_value: (type: number, kp: number, ks: number, vp: number, vs: number) => {
        if (type >>> 0 > 7) return S.BadArgument;
        const a = mapAccess(type);
        if (!a?.writable || !a.map) return S.BadArgument;
        a.map.add(vm.#readString(kp, ks), vm.#readString(vp, vs));
        return S.Ok;
      },
      proxy_replace_header_map_value: (type: number, kp: number, ks: number, vp: number, vs: number) => {
        if (type >>> 0 > 7) return S.BadArgument;
        const a = mapAccess(type);
        if (!a?.writable || !a.map) return S.BadArgument;
        a.map.set(vm.#readString(kp, ks), vm.#readString(vp, vs));
        return S.Ok;
      },
      proxy_remove_header_map_value: (type: number, kp: number, ks: number) => {
        if (type >>> 0 > 7) return S.BadArgument;
        const a = mapAccess(type);
        if (!a?.writable || !a.map) return S.BadArgument;
        a.map.delete(vm.#readString(kp, ks));
        return S.Ok;
      },
      proxy_get_header_map_size: (type: number, sizePtr: number) => {
        if (type >>> 0 > 3) return S.BadArgument;
        const a = mapAccess(type);
        if (!a?.readable || !a.map) return S.BadArgument;
        vm.#writeU32(sizePtr, a.map.byteSize());
        return S.Ok;
      },
      proxy_continue_stream: continueStream,
      proxy_close_stream: (type: number) => {
        if (type >>> 0 > 3) return S.BadArgument;
        const stream = vm.#ctx()?.stream;
        if (!stream) return S.BadArgument;
        stream.deferClose(type);
        vm.markDeferred(stream);
        return S.Ok;
      },
      proxy_send_local_response: (status: number, dp: number, ds: number, bp: number, bs: number, hp: number, hs: number, grpc: number) => {
        const details = vm.#readString(dp, ds).replace(/\s/g, "_");
        const body = vm.#read(bp, bs);
        const headers = readPairs(hp, hs);
        const stream = vm.#ctx()?.stream;
        if (!stream || stream.kind !== "http") return S.Ok;
        const g = grpc >>> 0;
        stream.deferLocalReply({ status: status >>> 0, details, body, headers, grpcStatus: g <= 16 ? g : null });
        vm.markDeferred(stream);
        return S.Ok;
      },
      proxy_get_configuration: (rpp: number, rsp: number) => {
        vm.#returnBytes(rpp, rsp, vm.#pluginConfigReadable ?? vm.settings.vmConfiguration);
        return S.Ok;
      },
      proxy_continue_request: () => continueStream(0),
      proxy_continue_response: () => continueStream(1),
      proxy_clear_route_cache: () => S.Ok,
      proxy_http_call: (up: number, us: number, hp: number, hs: number, bp: number, bs: number, tp: number, ts: number, timeout: number, tokenPtr: number) => {
        const root = vm.#root();
        if (!root || !vm.callouts) return S.InternalFailure;
        const cluster = vm.#readString(up, us);
        const headers = readPairs(hp, hs);
        const body = vm.#read(bp, bs);
        const trailers = readPairs(tp, ts);
        const result = vm.callouts.httpCall(vm, root, cluster, headers, body, trailers, timeout >>> 0, (token) => vm.#writeU32(tokenPtr, token));
        return result;
      },
      proxy_grpc_call: (sp: number, ss: number, np: number, ns: number, mp: number, ms: number, mdp: number, mds: number, msgp: number, msgs: number, timeout: number, tokenPtr: number) => {
        const root = vm.#root();
        if (!root || !vm.callouts) return S.InternalFailure;
        return vm.callouts.grpcCall(vm, root, {
          service: vm.#read(sp, ss), serviceName: vm.#readString(np, ns), method: vm.#readString(mp, ms),
          metadata: readPairs(mdp, mds), message: vm.#read(msgp, msgs), timeoutMs: timeout >>> 0,
        }, (token) => vm.#writeU32(tokenPtr, token));
      },
      proxy_grpc_stream: (sp: number, ss: number, np: number, ns: number, mp: number, ms: number, mdp: number, mds: number, tokenPtr: number) => {
        const root = vm.#root();
        if (!root || !vm.callouts) return S.InternalFailure;
        return vm.callouts.grpcStream(vm, root, {
          service: vm.#read(sp, ss), serviceName: vm.#readString(np, ns), method: vm.#readString(mp, ms),
          metadata: readPairs(mdp, mds),
        }, (token) => vm.#writeU32(tokenPtr, token));
      },
      proxy_grpc_send: (token: number, mp: number, ms: number, end: number) =>
        vm.callouts?.grpcSend(vm, token >>> 0, vm.#read(mp, ms), end !== 0) ?? S.NotFound,
      proxy_grpc_cancel: (token: number) => vm.callouts?.grpcCancel(vm, token >>> 0) ?? S.NotFound,
      proxy_grpc_close: (token: number) => vm.callouts?.grpcClose(vm, token >>> 0) ?? S.NotFound,
      proxy_get_shared_data: (kp: number, ks: number, rpp: number, rsp: number, casPtr: number) => {
        const entry = vm.host.getSharedData(vm.settings.vmId, vm.#readString(kp, ks));
        if (!entry) return S.NotFound;
        vm.#returnBytes(rpp, rsp, entry.value);
        vm.#writeU32(casPtr, entry.cas);
        return S.Ok;
      },
      proxy_set_shared_data: (kp: number, ks: number, vp: number, vs: number, cas: number) =>
        vm.host.setSharedData(vm.settings.vmId, vm.#readString(kp, ks), vm.#read(vp, vs), cas >>> 0) ? S.Ok : S.CasMismatch,
      proxy_register_shared_queue: (np: number, ns: number, tokenPtr: number) => {
        const root = vm.#root();
        if (!root) return S.BadArgument;
        let token = 0;
        token = vm.host.registerQueue(vm.settings.vmId, vm.#readString(np, ns), () => {
          if (vm.failure || !vm.#contexts.has(root.id)) return;
          vm.safeCall(root, "proxy_on_queue_ready", root.id, token);
          vm.applyDeferred();
        });
        vm.#writeU32(tokenPtr, token);
        return S.Ok;
      },
      proxy_resolve_shared_queue: (vp: number, vs: number, np: number, ns: number, tokenPtr: number) => {
        const vmId = vm.#readString(vp, vs) || vm.settings.vmId;
        const token = vm.host.resolveQueue(vmId, vm.#readString(np, ns));
        if (token === undefined) return S.NotFound;
        vm.#writeU32(tokenPtr, token);
        return S.Ok;
      },
      proxy_enqueue_shared_queue: (token: number, vp: number, vs: number) =>
        vm.host.enqueue(token >>> 0, vm.#read(vp, vs)) ? S.Ok : S.NotFound,
      proxy_dequeue_shared_queue: (token: number, rpp: number, rsp: number) => {
        const q = vm.host.queue(token >>> 0);
        if (!q) return S.NotFound;
        const item = q.items.shift();
        if (!item) return S.Empty;
        vm.#returnBytes(rpp, rsp, item);
        return S.Ok;
      },
      proxy_define_metric: (type: number, np: number, ns: number, idPtr: number) => {
        if (type >>> 0 > 2) return S.BadArgument;
        const name = vm.#readString(np, ns);
        const t = type as 0 | 1 | 2;
        const id = vm.#nextMetricId[t]!;
        vm.#nextMetricId[t] = id + 4;
        vm.#metrics.set(id, { name, type: t });
        vm.host.defineStat(name, (["counter", "gauge", "histogram"] as const)[t]);
        vm.#writeU32(idPtr, id);
        return S.Ok;
      },
      proxy_increment_metric: (id: number, delta: bigint) => {
        const m = vm.#metrics.get(id >>> 0);
        if (!m) return S.NotFound;
        if (m.type === 2 || (m.type === 0 && delta <= 0n)) return S.BadArgument;
        vm.host.updateStat(m.name, "add", delta);
        return S.Ok;
      },
      proxy_record_metric: (id: number, value: bigint) => {
        const m = vm.#metrics.get(id >>> 0);
        if (!m) return S.NotFound;
        vm.host.updateStat(m.name, m.type === 0 ? "add" : m.type === 1 ? "set" : "record", m.type === 1 ? value : BigInt.asUintN(64, value));
        return S.Ok;
      },
      proxy_get_metric: (id: number, retPtr: number) => {
        const m = vm.#metrics.get(id >>> 0);
        if (!m) return S.NotFound;
        const stat = vm.host.metric(m.name);
        if (!stat || stat.type === "histogram") return S.BadArgument;
        vm.#writeU64(retPtr, stat.value);
        return S.Ok;
      },
      envoy_resolve_dns: (ap: number, as: number, tokenPtr: number) => {
        const root = vm.#root();
        if (!root || !vm.callouts) return S.InternalFailure;
        return vm.callouts.resolveDns(vm, root, vm.#readString(ap, as), (token) => vm.#writeU32(tokenPtr, token));
      },
      pthread_equal: (a: number, b: number) => (a === b ? 1 : 0),
      emscripten_notify_memory_growth: () => undefined,
    };
  }

  #wasi(): Record<string, (...args: never[]) => number | void> {
    const vm = this;
    const envBytes = () => Object.entries(vm.settings.env).map(([k, v]) => encoder.encode(`${k}=${v}\0`));
    return {
      fd_write: (fd: number, iovs: number, iovsLen: number, nwrittenPtr: number) => {
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < iovsLen >>> 0; i++) {
          vm.#check((iovs >>> 0) + i * 8, 8);
          const p = vm.#view.getUint32((iovs >>> 0) + i * 8, true);
          const l = vm.#view.getUint32((iovs >>> 0) + i * 8 + 4, true);
          chunks.push(vm.#read(p, l));
        }
        const data = concat(...chunks);
        if (fd !== 1 && fd !== 2) return 8;
        vm.#writeU32(nwrittenPtr, data.length);
        vm.#log(fd === 1 ? 2 : 4, vm.#ctx(), decoder.decode(data).replace(/\n$/, ""));
        return 0;
      },
      fd_read: () => 52,
      fd_seek: () => 0,
      fd_close: () => 0,
      fd_fdstat_get: (fd: number, buf: number) => {
        if (fd !== 1 && fd !== 2) return 8;
        vm.#check(buf >>> 0, 24);
        vm.#u8.fill(0, buf >>> 0, (buf >>> 0) + 24);
        vm.#view.setBigUint64((buf >>> 0) + 8, 64n, true); // rights_base = FD_WRITE
        return 0;
      },
      fd_fdstat_set_flags: () => 52,
      fd_prestat_get: () => 8,
      fd_prestat_dir_name: () => 52,
      environ_sizes_get: (countPtr: number, sizePtr: number) => {
        const all = envBytes();
        vm.#writeU32(countPtr, all.length);
        vm.#writeU32(sizePtr, all.reduce((n, b) => n + b.length, 0));
        return 0;
      },
      environ_get: (environPtr: number, bufPtr: number) => {
        let p = bufPtr >>> 0;
        envBytes().forEach((b, i) => {
          vm.#writeU32((environPtr >>> 0) + i * 4, p);
          vm.#check(p, b.length);
          vm.#u8.set(b, p);
          p += b.length;
        });
        return 0;
      },
      args_sizes_get: (argcPtr: number, sizePtr: number) => {
        vm.#writeU32(argcPtr, 0);
        vm.#writeU32(sizePtr, 0);
        return 0;
      },
      args_get: () => 0,
      clock_time_get: (id: number, _precision: bigint, retPtr: number) => {
        if (id === 0) vm.#writeU64(retPtr, vm.host.wallClockNs());
        else if (id === 1) vm.#writeU64(retPtr, vm.host.monotonicNs());
        else return 58;
        return 0;
      },
      random_get: (buf: number, len: number) => {
        if (len >>> 0 > 65536) return 28;
        vm.#check(buf >>> 0, len >>> 0);
        crypto.getRandomValues(vm.#u8.subarray(buf >>> 0, (buf >>> 0) + (len >>> 0)));
        return 0;
      },
      proc_exit: (code: number) => {
        vm.#log(0, vm.#ctx(), `proc_exit(${code}) called; Envoy does not exit`);
      },
      path_open: () => 44,
      sched_yield: () => 0,
      poll_oneoff: (_in: number, _out: number, _n: number, neventsPtr: number) => {
        vm.#writeU32(neventsPtr, 0);
        return 0;
      },
    };
  }

  // ---------------------------------------------------------------- properties and ticks

  #property(key: string): Uint8Array | undefined {
    const ctx = this.#ctx();
    const plugin = ctx?.plugin;
    if (plugin) {
      if (key === "plugin_name") return encoder.encode(plugin.name);
      if (key === "plugin_root_id") return encoder.encode(plugin.rootId);
      if (key === "plugin_vm_id") return encoder.encode(this.settings.vmId);
    }
    const fromStream = ctx?.stream?.property(key);
    if (fromStream !== undefined) return fromStream;
    const seeded = findProperty(this.settings.properties, key);
    if (seeded !== undefined) return encodePropertyValue(seeded);
    if (ctx?.stream) {
      const def = findProperty(DEFAULT_CONNECTION_PROPERTIES, key);
      if (def !== undefined) return encodePropertyValue(def);
    }
    return undefined;
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

/** Looks a NUL-joined key up in a dotted-key property record. */
export function findProperty(props: Readonly<Record<string, PropertyValue>>, key: string): PropertyValue | undefined {
  for (const [k, v] of Object.entries(props)) if (propertyKey(k) === key) return v;
  return undefined;
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
