// The coverage pass: rewrites a module so that it counts its blocks and conditionals (planned by probe-plan.ts)
// into counters the host owns. Runs only when coverage is on, before the watchdog's pass (instrument.ts), as a
// pass of its own: the watchdog's rewriter is not changed, and the offset map below turns an offset of this
// pass's output back into the original one.
//
// Counters are imported mutable i64 globals ("proxy-wasm-as:coverage" "<n>"), created once per module by the
// host and shared by every instance of it: every VM of every emulator running the module adds to the same
// counters, so nothing has to be collected from an instance before it is dropped, and no instance is kept
// alive for its counts. Imported globals come first in the global index space, so every existing global index
// above the module's own imported ones moves up by the number of counters (global.get/set in code and in
// constant expressions, global exports, global names).
import { WasmBinaryError } from "../../abi/errors.ts";
import { encodeName, encodeS32, encodeU32, WasmBinaryReader, WasmBinaryWriter } from "../../abi/wasm-codec.ts";
import { skipImmediates, UnsupportedInstructionError } from "../watchdog/instructions.ts";
import {
  rewriteData,
  rewriteElements,
  rewriteExports,
  rewriteGlobalEntries,
  rewriteNames,
  type IndexShift,
} from "../watchdog/renumbering.ts";
import { splitSections, type SectionSpan } from "../../symbols/wasm-layout.ts";
import { OffsetMap } from "../watchdog/offset-map.ts";
import {
  planFunction,
  type FunctionPlan,
  type FunctionProbes,
  type Insertion,
  type ProbeFilter,
} from "./probe-plan.ts";

/** Import module of the counters the coverage pass adds. */
export const COVERAGE_IMPORT_MODULE = "proxy-wasm-as:coverage";

const Section = {
  Custom: 0,
  Type: 1,
  Import: 2,
  Function: 3,
  Global: 6,
  Export: 7,
  Element: 9,
  Code: 10,
  Data: 11,
} as const;
const ExternKind = { Function: 0, Global: 3 } as const;
const Op = {
  End: 0x0b,
  LocalGet: 0x20,
  LocalTee: 0x22,
  GlobalGet: 0x23,
  GlobalSet: 0x24,
  I32Const: 0x41,
  I64Const: 0x42,
  I32Eqz: 0x45,
  I32Eq: 0x46,
  I32GeU: 0x4f,
  I64Add: 0x7c,
  I64ExtendI32U: 0xad,
} as const;
const I32 = 0x7f;
const I64 = 0x7e;
const MUTABLE = 1;
const FUNC_TYPE = 0x60;

/** Result of {@link instrumentCoverage}. */
export interface CoverageInstrumentation {
  /** The module with its counters; the original bytes when nothing was counted. */
  readonly bytes: Uint8Array;
  /** How many counters (imported globals "0" … "counters - 1") it imports. */
  readonly counters: number;
  /** The counted functions, in function index order. */
  readonly functions: readonly FunctionProbes[];
  /** Code offsets of `bytes` back to the original module (for trap frames). */
  readonly offsets: OffsetMap;
}

interface Layout {
  readonly paramCounts: number[];
  readonly functionTypes: number[];
  importedFunctions: number;
  importedGlobals: number;
}

interface Body {
  readonly index: number;
  readonly localsStart: number;
  readonly instructionsStart: number;
  readonly end: number;
  /** Parameters and declared locals: the index a new local gets. */
  readonly locals: number;
  readonly plan: FunctionPlan | null;
}

/**
 * Plans and inserts the counters of every function `filter` accepts. Throws UnsupportedInstructionError for
 * instructions the rewriter does not decode and WasmBinaryError for a malformed module.
 */
export function instrumentCoverage(bytes: Uint8Array, filter: ProbeFilter): CoverageInstrumentation {
  const sections = splitSections(bytes);
  const layout = readLayout(bytes, sections);
  let counters = 0;
  const nextCounter = () => counters++;
  const code = sections.find((s) => s.id === Section.Code);
  const bodies = code ? readBodies(bytes, code, layout, filter, nextCounter) : [];
  const offsets = new OffsetMap();
  const functions = bodies.flatMap((b) => (b.plan ? [b.plan.probes] : []));
  if (counters === 0) {
    offsets.copy(0, 0, bytes.length);
    return { bytes, counters: 0, functions, offsets };
  }
  const shift = (index: number) => (index >= layout.importedGlobals ? index + counters : index);
  const counterGlobal = (counter: number) => layout.importedGlobals + counter;

  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let written = 8;
  const emit = (id: number, content: Uint8Array): number => {
    const header = [id, ...encodeU32(content.length)];
    parts.push(Uint8Array.from(header), content);
    written += header.length + content.length;
    return written - content.length; // where the content starts
  };
  let sawImport = false;
  for (const s of sections) {
    const content = bytes.subarray(s.contentStart, s.end);
    if (!sawImport && s.id !== Section.Custom && s.id !== Section.Type && s.id !== Section.Import) {
      emit(Section.Import, importsWithCounters(new Uint8Array([0]), counters));
      sawImport = true;
    }
    switch (s.id) {
      case Section.Import:
        emit(s.id, importsWithCounters(content, counters));
        sawImport = true;
        break;
      case Section.Global:
        emit(s.id, globalsRenumbered(content, shift));
        break;
      case Section.Export:
        emit(s.id, rewriteExports(content, { global: shift }));
        break;
      case Section.Element:
        emit(s.id, rewriteElements(content, { global: shift }));
        break;
      case Section.Data:
        emit(s.id, rewriteData(content, { global: shift }));
        break;
      case Section.Code: {
        const { content: rewritten, chunks } = rewriteCode(bytes, bodies, shift, counterGlobal);
        const at = emit(s.id, rewritten);
        for (const c of chunks) offsets.copy(at + c.out, c.in, c.length);
        break;
      }
      case Section.Custom:
        emit(s.id, s.name === "name" ? rewriteNames(content, { global: shift }) : content);
        break;
      default:
        emit(s.id, content);
    }
  }
  if (!sawImport) emit(Section.Import, importsWithCounters(new Uint8Array([0]), counters));
  const out = new Uint8Array(written);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { bytes: out, counters, functions, offsets };
}

function readLayout(bytes: Uint8Array, sections: readonly SectionSpan[]): Layout {
  const layout: Layout = { paramCounts: [], functionTypes: [], importedFunctions: 0, importedGlobals: 0 };
  for (const s of sections) {
    const r = new WasmBinaryReader(bytes.subarray(0, s.end), s.contentStart);
    if (s.id === Section.Type) {
      for (let n = r.u32(); n > 0; n--) {
        const form = r.byte();
        if (form !== FUNC_TYPE) throw new UnsupportedInstructionError(`type form 0x${form.toString(16)} (GC types)`);
        const params = r.u32();
        for (let i = 0; i < params; i++) r.skipValueType();
        r.skipValueTypes();
        layout.paramCounts.push(params);
      }
    } else if (s.id === Section.Import) {
      for (let n = r.u32(); n > 0; n--) {
        r.skipName();
        r.skipName();
        const kind = r.byte();
        if (kind === ExternKind.Function) {
          layout.functionTypes.push(r.u32());
          layout.importedFunctions++;
          continue;
        }
        if (kind === ExternKind.Global) layout.importedGlobals++;
        r.skipExternType(kind);
      }
    } else if (s.id === Section.Function) {
      for (let n = r.u32(); n > 0; n--) layout.functionTypes.push(r.u32());
    }
  }
  return layout;
}

function readBodies(
  bytes: Uint8Array,
  code: SectionSpan,
  layout: Layout,
  filter: ProbeFilter,
  nextCounter: () => number,
): Body[] {
  const r = new WasmBinaryReader(bytes.subarray(0, code.end), code.contentStart);
  const bodies: Body[] = [];
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    const size = r.u32();
    const end = r.offset + size;
    const localsStart = r.offset;
    let declaredLocals = 0;
    for (let groups = r.u32(); groups > 0; groups--) {
      declaredLocals += r.u32();
      r.skipValueType();
    }
    const index = layout.importedFunctions + i;
    const params = layout.paramCounts[layout.functionTypes[index] ?? -1];
    if (params === undefined) throw new WasmBinaryError(`function ${index} has no valid type`);
    const plan = planFunction(bytes, index, r.offset, end, filter, nextCounter);
    bodies.push({ index, localsStart, instructionsStart: r.offset, end, locals: params + declaredLocals, plan });
    r.offset = end;
  }
  if (r.offset !== code.end) throw new WasmBinaryError(`code section ends at byte ${r.offset}, expected ${code.end}`);
  return bodies;
}

function importsWithCounters(content: Uint8Array, counters: number): Uint8Array {
  const r = new WasmBinaryReader(content);
  const count = r.u32();
  const out = new WasmBinaryWriter();
  out.u32(count + counters);
  out.bytes(content.subarray(r.offset));
  const module = encodeName(COVERAGE_IMPORT_MODULE);
  for (let i = 0; i < counters; i++) {
    out.bytes(module);
    out.bytes(encodeName(String(i)));
    out.byte(ExternKind.Global);
    out.byte(I64);
    out.byte(MUTABLE);
  }
  return out.finish();
}

interface Chunk {
  /** Offset in the rewritten code section's content. */
  readonly out: number;
  /** Offset in the original module file. */
  readonly in: number;
  readonly length: number;
}

function rewriteCode(
  bytes: Uint8Array,
  bodies: readonly Body[],
  shift: (i: number) => number,
  counterGlobal: (counter: number) => number,
): { content: Uint8Array; chunks: Chunk[] } {
  const section = new WasmBinaryWriter();
  let sectionLength = 0;
  const chunks: Chunk[] = [];
  const countBytes = encodeU32(bodies.length);
  section.bytes(countBytes);
  sectionLength += countBytes.length;
  for (const b of bodies) {
    const body = new WasmBinaryWriter();
    let bodyLength = 0;
    const bodyChunks: Array<{ out: number; in: number; length: number }> = [];
    const put = (data: Uint8Array | readonly number[]) => {
      body.bytes(data);
      bodyLength += data.length;
    };
    const copy = (from: number, to: number) => {
      bodyChunks.push({ out: bodyLength, in: from, length: to - from });
      put(bytes.subarray(from, to));
    };
    const scratch = b.plan?.needsScratch ? b.locals : -1;
    if (scratch >= 0) {
      const r = new WasmBinaryReader(bytes.subarray(0, b.end), b.localsStart);
      const groups = r.u32();
      put(encodeU32(groups + 1));
      copy(r.offset, b.instructionsStart);
      put([1, I32]);
    } else {
      copy(b.localsStart, b.instructionsStart);
    }
    const insertions = b.plan?.insertions ?? [];
    let next = 0;
    const r = new WasmBinaryReader(bytes.subarray(0, b.end), b.instructionsStart);
    let copyFrom = r.offset;
    while (r.offset < b.end) {
      const at = r.offset;
      if (next < insertions.length && insertions[next]!.offset === at) {
        copy(copyFrom, at);
        copyFrom = at;
        while (next < insertions.length && insertions[next]!.offset === at)
          put(probeCode(insertions[next++]!, counterGlobal, scratch));
      }
      const op = r.byte();
      if (op === Op.GlobalGet || op === Op.GlobalSet) {
        copy(copyFrom, at + 1);
        const index = r.u32();
        put(encodeU32(shift(index)));
        copyFrom = r.offset;
      } else {
        skipImmediates(r, op);
      }
    }
    if (r.offset !== b.end)
      throw new RangeError(`function body ${b.index} ends at byte ${r.offset}, expected ${b.end}`);
    copy(copyFrom, b.end);
    const encoded = body.finish();
    const size = encodeU32(encoded.length);
    section.bytes(size);
    sectionLength += size.length;
    for (const c of bodyChunks) chunks.push({ out: sectionLength + c.out, in: c.in, length: c.length });
    section.bytes(encoded);
    sectionLength += encoded.length;
  }
  return { content: section.finish(), chunks };
}

/** The code of one insertion: a block counter, or a conditional's per-direction counters. */
function probeCode(insertion: Insertion, counterGlobal: (counter: number) => number, scratch: number): number[] {
  if (insertion.type === "block") {
    const g = encodeU32(counterGlobal(insertion.counter));
    return [Op.GlobalGet, ...g, Op.I64Const, 1, Op.I64Add, Op.GlobalSet, ...g];
  }
  const s = encodeU32(scratch);
  const add = (counter: number, test: number[]) => {
    const g = encodeU32(counterGlobal(counter));
    return [Op.GlobalGet, ...g, Op.LocalGet, ...s, ...test, Op.I64ExtendI32U, Op.I64Add, Op.GlobalSet, ...g];
  };
  const [taken, ...rest] = insertion.counters;
  const out = [Op.LocalTee, ...s];
  if (insertion.kind !== "br_table") {
    out.push(...add(taken!, [Op.I32Eqz, Op.I32Eqz]), ...add(rest[0]!, [Op.I32Eqz]));
    return out;
  }
  const labels = insertion.counters.length - 1;
  insertion.counters.forEach((counter, label) => {
    const compare = label < labels ? Op.I32Eq : Op.I32GeU; // the default takes every index >= the label count
    out.push(...add(counter, [Op.I32Const, ...encodeS32(label), compare]));
  });
  return out;
}

/** The global section with its initializers' global.get renumbered (the counters are imported globals). */
function globalsRenumbered(content: Uint8Array, shift: IndexShift): Uint8Array {
  const { count, entries } = rewriteGlobalEntries(content, { global: shift });
  const out = new WasmBinaryWriter();
  out.u32(count);
  out.bytes(entries);
  return out.finish();
}
