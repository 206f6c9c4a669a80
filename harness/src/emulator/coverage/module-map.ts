// Exact source positions of a module's instructions, for coverage. Finding and reading the map (and the function
// names) is harness/src/symbols's job (ModuleSymbols); this adds what coverage needs on top of it:
//   - an instruction's OWN location: Binaryen writes one generated line whose columns are byte offsets in the
//     .wasm file, with a segment at every change of location and a one-field segment where an instruction has
//     none. Such an instruction (compiler-made code) belongs to no line here, where a trap frame rightly takes
//     the location before it. The search never goes back past the instruction's function;
//   - whether a function has code of a given source (only those get counters);
//   - the folder the map's source paths are relative to.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { decodedMappings, TraceMap, type SourceMapInput } from "@jridgewell/trace-mapping";
import { lastAtOrBelow, type WasmSourceMap } from "../../symbols/index.ts";

/** Segment fields: generated column (byte offset), source index, line (0-based), column (0-based). */
type Segment = readonly number[];

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
  readonly #segments: readonly Segment[];
  /** Offsets of the segments that carry a location, ascending. */
  readonly #located: readonly number[];

  constructor(map: WasmSourceMap) {
    this.sources = map.sources.map((s) => s ?? "");
    this.sourcesContent = this.sources.map((_, i) => map.sourcesContent?.[i] ?? null);
    this.#segments = decodedMappings(new TraceMap(map as unknown as SourceMapInput))[0] ?? [];
    this.#located = this.#segments.filter((segment) => segment.length >= 4).map((segment) => segment[0]!);
  }

  /** The location of the instruction at `offset`, searching no further back than `functionStart`; null if none. */
  positionAt(offset: number, functionStart: number): SourcePosition | null {
    const found = lastAtOrBelow(this.#segments.length, (i) => this.#segments[i]![0]!, offset);
    const segment = this.#segments[found];
    return segment && segment[0]! >= functionStart ? positionOf(segment) : null;
  }

  /**
   * The location of the instruction at `offset`, or else of the nearest instruction before it in the same
   * function that has one (Binaryen leaves some compiler-made conditionals, such as a loop's, without a location
   * of their own; their condition, just before them, has it).
   */
  positionAtOrBefore(offset: number, functionStart: number): SourcePosition | null {
    for (let i = lastAtOrBelow(this.#segments.length, (j) => this.#segments[j]![0]!, offset); i >= 0; i--) {
      const segment = this.#segments[i]!;
      if (segment[0]! < functionStart) return null;
      const position = positionOf(segment);
      if (position) return position;
    }
    return null;
  }

  /** True when some located segment in [start, end) belongs to a source for which `accept` is true. */
  hasLocationIn(start: number, end: number, accept: (source: number) => boolean): boolean {
    const located = this.#located;
    for (let i = lastAtOrBelow(located.length, (j) => located[j]!, start - 1) + 1; i < located.length; i++) {
      if (located[i]! >= end) return false;
      const position = this.positionAt(located[i]!, start);
      if (position && accept(position.source)) return true;
    }
    return false;
  }
}

/** The source position of a segment, or null for a one-field segment (an instruction without a location). */
function positionOf(segment: Segment): SourcePosition | null {
  if (segment.length < 4) return null;
  return { source: segment[1]!, line: segment[2]! + 1, column: segment[3]! };
}

/**
 * The project folder the map's source paths are relative to: its `sourceRoot` (the harness's build writes the
 * path from the map to the project) when the map's first project source is there; else the nearest folder at or
 * above the map where it is (asc's own sourceRoot is not a folder); else `fallback`.
 */
export function projectRootOf(
  map: ModuleSourceMap,
  sourceRoot: string | undefined,
  mapPath: string | undefined,
  fallback: string,
): string {
  const probe = map.sources.find((s) => s && !s.startsWith("~lib/"));
  if (!probe || !mapPath) return fallback;
  const declared = sourceRoot ? resolve(dirname(mapPath), sourceRoot) : undefined;
  if (declared && existsSync(join(declared, probe))) return declared;
  for (let dir = dirname(resolve(mapPath)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, probe))) return dir;
    if (dirname(dir) === dir) return fallback;
  }
}
