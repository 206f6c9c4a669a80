// HMAC-SHA256 as specified by RFC 2104 (with SHA-256, block size B = 64, output L = 32).
import { Sha256, sha256, SHA256_BLOCK_BYTES, SHA256_DIGEST_BYTES } from "./sha256";

const INNER_PAD: u8 = 0x36;
const OUTER_PAD: u8 = 0x5c;

/** Hasher and padded-key scratch reused by every call (one callback runs at a time). */
const hasher = new Sha256();
const paddedKey = new ArrayBuffer(SHA256_BLOCK_BYTES);

/**
 * HMAC-SHA256 of `message` under `key` (32 bytes). Keys longer than 64 bytes are hashed first, as RFC 2104
 * says. Pure computation: callable from any callback or at module start.
 */
export function hmacSha256(key: ArrayBuffer, message: ArrayBuffer): ArrayBuffer {
  const keyBytes = key.byteLength > SHA256_BLOCK_BYTES ? sha256(key) : key;
  const keyPointer = changetype<usize>(keyBytes);
  const padPointer = changetype<usize>(paddedKey);
  const keyLength = keyBytes.byteLength;
  for (let i = 0; i < SHA256_BLOCK_BYTES; i++) {
    const byte: u8 = i < keyLength ? load<u8>(keyPointer + i) : 0;
    store<u8>(padPointer + i, byte ^ INNER_PAD);
  }
  const innerDigest = hasher.reset().update(paddedKey).update(message).digest();
  for (let i = 0; i < SHA256_BLOCK_BYTES; i++) store<u8>(padPointer + i, load<u8>(padPointer + i) ^ INNER_PAD ^ OUTER_PAD);
  return hasher.reset().update(paddedKey).update(innerDigest).digest();
}

/** HMAC-SHA256 with a UTF-8 `key` and UTF-8 `message`. */
export function hmacSha256String(key: string, message: string): ArrayBuffer {
  return hmacSha256(String.UTF8.encode(key), String.UTF8.encode(message));
}

/**
 * HMAC-SHA256 under one key, prepared once: the key's inner and outer padded blocks (RFC 2104 steps 1–3 and 6)
 * are hashed when the object is made, so each MAC then compresses only the message's blocks and the outer
 * digest's block — two compressions fewer than hmacSha256, and no allocation with macInto. Make one per key
 * (e.g. when the configuration is read) and reuse it; not for use by two callbacks at once (Wasm runs one at a time).
 */
export class HmacSha256 {
  private inner: Sha256 = new Sha256();
  private outer: Sha256 = new Sha256();
  private work: Sha256 = new Sha256();
  private innerDigest: ArrayBuffer = new ArrayBuffer(SHA256_DIGEST_BYTES);

  /** Prepares the MAC for `key` (any length; keys over 64 bytes are hashed first, as RFC 2104 says). */
  constructor(key: ArrayBuffer) {
    const keyBytes = key.byteLength > SHA256_BLOCK_BYTES ? sha256(key) : key;
    const pad = new ArrayBuffer(SHA256_BLOCK_BYTES);
    const padPointer = changetype<usize>(pad);
    const keyPointer = changetype<usize>(keyBytes);
    const keyLength = keyBytes.byteLength;
    for (let i = 0; i < SHA256_BLOCK_BYTES; i++) store<u8>(padPointer + i, (i < keyLength ? load<u8>(keyPointer + i) : 0) ^ INNER_PAD);
    this.inner.update(pad);
    for (let i = 0; i < SHA256_BLOCK_BYTES; i++) store<u8>(padPointer + i, load<u8>(padPointer + i) ^ INNER_PAD ^ OUTER_PAD);
    this.outer.update(pad);
    memory.fill(padPointer, 0, SHA256_BLOCK_BYTES); // no copy of the key left behind in scratch memory
  }

  /** The 32-byte MAC of bytes [start, end) of `message` (default: all of it). */
  mac(message: ArrayBuffer, start: i32 = 0, end: i32 = i32.MAX_VALUE): ArrayBuffer {
    const out = new ArrayBuffer(SHA256_DIGEST_BYTES);
    this.macInto(message, start, end, out, 0);
    return out;
  }

  /**
   * Writes the 32-byte MAC of bytes [start, end) of `message` (clamped to it) into `out` at `outOffset`;
   * allocates nothing. An `out` without room for 32 bytes there is a programming error (RangeError).
   */
  macInto(message: ArrayBuffer, start: i32, end: i32, out: ArrayBuffer, outOffset: i32): void {
    const work = this.work;
    work.copyFrom(this.inner).updateRange(message, start, end).digestInto(this.innerDigest);
    work.copyFrom(this.outer).update(this.innerDigest).digestInto(out, outOffset);
  }
}
