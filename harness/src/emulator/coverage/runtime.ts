// Coverage in one process: which modules are measured, their counters, and the data they add up to.
//
// The state lives on globalThis (under a registered symbol), not in this module: vitest re-evaluates modules for
// every test file of a worker, and the coverage provider's worker side and the emulator may even be different
// copies of this file; both must see the same counters.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import libCoverage from "istanbul-lib-coverage";
import { WasmLoadError } from "../errors.ts";
import { type CoverageData, isLibrarySource, toCoverageData } from "./coverage-data.ts";
import { findCoverageBuild } from "./coverage-build.ts";
import { functionNames, loadSourceMap, ModuleSourceMap, sourceRootFor } from "./module-map.ts";
import { COVERAGE_IMPORT_MODULE, instrumentCoverage, type OffsetMap } from "./probes.ts";
import type { FunctionProbes } from "./probe-plan.ts";

/** Process-wide coverage settings ({@link enableCoverage}). */
export interface CoverageSettings {
  /**
   * Also measure the AssemblyScript standard library and packages (such as the SDK) the module was built with.
   * Default false: only the project's own sources count.
   */
  readonly includeLibraries?: boolean;
}

/** The emulator's `coverage` option in object form. */
export interface EmulatorCoverageOptions extends CoverageSettings {
  /**
   * The module's source map (a path, or the map itself) when the module does not name one (its
   * `sourceMappingURL`) and no coverage build stands beside it.
   */
  readonly sourceMap?: string | object;
}

interface MeasuredModule {
  readonly label: string;
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
  /** Offsets of `bytes` back to the measured (uninstrumented) module. */
  readonly offsets: OffsetMap;
}

/**
 * The module to run for `bytes` (read from `path`, if any) when coverage applies: `option` is the emulator's
 * `coverage` option (undefined: follow {@link enableCoverage}). Null when the module runs unmeasured. Throws
 * WasmLoadError when coverage was asked for explicitly and the module cannot be mapped to its source.
 */
export function measuredModule(
  bytes: Uint8Array,
  path: string | undefined,
  label: string,
  option: boolean | EmulatorCoverageOptions | undefined,
): MeasuredBytes | null {
  const s = state();
  if (option === false || (option === undefined && !s.enabled)) return null;
  const explicit = option !== undefined;
  const settings = typeof option === "object" ? option : {};
  const includeLibraries = settings.includeLibraries ?? s.includeLibraries;
  let measured = bytes;
  let mapPath = path;
  let map: ModuleSourceMap | null = null;
  let why = "it has no source map (sourceMappingURL)";
  if (path) {
    const build = findCoverageBuild(path, bytes);
    if (build.status === "found") {
      measured = build.bytes;
      mapPath = build.path;
      map = loadSourceMap(measured, mapPath);
      if (!map) why = `its coverage build ${build.path} has no source map beside it`;
    } else if (build.status === "stale") {
      why = `its coverage build ${build.path} was built from other sources`;
    }
  }
  if (!map && measured === bytes) map = loadSourceMap(bytes, path);
  if (!map && settings.sourceMap !== undefined) map = readGivenMap(settings.sourceMap);
  if (!map) {
    if (explicit) {
      throw new WasmLoadError(`${label}: cannot measure coverage: ${why}`, [], [], {
        hint: "run the tests with coverage through the vitest preset (`npx vitest run --coverage`), which builds build/coverage/<name>.wasm for each module, or build the module with `asc --sourceMap` (or pass `coverage: { sourceMap }`)",
      });
    }
    if (path) s.unmeasured.set(resolve(path), why);
    return null;
  }
  const key = createHash("sha256")
    .update(measured)
    .update(includeLibraries ? "+lib" : "")
    .digest("hex");
  let module = s.modules.get(key);
  if (!module) {
    module = measure(measured, map, mapPath, label, includeLibraries);
    s.modules.set(key, module);
  }
  const globals: Record<string, WebAssembly.Global> = {};
  module.counters.forEach((g, i) => {
    globals[i] = g;
  });
  return { bytes: module.bytes, imports: { [COVERAGE_IMPORT_MODULE]: globals }, offsets: module.offsets };
}

function readGivenMap(sourceMap: string | object): ModuleSourceMap {
  return new ModuleSourceMap(typeof sourceMap === "object" ? (sourceMap as never) : readFileSync(sourceMap, "utf8"));
}

function measure(
  bytes: Uint8Array,
  map: ModuleSourceMap,
  mapPath: string | undefined,
  label: string,
  includeLibraries: boolean,
): MeasuredModule {
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
  const root = sourceRootFor(map, mapPath ? dirname(mapPath) : process.cwd(), process.cwd());
  return {
    label,
    bytes: instrumented.bytes,
    counters,
    functions: instrumented.functions,
    map,
    names: functionNames(bytes),
    included,
    root,
    offsets: instrumented.offsets,
  };
}
