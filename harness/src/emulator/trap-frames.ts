// Source frames of the emulator's traps and limits: the Wasm frames of V8's stack (offsets in the binary the
// emulator compiled, which the watchdog instrumented) mapped back to the module as built, then through its
// source map (harness/src/symbols). The map is read on the first trap, not at load.
import { ModuleSymbols, wasmFramesInStack, type WasmFrame, type WasmSourceMap } from "../symbols/index.ts";
import type { TrapFrames } from "./errors.ts";
import type { OffsetMap } from "./watchdog/offset-map.ts";

/** Offsets of a rewritten binary back to the module it was rewritten from (an {@link OffsetMap}). */
export type OffsetMapping = Pick<OffsetMap, "toOriginal">;

/** The offsets of a binary rewritten twice (`outer` applied last) back to the module of `inner`. */
export function chainOffsets(outer?: OffsetMapping, inner?: OffsetMapping): OffsetMapping | undefined {
  if (!outer || !inner) return outer ?? inner;
  return {
    toOriginal: (offset) => {
      const between = outer.toOriginal(offset);
      return between === undefined ? undefined : inner.toOriginal(between);
    },
  };
}

/** Where the emulator finds a module's symbols. */
export interface TrapSymbolsSource {
  /** The module as built (before instrumentation). */
  readonly bytes: Uint8Array;
  /** Offsets of the compiled binary → offsets of `bytes` (undefined when the module runs unchanged). */
  readonly offsets: OffsetMapping | undefined;
  /** The module's file, when it was loaded from one: its map is looked for beside it. */
  readonly wasmPath: string | undefined;
  /** An explicit map (path or parsed), or false for none. */
  readonly sourceMap: string | WasmSourceMap | false | undefined;
}

/** Turns V8 stacks of one module's traps into source frames. */
export class TrapSymbolicator {
  readonly #source: TrapSymbolsSource;
  #symbols: ModuleSymbols | undefined;

  constructor(source: TrapSymbolsSource) {
    this.#source = source;
  }

  /** The module's frames in `stack` (a trap's or a limit's), innermost first, with source lines where the map has them. */
  frames(stack: string | undefined): TrapFrames {
    const raw = wasmFramesInStack(stack);
    if (raw.length === 0) return { frames: [] };
    let symbols: ModuleSymbols;
    try {
      symbols = this.#load();
    } catch (e) {
      return { frames: [], note: `the module's symbols could not be read: ${(e as Error).message}` };
    }
    const offsets = this.#source.offsets;
    const original: WasmFrame[] = [];
    for (const frame of raw) {
      const offset = offsets ? offsets.toOriginal(frame.offset) : frame.offset;
      if (offset !== undefined) original.push({ offset });
    }
    return { frames: symbols.frames(original), note: symbols.missingMapReason };
  }

  #load(): ModuleSymbols {
    const { bytes, wasmPath, sourceMap } = this.#source;
    this.#symbols ??= ModuleSymbols.cached(bytes, { wasmPath, sourceMap });
    return this.#symbols;
  }
}
