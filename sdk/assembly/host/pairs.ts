// Checked layer: the "pairs" wire format of header maps and gRPC metadata, and property paths.
//   u32 count, count × (u32 nameLength, u32 valueLength), count × (name, 0, value, 0)   (all little-endian)

import { decodeUtf8Lossy } from "./utf8";

/** One header (or gRPC metadata entry) as text; invalid UTF-8 bytes read as U+FFFD (use HeaderBytes for exact bytes). */
export class Header {
  constructor(public name: string, public value: string) {}
}

/** One header as raw bytes, for values that may not be valid UTF-8. */
export class HeaderBytes {
  constructor(public name: ArrayBuffer, public value: ArrayBuffer) {}
}

/** Serializes headers into the pairs format. */
export function encodeHeaders(headers: Header[]): ArrayBuffer {
  const count = headers.length;
  let size = 4 + count * 8;
  for (let i = 0; i < count; i++) {
    const h = unchecked(headers[i]);
    size += String.UTF8.byteLength(h.name) + String.UTF8.byteLength(h.value) + 2;
  }
  const buffer = new ArrayBuffer(size);
  const base = changetype<usize>(buffer);
  store<u32>(base, count);
  let data = base + 4 + <usize>count * 8;
  for (let i = 0; i < count; i++) {
    const h = unchecked(headers[i]);
    const nameLength = String.UTF8.encodeUnsafe(changetype<usize>(h.name), h.name.length, data, true) - 1;
    data += nameLength + 1;
    const valueLength = String.UTF8.encodeUnsafe(changetype<usize>(h.value), h.value.length, data, true) - 1;
    data += valueLength + 1;
    store<u32>(base + 4 + <usize>i * 8, <u32>nameLength);
    store<u32>(base + 8 + <usize>i * 8, <u32>valueLength);
  }
  return buffer;
}

/** Serializes byte headers into the pairs format. */
export function encodeHeadersBytes(headers: HeaderBytes[]): ArrayBuffer {
  const count = headers.length;
  let size = 4 + count * 8;
  for (let i = 0; i < count; i++) {
    const h = unchecked(headers[i]);
    size += h.name.byteLength + h.value.byteLength + 2;
  }
  const buffer = new ArrayBuffer(size);
  const base = changetype<usize>(buffer);
  store<u32>(base, count);
  let data = base + 4 + <usize>count * 8;
  for (let i = 0; i < count; i++) {
    const h = unchecked(headers[i]);
    const nameLength = <usize>h.name.byteLength;
    const valueLength = <usize>h.value.byteLength;
    store<u32>(base + 4 + <usize>i * 8, <u32>nameLength);
    store<u32>(base + 8 + <usize>i * 8, <u32>valueLength);
    memory.copy(data, changetype<usize>(h.name), nameLength);
    data += nameLength;
    store<u8>(data++, 0);
    memory.copy(data, changetype<usize>(h.value), valueLength);
    data += valueLength;
    store<u8>(data++, 0);
  }
  return buffer;
}

/**
 * Parses pairs at [ptr, ptr+size) (host memory). Empty input (size < 4) gives []. A malformed buffer is a
 * broken host invariant: parsing stops at the first entry that would overrun and returns what was read.
 */
export function decodeHeaders(ptr: usize, size: usize): Header[] {
  return decodePairs<Header>(ptr, size);
}

/** Byte variant of decodeHeaders. */
export function decodeHeadersBytes(ptr: usize, size: usize): HeaderBytes[] {
  return decodePairs<HeaderBytes>(ptr, size);
}

/** The one bounds-checked walk over the pairs format; T (Header or HeaderBytes) is chosen at compile time. */
function decodePairs<T>(ptr: usize, size: usize): T[] {
  const result = new Array<T>();
  if (size < 4) return result;
  const count = load<u32>(ptr);
  const end = ptr + size;
  let data = ptr + 4 + <usize>count * 8;
  for (let i: u32 = 0; i < count; i++) {
    const nameLength = <usize>load<u32>(ptr + 4 + <usize>i * 8);
    const valueLength = <usize>load<u32>(ptr + 8 + <usize>i * 8);
    if (data + nameLength + valueLength + 2 > end) break;
    const valueAt = data + nameLength + 1;
    if (idof<T>() == idof<Header>()) {
      result.push(changetype<T>(new Header(decodeUtf8Lossy(data, nameLength), decodeUtf8Lossy(valueAt, valueLength))));
    } else {
      result.push(changetype<T>(new HeaderBytes(copyToBuffer(data, nameLength), copyToBuffer(valueAt, valueLength))));
    }
    data = valueAt + valueLength + 1;
  }
  return result;
}

function copyToBuffer(source: usize, length: usize): ArrayBuffer {
  const buffer = new ArrayBuffer(<i32>length);
  memory.copy(changetype<usize>(buffer), source, length);
  return buffer;
}

/** Joins property path segments with NUL, e.g. ["request", "path"] → "request\0path" (UTF-8). */
export function encodePropertyPath(path: string[]): ArrayBuffer {
  let size = 0;
  for (let i = 0; i < path.length; i++) size += String.UTF8.byteLength(unchecked(path[i])) + (i > 0 ? 1 : 0);
  const buffer = new ArrayBuffer(size);
  let data = changetype<usize>(buffer);
  for (let i = 0; i < path.length; i++) {
    if (i > 0) store<u8>(data++, 0);
    const segment = unchecked(path[i]);
    data += String.UTF8.encodeUnsafe(changetype<usize>(segment), segment.length, data);
  }
  return buffer;
}
