// The coverage build of a module: the same sources and asconfig compiled without Binaryen's optimizations, with a
// source map and the name section, so that every line and branch of the source keeps its own code. It sits in
// a `coverage/` folder beside the module it stands for (build/coverage/<name>.wasm for build/<name>.wasm) and
// carries the SHA-256 of that module in a custom section, so that a coverage build left over from older sources
// is never measured in place of a newer module.
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { encodeName, encodeU32, WasmBinaryReader } from "../../abi/wasm-codec.ts";

/** The folder, beside the modules, that holds their coverage builds. */
export const COVERAGE_BUILD_DIR = "coverage";
/** Custom section naming the module (by SHA-256, hex) a coverage build stands for. */
export const COVERAGE_OF_SECTION = "proxy-wasm-as.coverage-of";
const CUSTOM_SECTION = 0;

/** Where the coverage build of the module at `modulePath` goes: `<dir>/coverage/<file>`. */
export function coverageBuildPath(modulePath: string): string {
  return join(dirname(modulePath), COVERAGE_BUILD_DIR, basename(modulePath));
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Marks the freshly written coverage build at `coveragePath` as standing for `moduleBytes`. */
export function markCoverageBuild(coveragePath: string, moduleBytes: Uint8Array): void {
  const content = encodeName(COVERAGE_OF_SECTION).concat(encodeName(sha256(moduleBytes)));
  appendFileSync(coveragePath, Uint8Array.from([CUSTOM_SECTION, ...encodeU32(content.length), ...content]));
}

/** The SHA-256 a coverage build says it stands for, or null. */
function coverageOf(bytes: Uint8Array): string | null {
  const r = new WasmBinaryReader(bytes, 8);
  let found: string | null = null;
  while (!r.atEnd()) {
    const id = r.byte();
    const end = r.u32() + r.offset;
    if (id === CUSTOM_SECTION && r.name() === COVERAGE_OF_SECTION) found = r.name();
    r.offset = end;
  }
  return found;
}

/** What {@link findCoverageBuild} found beside a module. */
export type CoverageBuildLookup =
  | { readonly status: "found"; readonly path: string; readonly bytes: Uint8Array }
  | { readonly status: "missing" | "stale"; readonly path: string };

/** The coverage build of the module read from `modulePath` with content `moduleBytes`, if one stands for it. */
export function findCoverageBuild(modulePath: string, moduleBytes: Uint8Array): CoverageBuildLookup {
  const path = coverageBuildPath(modulePath);
  if (!existsSync(path)) return { status: "missing", path };
  const bytes = new Uint8Array(readFileSync(path));
  try {
    if (coverageOf(bytes) === sha256(moduleBytes)) return { status: "found", path, bytes };
  } catch {
    /* a truncated or foreign file: not a coverage build of this module */
  }
  return { status: "stale", path };
}
