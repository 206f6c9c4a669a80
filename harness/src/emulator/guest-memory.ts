// The module's linear memory as the host calls see it: bounds-checked reads and writes, and values returned to
// the guest in memory obtained from the guest's own allocator (how Envoy returns every variable-size result).

/**
 * Thrown by {@link GuestMemory} when a pointer/length pair falls outside the linear memory. The host-call
 * wrapper turns it into InvalidMemoryAccess (proxy_*) or EFAULT (WASI), as Envoy does.
 */
export const INVALID_MEMORY_ACCESS = Symbol("invalid memory access");

/** Bounds-checked access to the guest's linear memory. Every method may throw {@link INVALID_MEMORY_ACCESS}. */
export interface GuestMemory {
  /** A copy of `len` bytes at `ptr`. */
  read(ptr: number, len: number): Uint8Array;
  /** `len` bytes at `ptr` decoded as UTF-8. */
  readString(ptr: number, len: number): string;
  /** Checks that [ptr, ptr+len) lies inside the memory. */
  check(ptr: number, len: number): void;
  writeU32(ptr: number, value: number): void;
  writeU64(ptr: number, value: bigint): void;
  /** Writes `data` at `ptr` (checked). */
  write(ptr: number, data: Uint8Array): void;
  /** Fills [ptr, ptr+len) with `value` (checked). */
  fill(ptr: number, len: number, value: number): void;
  /** A live view of [ptr, ptr+len) (checked), for host functions that fill guest memory in place. */
  view(ptr: number, len: number): Uint8Array;
  /** Reads a little-endian u32 at `ptr` (checked). */
  readU32(ptr: number): number;
  /** Copies `data` into guest-allocated memory and writes its pointer and size; empty data ⇒ 0/0. */
  returnBytes(ptrPtr: number, sizePtr: number, data: Uint8Array): void;
  /** Like {@link returnBytes} for a string (UTF-8). */
  returnString(ptrPtr: number, sizePtr: number, value: string): void;
  /** Current size in bytes. */
  readonly byteLength: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Strings up to this length are decoded by hand when ASCII (header names and values): far cheaper than TextDecoder. */
const SHORT_STRING = 64;
/** ASCII strings up to this length are written straight into guest memory without an intermediate copy. */
const SHORT_RETURN = 256;
const ASCII_LIMIT = 0x80;

/** {@link GuestMemory} over a WebAssembly.Memory, allocating with the guest's `malloc`/`proxy_on_memory_allocate`. */
export class LinearMemory implements GuestMemory {
  readonly #memory: WebAssembly.Memory;
  readonly #allocate: (size: number) => number;
  #u8 = new Uint8Array(0);
  #view = new DataView(new ArrayBuffer(0));

  /** `allocate` calls the guest allocator and returns its pointer (0 when it failed). */
  constructor(memory: WebAssembly.Memory, allocate: (size: number) => number) {
    this.#memory = memory;
    this.#allocate = allocate;
  }

  get byteLength(): number {
    return this.#memory.buffer.byteLength;
  }

  #refresh(): void {
    // Growing a Wasm memory detaches the old ArrayBuffer (byteLength becomes 0): only then re-read memory.buffer.
    if (this.#u8.byteLength === 0) {
      this.#u8 = new Uint8Array(this.#memory.buffer);
      this.#view = new DataView(this.#memory.buffer);
    }
  }

  check(ptr: number, len: number): void {
    this.#refresh();
    if (ptr < 0 || len < 0 || ptr + len > this.#u8.length) throw INVALID_MEMORY_ACCESS;
  }

  read(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    return this.#u8.slice(ptr, ptr + len);
  }

  readString(ptr: number, len: number): string {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    const u8 = this.#u8;
    if (len <= SHORT_STRING) {
      let out = "";
      for (let i = ptr; i < ptr + len; i++) {
        const c = u8[i]!;
        if (c >= ASCII_LIMIT) return decoder.decode(u8.subarray(ptr, ptr + len));
        out += String.fromCharCode(c);
      }
      return out;
    }
    return decoder.decode(u8.subarray(ptr, ptr + len));
  }

  readU32(ptr: number): number {
    ptr >>>= 0;
    this.check(ptr, 4);
    return this.#view.getUint32(ptr, true);
  }

  writeU32(ptr: number, value: number): void {
    ptr >>>= 0;
    this.check(ptr, 4);
    this.#view.setUint32(ptr, value >>> 0, true);
  }

  writeU64(ptr: number, value: bigint): void {
    ptr >>>= 0;
    this.check(ptr, 8);
    this.#view.setBigUint64(ptr, BigInt.asUintN(64, value), true);
  }

  write(ptr: number, data: Uint8Array): void {
    ptr >>>= 0;
    this.check(ptr, data.length);
    this.#u8.set(data, ptr);
  }

  fill(ptr: number, len: number, value: number): void {
    this.view(ptr, len).fill(value);
  }

  view(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    return this.#u8.subarray(ptr, ptr + len);
  }

  /** Guest allocation of `size` bytes; a null pointer or one outside the memory ⇒ INVALID_MEMORY_ACCESS. */
  #alloc(size: number): number {
    const ptr = this.#allocate(size) >>> 0;
    if (ptr === 0) throw INVALID_MEMORY_ACCESS;
    this.check(ptr, size); // also refreshes the views: the allocator may have grown the memory
    return ptr;
  }

  returnBytes(ptrPtr: number, sizePtr: number, data: Uint8Array): void {
    if (data.length === 0) {
      this.writeU32(ptrPtr, 0);
      this.writeU32(sizePtr, 0);
      return;
    }
    const ptr = this.#alloc(data.length);
    this.#u8.set(data, ptr);
    this.writeU32(ptrPtr, ptr);
    this.writeU32(sizePtr, data.length);
  }

  returnString(ptrPtr: number, sizePtr: number, value: string): void {
    const n = value.length;
    let ascii = n <= SHORT_RETURN;
    for (let i = 0; ascii && i < n; i++) if (value.charCodeAt(i) >= ASCII_LIMIT) ascii = false;
    if (!ascii || n === 0) {
      this.returnBytes(ptrPtr, sizePtr, encoder.encode(value));
      return;
    }
    const ptr = this.#alloc(n);
    const u8 = this.#u8;
    for (let i = 0; i < n; i++) u8[ptr + i] = value.charCodeAt(i);
    this.writeU32(ptrPtr, ptr);
    this.writeU32(sizePtr, n);
  }
}
