// Linking and instantiating a module against the host, as Envoy does: every import must be one Envoy provides for the module's ABI
// version (the abi/ tables) or one the harness's own instrumentation added (watchdog/, coverage/); each host call is
// wrapped with Envoy's restricted windows (only proxy_log and basic WASI while the VM starts or the guest allocator
// runs), tracing, the watchdog's deadline, and InvalidMemoryAccess/EFAULT for a bad pointer. Used by vm.ts only.
import { envoyImportsFor, importKey, Status, WasiErrno, type HostImport } from "../abi/index.ts";
import { WasmLimitError, WasmLoadError, type LogEntry } from "./errors.ts";
import { INVALID_MEMORY_ACCESS } from "./guest-memory.ts";
import { envHostcalls, wasiHostcallsFor, type HostFunction, type HostcallVm } from "./hostcalls/index.ts";
import type { TraceEntry, VmSettings } from "./vm-types.ts";
import { WATCHDOG_IMPORT_MODULE, WATCHDOG_MEMORY_GROW, WATCHDOG_TICK } from "./watchdog/instrument.ts";
import type { Watchdog } from "./watchdog/watchdog.ts";

/** Restricted windows of Envoy: the entry point (`_initialize`…) and the guest allocator; null outside both. */
export type RestrictedWindow = "start" | "alloc" | null;

/** What linking needs of the VM. */
export interface LinkSite {
  /** The restricted window now (the VM sets `phase`; every host call reads it). */
  readonly window: { phase: RestrictedWindow };
  readonly abiVersion: HostcallVm["abiVersion"];
  readonly settings: VmSettings;
  readonly watchdog: Watchdog;
  /** Where host calls are recorded, or null when tracing is off. */
  readonly trace: TraceEntry[] | null;
  /** The context the module acts for now (0: none), for trace entries. */
  currentContextId(): number;
  /** Logs a host-side error line (a restricted call). */
  logError(message: string): void;
}

/** The import object for `module`: Envoy's host calls (on `view`), the watchdog's imports, the instrumentation's. */
export function linkImports(module: WebAssembly.Module, site: LinkSite, view: HostcallVm): WebAssembly.Imports {
  const table = envoyImportsFor(site.abiVersion);
  const env: Readonly<Record<string, HostFunction | undefined>> = envHostcalls(view);
  const wasi: Readonly<Record<string, HostFunction | undefined>> = wasiHostcallsFor(view);
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    const added = site.settings.instrumentImports?.[imp.module]?.[imp.name];
    if (added) {
      moduleImports(imports, imp.module)[imp.name] = added;
      continue;
    }
    if (imp.module === WATCHDOG_IMPORT_MODULE) {
      if (imp.name !== WATCHDOG_TICK && imp.name !== WATCHDOG_MEMORY_GROW)
        throw new WasmLoadError(`unknown watchdog import ${imp.name}`);
      moduleImports(imports, imp.module)[imp.name] =
        imp.name === WATCHDOG_TICK ? site.watchdog.tick : site.watchdog.memoryGrow;
      continue;
    }
    const spec = table.get(importKey(imp.module, imp.name));
    const impl = imp.module === "env" ? env[imp.name] : wasi[imp.name];
    if (!spec || !impl) {
      throw new WasmLoadError(`Failed to load Wasm module due to a missing import: ${imp.module}.${imp.name}`);
    }
    moduleImports(imports, imp.module)[imp.name] = wrap(site, spec, impl);
  }
  return imports;
}

/** A module instantiated against the host, with the exports Envoy needs of it. */
export interface Instantiated {
  readonly instance: WebAssembly.Instance;
  readonly memory: WebAssembly.Memory;
  /** The allocator export Envoy calls: "malloc", else "proxy_on_memory_allocate". */
  readonly allocName: string;
  readonly alloc: (size: number) => number;
}

/**
 * Instantiates `module` with `imports` and checks what Envoy requires of the instance: an exported memory (no larger
 * than `memoryLimitBytes` at start) and an allocator. Throws WasmLoadError with the module's `logs` otherwise.
 */
export function instantiate(
  module: WebAssembly.Module,
  imports: WebAssembly.Imports,
  memoryLimitBytes: number,
  logs: readonly LogEntry[],
): Instantiated {
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, imports);
  } catch (e) {
    if (e instanceof WasmLimitError) throw e;
    throw new WasmLoadError(`instantiation failed (a Wasm start section trapped?): ${(e as Error).message}`, logs, [], {
      cause: e,
    });
  }
  const memory = instance.exports.memory;
  if (!(memory instanceof WebAssembly.Memory))
    throw new WasmLoadError('the module exports no memory named "memory"; export it.');
  if (memory.buffer.byteLength > memoryLimitBytes) {
    throw new WasmLoadError(
      `the module starts with ${memory.buffer.byteLength} bytes of memory, over the emulator's memoryLimitBytes (${memoryLimitBytes})`,
      [],
      [],
      { hint: "raise `memoryLimitBytes` in the emulator options, or lower the module's initial memory" },
    );
  }
  const allocName = instance.exports.malloc ? "malloc" : "proxy_on_memory_allocate";
  const alloc = instance.exports[allocName] as ((n: number) => number) | undefined;
  if (!alloc)
    throw new WasmLoadError(
      "Wasm module is missing malloc function: export malloc or proxy_on_memory_allocate ((i32) -> i32).",
    );
  return { instance, memory, allocName, alloc };
}

/** Wraps a host function: restricted windows, tracing, and InvalidMemoryAccess/EFAULT for bad pointers. */
function wrap(site: LinkSite, spec: HostImport, impl: HostFunction): HostFunction {
  const invalidMemory = spec.module === "env" ? Status.InvalidMemoryAccess : WasiErrno.Fault;
  const name = spec.name;
  const fn = impl as (...args: unknown[]) => number | undefined;
  const { window, watchdog, trace } = site;
  // Fixed arity (no rest/spread) keeps the hostcall trampoline cheap; Envoy's widest import takes 12 params.
  return ((
    a0: unknown,
    a1: unknown,
    a2: unknown,
    a3: unknown,
    a4: unknown,
    a5: unknown,
    a6: unknown,
    a7: unknown,
    a8: unknown,
    a9: unknown,
    a10: unknown,
    a11: unknown,
  ) => {
    watchdog.check(); // host calls count toward the callback's deadline
    const phase = window.phase;
    if (phase !== null && (phase === "start" ? !spec.allowedDuringStart : !spec.allowedDuringAlloc)) {
      const where = phase === "start" ? "_initialize/_start/main" : "the guest allocator";
      site.logError(`restricted_callback: ${spec.module}.${name} may not be called during ${where}`);
      throw new WebAssembly.RuntimeError(
        `restricted_callback: ${spec.module}.${name} called during ${where}; Envoy only allows proxy_log and basic WASI there. Move it to on_vm_start/on_configure.`,
      );
    }
    let entry: TraceEntry | undefined;
    if (trace !== null) {
      const args = [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11].slice(
        0,
        spec.signature.params.length,
      ) as number[];
      entry = { contextId: site.currentContextId(), call: `${spec.module}.${name}`, args };
      trace.push(entry);
    }
    let result: number | undefined;
    try {
      result = fn(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
    } catch (e) {
      if (e !== INVALID_MEMORY_ACCESS) throw e;
      result = invalidMemory;
    }
    if (entry && typeof result === "number") entry.result = result;
    return result;
  }) as HostFunction;
}

/** The import object of one import module, created on first use. */
const moduleImports = (imports: Record<string, Record<string, WebAssembly.ImportValue>>, module: string) =>
  imports[module] ?? Object.assign(imports, { [module]: {} })[module]!;
