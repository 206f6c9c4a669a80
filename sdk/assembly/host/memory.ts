// Checked layer: memory plumbing between the host and the SDK.
// - guestMalloc: the allocator the host calls (exported as `malloc`). Raw TLSF blocks, never GC-managed,
//   so the GC can neither move nor free them while the host writes; the wrapper that receives the block
//   copies/decodes it and frees it at once (takeString/takeBytes). Never collects, never calls the host.
// - Out-parameter slots live in static memory, not in GC objects.
// - Scratch buffers: keys and values are UTF-8 encoded into two reusable blocks, so hot calls
//   (reading or setting one header) allocate nothing but their result.

import { decodeUtf8Lossy } from "./utf8";

/** Static out-parameter slots: [0] data pointer or u32 value, [4] size, [8] u64 value / cas. */
export const OUT_PTR: usize = memory.data(16, 8);
export const OUT_SIZE: usize = OUT_PTR + 4;
export const OUT_U64: usize = OUT_PTR + 8;

/** Allocates `size` bytes for the host. Called re-entrantly from inside host calls. */
export function guestMalloc(size: usize): usize {
  return heap.alloc(size == 0 ? 1 : size);
}

/** Clears the out slots before a host call (the host writes nothing on errors or empty results). */
// @ts-ignore: decorator
@inline export function resetOut(): void {
  store<u64>(OUT_PTR, 0);
}

/**
 * Decodes the host-allocated UTF-8 block named by the out slots and frees it ("" when empty). Invalid UTF-8
 * becomes U+FFFD (decodeUtf8Lossy): visible, never silently dropped; use takeBytes for the exact bytes.
 */
export function takeString(): string {
  const ptr = load<usize>(OUT_PTR);
  const size = load<u32>(OUT_SIZE);
  if (ptr == 0) return "";
  const text = decodeUtf8Lossy(ptr, size);
  heap.free(ptr);
  return text;
}

/** Copies the host-allocated block named by the out slots into a new ArrayBuffer and frees it. */
export function takeBytes(): ArrayBuffer {
  const ptr = load<usize>(OUT_PTR);
  const size = load<u32>(OUT_SIZE);
  const bytes = new ArrayBuffer(<i32>size);
  if (ptr != 0) {
    if (size != 0) memory.copy(changetype<usize>(bytes), ptr, size);
    heap.free(ptr);
  }
  return bytes;
}

/** Frees the host-allocated block named by the out slots without reading it. */
export function dropOut(): void {
  const ptr = load<usize>(OUT_PTR);
  if (ptr != 0) heap.free(ptr);
}

let keyBlock: usize = 0;
let keyCapacity: usize = 0;
let valueBlock: usize = 0;
let valueCapacity: usize = 0;
/** Byte length of the last encodeKey result. */
export let keyLength: usize = 0;
/** Byte length of the last encodeValue result. */
export let valueLength: usize = 0;

/** UTF-8 encodes `text` into the reusable key block; returns its address (length in keyLength). */
export function encodeKey(text: string): usize {
  const worst = <usize>text.length * 3;
  if (worst > keyCapacity) {
    if (keyBlock != 0) heap.free(keyBlock);
    keyCapacity = worst < 64 ? 64 : worst;
    keyBlock = heap.alloc(keyCapacity);
  }
  keyLength = String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, keyBlock);
  return keyBlock;
}

/** UTF-8 encodes `text` into the reusable value block; returns its address (length in valueLength). */
export function encodeValue(text: string): usize {
  const worst = <usize>text.length * 3;
  if (worst > valueCapacity) {
    if (valueBlock != 0) heap.free(valueBlock);
    valueCapacity = worst < 256 ? 256 : worst;
    valueBlock = heap.alloc(valueCapacity);
  }
  valueLength = String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, valueBlock);
  return valueBlock;
}
