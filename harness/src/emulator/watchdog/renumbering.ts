// Renumbering a Wasm module's index spaces outside its code section, for the rewriters that add imports: the
// watchdog (two imported functions: every defined function index moves up) and the coverage pass (imported
// counter globals: every defined global index moves up). Each section below is re-encoded with the moved indices
// and everything else copied byte for byte: constant expressions (global and element initializers, data offsets),
// exports, element segments, data segments and the name section.
import { WasmBinaryReader, WasmBinaryWriter } from "../../abi/wasm-codec.ts";
import { skipImmediates } from "./instructions.ts";

/** Old index → new index in one index space. */
export type IndexShift = (index: number) => number;

/** How a rewrite moves the index spaces it changes; a space without a shift keeps its indices. */
export interface Renumbering {
  readonly function?: IndexShift;
  readonly global?: IndexShift;
}

const GLOBAL_GET = 0x23;
const REF_FUNC = 0xd2;
const END = 0x0b;
const EXTERN_FUNCTION = 0;
const EXTERN_GLOBAL = 3;
/** Name-section subsections by the index space their entries are keyed by (the extended name section's ids). */
const FUNCTION_NAMES = 1;
const LOCAL_NAMES = 2;
const LABEL_NAMES = 3;
const GLOBAL_NAMES = 7;

const same: IndexShift = (index) => index;

/** Copies a constant expression up to and including its `end`, renumbering ref.func and global.get. */
export function copyConstExpr(r: WasmBinaryReader, out: WasmBinaryWriter, renumber: Renumbering): void {
  for (;;) {
    const start = r.offset;
    const op = r.byte();
    const shift = op === REF_FUNC ? renumber.function : op === GLOBAL_GET ? renumber.global : undefined;
    if (shift) {
      out.byte(op);
      out.u32(shift(r.u32()));
      continue;
    }
    skipImmediates(r, op);
    out.bytes(r.bytes.subarray(start, r.offset));
    if (op === END) return;
  }
}

/** The global section's entries (type, mutability, initializer) with their initializers renumbered. */
export function rewriteGlobalEntries(
  content: Uint8Array,
  renumber: Renumbering,
): { count: number; entries: Uint8Array } {
  const r = new WasmBinaryReader(content);
  const out = new WasmBinaryWriter();
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    const start = r.offset;
    r.skipValueType();
    r.byte(); // mutability
    out.bytes(content.subarray(start, r.offset));
    copyConstExpr(r, out, renumber);
  }
  return { count, entries: out.finish() };
}

/** The export section with function and global exports renumbered. */
export function rewriteExports(content: Uint8Array, renumber: Renumbering): Uint8Array {
  const r = new WasmBinaryReader(content);
  const out = new WasmBinaryWriter();
  const count = r.u32();
  out.u32(count);
  for (let i = 0; i < count; i++) {
    const start = r.offset;
    r.skipName();
    const kind = r.byte();
    out.bytes(content.subarray(start, r.offset));
    const shift = kind === EXTERN_FUNCTION ? renumber.function : kind === EXTERN_GLOBAL ? renumber.global : undefined;
    out.u32((shift ?? same)(r.u32()));
  }
  return out.finish();
}

/** The element section: offsets and expression items through copyConstExpr, function-index items renumbered. */
export function rewriteElements(content: Uint8Array, renumber: Renumbering): Uint8Array {
  const r = new WasmBinaryReader(content);
  const out = new WasmBinaryWriter();
  const functionShift = renumber.function ?? same;
  const count = r.u32();
  out.u32(count);
  for (let i = 0; i < count; i++) {
    const flags = r.u32();
    out.u32(flags);
    const passiveOrDeclarative = (flags & 1) !== 0;
    const explicitTable = (flags & 2) !== 0;
    const usesExpressions = (flags & 4) !== 0;
    if (explicitTable && !passiveOrDeclarative) out.u32(r.u32());
    if (!passiveOrDeclarative) copyConstExpr(r, out, renumber);
    if (passiveOrDeclarative || explicitTable) {
      const start = r.offset;
      if (usesExpressions) r.skipValueType();
      else r.byte(); // elemkind
      out.bytes(content.subarray(start, r.offset));
    }
    const items = r.u32();
    out.u32(items);
    for (let j = 0; j < items; j++) {
      if (usesExpressions) copyConstExpr(r, out, renumber);
      else out.u32(functionShift(r.u32()));
    }
  }
  return out.finish();
}

/** Data segments (0 = active in memory 0, 1 = passive, 2 = active with a memory index): offsets renumbered. */
export function rewriteData(content: Uint8Array, renumber: Renumbering): Uint8Array {
  const r = new WasmBinaryReader(content);
  const out = new WasmBinaryWriter();
  const count = r.u32();
  out.u32(count);
  for (let i = 0; i < count; i++) {
    const flags = r.u32();
    out.u32(flags);
    if (flags === 2) out.u32(r.u32());
    if (flags !== 1) copyConstExpr(r, out, renumber);
    const start = r.offset;
    r.skip(r.u32());
    out.bytes(content.subarray(start, r.offset));
  }
  return out.finish();
}

/** The shift of a name subsection's keys, or undefined when its index space does not move. */
function namesShift(id: number, renumber: Renumbering): IndexShift | undefined {
  if (id === FUNCTION_NAMES || id === LOCAL_NAMES || id === LABEL_NAMES) return renumber.function;
  if (id === GLOBAL_NAMES) return renumber.global;
  return undefined;
}

/** The `name` custom section (its content after the section id) with function, local, label and global names renumbered. */
export function rewriteNames(content: Uint8Array, renumber: Renumbering): Uint8Array {
  const r = new WasmBinaryReader(content);
  const out = new WasmBinaryWriter();
  r.skipName();
  out.bytes(content.subarray(0, r.offset));
  while (!r.atEnd()) {
    const id = r.byte();
    const size = r.u32();
    const end = r.offset + size;
    const shift = namesShift(id, renumber);
    if (!shift) {
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
      if (id === LOCAL_NAMES || id === LABEL_NAMES)
        for (let n = r.u32(); n > 0; n--) {
          r.u32();
          r.skipName();
        }
      else r.skipName();
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
