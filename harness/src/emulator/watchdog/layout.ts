// What the watchdog's rewriter needs to know about a module before it rewrites the code: how many
// types, imported functions and globals it has, the parameter count of each defined function (the rewriter adds a
// scratch local after the existing ones), and that its memories and tables use 32-bit indices.
import { WasmBinaryReader } from "../../abi/wasm-codec.ts";
import type { SectionSpan } from "../../symbols/wasm-layout.ts";
import { UnsupportedInstructionError } from "./instructions.ts";

/** Section ids the rewriter reads or rewrites. */
export const Section = {
  Custom: 0,
  Type: 1,
  Import: 2,
  Function: 3,
  Table: 4,
  Memory: 5,
  Global: 6,
  Export: 7,
  Start: 8,
  Element: 9,
  Code: 10,
} as const;
/** Kinds of an import or export. */
export const ExternKind = { Function: 0, Table: 1, Memory: 2, Global: 3, Tag: 4 } as const;
const FUNC_TYPE = 0x60;
/** Limits flag: the memory or table is indexed by i64 (memory64 / table64). */
const LIMITS_64 = 0x04;
/** A table-section entry with an initializer expression (typed function references) starts with these bytes. */
const TABLE_WITH_INIT = 0x40;

/** Counts and signatures the rewrite depends on. */
export interface Layout {
  typeCount: number;
  importedFunctions: number;
  importedGlobals: number;
  definedGlobals: number;
  /** Parameter count of each type, by type index. */
  readonly paramCounts: number[];
  /** Type index of each defined function, in order. */
  readonly functionTypes: number[];
}

/**
 * Reads the {@link Layout}. Throws UnsupportedInstructionError for GC types and for 64-bit memories or tables
 * (their bulk operations and memory.grow take i64 operands, which the rewrite does not handle).
 */
export function readLayout(bytes: Uint8Array, sections: readonly SectionSpan[]): Layout {
  const layout: Layout = {
    typeCount: 0,
    importedFunctions: 0,
    importedGlobals: 0,
    definedGlobals: 0,
    paramCounts: [],
    functionTypes: [],
  };
  for (const s of sections) {
    const r = new WasmBinaryReader(bytes.subarray(0, s.end), s.contentStart);
    if (s.id === Section.Type) {
      layout.typeCount = r.u32();
      for (let i = 0; i < layout.typeCount; i++) {
        const form = r.byte();
        if (form !== FUNC_TYPE) throw new UnsupportedInstructionError(`type form 0x${form.toString(16)} (GC types)`);
        const params = r.u32();
        for (let p = 0; p < params; p++) r.skipValueType();
        layout.paramCounts.push(params);
        r.skipValueTypes();
      }
    } else if (s.id === Section.Import) {
      for (let n = r.u32(); n > 0; n--) {
        r.skipName();
        r.skipName();
        const kind = r.byte();
        if (kind === ExternKind.Function) layout.importedFunctions++;
        if (kind === ExternKind.Global) layout.importedGlobals++;
        if (kind === ExternKind.Table) r.skipValueType();
        if (kind === ExternKind.Table || kind === ExternKind.Memory) refuse64BitLimits(r);
        else r.skipExternType(kind);
      }
    } else if (s.id === Section.Function) {
      for (let n = r.u32(); n > 0; n--) layout.functionTypes.push(r.u32());
    } else if (s.id === Section.Memory) {
      for (let n = r.u32(); n > 0; n--) refuse64BitLimits(r);
    } else if (s.id === Section.Table) {
      for (let n = r.u32(); n > 0; n--) {
        if (r.bytes[r.offset] === TABLE_WITH_INIT)
          throw new UnsupportedInstructionError("a table with an initializer expression (typed function references)");
        r.skipValueType();
        refuse64BitLimits(r);
      }
    } else if (s.id === Section.Global) {
      layout.definedGlobals = r.u32();
    }
  }
  return layout;
}

/** Skips the limits of a memory or table; throws UnsupportedInstructionError when it is 64-bit. */
function refuse64BitLimits(r: WasmBinaryReader): void {
  if (r.bytes[r.offset]! & LIMITS_64)
    throw new UnsupportedInstructionError("a 64-bit memory or table (memory64), whose operations take i64 operands");
  r.skipLimits();
}
