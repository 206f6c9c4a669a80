// Rewrites a Wasm binary so the emulator can stop a runaway module: a fuel counter at every function entry and
// loop header, and charged in proportion to the length of every bulk memory and table operation (fuel-code.ts), calls a
// host "tick" when it runs out, and `memory.grow` on memory 0 becomes a host call that enforces the memory ceiling.
//
// Why instrumentation rather than a worker thread or node:vm: a module's host calls are synchronous and
// touch the emulator's state on every call, so a VM in a worker would need a blocking round trip per host call
// (orders of magnitude slower), and node:vm's `timeout` starts a watchdog thread per evaluation (tens of µs
// per callback, more than a whole callback costs). The fuel check is a few Wasm instructions on a counter the
// module owns, and the host is entered once per FUEL_SLICE units; see bench/emulator.ts for the measured cost.
//
// Why hand-written rather than binaryen (already installed with AssemblyScript): loading binaryen.js takes
// 1–1.5 s per process and re-encoding a 2 MB Go module several seconds more, paid by every test file. This
// rewriter only decodes instruction boundaries and copies everything else byte for byte.
//
// The two host functions are appended to the imports, so every defined function index moves up by two:
// calls, ref.func, exports, start, element segments and the name section are renumbered.
//
// The rewrite records an OffsetMap (offset-map.ts) from the new binary's code back to the original's, so the Wasm
// frames of a trap (offsets in the binary V8 compiled) map through the module's source map.
import { WasmBinaryError } from "../../abi/errors.ts";
import { WasmBinaryReader, WasmBinaryWriter, encodeName, encodeS32, encodeU32 } from "../../abi/wasm-codec.ts";
import { BULK_LENGTH_SHIFT, bulkChargeBytes, fuelCheckBytes, MISC_PREFIX } from "./fuel-code.ts";
import { skipImmediates, UnsupportedInstructionError } from "./instructions.ts";
import { NAME_SECTION, splitSections } from "../../symbols/wasm-layout.ts";
import { ExternKind, type Layout, readLayout, Section } from "./layout.ts";
import { OffsetMap } from "./offset-map.ts";
import { type IndexShift, rewriteElements, rewriteExports, rewriteGlobalEntries, rewriteNames } from "./renumbering.ts";

/** Import module of the two host functions the instrumentation adds. */
export const WATCHDOG_IMPORT_MODULE = "proxy-wasm-as:watchdog";
/** `() -> i32`: called when the fuel runs out; returns the next slice or throws. */
export const WATCHDOG_TICK = "tick";
/** `(i32 pages) -> i32`: replaces `memory.grow` on memory 0; returns the old size in pages, or -1. */
export const WATCHDOG_MEMORY_GROW = "memory_grow";

const Op = {
  Loop: 0x03,
  End: 0x0b,
  Call: 0x10,
  ReturnCall: 0x12,
  I32Const: 0x41,
  MemoryGrow: 0x40,
  RefFunc: 0xd2,
} as const;
const I32 = 0x7f;
/** The tag section (id 13) sits between memory and global in the section order. */
const TAG_SECTION = 13;
const FUNC_TYPE = 0x60;

/** Result of {@link instrumentModule}. */
export type InstrumentResult =
  | { readonly ok: true; readonly bytes: Uint8Array; readonly offsets: OffsetMap }
  | { readonly ok: false; readonly reason: string };

/**
 * Returns `bytes` with fuel checks and a guarded `memory.grow`, or the reason it cannot (a GC or otherwise
 * unknown instruction, a malformed binary). `fuelSlice` is the fuel the module starts with.
 */
export function instrumentModule(bytes: Uint8Array, fuelSlice: number): InstrumentResult {
  try {
    return { ok: true, ...rewrite(bytes, fuelSlice) };
  } catch (e) {
    if (
      e instanceof UnsupportedInstructionError ||
      e instanceof WasmBinaryError ||
      e instanceof RangeError ||
      e instanceof TypeError
    ) {
      return { ok: false, reason: e.message };
    }
    throw e;
  }
}

function rewrite(bytes: Uint8Array, fuelSlice: number): { bytes: Uint8Array; offsets: OffsetMap } {
  const sections = splitSections(bytes);
  const layout = readLayout(bytes, sections);
  const tickType = layout.typeCount;
  const growType = layout.typeCount + 1;
  const tickFunction = layout.importedFunctions;
  const growFunction = layout.importedFunctions + 1;
  const fuelGlobal = layout.importedGlobals + layout.definedGlobals;
  const shift = (index: number) => (index >= layout.importedFunctions ? index + 2 : index);
  const fuelCheck = fuelCheckBytes(fuelGlobal, tickFunction);
  const growCall = [Op.Call, ...encodeU32(growFunction)];

  const out = new WasmBinaryWriter();
  const offsets = new OffsetMap();
  out.bytes(bytes.subarray(0, 8));
  const emit = (id: number, content: Uint8Array | number[]) => out.section(id, content);
  let sawType = false,
    sawImport = false,
    sawGlobal = false;
  const ensureBefore = (id: number) => {
    // Sections the rewrite needs but the module lacks are created in their place in the section order.
    if (!sawType && id > Section.Type && id !== Section.Custom) {
      emit(Section.Type, newTypes([]));
      sawType = true;
    }
    if (!sawImport && id > Section.Import && id !== Section.Custom) {
      emit(Section.Import, newImports(0, [], tickType, growType));
      sawImport = true;
    }
    if (!sawGlobal && id > Section.Global && id !== Section.Custom && id !== TAG_SECTION) {
      emit(Section.Global, newGlobals(0, [], fuelSlice));
      sawGlobal = true;
    }
  };
  for (const s of sections) {
    const content = bytes.subarray(s.contentStart, s.end);
    ensureBefore(s.id);
    switch (s.id) {
      case Section.Type:
        emit(s.id, appendTypes(content));
        sawType = true;
        break;
      case Section.Import:
        emit(s.id, appendImports(content, tickType, growType));
        sawImport = true;
        break;
      case Section.Global:
        emit(s.id, rewriteGlobals(content, shift, fuelSlice));
        sawGlobal = true;
        break;
      case Section.Export:
        emit(s.id, rewriteExports(content, { function: shift }));
        break;
      case Section.Start:
        emit(s.id, encodeU32(shift(new WasmBinaryReader(content).u32())));
        break;
      case Section.Element:
        emit(s.id, rewriteElements(content, { function: shift }));
        break;
      case Section.Code: {
        const code = rewriteCode(content, { layout, shift, fuelCheck, growCall, fuelGlobal, tickFunction });
        // The section's content follows its id byte and size.
        offsets.append(code.offsets, out.length + 1 + encodeU32(code.bytes.length).length, s.contentStart);
        emit(s.id, code.bytes);
        break;
      }
      case Section.Custom:
        emit(s.id, s.name === NAME_SECTION ? rewriteNames(content, { function: shift }) : content);
        break;
      default:
        emit(s.id, content);
    }
  }
  ensureBefore(Section.Code + 100);
  return { bytes: out.finish(), offsets };
}

const TICK_TYPE = [FUNC_TYPE, 0, 1, I32];
const GROW_TYPE = [FUNC_TYPE, 1, I32, 1, I32];

function newTypes(existing: Uint8Array | number[], count = 0): number[] {
  return [...encodeU32(count + 2), ...existing, ...TICK_TYPE, ...GROW_TYPE];
}

function appendTypes(content: Uint8Array): number[] {
  const r = new WasmBinaryReader(content);
  const count = r.u32();
  return newTypes(content.subarray(r.offset), count);
}

function newImports(count: number, existing: Uint8Array | number[], tickType: number, growType: number): number[] {
  const entry = (name: string, type: number) => [
    ...encodeName(WATCHDOG_IMPORT_MODULE),
    ...encodeName(name),
    ExternKind.Function,
    ...encodeU32(type),
  ];
  return [
    ...encodeU32(count + 2),
    ...existing,
    ...entry(WATCHDOG_TICK, tickType),
    ...entry(WATCHDOG_MEMORY_GROW, growType),
  ];
}

function appendImports(content: Uint8Array, tickType: number, growType: number): number[] {
  const r = new WasmBinaryReader(content);
  const count = r.u32();
  return newImports(count, content.subarray(r.offset), tickType, growType);
}

function newGlobals(count: number, existing: number[], fuelSlice: number): number[] {
  return [...encodeU32(count + 1), ...existing, I32, 1, Op.I32Const, ...encodeS32(fuelSlice), Op.End];
}

function rewriteGlobals(content: Uint8Array, shift: IndexShift, fuelSlice: number): number[] {
  const { count, entries } = rewriteGlobalEntries(content, { function: shift });
  return newGlobals(count, [...entries], fuelSlice);
}

/** What {@link rewriteCode} inserts, and where. */
interface CodeRewrite {
  readonly layout: Layout;
  readonly shift: IndexShift;
  readonly fuelCheck: number[];
  readonly growCall: number[];
  readonly fuelGlobal: number;
  readonly tickFunction: number;
}

function rewriteCode(content: Uint8Array, rw: CodeRewrite): { bytes: Uint8Array; offsets: OffsetMap } {
  const r = new WasmBinaryReader(content);
  const out = new WasmBinaryWriter();
  const offsets = new OffsetMap(); // output code content → original code content
  const count = r.u32();
  out.u32(count);
  for (let i = 0; i < count; i++) {
    const size = r.u32();
    const end = r.offset + size;
    const localsStart = r.offset;
    const groups = r.u32();
    const groupsStart = r.offset;
    let locals = 0;
    for (let g = 0; g < groups; g++) {
      locals += r.u32();
      r.skipValueType();
    }
    const localsEnd = r.offset;
    const type = rw.layout.functionTypes[i];
    if (type === undefined) throw new RangeError(`function body ${i} has no entry in the function section`);
    // The scratch local of bulk operations' lengths, after the parameters and the declared locals.
    const scratchLocal = (rw.layout.paramCounts[type] ?? 0) + locals;
    let usesScratch = false;
    const code = new WasmBinaryWriter(); // the instructions; the locals are written in front once they are known
    const codeOffsets = new OffsetMap(); // code → original code content
    codeOffsets.point(0, r.offset);
    code.bytes(rw.fuelCheck);
    let copyFrom = r.offset;
    const flush = (to: number) => {
      codeOffsets.copy(code.length, copyFrom, to - copyFrom);
      code.bytes(content.subarray(copyFrom, to));
    };
    while (r.offset < end) {
      const at = r.offset;
      const op = r.byte();
      if (op === Op.Call || op === Op.ReturnCall || op === Op.RefFunc) {
        flush(at);
        const index = r.u32();
        codeOffsets.point(code.length, at);
        code.byte(op);
        code.u32(rw.shift(index));
        copyFrom = r.offset;
      } else if (op === Op.MemoryGrow) {
        const memory = r.u32();
        if (memory === 0) {
          flush(at);
          codeOffsets.point(code.length, at);
          code.bytes(rw.growCall);
          copyFrom = r.offset;
        }
      } else if (op === MISC_PREFIX) {
        const lengthShift = BULK_LENGTH_SHIFT.get(new WasmBinaryReader(content, r.offset).u32());
        skipImmediates(r, op);
        if (lengthShift !== undefined) {
          // The charge runs before the operation, which is then copied as it is (from `at`).
          flush(at);
          codeOffsets.point(code.length, at);
          code.bytes(bulkChargeBytes(scratchLocal, rw.fuelGlobal, rw.tickFunction, lengthShift));
          copyFrom = at;
          usesScratch = true;
        }
      } else {
        skipImmediates(r, op);
        if (op === Op.Loop) {
          flush(r.offset);
          codeOffsets.point(code.length, r.offset);
          code.bytes(rw.fuelCheck);
          copyFrom = r.offset;
        }
      }
    }
    if (r.offset !== end) throw new RangeError(`function body ${i} ends at byte ${r.offset}, expected ${end}`);
    flush(end);
    const header = usesScratch
      ? [...encodeU32(groups + 1), ...content.subarray(groupsStart, localsEnd), 1, I32]
      : content.subarray(localsStart, localsEnd);
    const instructions = code.finish();
    out.u32(header.length + instructions.length);
    out.bytes(header);
    offsets.append(codeOffsets, out.length, 0);
    out.bytes(instructions);
  }
  return { bytes: out.finish(), offsets };
}
