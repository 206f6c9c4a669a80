// A module's source map, as Binaryen writes it for Wasm (generated line 1, column = byte offset in the .wasm
// file), plus the extension field the harness's build adds (function names and source ranges). Decoding is
// @jridgewell/trace-mapping's; this file only picks the segment for a byte offset.
import { decodedMappings, TraceMap, type SourceMapInput } from "@jridgewell/trace-mapping";

/** The extension field of a source map written by the harness's build (`proxy-wasm-as build`, the vitest preset). */
export const SYMBOLS_FIELD = "x_proxy_wasm_as";
/** Version of {@link SymbolsExtension}. */
export const SYMBOLS_VERSION = 1;

/**
 * A function of the program and where it is written: `[internalName, file, startLine, startColumn, endLine,
 * endColumn]` (1-based, as the compiler reports them). Optimized modules inline small functions into their
 * callers; these ranges still name the function a source line belongs to.
 */
export type FunctionRange = readonly [string, string, number, number, number, number];

/** What the harness's build adds to a module's source map. */
export interface SymbolsExtension {
  readonly version: number;
  /** SHA-256 (hex) of the .wasm file the map describes; a map whose module was rebuilt since is not used. */
  readonly wasmSha256: string;
  /** Function names by function index: a release module ships without its name section. */
  readonly functionNames?: Readonly<Record<string, string>>;
  /** Source ranges of the program's functions. */
  readonly functions?: readonly FunctionRange[];
}

/** A source map as JSON (version 3), with the harness's extension when the build wrote it. */
export interface WasmSourceMap {
  readonly version: 3;
  readonly sources: readonly (string | null)[];
  readonly sourcesContent?: readonly (string | null)[];
  readonly names: readonly string[];
  readonly mappings: string;
  readonly sourceRoot?: string;
  readonly file?: string;
  readonly [SYMBOLS_FIELD]?: SymbolsExtension;
}

/** A position in the original source: `file` as the compiler wrote it, 1-based line and column. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/**
 * Index of the last of `length` ascending values (read by `valueAt`) that is at most `target`; -1 when none is.
 * Byte offsets of source maps and of the emulator's offset maps are looked up this way.
 */
export function lastAtOrBelow(length: number, valueAt: (index: number) => number, target: number): number {
  let lo = 0;
  let hi = length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (valueAt(mid) <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Segment fields (see the source map spec): generated column, source index, original line, original column. */
type Segment = readonly number[];

/** Byte offset → original position, for one module's source map. */
export class SourceMapIndex {
  readonly map: WasmSourceMap;
  readonly #segments: readonly Segment[];
  readonly #lines = new Map<number, readonly string[]>();

  constructor(map: WasmSourceMap) {
    this.map = map;
    // Wasm source maps have one generated line whose columns are byte offsets.
    this.#segments = decodedMappings(new TraceMap(map as unknown as SourceMapInput))[0] ?? [];
  }

  /**
   * The source position of the instruction at byte `offset`. Instructions the compiler emitted without a position
   * (the call to `abort` before a throw's `unreachable`, say) take the nearest position before them, but never one
   * before `floor` (the start of the function body).
   */
  positionAt(offset: number, floor = 0): SourcePosition | undefined {
    const segments = this.#segments;
    const found = lastAtOrBelow(segments.length, (i) => segments[i]![0]!, offset);
    for (let i = found; i >= 0 && segments[i]![0]! >= floor; i--) {
      const segment = segments[i]!;
      if (segment.length < 4) continue;
      const file = this.map.sources[segment[1]!];
      if (file == null) return undefined;
      return { file, line: segment[2]! + 1, column: segment[3]! + 1 };
    }
    return undefined;
  }

  /** Line `line` (1-based) of `file` from the map's embedded sources, or undefined. */
  sourceLine(file: string, line: number): string | undefined {
    const index = this.map.sources.indexOf(file);
    let lines = this.#lines.get(index);
    if (!lines) {
      const content = index < 0 ? undefined : this.map.sourcesContent?.[index];
      if (content == null) return undefined;
      lines = content.split(/\r?\n/);
      this.#lines.set(index, lines);
    }
    return lines[line - 1];
  }
}
