// SHA-256 as specified by FIPS 180-4 (§4.1.2 functions, §4.2.2 constants, §5.3.3 initial hash, §6.2 algorithm).
// Allocation-light: one Sha256 owns its 8-word state and 64-byte block buffer; the 64-word message schedule
// is a single module-level scratch array shared by every instance (Wasm runs one callback at a time).

/** Size in bytes of a SHA-256 digest. */
export const SHA256_DIGEST_BYTES: i32 = 32;
/** Size in bytes of one SHA-256 input block (HMAC's key block size). */
export const SHA256_BLOCK_BYTES: i32 = 64;

// FIPS 180-4 §4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const ROUND_CONSTANTS: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

// FIPS 180-4 §5.3.3: first 32 bits of the fractional parts of the square roots of the first 8 primes.
const INITIAL_HASH: StaticArray<u32> = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/** Message schedule W0..W63, reused by every compression (§6.2.2 step 1). */
const schedule = new StaticArray<u32>(64);

/**
 * Incremental SHA-256. Feed data with update() any number of times, then call digest() once; call reset()
 * to hash another message with the same object. Usable anywhere (no host calls), including at module start.
 */
export class Sha256 {
  private state: StaticArray<u32> = new StaticArray<u32>(8);
  private block: StaticArray<u8> = new StaticArray<u8>(SHA256_BLOCK_BYTES);
  private blockLength: i32 = 0;
  private totalBytes: u64 = 0;

  constructor() { this.reset(); }

  /** Forgets everything hashed so far; the object is ready for a new message. */
  reset(): Sha256 {
    for (let i = 0; i < 8; i++) unchecked(this.state[i] = INITIAL_HASH[i]);
    this.blockLength = 0;
    this.totalBytes = 0;
    return this;
  }

  /** Hashes `data` (appended to whatever was hashed before). */
  update(data: ArrayBuffer): Sha256 {
    return this.updateRaw(changetype<usize>(data), data.byteLength);
  }

  /** Hashes the UTF-8 encoding of `text`. */
  updateString(text: string): Sha256 {
    return this.update(String.UTF8.encode(text));
  }

  /** Hashes bytes [start, end) of `data` (clamped to the buffer), without copying them out first. */
  updateRange(data: ArrayBuffer, start: i32, end: i32): Sha256 {
    const to = min(end, data.byteLength);
    const from = max(0, start);
    return to > from ? this.updateRaw(changetype<usize>(data) + <usize>from, to - from) : this;
  }

  /** Makes this hasher continue from exactly where `other` is (state, buffered bytes and length). */
  copyFrom(other: Sha256): Sha256 {
    memory.copy(changetype<usize>(this.state), changetype<usize>(other.state), 8 << 2);
    memory.copy(changetype<usize>(this.block), changetype<usize>(other.block), <usize>other.blockLength);
    this.blockLength = other.blockLength;
    this.totalBytes = other.totalBytes;
    return this;
  }

  /** Hashes `length` bytes at linear-memory address `pointer` (for callers holding raw memory). */
  updateRaw(pointer: usize, length: i32): Sha256 {
    this.totalBytes += <u64>length;
    let offset = 0;
    while (offset < length) {
      const take = min(SHA256_BLOCK_BYTES - this.blockLength, length - offset);
      memory.copy(changetype<usize>(this.block) + this.blockLength, pointer + offset, take);
      this.blockLength += take;
      offset += take;
      if (this.blockLength == SHA256_BLOCK_BYTES) {
        this.compress();
        this.blockLength = 0;
      }
    }
    return this;
  }

  /** Pads the message (§5.1.1) and returns the 32-byte digest. Call reset() before reusing the object. */
  digest(): ArrayBuffer {
    const out = new ArrayBuffer(SHA256_DIGEST_BYTES);
    this.finish(changetype<usize>(out));
    return out;
  }

  /**
   * Like digest(), but writes the 32 bytes into `out` at `offset` instead of allocating (an `out` too small for
   * them is a programming error: it aborts). Call reset() or copyFrom() before reusing the object.
   */
  digestInto(out: ArrayBuffer, offset: i32 = 0): void {
    if (offset < 0 || offset + SHA256_DIGEST_BYTES > out.byteLength) throw new RangeError("digestInto: output too small");
    this.finish(changetype<usize>(out) + <usize>offset);
  }

  /** Pads the message (§5.1.1) and stores the digest at `out`. */
  private finish(out: usize): void {
    const bitLength = this.totalBytes << 3;
    const block = this.block;
    unchecked(block[this.blockLength++] = 0x80);
    if (this.blockLength > SHA256_BLOCK_BYTES - 8) {
      while (this.blockLength < SHA256_BLOCK_BYTES) unchecked(block[this.blockLength++] = 0);
      this.compress();
      this.blockLength = 0;
    }
    while (this.blockLength < SHA256_BLOCK_BYTES - 8) unchecked(block[this.blockLength++] = 0);
    store<u64>(changetype<usize>(block) + SHA256_BLOCK_BYTES - 8, bswap<u64>(bitLength));
    this.compress();
    this.blockLength = 0;
    for (let i = 0; i < 8; i++) store<u32>(out + (<usize>i << 2), bswap<u32>(unchecked(this.state[i])));
  }

  /**
   * Processes the full 64-byte block in `this.block` (§6.2.2). The 64 rounds run eight per loop pass, each of the
   * eight written out with the working variables' roles rotated, so no round moves eight values around (a round
   * only changes two of them: d += T1 and h = T1 + T2, and the next round calls h "a").
   */
  private compress(): void {
    const w = changetype<usize>(schedule);
    const words = changetype<usize>(this.block);
    for (let t: usize = 0; t < 16; t++) store<u32>(w + (t << 2), bswap<u32>(load<u32>(words + (t << 2))));
    for (let t: usize = 16; t < 64; t++) {
      const w15 = load<u32>(w + ((t - 15) << 2));
      const w2 = load<u32>(w + ((t - 2) << 2));
      const sigma0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
      const sigma1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
      store<u32>(w + (t << 2), sigma1 + load<u32>(w + ((t - 7) << 2)) + sigma0 + load<u32>(w + ((t - 16) << 2)));
    }
    const state = changetype<usize>(this.state);
    let a = load<u32>(state), b = load<u32>(state, 4), c = load<u32>(state, 8), d = load<u32>(state, 12);
    let e = load<u32>(state, 16), f = load<u32>(state, 20), g = load<u32>(state, 24), h = load<u32>(state, 28);
    const k = changetype<usize>(ROUND_CONSTANTS);
    for (let t: usize = 0; t < 64 << 2; t += 8 << 2) {
      let t1: u32;
      t1 = h + bigSigma1(e) + choose(e, f, g) + load<u32>(k + t) + load<u32>(w + t);
      d += t1; h = t1 + bigSigma0(a) + majority(a, b, c);
      t1 = g + bigSigma1(d) + choose(d, e, f) + load<u32>(k + t, 4) + load<u32>(w + t, 4);
      c += t1; g = t1 + bigSigma0(h) + majority(h, a, b);
      t1 = f + bigSigma1(c) + choose(c, d, e) + load<u32>(k + t, 8) + load<u32>(w + t, 8);
      b += t1; f = t1 + bigSigma0(g) + majority(g, h, a);
      t1 = e + bigSigma1(b) + choose(b, c, d) + load<u32>(k + t, 12) + load<u32>(w + t, 12);
      a += t1; e = t1 + bigSigma0(f) + majority(f, g, h);
      t1 = d + bigSigma1(a) + choose(a, b, c) + load<u32>(k + t, 16) + load<u32>(w + t, 16);
      h += t1; d = t1 + bigSigma0(e) + majority(e, f, g);
      t1 = c + bigSigma1(h) + choose(h, a, b) + load<u32>(k + t, 20) + load<u32>(w + t, 20);
      g += t1; c = t1 + bigSigma0(d) + majority(d, e, f);
      t1 = b + bigSigma1(g) + choose(g, h, a) + load<u32>(k + t, 24) + load<u32>(w + t, 24);
      f += t1; b = t1 + bigSigma0(c) + majority(c, d, e);
      t1 = a + bigSigma1(f) + choose(f, g, h) + load<u32>(k + t, 28) + load<u32>(w + t, 28);
      e += t1; a = t1 + bigSigma0(b) + majority(b, c, d);
    }
    store<u32>(state, load<u32>(state) + a); store<u32>(state, load<u32>(state, 4) + b, 4);
    store<u32>(state, load<u32>(state, 8) + c, 8); store<u32>(state, load<u32>(state, 12) + d, 12);
    store<u32>(state, load<u32>(state, 16) + e, 16); store<u32>(state, load<u32>(state, 20) + f, 20);
    store<u32>(state, load<u32>(state, 24) + g, 24); store<u32>(state, load<u32>(state, 28) + h, 28);
  }
}

// FIPS 180-4 §4.1.2 functions.
// @ts-ignore: decorator
@inline function bigSigma0(x: u32): u32 { return rotr<u32>(x, 2) ^ rotr<u32>(x, 13) ^ rotr<u32>(x, 22); }
// @ts-ignore: decorator
@inline function bigSigma1(x: u32): u32 { return rotr<u32>(x, 6) ^ rotr<u32>(x, 11) ^ rotr<u32>(x, 25); }
// @ts-ignore: decorator
@inline function choose(x: u32, y: u32, z: u32): u32 { return z ^ (x & (y ^ z)); }        // = (x ∧ y) ⊕ (¬x ∧ z)
// @ts-ignore: decorator
@inline function majority(x: u32, y: u32, z: u32): u32 { return (x & y) | (z & (x | y)); } // = (x ∧ y) ⊕ (x ∧ z) ⊕ (y ∧ z)

/** Shared hasher behind the one-shot helpers. */
const oneShot = new Sha256();

/** SHA-256 digest (32 bytes) of `data`. */
export function sha256(data: ArrayBuffer): ArrayBuffer {
  return oneShot.reset().update(data).digest();
}

/** SHA-256 digest (32 bytes) of the UTF-8 encoding of `text`. */
export function sha256String(text: string): ArrayBuffer {
  return sha256(String.UTF8.encode(text));
}
