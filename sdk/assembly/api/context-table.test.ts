// The dispatcher's id table (context-table.ts) compiled to Wasm and checked against a JS Map on long random
// sequences of set/get/delete over keys chosen so probe runs collide, wrap around the end of the
// table and get shifted back on delete; the table also grows several times.
import { beforeAll, describe, expect, it } from "vitest";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { compileTestModule } from "../../test/wasm-test-module.ts";

const ENTRY_SOURCE = `
import { IdTable } from "./context-table";
class Box { constructor(public value: i32) {} }
const table = new IdTable<Box>();
export function set(key: u32, value: i32): void { table.set(key, new Box(value)); }
export function get(key: u32): i32 { const box = table.get(key); return box == null ? -1 : box.value; }
export function remove(key: u32): bool { return table.delete(key); }
export function size(): i32 { return table.size; }
`;

interface TableExports {
  set(key: number, value: number): void;
  get(key: number): number;
  remove(key: number): number;
  size(): number;
}

/** A small deterministic PRNG (xorshift32), so a failure replays. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state / 2 ** 32;
  };
}

describe("IdTable (the dispatcher's context and callout-token table)", { timeout: 120_000 }, () => {
  let table: TableExports;
  beforeAll(async () => { table = await compileTestModule<TableExports>(dirname(fileURLToPath(import.meta.url)), "context-table", ENTRY_SOURCE); }, 120_000); // compiling takes seconds on a loaded machine

  it("behaves like a Map under random set/get/delete, across growth, collisions and wrap-around", () => {
    const model = new Map<number, number>();
    const next = random(0x5eed);
    const mismatches: string[] = [];
    // 200 keys whose home slots (key mod capacity, capacity 16..512) pile up on 1, 2, 254 and 255: long probe
    // runs that wrap around the end of the table, which deletes must shift back correctly.
    const offsets = [1, 2, 254, 255];
    for (let step = 0; step < 20_000 && mismatches.length < 5; step++) {
      const key = Math.floor(next() * 50) * 256 + offsets[Math.floor(next() * 4)];
      const roll = next();
      if (roll < 0.45) {
        model.set(key, step);
        table.set(key, step);
      } else if (roll < 0.8) {
        const removed = table.remove(key) !== 0;
        if (removed !== model.delete(key)) mismatches.push(`step ${step}: delete ${key} returned ${removed}`);
      } else if (table.get(key) !== (model.get(key) ?? -1)) {
        mismatches.push(`step ${step}: get ${key} = ${table.get(key)}, expected ${model.get(key) ?? -1}`);
      }
      if (table.size() !== model.size) mismatches.push(`step ${step}: size ${table.size()}, expected ${model.size}`);
    }
    expect(mismatches).toEqual([]);
    for (let base = 0; base < 50; base++) {
      for (const offset of offsets) expect(table.get(base * 256 + offset), `final get ${base * 256 + offset}`).toBe(model.get(base * 256 + offset) ?? -1);
    }
  });

  it("keeps ascending ids (Envoy's context ids) and sparse tokens apart", () => {
    for (let id = 1000; id < 1400; id++) table.set(id, id * 2);
    for (let token = 1; token < 4000; token += 4) table.set(0x4000_0000 + token, token);
    for (let id = 1000; id < 1400; id += 2) expect(table.remove(id)).toBe(1);
    for (let id = 1000; id < 1400; id++) expect(table.get(id)).toBe(id % 2 === 0 ? -1 : id * 2);
    for (let token = 1; token < 4000; token += 4) expect(table.get(0x4000_0000 + token)).toBe(token);
    expect(table.remove(999_999)).toBe(0);
  });
});
