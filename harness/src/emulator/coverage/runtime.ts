// Coverage in one process: which modules are measured, their counters, and the data they add up to.
//
// The state lives on globalThis (under a registered symbol), not in this module: vitest re-evaluates modules for
// every test file of a worker, and the coverage provider's worker side and the emulator may even be different
// copies of this file; both must see the same counters.
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import libCoverage from "istanbul-lib-coverage";
import { ModuleSymbols, type WasmSourceMap } from "../../symbols/index.ts";
import { WasmLoadError } from "../errors.ts";
import type { OffsetMap } from "../watchdog/offset-map.ts";
import { type CoverageData, isLibrarySource, toCoverageData } from "./coverage-data.ts";
import { coverageBuildPath, findCoverageBuild } from "./coverage-build.ts";
import { ModuleSourceMap, projectRootOf } from "./module-map.ts";
import { COVERAGE_IMPORT_MODULE, instrumentCoverage } from "./probes.ts";
import type { FunctionProbes } from "./probe-plan.ts";

/** Process-wide coverage settings ({@link enableCoverage}). */
export interface CoverageSettings {
  /**
   * Also measure the AssemblyScript standard library and packages (such as the SDK) the module was built with.
   * Default false: only the project's own sources count.
   */
  readonly includeLibraries?: boolean;
}

/** The emulator's `coverage` option in object form (a map for the module itself is the `sourceMap` option). */
export interface EmulatorCoverageOptions extends CoverageSettings {}

interface MeasuredModule {
  readonly bytes: Uint8Array;
  readonly counters: WebAssembly.Global[];
  readonly functions: readonly FunctionProbes[];
  readonly map: ModuleSourceMap;
  readonly names: ReadonlyMap<number, string>;
  readonly included: readonly boolean[];
  readonly root: string;
  readonly offsets: OffsetMap;
}

interface CoverageState {
  enabled: boolean;
  includeLibraries: boolean;
  /** Measured modules by SHA-256 of the measured bytes and the settings. */
  readonly modules: Map<string, MeasuredModule>;
  /** Modules loaded from a path while coverage was on that could not be measured, with why. */
  readonly unmeasured: Map<string, string>;
}

const STATE = Symbol.for("proxy-wasm-as.coverage");

function state(): CoverageState {
  const holder = globalThis as { [STATE]?: CoverageState };
  holder[STATE] ??= { enabled: false, includeLibraries: false, modules: new Map(), unmeasured: new Map() };
  return holder[STATE];
}

/**
 * Measures every module the emulator loads from now on in this process (unless loaded with `coverage: false`):
 * modules with a source map or a coverage build beside them; others are listed by {@link unmeasuredModules}.
 * The vitest preset calls it in every test worker when coverage is on. May be called any time.
 */
export function enableCoverage(settings: CoverageSettings = {}): void {
  const s = state();
  s.enabled = true;
  s.includeLibraries = settings.includeLibraries ?? false;
}

/** Stops measuring modules loaded from now on (modules already measured keep counting). */
export function disableCoverage(): void {
  state().enabled = false;
}

/** True while {@link enableCoverage} is in effect. */
export function coverageEnabled(): boolean {
  return state().enabled;
}

/**
 * The coverage counted so far by every measured module of this process, as istanbul coverage data by absolute
 * source path; with `reset` (default true) the counters start again from zero, so two calls never count twice.
 */
export function takeCoverage(options: { readonly reset?: boolean } = {}): CoverageData {
  // A source compiled into several modules (a file shared by two filters) is merged the way the reports merge.
  const merged = libCoverage.createCoverageMap({});
  for (const module of state().modules.values()) {
    const counts = module.counters.map((g) => Number(g.value as bigint));
    if (options.reset ?? true) for (const g of module.counters) g.value = 0n;
    merged.merge(toCoverageData(module, counts) as libCoverage.CoverageMapData);
  }
  return merged.toJSON() as unknown as CoverageData;
}

/** Zeroes every counter of this process. */
export function resetCoverage(): void {
  for (const module of state().modules.values()) for (const g of module.counters) g.value = 0n;
}

/** Modules (by path) loaded while coverage was on that were not measured, with the reason; cleared by `reset`. */
export function unmeasuredModules(options: { readonly reset?: boolean } = {}): Array<{ path: string; reason: string }> {
  const s = state();
  const list = [...s.unmeasured].map(([path, reason]) => ({ path, reason }));
  if (options.reset) s.unmeasured.clear();
  return list;
}

/** What the emulator compiles and links for a measured module. */
export interface MeasuredBytes {
  /** The instrumented module (of the coverage build when one stands beside the module). */
  readonly bytes: Uint8Array;
  /** Its counters, to add to the import object. */
  readonly imports: Record<string, Record<string, WebAssembly.Global>>;
  /** The module measured, before instrumentation: the coverage build, or the module itself. */
  readonly measured: Uint8Array;
  /** Its file, when it has one (its symbols are beside it). */
  readonly measuredPath: string | undefined;
  /** Offsets of `bytes` back to `measured` (for trap frames). */
  readonly offsets: OffsetMap;
}

/** Where a module comes from and what the emulator options say about it. */
export interface ModuleOrigin {
  /** The module's file, when it was read from one. */
  readonly wasmPath: string | undefined;
  /** For messages. */
  readonly label: string;
  /** The emulator's `coverage` option (undefined: follow {@link enableCoverage}). */
  readonly option: boolean | EmulatorCoverageOptions | undefined;
  /** The emulator's `sourceMap` option (a map for the module itself). */
  readonly sourceMap: string | false | undefined;
}

/**
 * The module to run for `bytes` when coverage applies, or null when it runs unmeasured. Measured: its coverage
 * build (build/coverage/<name>.wasm beside it, built for these very bytes); with `coverage: true` on this module,
 * else the module itself through its own source map; with coverage on for the process, else the module itself when
 * it names its map (sourceMappingURL, as `asc --sourceMap` writes; the harness's optimized builds keep theirs
 * beside them without naming it: their optimized code is not what coverage measures). Throws WasmLoadError when
 * coverage was asked for on this module and it cannot be mapped to its source.
 */
export function measuredModule(bytes: Uint8Array, origin: ModuleOrigin): MeasuredBytes | null {
  const s = state();
  const { wasmPath, label, option } = origin;
  if (option === false || (option === undefined && !s.enabled)) return null;
  const explicit = option !== undefined;
  const includeLibraries = (typeof option === "object" ? option.includeLibraries : undefined) ?? s.includeLibraries;
  let measured = bytes;
  let measuredPath = wasmPath;
  let stale: string | undefined;
  if (wasmPath) {
    const build = findCoverageBuild(wasmPath, bytes);
    if (build.status === "found") {
      measured = build.bytes;
      measuredPath = build.path;
    } else if (build.status === "stale") stale = `its coverage build ${build.path} was built from other sources`;
  }
  const symbols = ModuleSymbols.cached(measured, {
    wasmPath: measuredPath,
    sourceMap: measured === bytes ? origin.sourceMap : undefined,
  });
  const map = symbols.sourceMap?.map;
  const ownMapOnly = measured === bytes && !explicit && !symbols.layout.sourceMappingUrl;
  if (!map || ownMapOnly || (stale && !explicit)) {
    const why = ownMapOnly
      ? `no coverage build stands for it (${wasmPath ? coverageBuildPath(wasmPath) : "it was given as bytes"})`
      : (stale ?? symbols.missingMapReason ?? "it has no source map");
    if (explicit) {
      throw new WasmLoadError(`${label}: cannot measure coverage: ${why}`, [], [], {
        hint: "run the tests with coverage through the vitest preset (`npx vitest run --coverage`), which builds build/coverage/<name>.wasm for each module; or give the module's map (`sourceMap` option)",
      });
    }
    if (wasmPath) s.unmeasured.set(resolve(wasmPath), why);
    return null;
  }
  const key = createHash("sha256")
    .update(measured)
    .update(includeLibraries ? "+lib" : "")
    .digest("hex");
  let module = s.modules.get(key);
  if (!module) {
    module = measure(measured, symbols, map, includeLibraries);
    s.modules.set(key, module);
  }
  const globals: Record<string, WebAssembly.Global> = {};
  module.counters.forEach((g, i) => {
    globals[i] = g;
  });
  return {
    bytes: module.bytes,
    imports: { [COVERAGE_IMPORT_MODULE]: globals },
    measured,
    measuredPath,
    offsets: module.offsets,
  };
}

function measure(
  bytes: Uint8Array,
  symbols: ModuleSymbols,
  raw: WasmSourceMap,
  includeLibraries: boolean,
): MeasuredModule {
  const map = new ModuleSourceMap(raw);
  const included = map.sources.map((source) => source !== "" && (includeLibraries || !isLibrarySource(source)));
  const accept = (source: number) => included[source] === true;
  const instrumented = instrumentCoverage(bytes, {
    function: (start, end) => map.hasLocationIn(start, end, accept),
    instruction: (start, offset) => accept(map.positionAt(offset, start)?.source ?? -1),
    branch: (start, offset) => accept(map.positionAtOrBefore(offset, start)?.source ?? -1),
  });
  const counters = Array.from(
    { length: instrumented.counters },
    () => new WebAssembly.Global({ value: "i64", mutable: true }, 0n),
  );
  return {
    bytes: instrumented.bytes,
    counters,
    functions: instrumented.functions,
    map,
    names: symbols.functionNames,
    included,
    root: projectRootOf(map, raw.sourceRoot, symbols.sourceMapPath, process.cwd()),
    offsets: instrumented.offsets,
  };
}
