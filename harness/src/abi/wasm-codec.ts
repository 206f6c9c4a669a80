// Byte-level reading and writing of Wasm binaries (LEB128, names, value types), shared by the ABI reader
// (wasm-binary.ts) and the emulator's watchdog instrumentation.
import { WasmBinaryError } from "./errors.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Reference types with a heap type immediate: (ref null ht) and (ref ht). */
const REF_NULL = 0x63;
const REF = 0x64;
/** Kinds of an import description. */
const TABLE = 1,
  MEMORY = 2,
  GLOBAL = 3,
  TAG = 4;

/** Sequential reader over a Wasm binary; every read checks the bounds (WasmBinaryError on a truncated binary). */
export class WasmBinaryReader {
  offset: number;
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes;
    this.offset = offset;
  }
  atEnd(): boolean {
    return this.offset >= this.bytes.length;
  }
  byte(): number {
    if (this.offset >= this.bytes.length)
      throw new WasmBinaryError(`unexpected end of the binary at byte ${this.offset}`);
    return this.bytes[this.offset++]!;
  }
  /** An unsigned LEB128 up to 32 bits. */
  u32(): number {
    let result = 0,
      shift = 0,
      b: number;
    do {
      b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  }
  /** Skips any LEB128 (signed or unsigned, any width). */
  skipLeb(): void {
    while (this.byte() & 0x80);
  }
  skip(n: number): void {
    if (this.offset + n > this.bytes.length)
      throw new WasmBinaryError(`unexpected end of the binary at byte ${this.offset}`);
    this.offset += n;
  }
  name(): string {
    const len = this.u32();
    this.skip(len);
    return decoder.decode(this.bytes.subarray(this.offset - len, this.offset));
  }
  skipName(): void {
    this.skip(this.u32());
  }
  /** A value type, including (ref null? heaptype). */
  skipValueType(): void {
    const b = this.byte();
    if (b === REF_NULL || b === REF) this.skipLeb();
  }
  skipValueTypes(): void {
    for (let n = this.u32(); n > 0; n--) this.skipValueType();
  }
  /** Limits of a table or memory: flags, min, and max when flag bit 0 is set. */
  skipLimits(): void {
    const flags = this.byte();
    this.skipLeb();
    if (flags & 1) this.skipLeb();
  }
  /** The description of an import of `kind` (after the kind byte). */
  skipExternType(kind: number): void {
    if (kind === TABLE) {
      this.skipValueType();
      this.skipLimits();
    } else if (kind === MEMORY) {
      this.skipLimits();
    } else if (kind === GLOBAL) {
      this.skipValueType();
      this.byte();
    } else if (kind === TAG) {
      this.byte();
      this.u32();
    } else {
      this.u32(); // function: type index
    }
  }
}

/** Growable byte buffer for building a Wasm binary. */
export class WasmBinaryWriter {
  #buf = new Uint8Array(1024);
  #len = 0;
  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }
  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }
  byte(b: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = b;
  }
  bytes(b: Uint8Array | readonly number[]): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }
  u32(n: number): void {
    this.bytes(encodeU32(n));
  }
  /** A section: id, size, content. */
  section(id: number, content: Uint8Array | readonly number[]): void {
    this.byte(id);
    this.u32(content.length);
    this.bytes(content);
  }
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** Unsigned LEB128 of a 32-bit value. */
export function encodeU32(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** Signed LEB128 of a 32-bit value (an `i32.const` immediate). */
export function encodeS32(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** A Wasm name: length-prefixed UTF-8. */
export function encodeName(s: string): number[] {
  const b = encoder.encode(s);
  return [...encodeU32(b.length), ...b];
}
