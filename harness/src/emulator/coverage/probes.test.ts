// The coverage pass keeps every module valid and equivalent, and its counters count what ran: each direction of
// if, br_if, select and br_table, and each block, on hand-made modules whose runs are counted by hand.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sig } from "../../abi/index.ts";
import { op, tinyModule } from "../test-support/tiny-wasm.ts";
import { instrumentModule } from "../watchdog/instrument.ts";
import { FUEL_SLICE } from "../watchdog/watchdog.ts";
import type { ProbeFilter } from "./probe-plan.ts";
import { COVERAGE_IMPORT_MODULE, instrumentCoverage } from "./probes.ts";

const BUILD = join(import.meta.dirname, "../../../../build");
/** Release builds (optimized, as Envoy runs them) and coverage builds (what coverage instruments). */
const built = [BUILD, join(BUILD, "coverage")].flatMap((dir) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".wasm") && !f.endsWith(".debug.wasm"))
        .map((f) => join(dir, f))
    : [],
);
const EVERYTHING: ProbeFilter = { function: () => true, instruction: () => true, branch: () => true };

/** Instantiates `bytes` instrumented with counters; returns its exports and a reader of counter values. */
async function counted(bytes: Uint8Array) {
  const result = instrumentCoverage(bytes, EVERYTHING);
  const globals = Array.from(
    { length: result.counters },
    () => new WebAssembly.Global({ value: "i64", mutable: true }, 0n),
  );
  const imports = { [COVERAGE_IMPORT_MODULE]: Object.fromEntries(globals.map((g, i) => [String(i), g])) };
  const { instance } = await WebAssembly.instantiate(result.bytes as Uint8Array<ArrayBuffer>, imports);
  const count = (counter: number) => Number(globals[counter]!.value as bigint);
  return { exports: instance.exports as Record<string, (...args: number[]) => number>, result, count };
}

describe("instrumentCoverage", () => {
  it.skipIf(built.length === 0)(
    "keeps every built module valid, with the same exports, under the watchdog too",
    () => {
      for (const file of built) {
        const bytes = readFileSync(file);
        const { bytes: out, counters } = instrumentCoverage(bytes, EVERYTHING);
        expect(counters, file).toBeGreaterThan(0);
        expect(WebAssembly.validate(out as Uint8Array<ArrayBuffer>), file).toBe(true);
        const before = WebAssembly.Module.exports(new WebAssembly.Module(bytes));
        expect(WebAssembly.Module.exports(new WebAssembly.Module(out as Uint8Array<ArrayBuffer>)), file).toEqual(
          before,
        );
        const guarded = instrumentModule(out, FUEL_SLICE);
        expect(guarded.ok && WebAssembly.validate(guarded.bytes as Uint8Array<ArrayBuffer>), file).toBe(true);
      }
    },
    120_000,
  );

  it("counts both directions of an if and each of its arms", async () => {
    // pick(x) = x ? 10 : 20
    const bytes = tinyModule({
      functions: [
        {
          signature: sig("i32 -> i32"),
          export: "pick",
          body: [...op.localGet(0), 0x04, 0x7f, ...op.i32Const(10), 0x05, ...op.i32Const(20), 0x0b],
        },
      ],
    });
    const { exports, result, count } = await counted(bytes);
    expect([exports.pick!(1), exports.pick!(0), exports.pick!(5)]).toEqual([10, 20, 10]);
    const [fn] = result.functions;
    expect(fn!.branches.map((b) => [b.kind, b.counters.map(count)])).toEqual([["if", [2, 1]]]);
    // entry block (3 calls), then arm (2), else arm (1); the function's final end starts no counted block
    expect(fn!.blocks.map((b) => count(b.counter))).toEqual([3, 2, 1]);
  });

  it("counts br_if taken and not taken, and the block after it", async () => {
    // skip(x) = { block; br_if 0 (x); i32.const 7; drop; end; 1 }: the middle runs only when x == 0
    const body = [0x02, 0x40, ...op.localGet(0), 0x0d, 0x00, ...op.i32Const(7), ...op.drop, 0x0b, ...op.i32Const(1)];
    const { exports, result, count } = await counted(
      tinyModule({ functions: [{ signature: sig("i32 -> i32"), export: "skip", body }] }),
    );
    for (const x of [1, 1, 1, 0]) exports.skip!(x);
    const [fn] = result.functions;
    expect(fn!.branches.map((b) => [b.kind, b.counters.map(count)])).toEqual([["br_if", [3, 1]]]);
    expect(fn!.blocks.map((b) => count(b.counter))).toEqual([4, 1, 4]);
  });

  it("counts which operand a select chose", async () => {
    // choose(x) = select(10, 20, x)
    const body = [...op.i32Const(10), ...op.i32Const(20), ...op.localGet(0), 0x1b];
    const { exports, result, count } = await counted(
      tinyModule({ functions: [{ signature: sig("i32 -> i32"), export: "choose", body }] }),
    );
    expect([0, 0, 3].map((x) => exports.choose!(x))).toEqual([20, 20, 10]);
    expect(result.functions[0]!.branches.map((b) => [b.kind, b.counters.map(count)])).toEqual([["select", [1, 2]]]);
  });

  it("counts each label of a br_table and its default", async () => {
    // route(x) = { block; block; br_table 0 1 (default 1) (x); end; return 100; end; 200 }
    const body = [
      0x02,
      0x40,
      0x02,
      0x40,
      ...op.localGet(0),
      0x0e,
      0x02,
      0x00,
      0x01,
      0x01,
      0x0b,
      ...op.i32Const(100),
      0x0f,
      0x0b,
      ...op.i32Const(200),
    ];
    const { exports, result, count } = await counted(
      tinyModule({ functions: [{ signature: sig("i32 -> i32"), export: "route", body }] }),
    );
    expect([0, 1, 7, 9, 0].map((x) => exports.route!(x))).toEqual([100, 200, 200, 200, 100]);
    const [table] = result.functions[0]!.branches;
    expect(table!.kind).toBe("br_table");
    expect(table!.counters.map(count)).toEqual([2, 1, 2]); // label 0, label 1, default (index >= 2)
  });

  it("leaves out what the filter rejects, and returns the module unchanged when nothing is left", () => {
    const bytes = tinyModule({ functions: [{ signature: sig("i32 -> i32"), export: "id", body: op.localGet(0) }] });
    const none = instrumentCoverage(bytes, { ...EVERYTHING, function: () => false });
    expect(none.counters).toBe(0);
    expect(none.bytes).toBe(bytes);
  });

  it("maps instrumented code offsets back to the original module", () => {
    const body = [...op.localGet(0), 0x04, 0x7f, ...op.i32Const(10), 0x05, ...op.i32Const(20), 0x0b];
    const bytes = tinyModule({ functions: [{ signature: sig("i32 -> i32"), export: "pick", body }] });
    const { bytes: out, offsets, functions } = instrumentCoverage(bytes, EVERYTHING);
    const ifOffset = functions[0]!.branches[0]!.offset;
    expect(bytes[ifOffset]).toBe(0x04);
    // find the `if` in the output: the instruction after the branch probe's last global.set
    const found = [...out.keys()].filter((i) => offsets.toOriginal(i) === ifOffset && out[i] === 0x04);
    expect(found).toHaveLength(1);
    expect(offsets.toOriginal(out.length + 10)).toBeUndefined();
  });
});
