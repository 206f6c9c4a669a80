// The global index space after the coverage pass: its counters are imported globals, and imported globals come
// before the module's own, so every global index at or above the module's imported-global count moves up by the
// number of counters. This file renumbers them outside the code section: constant expressions (global and element
// initializers, data offsets), global exports and global names. `shift` maps an old index to the new one.
import { WasmBinaryReader, WasmBinaryWriter } from "../../abi/wasm-codec.ts";
import { skipImmediates } from "../watchdog/instructions.ts";

const GLOBAL_GET = 0x23;
const END = 0x0b;
const GLOBAL_KIND = 3;
const GLOBAL_NAMES_SUBSECTION = 7;

/** Copies a constant expression up to and including its `end`, renumbering global.get. */
export function copyConstExpr(r: WasmBinaryReader, out: WasmBinaryWriter, shift: (i: number) => number): void {
  for (;;) {
    const start = r.offset;
    const op = r.byte();
    if (op === GLOBAL_GET) {
      out.byte(op);
      out.u32(shift(r.u32()));
      continue;
    }
    skipImmediates(r, op);
    out.bytes(r.bytes.subarray(start, r.offset));
    if (op === END) return;
  }
}

export function rewriteGlobals(content: Uint8Array, shift: (i: number) => number): Uint8Array {
  const r = new WasmBinaryReader(content);
  const out = new WasmBinaryWriter();
  const count = r.u32();
  out.u32(count);
  for (let i = 0; i < count; i++) {
    const start = r.offset;
    r.skipValueType();
    r.byte(); // mutability
    out.bytes(content.subarray(start, r.offset));
    copyConstExpr(r, out, shift);
  }
  return out.finish();
}

export function rewriteExports(content: Uint8Array, shift: (i: number) => number): Uint8Array {
  const r = new WasmBinaryReader(content);
  const out = new WasmBinaryWriter();
  const count = r.u32();
  out.u32(count);
  for (let i = 0; i < count; i++) {
    const start = r.offset;
    r.skipName();
    const kind = r.byte();
    out.bytes(content.subarray(start, r.offset));
    const index = r.u32();
    out.u32(kind === GLOBAL_KIND ? shift(index) : index);
  }
  return out.finish();
}

export function rewriteElements(content: Uint8Array, shift: (i: number) => number): Uint8Array {
  const r = new WasmBinaryReader(content);
  const out = new WasmBinaryWriter();
  const count = r.u32();
  out.u32(count);
  for (let i = 0; i < count; i++) {
    const flags = r.u32();
    out.u32(flags);
    const passiveOrDeclarative = (flags & 1) !== 0;
    const explicitTable = (flags & 2) !== 0;
    const usesExpressions = (flags & 4) !== 0;
    if (explicitTable && !passiveOrDeclarative) out.u32(r.u32());
    if (!passiveOrDeclarative) copyConstExpr(r, out, shift);
    if (passiveOrDeclarative || explicitTable) {
      const start = r.offset;
      if (usesExpressions) r.skipValueType();
      else r.byte(); // elemkind
      out.bytes(content.subarray(start, r.offset));
    }
    const items = r.u32();
    out.u32(items);
    for (let j = 0; j < items; j++) {
      if (usesExpressions) copyConstExpr(r, out, shift);
      else out.u32(r.u32());
    }
  }
  return out.finish();
}

/** Data segments: 0 = active in memory 0, 1 = passive, 2 = active with a memory index. */
export function rewriteData(content: Uint8Array, shift: (i: number) => number): Uint8Array {
  const r = new WasmBinaryReader(content);
  const out = new WasmBinaryWriter();
  const count = r.u32();
  out.u32(count);
  for (let i = 0; i < count; i++) {
    const flags = r.u32();
    out.u32(flags);
    if (flags === 2) out.u32(r.u32());
    if (flags !== 1) copyConstExpr(r, out, shift);
    const start = r.offset;
    r.skip(r.u32());
    out.bytes(content.subarray(start, r.offset));
  }
  return out.finish();
}

/** Renumbers global names (subsection 7); other subsections are copied. */
export function rewriteNames(content: Uint8Array, shift: (i: number) => number): Uint8Array {
  const r = new WasmBinaryReader(content);
  const out = new WasmBinaryWriter();
  r.skipName();
  out.bytes(content.subarray(0, r.offset));
  while (!r.atEnd()) {
    const id = r.byte();
    const size = r.u32();
    const end = r.offset + size;
    if (id !== GLOBAL_NAMES_SUBSECTION) {
      out.byte(id);
      out.u32(size);
      out.bytes(content.subarray(r.offset, end));
      r.offset = end;
      continue;
    }
    const sub = new WasmBinaryWriter();
    const count = r.u32();
    sub.u32(count);
    for (let i = 0; i < count; i++) {
      sub.u32(shift(r.u32()));
      const start = r.offset;
      r.skipName();
      sub.bytes(content.subarray(start, r.offset));
    }
    r.offset = end;
    const encoded = sub.finish();
    out.byte(id);
    out.u32(encoded.length);
    out.bytes(encoded);
  }
  return out.finish();
}
