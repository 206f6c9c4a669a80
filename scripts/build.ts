// Builds every AssemblyScript module of the repository with asc's JS API:
//   filters/<name>/index.ts and test/fixtures/<name>/index.ts  →  build/<name>.wasm (release)
//                                                              →  build/<name>.debug.wasm (debug, names + source map)
// Folders without index.ts (e.g. a Go fixture) are skipped. Builds are incremental: a module is rebuilt only
// when a source in its parent folder (filters/ or test/fixtures/), the SDK's sources or an asconfig is newer
// than its outputs. A module folder may hold its own asconfig.json that extends the root one. Release sizes (raw and
// gzip) are printed as a table. Compile errors throw with asc's own diagnostics (file:line:column).
//
// Usage: node scripts/build.ts [name ...] [--force] [--quiet]        (npm run build)
//        import { buildAll } from "./scripts/build.ts"; await buildAll({ only: ["headers"] });
import asc from "assemblyscript/asc";
import { existsSync, readdirSync, statSync, readFileSync, mkdirSync, rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const BUILD_DIR = join(ROOT, "build");
const MODULE_DIRS = ["filters", "test/fixtures"];
const SHARED_INPUTS = [join(ROOT, "sdk"), join(ROOT, "asconfig.json")];

/** Options of buildAll. */
export interface BuildOptions {
  /** Print nothing (errors still throw). Default false. */
  readonly quiet?: boolean;
  /** Build only these module names (folder names). Default: all. */
  readonly only?: readonly string[];
  /** Rebuild even when outputs are up to date. Default false. */
  readonly force?: boolean;
}

/** One built (or up-to-date) module. */
export interface BuiltModule {
  readonly name: string;
  readonly entry: string;
  readonly release: string;
  readonly debug: string;
  readonly rawBytes: number;
  readonly gzipBytes: number;
  /** False when the outputs were already up to date. */
  readonly rebuilt: boolean;
}

/** A failed compilation; `message` contains asc's diagnostics with file:line:column. */
export class BuildError extends Error {
  override name = "BuildError";
}

interface ModuleSource { readonly name: string; readonly dir: string; readonly entry: string }

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
      if (clash) throw new BuildError(`Two modules are both named "${name}" (${clash} and ${relative(ROOT, dir)}); build/${name}.wasm would be ambiguous. Rename one folder.`);
      seen.set(name, relative(ROOT, dir));
      found.push({ name, dir, entry });
    }
  }
  return found;
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  // Sources, configs, and the SDK's build transform (.js).
  if (!stat.isDirectory()) return /\.(ts|json|js)$/.test(path) ? stat.mtimeMs : 0;
  let newest = 0;
  for (const child of readdirSync(path)) {
    if (child === "node_modules" || child === "test" || child.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(join(path, child)));
  }
  return newest;
}

/**
 * Compiles one AssemblyScript entry with `config` (default: the root asconfig.json) and `target` into `outFile`.
 * Throws BuildError carrying asc's diagnostics (with file:line:column) when compilation fails.
 */
export async function compileModule(entry: string, outFile: string, target: "release" | "debug" = "release", config: string = join(ROOT, "asconfig.json")): Promise<void> {
  const args = [relative(ROOT, entry), "--config", relative(ROOT, config), "--target", target, "--outFile", relative(ROOT, outFile)];
  if (target === "debug") args.push("--sourceMap");
  let stderrText = "";
  const { error } = await asc.main(args, {
    stdout: { write: () => true } as never,
    stderr: { write: (chunk: string | Uint8Array) => { stderrText += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString(); return true; } } as never,
    baseDir: ROOT,
  } as never);
  // asc prints warnings (e.g. "Last converge was suboptimal") to stderr even on success; only errors fail.
  if (error) {
    throw new BuildError(`AssemblyScript compile of ${relative(ROOT, entry)} (${target}) failed:\n${stderrText.trim() || error.message}`);
  }
}

const LOCK_DIR = join(BUILD_DIR, ".build-lock");
const STALE_LOCK_MS = 180_000;

// Several test runs may start at once (each vitest run calls buildAll): builds are serialized through a lock
// directory so nobody reads a half-written .wasm; whoever waits then finds the outputs up to date.
async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  mkdirSync(BUILD_DIR, { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      try {
        if (Date.now() - statSync(LOCK_DIR).mtimeMs > STALE_LOCK_MS) rmSync(LOCK_DIR, { recursive: true, force: true });
      } catch { /* released meanwhile */ }
      await sleep(200);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/** Builds (incrementally) every module, or those named in `only`; prints a size table unless quiet. */
export async function buildAll(options: BuildOptions = {}): Promise<BuiltModule[]> {
  return withBuildLock(() => buildUnlocked(options));
}

async function buildUnlocked(options: BuildOptions): Promise<BuiltModule[]> {
  const all = findModules();
  if (options.only) {
    const unknown = options.only.filter((name) => !all.some((m) => m.name === name));
    if (unknown.length) throw new BuildError(`Unknown module(s): ${unknown.join(", ")}. Known: ${all.map((m) => m.name).join(", ")}.`);
  }
  const selected = options.only ? all.filter((m) => options.only!.includes(m.name)) : all;
  mkdirSync(BUILD_DIR, { recursive: true });
  const shared = Math.max(...SHARED_INPUTS.filter(existsSync).map(newestMtime), newestMtime(join(ROOT, "sdk", "asconfig.json")));
  const results: BuiltModule[] = [];
  for (const module of selected) {
    const release = join(BUILD_DIR, `${module.name}.wasm`);
    const debug = join(BUILD_DIR, `${module.name}.debug.wasm`);
    // The whole parent folder counts, since a module may import a sibling (e.g. a runtime variant of a fixture).
    const inputsTime = Math.max(shared, newestMtime(join(module.dir, "..")));
    const upToDate = !options.force && existsSync(release) && existsSync(debug)
      && statSync(release).mtimeMs > inputsTime && statSync(debug).mtimeMs > inputsTime;
    if (!upToDate) {
      // A module may carry its own asconfig.json (extending the root one), e.g. to pick another runtime.
      const ownConfig = join(module.dir, "asconfig.json");
      const config = existsSync(ownConfig) ? ownConfig : join(ROOT, "asconfig.json");
      await compileModule(module.entry, release, "release", config);
      await compileModule(module.entry, debug, "debug", config);
    }
    const bytes = readFileSync(release);
    requireEnvoyExports(module.entry, new Uint8Array(bytes));
    results.push({ name: module.name, entry: relative(ROOT, module.entry), release, debug, rawBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length, rebuilt: !upToDate });
  }
  if (!options.quiet) printTable(results);
  return results;
}

/** Fails the build when a module lacks what Envoy needs to load it (e.g. built without the SDK's asconfig). */
function requireEnvoyExports(entry: string, bytes: Uint8Array<ArrayBuffer>): void {
  const exports = new Set(WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name));
  const missing = ["proxy_abi_version_0_2_1", "malloc", "_initialize"].filter((name) => !exports.has(name));
  if (missing.length) {
    throw new BuildError(`${relative(ROOT, entry)} built without ${missing.join(", ")}, so Envoy would refuse to load it. Build with the shared asconfig (it adds @proxy-wasm-as/sdk/exports as an entry) or add \`export * from "@proxy-wasm-as/sdk/exports";\` to the entry file.`);
  }
}

function printTable(results: readonly BuiltModule[]): void {
  const rows = [["module", "release bytes", "gzip bytes", "status"], ...results.map((r) => [r.name, String(r.rawBytes), String(r.gzipBytes), r.rebuilt ? "built" : "up to date"])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, c) => (c === 0 || c === 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const only = args.filter((a) => !a.startsWith("--"));
  try {
    await buildAll({ quiet: args.includes("--quiet"), force: args.includes("--force"), only: only.length ? only : undefined });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
