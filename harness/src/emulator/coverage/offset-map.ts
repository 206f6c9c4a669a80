// Offsets of a rewritten module back to the module it was rewritten from: the coverage pass records each run of
// bytes it copied, so that a position in the instrumented code (a trap's frame) can name the original instruction.

/** Maps an offset of the instrumented module back to the original module. */
export class OffsetMap {
  readonly #outStarts: number[] = [];
  readonly #inStarts: number[] = [];
  readonly #lengths: number[] = [];

  /** @internal Records that `length` bytes at `inStart` were copied to `outStart`. */
  add(outStart: number, inStart: number, length: number): void {
    if (length <= 0) return;
    this.#outStarts.push(outStart);
    this.#inStarts.push(inStart);
    this.#lengths.push(length);
  }

  /**
   * The original offset of the instrumented offset `offset`. Inside code the pass inserted, the offset of the
   * original instruction that follows it. Outside the code section, null.
   */
  originalOffset(offset: number): number | null {
    let lo = 0,
      hi = this.#outStarts.length - 1,
      found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#outStarts[mid]! <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return null;
    const delta = offset - this.#outStarts[found]!;
    if (delta < this.#lengths[found]!) return this.#inStarts[found]! + delta;
    return found + 1 < this.#inStarts.length ? this.#inStarts[found + 1]! : null;
  }
}
