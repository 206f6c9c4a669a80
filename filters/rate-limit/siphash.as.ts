// SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed 64-bit hash, so a client
// who does not know the key cannot choose client keys that land in the same slots. Written here because no
// AssemblyScript package provides it; checked against the paper's test vectors in siphash.test.ts.

/** A SipHash-2-4 key: two little-endian 64-bit words (k0 = bytes 0–7, k1 = bytes 8–15). */
export class SipKey {
  constructor(public readonly k0: u64, public readonly k1: u64) {}
}

// The state lives in globals: one hash at a time, no allocation per call.
let v0: u64 = 0;
let v1: u64 = 0;
let v2: u64 = 0;
let v3: u64 = 0;

// @ts-ignore: decorator
@inline function sipRound(): void {
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
}

/** SipHash-2-4 of the `length` bytes at `pointer` under `key`. */
export function sipHash24(key: SipKey, pointer: usize, length: usize): u64 {
  v0 = key.k0 ^ 0x736f6d6570736575;
  v1 = key.k1 ^ 0x646f72616e646f6d;
  v2 = key.k0 ^ 0x6c7967656e657261;
  v3 = key.k1 ^ 0x7465646279746573;
  const whole = length & ~(<usize>7);
  for (let offset: usize = 0; offset < whole; offset += 8) {
    const m = load<u64>(pointer + offset);
    v3 ^= m;
    sipRound(); sipRound();
    v0 ^= m;
  }
  let last: u64 = (<u64>length & 0xff) << 56;
  for (let i: usize = 0; i < (length & 7); i++) last |= <u64>load<u8>(pointer + whole + i) << (<u64>i * 8);
  v3 ^= last;
  sipRound(); sipRound();
  v0 ^= last;
  v2 ^= 0xff;
  sipRound(); sipRound(); sipRound(); sipRound();
  return v0 ^ v1 ^ v2 ^ v3;
}

/** SipHash-2-4 of a string's UTF-16 code units (2 bytes each, little-endian, as AssemblyScript stores them). */
export function sipHashString(key: SipKey, text: string): u64 {
  return sipHash24(key, changetype<usize>(text), <usize>text.length << 1);
}
