// HMAC-SHA256 as specified by RFC 2104 (with SHA-256, block size B = 64, output L = 32).
import { Sha256, sha256, SHA256_BLOCK_BYTES } from "./sha256";

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
