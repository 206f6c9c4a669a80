// Byte offsets of an instrumented module → offsets of the module as built, so a trap's Wasm frames (V8 reports
// offsets in the binary it compiled) map through the module's source map. Recorded by the rewriter while it emits
// code: spans copied from the original, and points where it replaced or inserted instructions.
import { lastAtOrBelow } from "../../symbols/index.ts";

/** Maps offsets of an instrumented binary to the original's. Built by the rewriter, read on traps. */
export class OffsetMap {
  // Chunks in ascending output order, as parallel arrays: output start, original start, copied length (0 = a point).
  readonly #out: number[] = [];
  readonly #in: number[] = [];
  readonly #length: number[] = [];

  /** Output bytes [out, out + length) are a copy of original bytes [original, original + length). */
  copy(out: number, original: number, length: number): void {
    if (length > 0) this.#push(out, original, length);
  }

  /**
   * The output bytes from `out` up to the next recorded chunk stand for the original instruction at `original`
   * (a renumbered call, an inserted fuel check that runs before the instruction at `original`).
   */
  point(out: number, original: number): void {
    this.#push(out, original, 0);
  }

  /** Adds every chunk of `other`, shifted by `outBase` and `originalBase`. */
  append(other: OffsetMap, outBase: number, originalBase: number): void {
    for (let i = 0; i < other.#out.length; i++)
      this.#push(other.#out[i]! + outBase, other.#in[i]! + originalBase, other.#length[i]!);
  }

  /**
   * The original offset of output byte `offset`: inside a copied span, the same byte of the original; inside
   * bytes the rewriter added, the original instruction they stand for (unrecorded additions: the next original
   * instruction). Undefined outside the recorded code.
   */
  toOriginal(offset: number): number | undefined {
    const outs = this.#out;
    const found = lastAtOrBelow(outs.length, (i) => outs[i]!, offset);
    if (found < 0) return undefined;
    const length = this.#length[found]!;
    if (length === 0) return this.#in[found]!;
    if (offset < outs[found]! + length) return this.#in[found]! + (offset - outs[found]!);
    return found + 1 < outs.length ? this.#in[found + 1]! : undefined;
  }

  #push(out: number, original: number, length: number): void {
    this.#out.push(out);
    this.#in.push(original);
    this.#length.push(length);
  }
}
