// What happens before the first stream, as Envoy does it: the module compiled for the emulator (checked against
// Envoy's tables, measured for coverage, guarded by the watchdog, with its traps told in source lines), and each
// plugin's root context started on a VM (on_context_create → on_vm_start → on_configure). Used by emulator.ts.
import { fileURLToPath } from "node:url";
import { checkModule, formatModuleReport, type AbiVersion } from "../abi/index.ts";
import { measuredModule, type MeasuredBytes } from "./coverage/runtime.ts";
import type { EmulatorOptions } from "./emulator-options.ts";
import { WasmLoadError, WasmTrapError } from "./errors.ts";
import { chainOffsets, TrapSymbolicator } from "./trap-frames.ts";
import type { WasmVm } from "./vm.ts";
import type { ContextState, PluginIdentity } from "./vm-types.ts";
import { guardedModule } from "./watchdog/guard.ts";

/** One plugin of the emulator and its root context on the current VM (null before it started). */
export interface Plugin {
  readonly identity: PluginIdentity;
  root: ContextState | null;
}

/** A module ready to run in the emulator. */
export interface PreparedModule {
  readonly module: WebAssembly.Module;
  readonly abiVersion: AbiVersion;
  readonly symbolicator: TrapSymbolicator;
  readonly coverage: MeasuredBytes | null;
}

/**
 * Checks `bytes` against Envoy's import/export tables (WasmLoadError with the report when Envoy would reject them),
 * adds coverage counters and the watchdog as `options` ask, and compiles the result. `file`: where the bytes were
 * read from (traps and coverage look for the module's map and coverage build there).
 */
export function prepareModule(
  bytes: Uint8Array,
  options: EmulatorOptions,
  file: string | URL | undefined,
): PreparedModule {
  const label = options.label ?? "module";
  const report = checkModule(bytes);
  if (!report.ok) throw new WasmLoadError(formatModuleReport(report, label), [], report.problems);
  const wasmPath = file === undefined ? undefined : file instanceof URL ? fileURLToPath(file) : file;
  // `watchdog: false` asks for the module byte for byte: process-wide coverage leaves it alone too.
  const option = options.coverage ?? (options.watchdog === false ? false : undefined);
  const coverage = measuredModule(bytes, { wasmPath, label, option, sourceMap: options.sourceMap });
  const run = coverage?.bytes ?? bytes;
  const guarded = options.watchdog === false ? { bytes: run, offsets: undefined } : guardedModule(run, label);
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(guarded.bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new WasmLoadError(`${label}: WebAssembly compilation failed: ${(e as Error).message}`);
  }
  // Traps are told in the source of what runs: back through the watchdog's rewrite, then the coverage pass's
  // (to the coverage build, when one stands in for the module), then through that module's map.
  const symbolicator = new TrapSymbolicator({
    bytes: coverage?.measured ?? bytes,
    offsets: chainOffsets(guarded.offsets, coverage?.offsets),
    wasmPath: coverage ? coverage.measuredPath : wasmPath,
    sourceMap: options.sourceMap,
  });
  return { module, abiVersion: report.abiVersion!, symbolicator, coverage };
}

/**
 * Starts `plugin` on `vm` as Envoy does: a root context (`plugin.root`), then on_context_create → on_vm_start →
 * on_configure. A trap or a false return throws WasmLoadError (Envoy rejects the configuration), with the logs.
 */
export function startPlugin(vm: WasmVm, plugin: Plugin): void {
  const root = vm.newContext(plugin.identity);
  plugin.root = root;
  const step = (name: string, withConfig: boolean, ...args: number[]) => {
    try {
      return withConfig ? vm.callWithPluginConfig(root, name, ...args) : vm.call(root, name, ...args);
    } catch (e) {
      if (e instanceof WasmTrapError)
        throw new WasmLoadError(
          `${name} trapped while starting plugin "${plugin.identity.name}": ${e.message.split("\n")[0]}`,
          vm.logs,
          [],
          { cause: e },
        );
      throw e;
    }
  };
  step("proxy_on_context_create", true, root.id, 0);
  if (step("proxy_on_vm_start", false, root.id, vm.settings.vmConfiguration.length) === 0) {
    throw new WasmLoadError(
      `Failed to start the Wasm VM: proxy_on_vm_start returned false for plugin "${plugin.identity.name}" (root id "${plugin.identity.rootId}"). Envoy rejects this configuration; check the VM configuration and the module's logs.`,
      vm.logs,
    );
  }
  if (step("proxy_on_configure", true, root.id, plugin.identity.configuration.length) === 0) {
    throw new WasmLoadError(
      `Failed to configure the Wasm plugin "${plugin.identity.name}": proxy_on_configure returned false. Envoy rejects this configuration (xDS NACK / startup failure); check pluginConfig and the module's logs.`,
      vm.logs,
    );
  }
  vm.applyDeferred();
}
