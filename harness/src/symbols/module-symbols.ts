// One module's symbols: its function bodies and names (name section, or the names the build kept in the map) and
// its source map, found beside the module. Turns a Wasm frame (byte offset, function index or name) into a
// source frame: `assembly/index.ts:42:7 in MyFilter.onRequestHeaders`.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { SourceFrame, WasmFrame } from "./frames.ts";
import { demangle, displayPath, fileKind, isDispatchStub, splitInternalName, type FrameKind } from "./names.ts";
import {
  SourceMapIndex,
  SYMBOLS_FIELD,
  type FunctionRange,
  type SourcePosition,
  type WasmSourceMap,
} from "./source-map.ts";
import { bodyAt, readWasmLayout, type FunctionBody, type WasmLayout } from "./wasm-layout.ts";

/** Where the symbols of a module come from. */
export interface ModuleSymbolsOptions {
  /** The module's file: its source map is looked for beside it (`<file>.map`) and through its sourceMappingURL. */
  readonly wasmPath?: string;
  /** The source map to use instead (a path, or the parsed map), or false for none. */
  readonly sourceMap?: string | WasmSourceMap | false;
}

/** The sidecar map of a module file: `build/x.wasm` → `build/x.wasm.map`. */
export function sourceMapPathFor(wasmPath: string): string {
  return `${wasmPath}.map`;
}

/** SHA-256 (hex) of a module's bytes, as the build records it in the map. */
export function wasmSha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A module's symbols. Create with {@link ModuleSymbols.fromBytes} or {@link ModuleSymbols.forFile}. */
export class ModuleSymbols {
  readonly layout: WasmLayout;
  /** The module's source map, when one was found and describes this very build. */
  readonly sourceMap: SourceMapIndex | undefined;
  /** Path of the source map in use (undefined when given as an object or when there is none). */
  readonly sourceMapPath: string | undefined;
  /** Why no source map is used (none found, or it describes another build), for a hint; undefined when one is. */
  readonly missingMapReason: string | undefined;
  readonly #names: ReadonlyMap<number, string>;
  readonly #ranges: readonly FunctionRange[];

  private constructor(layout: WasmLayout, found: FoundMap) {
    this.layout = layout;
    this.sourceMap = found.map ? new SourceMapIndex(found.map) : undefined;
    this.sourceMapPath = found.path;
    this.missingMapReason = found.reason;
    const extension = found.map?.[SYMBOLS_FIELD];
    const names = new Map(layout.functionNames);
    for (const [index, name] of Object.entries(extension?.functionNames ?? {})) {
      if (!names.has(Number(index))) names.set(Number(index), name);
    }
    this.#names = names;
    this.#ranges = (extension?.functions ?? []).filter(([name]) => !isDispatchStub(name));
  }

  /** Reads the symbols of `bytes`; reads the map synchronously (traps are reported synchronously). */
  static fromBytes(bytes: Uint8Array, options: ModuleSymbolsOptions = {}): ModuleSymbols {
    const layout = readWasmLayout(bytes);
    return new ModuleSymbols(layout, findSourceMap(bytes, layout, options));
  }

  /** The symbols of the module file at `path` (see {@link cached}). */
  static forFile(path: string, options: Omit<ModuleSymbolsOptions, "wasmPath"> = {}): ModuleSymbols {
    return ModuleSymbols.cached(readFileSync(path), { ...options, wasmPath: path });
  }

  /**
   * {@link fromBytes}, cached per module content, options and map file (its path, size and time), so tests that
   * load the same module many times read its map once.
   */
  static cached(bytes: Uint8Array, options: ModuleSymbolsOptions = {}): ModuleSymbols {
    if (typeof options.sourceMap === "object") return ModuleSymbols.fromBytes(bytes, options);
    const wasmPath = options.wasmPath && resolve(options.wasmPath);
    const mapPath =
      typeof options.sourceMap === "string" ? resolve(options.sourceMap) : wasmPath && sourceMapPathFor(wasmPath);
    const stamp = mapPath && existsSync(mapPath) ? `${statSync(mapPath).mtimeMs}:${statSync(mapPath).size}` : "-";
    const key = [wasmSha256(bytes), wasmPath, options.sourceMap === false ? "off" : mapPath, stamp].join("\0");
    const hit = symbolsCache.get(key);
    if (hit) return hit;
    const symbols = ModuleSymbols.fromBytes(bytes, { ...options, wasmPath });
    if (symbolsCache.size >= SYMBOLS_CACHE_ENTRIES) symbolsCache.delete(symbolsCache.keys().next().value!);
    symbolsCache.set(key, symbols);
    return symbols;
  }

  /** Every function name by index (name section, or the names the build kept in the map). */
  get functionNames(): ReadonlyMap<number, string> {
    return this.#names;
  }

  /** The internal name of function `index` (name section, or the names the build kept in the map). */
  functionName(index: number): string | undefined {
    return this.#names.get(index);
  }

  /** The defined function whose body holds byte `offset`. */
  functionAt(offset: number): FunctionBody | undefined {
    return bodyAt(this.layout.bodies, offset);
  }

  /** The source position of the instruction at byte `offset`, when the source map has it. */
  position(offset: number): SourcePosition | undefined {
    return this.sourceMap?.positionAt(offset, this.functionAt(offset)?.start ?? 0);
  }

  /** The internal name of the innermost function whose source holds `position` (from the build's ranges). */
  enclosingFunction(position: SourcePosition): string | undefined {
    let best: FunctionRange | undefined;
    for (const range of this.#ranges) {
      const [, file, startLine, startColumn, endLine, endColumn] = range;
      if (file !== position.file || !within(position, startLine, startColumn, endLine, endColumn)) continue;
      if (!best || within({ line: startLine, column: startColumn }, best[2], best[3], best[4], best[5])) best = range;
    }
    return best?.[0];
  }

  /** `raw` in source terms (see {@link SourceFrame}). */
  frame(raw: WasmFrame): SourceFrame {
    const body = this.functionAt(raw.offset);
    const functionIndex = raw.functionIndex ?? body?.index;
    const wasmFunction =
      (functionIndex === undefined ? undefined : this.functionName(functionIndex)) ?? raw.functionName;
    const position = this.position(raw.offset);
    const logical = position && this.enclosingFunction(position);
    const name = logical ?? wasmFunction;
    return {
      offset: raw.offset,
      functionIndex,
      wasmFunction,
      function: name ? demangle(name) : `wasm-function[${functionIndex ?? "?"}]`,
      file: position && displayPath(position.file),
      line: position?.line,
      column: position?.column,
      kind: position ? fileKind(position.file) : kindOfName(wasmFunction),
      sourceLine: position && this.sourceMap?.sourceLine(position.file, position.line),
    };
  }

  /**
   * Every frame of `raw` in source terms, innermost first. The SDK's abort handler, which traps itself after logging
   * (so that a direct `abort()` call stops the module too), is left out: the frame to tell is the one that threw.
   */
  frames(raw: readonly WasmFrame[]): SourceFrame[] {
    const frames = raw.map((f) => this.frame(f));
    return frames.length > 1 && isSdkAbortHandler(frames[0]!) ? frames.slice(1) : frames;
  }
}

/** The SDK's abort handler (sdk/assembly/dispatch/abort.ts), which every throw, failed assert and abort() calls. */
const SDK_ABORT_HANDLER = "proxy_wasm_as_abort";

function isSdkAbortHandler(frame: SourceFrame): boolean {
  return frame.kind === "sdk" && frame.function === SDK_ABORT_HANDLER;
}

function within(
  p: { line: number; column: number },
  startLine: number,
  startColumn: number,
  endLine: number,
  endColumn: number,
): boolean {
  const afterStart = p.line > startLine || (p.line === startLine && p.column >= startColumn);
  const beforeEnd = p.line < endLine || (p.line === endLine && p.column <= endColumn);
  return afterStart && beforeEnd;
}

function kindOfName(name: string | undefined): FrameKind {
  if (name === undefined) return "unknown";
  const file = splitInternalName(name).file;
  return file === undefined ? "unknown" : fileKind(`${file}.ts`);
}

/** Symbols by module content, options and map file; bounded, oldest evicted first. */
const symbolsCache = new Map<string, ModuleSymbols>();
const SYMBOLS_CACHE_ENTRIES = 32;

interface FoundMap {
  readonly map?: WasmSourceMap;
  readonly path?: string;
  readonly reason?: string;
}

/** The module's source map: the explicit one, else `<wasmPath>.map`, else its sourceMappingURL beside it. */
function findSourceMap(bytes: Uint8Array, layout: WasmLayout, options: ModuleSymbolsOptions): FoundMap {
  if (options.sourceMap === false) return { reason: "source maps are turned off for this module" };
  if (typeof options.sourceMap === "object") return checked(bytes, options.sourceMap, undefined);
  const candidates: string[] = [];
  if (typeof options.sourceMap === "string") candidates.push(resolve(options.sourceMap));
  else if (options.wasmPath) {
    candidates.push(sourceMapPathFor(resolve(options.wasmPath)));
    const url = layout.sourceMappingUrl;
    if (url && !/^[a-z]+:/i.test(url)) candidates.push(join(dirname(resolve(options.wasmPath)), url));
  }
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    let map: WasmSourceMap;
    try {
      map = JSON.parse(readFileSync(path, "utf8")) as WasmSourceMap;
    } catch (e) {
      return { reason: `${shown(path)} is not a readable source map (${(e as Error).message})` };
    }
    return checked(bytes, map, path);
  }
  if (!options.wasmPath && typeof options.sourceMap !== "string")
    return { reason: "the module was given as bytes, so no source map was looked for beside it" };
  return { reason: `no source map found (looked for ${candidates.map(shown).join(", ")})` };
}

function checked(bytes: Uint8Array, map: WasmSourceMap, path: string | undefined): FoundMap {
  const recorded = map[SYMBOLS_FIELD]?.wasmSha256;
  if (recorded && recorded !== wasmSha256(bytes)) {
    return { reason: `${path ? shown(path) : "the source map"} was written for another build of this module` };
  }
  return { map, path };
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}
