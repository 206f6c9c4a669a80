// The watchdog's rewriter keeps every module valid and equivalent: same imports plus the two watchdog ones, same
// exports, same function names in traps; and it refuses (rather than corrupts) what it cannot decode.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sig } from "../../abi/index.ts";
import { op, tinyModule } from "../test-support/tiny-wasm.ts";
import { instrumentModule, WATCHDOG_IMPORT_MODULE } from "./instrument.ts";
import { BULK_BYTES_PER_FUEL, FUEL_SLICE } from "./watchdog.ts";

/** memory.fill and memory.copy on memory 0. */
const MEMORY_FILL = [0xfc, 0x0b, 0x00];
const MEMORY_COPY = [0xfc, 0x0a, 0x00, 0x00];
/** i32.load8_u with offset 7. */
const I32_LOAD8_U_AT_7 = [0x2d, 0x00, 0x07];

const BUILD = join(import.meta.dirname, "../../../../build");
const built = existsSync(BUILD) ? readdirSync(BUILD).filter((f) => f.endsWith(".wasm")) : [];

function instrumented(bytes: Uint8Array): Uint8Array {
  const result = instrumentModule(bytes, FUEL_SLICE);
  if (!result.ok) throw new Error(result.reason);
  return result.bytes;
}

describe("instrumentModule", () => {
  it.skipIf(built.length === 0)(
    "keeps every built module valid, with the same exports and imports plus the watchdog's",
    () => {
      for (const file of built) {
        const bytes = readFileSync(join(BUILD, file));
        const out = instrumented(bytes);
        expect(WebAssembly.validate(out as Uint8Array<ArrayBuffer>), file).toBe(true);
        const before = new WebAssembly.Module(bytes);
        const after = new WebAssembly.Module(out as Uint8Array<ArrayBuffer>);
        expect(WebAssembly.Module.exports(after), file).toEqual(WebAssembly.Module.exports(before));
        const added = WebAssembly.Module.imports(after).filter((i) => i.module === WATCHDOG_IMPORT_MODULE);
        expect(WebAssembly.Module.imports(after).length - added.length, file).toBe(
          WebAssembly.Module.imports(before).length,
        );
        expect(
          added.map((i) => i.name),
          file,
        ).toEqual(["tick", "memory_grow"]);
      }
    },
  );

  it("renumbers calls and exports: a module calling its own functions computes the same result", async () => {
    // f0 = import; f1 returns 41; f2 = f1() + 1 (a call whose index moves up by two).
    const bytes = tinyModule({
      imports: [{ module: "env", name: "ignored", signature: sig("->") }],
      functions: [
        { signature: sig("-> i32"), body: op.i32Const(41) },
        { signature: sig("-> i32"), export: "answer", body: [...op.call(1), ...op.i32Const(1), 0x6a] },
      ],
    });
    const imports = {
      env: { ignored: () => {} },
      [WATCHDOG_IMPORT_MODULE]: { tick: () => FUEL_SLICE, memory_grow: () => -1 },
    };
    const { instance } = await WebAssembly.instantiate(instrumented(bytes) as Uint8Array<ArrayBuffer>, imports);
    expect((instance.exports.answer as () => number)()).toBe(42);
  });

  it("calls tick once the fuel runs out, and memory_grow instead of memory.grow", async () => {
    const countDown = [
      ...op.i32Const(3 * 1000),
      0x21,
      0x00, // local.set 0
      0x03,
      0x40,
      ...op.localGet(0),
      ...op.i32Const(1),
      0x6b,
      0x22,
      0x00,
      0x0d,
      0x00,
      0x0b, // loop … br_if 0
      ...op.i32Const(2),
      0x40,
      0x00, // memory.grow 2
    ];
    const bytes = tinyModule({ functions: [{ signature: sig("i32 -> i32"), export: "run", body: countDown }] });
    let ticks = 0;
    const grows: number[] = [];
    const imports = {
      [WATCHDOG_IMPORT_MODULE]: {
        tick: () => {
          ticks++;
          return 1000;
        },
        memory_grow: (pages: number) => {
          grows.push(pages);
          return 7;
        },
      },
    };
    const out = instrumentModule(bytes, 1000);
    if (!out.ok) throw new Error(out.reason);
    const { instance } = await WebAssembly.instantiate(out.bytes as Uint8Array<ArrayBuffer>, imports);
    expect((instance.exports.run as (n: number) => number)(0)).toBe(7);
    expect(ticks).toBe(3); // 1 function entry + 3000 loop iterations, 1000 fuel per slice
    expect(grows).toEqual([2]);
  });

  it("maps the offsets V8 reports in the instrumented binary back to the original's (trap and caller frames)", async () => {
    // f0 = import; f1: a loop that runs once, then unreachable; f2 (exported) calls f1 (a renumbered call).
    const loopOnce = [0x03, 0x40, 0x0b]; // loop end: a loop header gets a fuel check
    const bytes = tinyModule({
      imports: [{ module: "env", name: "ignored", signature: sig("->") }],
      functions: [
        { signature: sig("->"), body: [...loopOnce, ...op.unreachable] },
        { signature: sig("->"), export: "run", body: [0x01, ...op.call(1)] }, // nop; call f1
      ],
    });
    const trapOffsets = async (module: Uint8Array, extra: Record<string, Record<string, () => number>> = {}) => {
      const { instance } = await WebAssembly.instantiate(module as Uint8Array<ArrayBuffer>, {
        env: { ignored: () => {} },
        ...extra,
      });
      try {
        (instance.exports.run as () => void)();
      } catch (e) {
        return [...((e as Error).stack ?? "").matchAll(/wasm-function\[\d+\]:0x([0-9a-f]+)/g)].map((m) =>
          Number.parseInt(m[1]!, 16),
        );
      }
      throw new Error("no trap");
    };
    const out = instrumentModule(bytes, FUEL_SLICE);
    if (!out.ok) throw new Error(out.reason);
    const original = await trapOffsets(bytes);
    const instrumented = await trapOffsets(out.bytes, {
      [WATCHDOG_IMPORT_MODULE]: { tick: () => FUEL_SLICE, memory_grow: () => -1 },
    });
    expect(original).toHaveLength(2);
    expect(instrumented).not.toEqual(original); // the code moved…
    expect(instrumented.map((o) => out.offsets.toOriginal(o))).toEqual(original); // …and the map takes it back
  });

  it("charges bulk memory operations fuel in proportion to their length, leaving their operands as they were", async () => {
    // run(n): fills n bytes with 7 (memory.fill), copies them 8 bytes up (memory.copy), returns the byte at n + 7.
    const fillAndCopy = [
      ...op.i32Const(0),
      ...op.i32Const(7),
      ...op.localGet(0),
      ...MEMORY_FILL,
      ...op.i32Const(8),
      ...op.i32Const(0),
      ...op.localGet(0),
      ...MEMORY_COPY,
      ...op.localGet(0),
      ...I32_LOAD8_U_AT_7,
    ];
    const bytes = tinyModule({ functions: [{ signature: sig("i32 -> i32"), export: "run", body: fillAndCopy }] });
    const slice = 1000;
    let ticks = 0;
    const imports = {
      [WATCHDOG_IMPORT_MODULE]: {
        tick: () => {
          ticks++;
          return slice;
        },
        memory_grow: () => -1,
      },
    };
    const out = instrumentModule(bytes, slice);
    if (!out.ok) throw new Error(out.reason);
    const { instance } = await WebAssembly.instantiate(out.bytes as Uint8Array<ArrayBuffer>, imports);
    const run = instance.exports.run as (n: number) => number;
    expect(run(16)).toBe(7); // 8 fuel for 32 bytes, 1 for the entry: no tick
    expect(ticks).toBe(0);
    const bytesPerSlice = slice * BULK_BYTES_PER_FUEL;
    expect(run(bytesPerSlice)).toBe(7); // the fill uses up the slice (tick), so does the copy (tick)
    expect(ticks).toBe(2);
  });

  it("refuses a module with a 64-bit memory, whose bulk operations and memory.grow take i64 operands", () => {
    const bytes = tinyModule({ functions: [{ signature: sig("->"), export: "run" }] });
    const memorySection = [0x05, 0x03, 0x01, 0x00, 0x01]; // one memory: flags 0, 1 page
    const at = bytes.findIndex((_, i) => memorySection.every((b, j) => bytes[i + j] === b));
    expect(at).toBeGreaterThan(0);
    bytes[at + 3] = 0x04; // flags: 64-bit index
    const result = instrumentModule(bytes, FUEL_SLICE);
    expect(result.ok ? "" : result.reason).toContain("64-bit memory");
  });

  it("refuses a module with an instruction it does not decode, saying which", () => {
    const bytes = tinyModule({ functions: [{ signature: sig("->"), export: "gc", body: [0xfb, 0x00] }] });
    const result = instrumentModule(bytes, FUEL_SLICE);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.reason).toContain("instruction 0xfb");
  });
});
