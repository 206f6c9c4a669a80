// The coverage build of a module: the same sources and asconfig compiled without Binaryen's optimizations, with
// its symbols (the source map and names the build keeps beside every module), so that every line and branch of
// the source keeps its own code. It sits in a `coverage/` folder beside the module it stands for
// (build/coverage/<name>.wasm for build/<name>.wasm), and a stamp beside it records the SHA-256 of that module,
// so that a coverage build left over from older sources is never measured in place of a newer module. (The stamp
// is a file of its own: the coverage build's bytes stay as built, which its map's own hash checks.)
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The folder, beside the modules, that holds their coverage builds. */
export const COVERAGE_BUILD_DIR = "coverage";
/** Suffix of the stamp beside a coverage build: `<name>.wasm.coverage.json`. */
const STAMP_SUFFIX = ".coverage.json";

/** What the stamp says. */
interface CoverageStamp {
  /** SHA-256 (hex) of the module the coverage build stands for. */
  readonly coverageOf: string;
}

/** Where the coverage build of the module at `modulePath` goes: `<dir>/coverage/<file>`. */
export function coverageBuildPath(modulePath: string): string {
  return join(dirname(modulePath), COVERAGE_BUILD_DIR, basename(modulePath));
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Records that the freshly built coverage build at `coveragePath` stands for the module `moduleBytes`. */
export function markCoverageBuild(coveragePath: string, moduleBytes: Uint8Array): void {
  const stamp: CoverageStamp = { coverageOf: sha256(moduleBytes) };
  writeFileSync(`${coveragePath}${STAMP_SUFFIX}`, `${JSON.stringify(stamp)}\n`);
}

/** What {@link findCoverageBuild} found beside a module. */
export type CoverageBuildLookup =
  | { readonly status: "found"; readonly path: string; readonly bytes: Uint8Array }
  | { readonly status: "missing" | "stale"; readonly path: string };

/** The coverage build of the module read from `modulePath` with content `moduleBytes`, if one stands for it. */
export function findCoverageBuild(modulePath: string, moduleBytes: Uint8Array): CoverageBuildLookup {
  const path = coverageBuildPath(modulePath);
  const stampPath = `${path}${STAMP_SUFFIX}`;
  if (!existsSync(path) || !existsSync(stampPath)) return { status: "missing", path };
  try {
    const stamp = JSON.parse(readFileSync(stampPath, "utf8")) as Partial<CoverageStamp>;
    if (stamp.coverageOf === sha256(moduleBytes)) return { status: "found", path, bytes: readFileSync(path) };
  } catch {
    /* an unreadable stamp stands for nothing */
  }
  return { status: "stale", path };
}
