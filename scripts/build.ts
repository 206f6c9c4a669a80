// Builds every AssemblyScript module of the repository with the harness's build layer (harness/src/builder):
//   filters/<name>/index.ts and test/fixtures/<name>/index.ts  →  build/<name>.wasm (release)
//                                                              →  build/<name>.wasm.map (its names + source map)
//                                                              →  build/<name>.debug.wasm (debug, names + source map)
// Folders without index.ts (e.g. a Go fixture) are skipped. Builds are incremental: a module is rebuilt only
// when a source in its parent folder (filters/ or test/fixtures/), the SDK's sources or an asconfig is newer
// than its outputs. A module folder may hold its own asconfig.json that extends the root one. Release sizes (raw and
// gzip) are printed as a table. Compile errors throw with asc's own diagnostics (file:line:column).
// Only the repository's layout lives here; compiling, staleness, locking and sizes are the harness's
// (`proxy-wasm-as build` uses the same code for a user's project).
//
// With --coverage, the sample filters also get their coverage builds (build/coverage/<name>.wasm, unoptimized with a
// source map), which the emulator measures in place of build/<name>.wasm when the tests run with coverage.
//
// Usage: node scripts/build.ts [name ...] [--force] [--quiet] [--coverage]        (npm run build)
//        import { buildAll } from "./scripts/build.ts"; await buildAll({ only: ["headers"] });
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BuildError,
  buildModules,
  compileModule as compileWithConfig,
  formatSizeTable,
  type BuiltModule,
  type ModuleSource,
} from "@proxy-wasm-as/harness/build";

export { BuildError, type BuiltModule };

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const BUILD_DIR = join(ROOT, "build");
const MODULE_DIRS = ["filters", "test/fixtures"];
const ROOT_CONFIG = join(ROOT, "asconfig.json");
const SHARED_INPUTS = [join(ROOT, "sdk"), ROOT_CONFIG];

/** Options of buildAll. */
export interface BuildOptions {
  /** Print nothing (errors still throw). Default false. */
  readonly quiet?: boolean;
  /** Build only these module names (folder names). Default: all. */
  readonly only?: readonly string[];
  /** Rebuild even when outputs are up to date. Default false. */
  readonly force?: boolean;
  /**
   * Also build the coverage builds (build/coverage/<name>.wasm, measured by the emulator when coverage is on) of
   * the sample filters. Default false. Two fixtures' are always built (their tests measure them).
   */
  readonly coverage?: boolean;
}

/** Every AssemblyScript module (folder with index.ts) under filters/ and test/fixtures/. */
export function findModules(): ModuleSource[] {
  const found: ModuleSource[] = [];
  const seen = new Map<string, string>();
  for (const parent of MODULE_DIRS) {
    const base = join(ROOT, parent);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const dir = join(base, name);
      const entry = join(dir, "index.ts");
      if (!statSync(dir).isDirectory() || !existsSync(entry)) continue;
      const clash = seen.get(name);
      if (clash)
        throw new BuildError(
          `Two modules are both named "${name}" (${clash} and ${relative(ROOT, dir)}); build/${name}.wasm would be ambiguous. Rename one folder.`,
        );
      seen.set(name, relative(ROOT, dir));
      // A module may carry its own asconfig.json (extending the root one), e.g. to pick another runtime.
      const ownConfig = join(dir, "asconfig.json");
      // The whole parent folder counts as its sources, since a module may import a sibling (e.g. filters/shared).
      found.push({ name, dir: base, entry, config: existsSync(ownConfig) ? ownConfig : ROOT_CONFIG });
    }
  }
  return found;
}

/**
 * Compiles one AssemblyScript entry with `config` (default: the root asconfig.json) and `target` into `outFile`.
 * Throws BuildError carrying asc's diagnostics (with file:line:column) when compilation fails.
 */
export function compileModule(
  entry: string,
  outFile: string,
  target: "release" | "debug" = "release",
  config: string = ROOT_CONFIG,
): Promise<void> {
  return compileWithConfig(entry, outFile, { target, config, baseDir: ROOT });
}

/** Builds (incrementally) every module, or those named in `only`; prints a size table unless quiet. */
export async function buildAll(options: BuildOptions = {}): Promise<BuiltModule[]> {
  const all = findModules();
  if (options.only) {
    const unknown = options.only.filter((name) => !all.some((m) => m.name === name));
    if (unknown.length)
      throw new BuildError(`Unknown module(s): ${unknown.join(", ")}. Known: ${all.map((m) => m.name).join(", ")}.`);
  }
  const modules = options.only ? all.filter((m) => options.only!.includes(m.name)) : all;
  const results = await buildModules({
    root: ROOT,
    buildDir: BUILD_DIR,
    modules,
    sharedInputs: SHARED_INPUTS,
    force: options.force,
  });
  // Coverage builds: a second pass that finds every release up to date and only compiles what coverage measures.
  const measured = modules.filter((m) => COVERAGE_FIXTURES.includes(m.name) || (options.coverage && isFilter(m)));
  if (measured.length) {
    const covered = await buildModules({
      root: ROOT,
      buildDir: BUILD_DIR,
      modules: measured,
      sharedInputs: SHARED_INPUTS,
      force: options.force,
      releaseOnly: true,
      coverage: true,
    });
    for (const c of covered) {
      const i = results.findIndex((r) => r.name === c.name);
      if (c.rebuilt) results[i] = { ...results[i]!, rebuilt: true, compileMs: results[i]!.compileMs + c.compileMs };
    }
  }
  if (!options.quiet) console.log(formatSizeTable(results));
  return results;
}

/**
 * Fixtures whose coverage builds are always built: the one counted by hand (test/unit/coverage-count.test.ts) and
 * the trap probe (test/unit/coverage-traps.test.ts: a trap in a coverage run keeps its source line).
 */
const COVERAGE_FIXTURES = ["coverage-count", "traps"];
const isFilter = (m: ModuleSource) => relative(ROOT, m.dir) === "filters";

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const only = args.filter((a) => !a.startsWith("--"));
  try {
    await buildAll({
      quiet: args.includes("--quiet"),
      force: args.includes("--force"),
      coverage: args.includes("--coverage"),
      only: only.length ? only : undefined,
    });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
