// Where the coverage pass counts, in one function body: its basic blocks and its conditionals.
//
// A block starts at the function's first instruction, at a loop header, at the start of each arm of an if (and
// of a catch), after every `end` (a join point), after a conditional branch (its fall-through) and after an
// unconditional one (the code up to the next `end` is dead: its count stays 0). A call may trap and leave the
// rest of its block unrun; like V8's block coverage, the block then still counts as run.
// Every conditional (if, br_if, select, br_table) gets one counter per direction, added to from the value that
// decides it (top of the stack), so no direction is inferred from another.
// All offsets are byte offsets in the ORIGINAL module file.
import { WasmBinaryReader } from "../../abi/wasm-codec.ts";
import { skipImmediates } from "../watchdog/instructions.ts";

/** The conditional instructions the pass counts. */
export type BranchKind = "if" | "br_if" | "select" | "br_table";

/** One counted block. */
export interface BlockProbe {
  /** Counter index. */
  readonly counter: number;
  /** Offset of the block's first instruction. */
  readonly offset: number;
  /** Offsets of the block's instructions that count (see {@link ProbeFilter.instruction}). */
  readonly instructions: readonly number[];
}

/** One counted conditional. */
export interface BranchProbe {
  readonly kind: BranchKind;
  /** Offset of the conditional instruction. */
  readonly offset: number;
  /**
   * One counter per direction. if, br_if, select: [taken (condition ≠ 0), not taken]; br_table: each label in
   * order, then the default.
   */
  readonly counters: readonly number[];
}

/** The counters of one function. */
export interface FunctionProbes {
  /** Index in the module's function index space. */
  readonly functionIndex: number;
  /** Offset of the function's first instruction (after its locals). */
  readonly bodyStart: number;
  /** Offset just past the function's final `end`. */
  readonly bodyEnd: number;
  /** blocks[0] is the entry block: its count is the number of calls. */
  readonly blocks: readonly BlockProbe[];
  readonly branches: readonly BranchProbe[];
}

/** Which code the pass counts (the source map decides: only the code of the sources being measured). */
export interface ProbeFilter {
  /** True to count the function whose instructions span [bodyStart, bodyEnd). */
  function(bodyStart: number, bodyEnd: number): boolean;
  /** True when the instruction at `offset` counts for line coverage. */
  instruction(bodyStart: number, offset: number): boolean;
  /** True when the conditional at `offset` counts for branch coverage. */
  branch(bodyStart: number, offset: number): boolean;
}

/** Code to insert before the instruction at `offset`. */
export type Insertion =
  | { readonly offset: number; readonly type: "block"; readonly counter: number }
  | { readonly offset: number; readonly type: "branch"; readonly kind: BranchKind; readonly counters: number[] };

/** The plan of one function: its probes and where their code goes (in offset order). */
export interface FunctionPlan {
  readonly probes: FunctionProbes;
  readonly insertions: readonly Insertion[];
  /** True when a probe needs a scratch i32 local (to read a condition without consuming it). */
  readonly needsScratch: boolean;
}

const Op = {
  Unreachable: 0x00,
  Block: 0x02,
  Loop: 0x03,
  If: 0x04,
  Else: 0x05,
  Try: 0x06,
  Catch: 0x07,
  Throw: 0x08,
  Rethrow: 0x09,
  ThrowRef: 0x0a,
  End: 0x0b,
  Br: 0x0c,
  BrIf: 0x0d,
  BrTable: 0x0e,
  Return: 0x0f,
  ReturnCall: 0x12,
  ReturnCallIndirect: 0x13,
  ReturnCallRef: 0x15,
  Delegate: 0x18,
  CatchAll: 0x19,
  Select: 0x1b,
  SelectTyped: 0x1c,
  TryTable: 0x1f,
  BrOnNull: 0xd5,
  BrOnNonNull: 0xd6,
} as const;

/** A br_table with more labels than this is counted as a block boundary only (its code would grow per label). */
export const MAX_TABLE_DIRECTIONS = 64;

const OPENS = new Set<number>([Op.Block, Op.Loop, Op.If, Op.Try, Op.TryTable]);
/** After these, the next instruction starts a block. */
const ENDS_BLOCK = new Set<number>([
  Op.Loop,
  Op.If,
  Op.Else,
  Op.Catch,
  Op.CatchAll,
  Op.End,
  Op.Delegate,
  Op.BrIf,
  Op.BrOnNull,
  Op.BrOnNonNull,
  Op.Br,
  Op.BrTable,
  Op.Return,
  Op.Unreachable,
  Op.Throw,
  Op.Rethrow,
  Op.ThrowRef,
  Op.ReturnCall,
  Op.ReturnCallIndirect,
  Op.ReturnCallRef,
]);
/** Structure markers: not instructions of their own for line coverage. */
const MARKERS = new Set<number>([Op.Else, Op.End, Op.Catch, Op.CatchAll, Op.Delegate]);

interface Decoded {
  readonly offset: number;
  readonly op: number;
  /** br_table: its label count (without the default). */
  readonly labels: number;
}

/** Decodes the instructions of a body spanning [start, end) of `bytes` (start = first instruction). */
function decode(bytes: Uint8Array, start: number, end: number): Decoded[] {
  const r = new WasmBinaryReader(bytes.subarray(0, end), start);
  const out: Decoded[] = [];
  while (r.offset < end) {
    const offset = r.offset;
    const op = r.byte();
    let labels = 0;
    if (op === Op.BrTable) {
      labels = r.u32();
      for (let n = labels + 1; n > 0; n--) r.skipLeb();
    } else {
      skipImmediates(r, op);
    }
    out.push({ offset, op, labels });
  }
  return out;
}

/**
 * Plans the probes of the function whose instructions span [start, end) of `bytes` (an original module), taking
 * counter indices from `nextCounter`. Returns null when `filter` leaves the function out.
 */
export function planFunction(
  bytes: Uint8Array,
  functionIndex: number,
  start: number,
  end: number,
  filter: ProbeFilter,
  nextCounter: () => number,
): FunctionPlan | null {
  if (!filter.function(start, end)) return null;
  const code = decode(bytes, start, end);
  const leaders = new Set<number>([start]);
  let depth = 0;
  for (let i = 0; i < code.length; i++) {
    const { op } = code[i]!;
    if (OPENS.has(op)) depth++;
    else if (op === Op.End || op === Op.Delegate) depth--;
    if (depth < 0) break; // the function's final end
    if (ENDS_BLOCK.has(op) && i + 1 < code.length) leaders.add(code[i + 1]!.offset);
  }
  const insertions: Insertion[] = [];
  const blocks: BlockProbe[] = [];
  const branches: BranchProbe[] = [];
  let current: { offset: number; instructions: number[] } | null = null;
  const closeBlock = () => {
    if (current && (blocks.length === 0 || current.instructions.length > 0)) {
      const counter = nextCounter();
      blocks.push({ counter, offset: current.offset, instructions: current.instructions });
      insertions.push({ offset: current.offset, type: "block", counter });
    }
  };
  for (const { offset, op, labels } of code) {
    if (leaders.has(offset)) {
      closeBlock();
      current = { offset, instructions: [] };
    }
    if (!MARKERS.has(op) && filter.instruction(start, offset)) current!.instructions.push(offset);
    const kind = branchKind(op, labels);
    if (kind && filter.branch(start, offset)) {
      const directions = kind === "br_table" ? labels + 1 : 2;
      const counters = Array.from({ length: directions }, nextCounter);
      branches.push({ kind, offset, counters });
      insertions.push({ offset, type: "branch", kind, counters });
    }
  }
  closeBlock();
  // When a conditional opens a block, the block's probe goes first.
  insertions.sort((a, b) => a.offset - b.offset || (a.type === "block" ? -1 : 1));
  return {
    probes: { functionIndex, bodyStart: start, bodyEnd: end, blocks, branches },
    insertions,
    needsScratch: branches.length > 0,
  };
}

function branchKind(op: number, labels: number): BranchKind | null {
  switch (op) {
    case Op.If:
      return "if";
    case Op.BrIf:
      return "br_if";
    case Op.Select:
    case Op.SelectTyped:
      return "select";
    case Op.BrTable:
      return labels + 1 <= MAX_TABLE_DIRECTIONS ? "br_table" : null;
    default:
      return null;
  }
}
