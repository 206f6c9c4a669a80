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

  /** Processes the full 64-byte block in `this.block` (§6.2.2). */
  private compress(): void {
    const words = changetype<usize>(this.block);
    for (let t = 0; t < 16; t++) unchecked(schedule[t] = bswap<u32>(load<u32>(words + (<usize>t << 2))));
    for (let t = 16; t < 64; t++) {
      const w15 = unchecked(schedule[t - 15]);
      const w2 = unchecked(schedule[t - 2]);
      const sigma0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
      const sigma1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
      unchecked(schedule[t] = sigma1 + unchecked(schedule[t - 7]) + sigma0 + unchecked(schedule[t - 16]));
    }
    const state = this.state;
    let a = unchecked(state[0]), b = unchecked(state[1]), c = unchecked(state[2]), d = unchecked(state[3]);
    let e = unchecked(state[4]), f = unchecked(state[5]), g = unchecked(state[6]), h = unchecked(state[7]);
    for (let t = 0; t < 64; t++) {
      const bigSigma1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
      const choose = (e & f) ^ (~e & g);
      const t1 = h + bigSigma1 + choose + unchecked(ROUND_CONSTANTS[t]) + unchecked(schedule[t]);
      const bigSigma0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
      const majority = (a & b) ^ (a & c) ^ (b & c);
      const t2 = bigSigma0 + majority;
      h = g; g = f; f = e; e = d + t1;
      d = c; c = b; b = a; a = t1 + t2;
    }
    unchecked(state[0] += a); unchecked(state[1] += b); unchecked(state[2] += c); unchecked(state[3] += d);
    unchecked(state[4] += e); unchecked(state[5] += f); unchecked(state[6] += g); unchecked(state[7] += h);
  }
}

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
