// Instruction boundaries of the Wasm code section: for each opcode, how many immediate bytes follow.
// Covers MVP, sign extension, saturating truncation, bulk memory, reference types, multi-value, tail calls,
// exception handling (legacy and exnref), SIMD (with relaxed SIMD) and threads. The GC and stack-switching
// proposals are not decoded: such modules run without the watchdog (see instrument.ts).
import { HarnessError } from "../../errors.ts";
import type { WasmBinaryReader } from "../../abi/wasm-codec.ts";

/** The module uses an instruction or type the rewriter does not decode. */
export class UnsupportedInstructionError extends HarnessError {
  constructor(message: string) {
    super(message, {
      hint: "run the module with `watchdog: false` in the emulator options (no deadline, no memory ceiling)",
    });
  }
}

const REF_NULL = 0x63;
const REF = 0x64;
const MISC_PREFIX = 0xfc;
const SIMD_PREFIX = 0xfd;
const ATOMIC_PREFIX = 0xfe;
/** Atomic fence (0xfe 0x03) takes one reserved byte instead of a memarg. */
const ATOMIC_FENCE = 0x03;

/** Opcodes with no immediate. */
const NO_IMMEDIATE = new Set([0x00, 0x01, 0x05, 0x0a, 0x0b, 0x0f, 0x19, 0x1a, 0x1b, 0xd1, 0xd3, 0xd4]);
/** Opcodes with one LEB128 immediate (index, label, constant, heap type). */
const ONE_LEB = new Set([
  0x07, 0x08, 0x09, 0x0c, 0x0d, 0x10, 0x12, 0x14, 0x15, 0x18, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x3f, 0x40,
  0x41, 0x42, 0xd0, 0xd2, 0xd5, 0xd6,
]);
/** Opcodes with two LEB128 immediates. */
const TWO_LEB = new Set([0x11, 0x13]);
const BLOCK_STARTS = new Set([0x02, 0x03, 0x04, 0x06]);
const TRY_TABLE = 0x1f;
const BR_TABLE = 0x0e;
const SELECT_TYPED = 0x1c;
const F32_CONST = 0x43;
const F64_CONST = 0x44;
const FIRST_MEMORY_ACCESS = 0x28;
const LAST_MEMORY_ACCESS = 0x3e;
const FIRST_NUMERIC = 0x45;
const LAST_NUMERIC = 0xc4;

/** Immediate count of each 0xfc sub-opcode, by sub-opcode (0–7 saturating truncations take none). */
const MISC_IMMEDIATES: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 2, 1, 2, 1, 1, 1];

/** Skips the immediates of `op` (already read). Throws UnsupportedInstructionError for unknown opcodes. */
export function skipImmediates(r: WasmBinaryReader, op: number): void {
  if (NO_IMMEDIATE.has(op) || (op >= FIRST_NUMERIC && op <= LAST_NUMERIC)) return;
  if (ONE_LEB.has(op)) {
    r.skipLeb();
    return;
  }
  if (TWO_LEB.has(op)) {
    r.skipLeb();
    r.skipLeb();
    return;
  }
  if (op >= FIRST_MEMORY_ACCESS && op <= LAST_MEMORY_ACCESS) {
    skipMemarg(r);
    return;
  }
  if (BLOCK_STARTS.has(op)) {
    skipBlockType(r);
    return;
  }
  switch (op) {
    case BR_TABLE:
      for (let n = r.u32() + 1; n > 0; n--) r.skipLeb();
      return;
    case SELECT_TYPED: {
      r.skipValueTypes();
      return;
    }
    case F32_CONST: {
      r.skip(4);
      return;
    }
    case F64_CONST: {
      r.skip(8);
      return;
    }
    case TRY_TABLE:
      skipBlockType(r);
      for (let n = r.u32(); n > 0; n--) {
        const kind = r.byte();
        if (kind === 0 || kind === 1) r.skipLeb(); // catch / catch_ref carry a tag
        r.skipLeb(); // label
      }
      return;
    case MISC_PREFIX: {
      const sub = r.u32();
      const count = MISC_IMMEDIATES[sub];
      if (count === undefined) throw unsupported(op, sub);
      for (let i = 0; i < count; i++) r.skipLeb();
      return;
    }
    case SIMD_PREFIX: {
      skipSimd(r, r.u32());
      return;
    }
    case ATOMIC_PREFIX: {
      const sub = r.u32();
      if (sub === ATOMIC_FENCE) {
        r.skip(1);
        return;
      }
      skipMemarg(r);
      return;
    }
  }
  throw unsupported(op);
}

function skipBlockType(r: WasmBinaryReader): void {
  const b = r.bytes[r.offset];
  if (b === REF_NULL || b === REF) r.byte();
  r.skipLeb(); // 0x40, a one-byte value type (a negative s33), a heap type, or a type index
}

/** memarg: alignment (bit 6 set ⇒ a memory index follows) and offset. */
function skipMemarg(r: WasmBinaryReader): void {
  const align = r.u32();
  if (align & 0x40) r.skipLeb();
  r.skipLeb();
}

/** SIMD sub-opcodes: 0–11 memarg, 12–13 16 bytes, 21–34 lane, 84–91 memarg + lane, 92–93 memarg, rest none. */
function skipSimd(r: WasmBinaryReader, sub: number): void {
  if (sub <= 11 || sub === 92 || sub === 93) {
    skipMemarg(r);
    return;
  }
  if (sub === 12 || sub === 13) {
    r.skip(16);
    return;
  }
  if (sub >= 21 && sub <= 34) {
    r.skip(1);
    return;
  }
  if (sub >= 84 && sub <= 91) {
    skipMemarg(r);
    r.skip(1);
    return;
  }
}

function unsupported(op: number, sub?: number): UnsupportedInstructionError {
  const name = sub === undefined ? `0x${op.toString(16)}` : `0x${op.toString(16)} ${sub}`;
  return new UnsupportedInstructionError(`instruction ${name} is not decoded by the watchdog instrumentation`);
}
