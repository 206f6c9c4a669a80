// Incremental builds of a set of AssemblyScript modules (release + debug), serialized between processes by a
// lock directory, with a size table. Used by the repository's scripts/build.ts and by `proxy-wasm-as build`.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { sourceMapPathFor } from "../symbols/index.ts";
import { compileModule, requireEnvoyExports, requireEnvoyImports } from "./compile.ts";
import { coverageBuildPath, findCoverageBuild, markCoverageBuild } from "../emulator/coverage/coverage-build.ts";

/**
 * One AssemblyScript module to build: `entry` → `<buildDir>/<name>.wasm` and `<name>.debug.wasm`, each with its
 * source map beside it (`<name>.wasm.map`: function names and source lines for traps, see harness/src/symbols).
 */
export interface ModuleSource {
  readonly name: string;
  /** The folder whose sources (recursively) make the module stale when they change. */
  readonly dir: string;
  readonly entry: string;
  /** The asconfig.json to compile with. */
  readonly config: string;
}

/** One built (or up-to-date) module. */
export interface BuiltModule {
  readonly name: string;
  /** Entry, relative to the project root. */
  readonly entry: string;
  readonly release: string;
  readonly debug: string;
  /** The release module's source map (names and source lines for traps; never shipped). */
  readonly sourceMap: string;
  readonly rawBytes: number;
  readonly gzipBytes: number;
  /** False when the outputs were already up to date. */
  readonly rebuilt: boolean;
  /** Milliseconds spent compiling (0 when up to date). */
  readonly compileMs: number;
}

/** Options of {@link buildModules}. */
export interface BuildModulesOptions {
  /** Project root: asc's base directory. */
  readonly root: string;
  /** Where `<name>.wasm` and `<name>.debug.wasm` go. */
  readonly buildDir: string;
  readonly modules: readonly ModuleSource[];
  /** Files or folders every module depends on (SDK sources, asconfigs): newer ones make every module stale. */
  readonly sharedInputs?: readonly string[];
  /** Rebuild even when outputs are up to date. */
  readonly force?: boolean;
  /** Skip the debug build (faster; watch mode and quick checks). */
  readonly releaseOnly?: boolean;
  /**
   * Watch-mode builds: release only and without Binaryen optimizations (see CompileOptions.fast). Such outputs
   * are marked (`<name>.fast`) so the next normal build replaces them with optimized ones.
   */
  readonly fast?: boolean;
  /** Called before each compile, e.g. to show progress. */
  readonly onCompile?: (module: ModuleSource) => void;
  /**
   * Also build each module's coverage build, `<buildDir>/coverage/<name>.wasm` (unoptimized, with a source map),
   * which the emulator measures in place of `<name>.wasm` when coverage is on. Default false.
   */
  readonly coverage?: boolean;
}

/** Newest modification time of the sources (.ts, .json, .js) under `path`, skipping node_modules, tests and dot folders. */
export function newestSourceMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return /\.(ts|json|js)$/.test(path) ? stat.mtimeMs : 0;
  let newest = 0;
  for (const child of readdirSync(path)) {
    if (child === "node_modules" || child === "test" || child === "build" || child.startsWith(".")) continue;
    newest = Math.max(newest, newestSourceMtime(join(path, child)));
  }
  return newest;
}

/** A lock left by a crashed build is taken over after this long. */
const STALE_LOCK_MS = 180_000;
const LOCK_POLL_MS = 200;

// Several test runs may start at once (each vitest run builds): builds are serialized through a lock directory
// so nobody reads a half-written .wasm; whoever waits then finds the outputs up to date.
async function withBuildLock<T>(buildDir: string, work: () => Promise<T>): Promise<T> {
  const lock = join(buildDir, ".build-lock");
  mkdirSync(buildDir, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* released meanwhile */
      }
      await sleep(LOCK_POLL_MS);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Builds every module of `options.modules` whose outputs are older than its sources (or all with `force`), checks
 * each release output exports what Envoy needs, and returns sizes. Throws BuildError on the first failure.
 */
export function buildModules(options: BuildModulesOptions): Promise<BuiltModule[]> {
  return withBuildLock(options.buildDir, async () => {
    const shared = Math.max(0, ...(options.sharedInputs ?? []).map(newestSourceMtime));
    const results: BuiltModule[] = [];
    for (const module of options.modules) {
      const release = join(options.buildDir, `${module.name}.wasm`);
      const debug = join(options.buildDir, `${module.name}.debug.wasm`);
      const inputsTime = Math.max(shared, newestSourceMtime(module.dir), newestSourceMtime(module.config));
      const fastMarker = join(options.buildDir, `${module.name}.fast`);
      const fresh = (file: string) => existsSync(file) && statSync(file).mtimeMs > inputsTime;
      const upToDate =
        !options.force &&
        fresh(release) &&
        fresh(sourceMapPathFor(release)) &&
        (options.fast || (!existsSync(fastMarker) && (options.releaseOnly || fresh(debug))));
      const started = performance.now();
      if (!upToDate) {
        options.onCompile?.(module);
        const compileOptions = { config: module.config, baseDir: options.root, fast: options.fast };
        await compileModule(module.entry, release, { ...compileOptions, target: "release" });
        if (options.fast)
          writeFileSync(fastMarker, "unoptimized watch-mode build; the next normal build replaces it\n");
        else rmSync(fastMarker, { force: true });
        if (!options.releaseOnly && !options.fast)
          await compileModule(module.entry, debug, { ...compileOptions, target: "debug" });
      }
      const bytes = readFileSync(release);
      requireEnvoyExports(relative(options.root, module.entry), new Uint8Array(bytes));
      requireEnvoyImports(relative(options.root, module.entry), new Uint8Array(bytes));
      const coverage = coverageBuildPath(release);
      const coverageStale =
        options.coverage &&
        (!fresh(coverage) ||
          !fresh(sourceMapPathFor(coverage)) ||
          findCoverageBuild(release, bytes).status !== "found");
      if (coverageStale) {
        // The release settings without Binaryen's optimizations, with the symbols every build keeps beside it.
        options.onCompile?.(module);
        mkdirSync(dirname(coverage), { recursive: true });
        await compileModule(module.entry, coverage, { config: module.config, baseDir: options.root, fast: true });
        markCoverageBuild(coverage, bytes);
      }
      results.push({
        name: module.name,
        entry: relative(options.root, module.entry),
        release,
        debug,
        sourceMap: sourceMapPathFor(release),
        rawBytes: bytes.length,
        gzipBytes: gzipSync(bytes, { level: 9 }).length,
        rebuilt: !upToDate || Boolean(coverageStale),
        compileMs: upToDate && !coverageStale ? 0 : performance.now() - started,
      });
    }
    return results;
  });
}

/** The size table printed after a build: module, release bytes, gzip bytes, status. */
export function formatSizeTable(results: readonly BuiltModule[]): string {
  const rows = [
    ["module", "release bytes", "gzip bytes", "status"],
    ...results.map((r) => [
      r.name,
      String(r.rawBytes),
      String(r.gzipBytes),
      r.rebuilt ? `built in ${(r.compileMs / 1000).toFixed(1)} s` : "up to date",
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const lines: string[] = [];
  for (const [i, row] of rows.entries()) {
    lines.push(
      row
        .map((cell, c) => (c === 0 || c === 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join("  ")
        .trimEnd(),
    );
    if (i === 0) lines.push(widths.map((w) => "-".repeat(w)).join("  "));
  }
  return lines.join("\n");
}
