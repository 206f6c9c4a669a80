// What a module says about its own source: its source map (found through the `sourceMappingURL` custom section,
// or given) and its function names (the `name` section), demangled from AssemblyScript's internal names.
// Kept in this one file so that it can join harness/src/symbols/ (trap frames) without touching the coverage pass.
//
// Decoding the map is @jridgewell/trace-mapping's job. What is ours: Binaryen writes one generated line whose
// columns are byte offsets in the .wasm file, and a segment at every change of location (a one-field segment
// where an instruction has none), so the segment at or before an instruction's offset is that instruction's
// location, as long as the search stays inside the instruction's function (a function without locations would
// otherwise inherit the last one of the function before it).
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  decodedMappings,
  TraceMap,
  traceSegment,
  type SourceMapInput,
  type SourceMapSegment,
} from "@jridgewell/trace-mapping";
import { WasmBinaryReader } from "../../abi/wasm-codec.ts";

const CUSTOM_SECTION = 0;
const NAME_SECTION = "name";
const SOURCE_MAPPING_URL_SECTION = "sourceMappingURL";
const FUNCTION_NAMES_SUBSECTION = 1;
/** The generated line of a Binaryen source map (0-based): the whole module is one line of byte offsets. */
const WASM_LINE = 0;

/** A position in a source file: 1-based line, 0-based column (as lcov and istanbul count). */
export interface SourcePosition {
  /** Index into {@link ModuleSourceMap.sources}. */
  readonly source: number;
  readonly line: number;
  readonly column: number;
}

/** A module's source map, queried by byte offset in the module. */
export class ModuleSourceMap {
  /** Source paths as the compiler wrote them: relative to the project it was built in, `~lib/…` for libraries. */
  readonly sources: readonly string[];
  /** The sources' text, when the map embeds it (asc always does). */
  readonly sourcesContent: readonly (string | null)[];
  readonly #map: TraceMap;
  /** Offsets of the segments that carry a location, ascending. */
  readonly #located: readonly number[];

  constructor(map: SourceMapInput) {
    this.#map = new TraceMap(map);
    const raw = (typeof map === "string" ? JSON.parse(map) : map) as { sources?: (string | null)[] };
    // The raw paths: asc sets sourceRoot to "./<module name>" for browser devtools, which is not a folder.
    this.sources = (raw.sources ?? []).map((s) => s ?? "");
    this.sourcesContent = this.sources.map((_, i) => this.#map.sourcesContent?.[i] ?? null);
    const line = decodedMappings(this.#map)[WASM_LINE] ?? [];
    this.#located = line.filter((segment) => segment.length >= 4).map((segment) => segment[0]);
  }

  /** The location of the instruction at `offset`, searching no further back than `functionStart`; null if none. */
  positionAt(offset: number, functionStart: number): SourcePosition | null {
    const segment = traceSegment(this.#map, WASM_LINE, offset);
    if (!segment || segment[0] < functionStart) return null;
    return positionOf(segment);
  }

  /**
   * The location of the instruction at `offset`, or else of the nearest instruction before it in the same
   * function that has one (Binaryen leaves some compiler-made conditionals, such as a loop's, without a location
   * of their own; their condition, just before them, has it).
   */
  positionAtOrBefore(offset: number, functionStart: number): SourcePosition | null {
    for (let at = offset; at >= functionStart; ) {
      const segment = traceSegment(this.#map, WASM_LINE, at);
      if (!segment || segment[0] < functionStart) return null;
      const position = positionOf(segment);
      if (position) return position;
      at = segment[0] - 1;
    }
    return null;
  }

  /** True when some located segment in [start, end) belongs to a source for which `accept` is true. */
  hasLocationIn(start: number, end: number, accept: (source: number) => boolean): boolean {
    for (let i = lowerBound(this.#located, start); i < this.#located.length && this.#located[i]! < end; i++) {
      const position = this.positionAt(this.#located[i]!, start);
      if (position && accept(position.source)) return true;
    }
    return false;
  }
}

/** The source position of a segment, or null for a one-field segment (an instruction without a location). */
function positionOf(segment: Readonly<SourceMapSegment>): SourcePosition | null {
  if (segment.length < 4) return null;
  const [, source, line, column] = segment as readonly [number, number, number, number];
  return { source, line: line + 1, column };
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0,
    hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Each custom section of `bytes` with its name and content span. */
function customSections(bytes: Uint8Array): Array<{ name: string; start: number; end: number }> {
  const found: Array<{ name: string; start: number; end: number }> = [];
  const r = new WasmBinaryReader(bytes, 8);
  while (!r.atEnd()) {
    const id = r.byte();
    const size = r.u32();
    const end = r.offset + size;
    if (id === CUSTOM_SECTION) {
      const name = r.name();
      found.push({ name, start: r.offset, end });
    }
    r.offset = end;
  }
  return found;
}

/** The URL in the module's `sourceMappingURL` section (what `asc --sourceMap` writes), or null. */
export function sourceMappingUrl(bytes: Uint8Array): string | null {
  const section = customSections(bytes).find((s) => s.name === SOURCE_MAPPING_URL_SECTION);
  if (!section) return null;
  return new WasmBinaryReader(bytes.subarray(0, section.end), section.start).name();
}

/**
 * Loads the source map of a module read from `modulePath` (its `sourceMappingURL`, relative to the module), or
 * null when the module names none or the file is missing. A data: URL is decoded in place.
 */
export function loadSourceMap(bytes: Uint8Array, modulePath: string | undefined): ModuleSourceMap | null {
  const url = sourceMappingUrl(bytes);
  if (!url) return null;
  const dataUrl = /^data:application\/json(?:;charset=[\w-]+)?;base64,(.*)$/.exec(url);
  if (dataUrl) return new ModuleSourceMap(Buffer.from(dataUrl[1]!, "base64").toString("utf8"));
  let path: string;
  if (url.startsWith("file:")) path = fileURLToPath(url);
  else if (isAbsolute(url)) path = url;
  else if (modulePath) path = resolve(dirname(modulePath), url);
  else return null;
  if (!existsSync(path)) return null;
  return new ModuleSourceMap(readFileSync(path, "utf8"));
}

/** Function names by function index, from the module's `name` section (empty when it has none). */
export function functionNames(bytes: Uint8Array): Map<number, string> {
  const names = new Map<number, string>();
  const section = customSections(bytes).find((s) => s.name === NAME_SECTION);
  if (!section) return names;
  const r = new WasmBinaryReader(bytes.subarray(0, section.end), section.start);
  while (!r.atEnd()) {
    const id = r.byte();
    const end = r.u32() + r.offset;
    if (id === FUNCTION_NAMES_SUBSECTION) {
      for (let n = r.u32(); n > 0; n--) {
        const index = r.u32();
        names.set(index, r.name());
      }
    }
    r.offset = end;
  }
  return names;
}

/** A path prefix in an AssemblyScript internal name: `assembly/index/`, `~lib/string/`. */
const PATH_PREFIX = /[^<>#,|()\s]*\//g;

/**
 * A readable name for an AssemblyScript internal function name: paths dropped, `#` (instance member) shown as
 * `.`, accessors as V8 shows them. `assembly/index/MyFilter#onRequestHeaders` → `MyFilter.onRequestHeaders`,
 * `~lib/array/Array<~lib/string/String>#push` → `Array<String>.push`, `assembly/index/Root#get:limit` →
 * `Root.get limit`. Names from other compilers come back unchanged apart from the path rule.
 */
export function demangle(name: string): string {
  return name
    .replace(PATH_PREFIX, "")
    .replace(/#(get|set):/g, ".$1 ")
    .replace(/#/g, ".");
}

/**
 * The project folder a source map's paths are relative to: the nearest folder at or above `from` where the
 * map's first non-library source exists; `fallback` when none does.
 */
export function sourceRootFor(map: ModuleSourceMap, from: string, fallback: string): string {
  const probe = map.sources.find((s) => s && !s.startsWith("~lib/"));
  if (!probe) return fallback;
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, probe))) return dir;
    if (dirname(dir) === dir) return fallback;
  }
}
