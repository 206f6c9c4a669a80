// The fuel checks the rewriter inserts. At every function entry and loop header: one unit, and a tick when the fuel
// is out. Before bulk memory and table operations: one memory.fill can write 256 MiB, so counting it as one instruction
// would let a loop of them run for an hour between two deadline checks; the rewriter therefore charges each such
// operation fuel in proportion to its length (its last operand), before it runs, and calls the host's tick at once
// when that leaves the fuel at or below zero. The length is kept in a scratch local the rewriter adds to the
// function, so the charge leaves the operand stack as it was.
import { encodeU32 } from "../../abi/wasm-codec.ts";
import { BULK_BYTES_PER_FUEL, BULK_ELEMENTS_PER_FUEL } from "./watchdog.ts";

/** Prefix of the bulk memory and table instructions. */
export const MISC_PREFIX = 0xfc;

const Op = {
  If: 0x04,
  End: 0x0b,
  Call: 0x10,
  LocalGet: 0x20,
  LocalTee: 0x22,
  GlobalGet: 0x23,
  GlobalSet: 0x24,
  I32Const: 0x41,
  I32Eqz: 0x45,
  I32LeS: 0x4c,
  I32Sub: 0x6b,
  I32ShrU: 0x76,
} as const;
const BLOCK_VOID = 0x40;

const MEMORY_SHIFT = Math.log2(BULK_BYTES_PER_FUEL);
const TABLE_SHIFT = Math.log2(BULK_ELEMENTS_PER_FUEL);

/**
 * 0xfc sub-opcodes whose last operand is a length (i32 with 32-bit memories and tables), with the right shift that
 * turns the length into fuel: memory.init, memory.copy, memory.fill; table.init, table.copy, table.grow, table.fill.
 */
export const BULK_LENGTH_SHIFT: ReadonlyMap<number, number> = new Map([
  [8, MEMORY_SHIFT],
  [10, MEMORY_SHIFT],
  [11, MEMORY_SHIFT],
  [12, TABLE_SHIFT],
  [14, TABLE_SHIFT],
  [15, TABLE_SHIFT],
  [17, TABLE_SHIFT],
]);

/** `if; F = tick(); end`: refuels from the host (which throws once the deadline has passed). */
function refuel(g: number[], tickFunction: number): number[] {
  return [Op.If, BLOCK_VOID, Op.Call, ...encodeU32(tickFunction), Op.GlobalSet, ...g, Op.End];
}

/** At a function entry or loop header, stack-neutral and valid anywhere: `if (F == 0) F = tick(); F -= 1`. */
export function fuelCheckBytes(fuelGlobal: number, tickFunction: number): number[] {
  const g = encodeU32(fuelGlobal);
  return [
    Op.GlobalGet,
    ...g,
    Op.I32Eqz,
    ...refuel(g, tickFunction),
    Op.GlobalGet,
    ...g,
    Op.I32Const,
    1,
    Op.I32Sub,
    Op.GlobalSet,
    ...g,
  ];
}

/**
 * The charge before a bulk operation, stack-neutral with the length on top:
 * `local.tee S; F -= S >>> shift; if (F <= 0) F = tick()`.
 */
export function bulkChargeBytes(
  scratchLocal: number,
  fuelGlobal: number,
  tickFunction: number,
  shift: number,
): number[] {
  const s = encodeU32(scratchLocal);
  const g = encodeU32(fuelGlobal);
  return [
    Op.LocalTee,
    ...s,
    Op.GlobalGet,
    ...g,
    Op.LocalGet,
    ...s,
    Op.I32Const,
    shift, // a small positive constant: one LEB byte
    Op.I32ShrU,
    Op.I32Sub,
    Op.GlobalSet,
    ...g,
    Op.GlobalGet,
    ...g,
    Op.I32Const,
    0,
    Op.I32LeS,
    ...refuel(g, tickFunction),
  ];
}
