// Execution limits (issue 13, finding 4): a module that loops forever or grows its memory without bound fails
// the test with a clear error naming the callback and the context, and never hangs the test process.
import { describe, expect, it } from "vitest";
import { sig } from "../abi/index.ts";
import { Emulator, WasmMemoryLimitError, WasmTimeoutError, WasmVmDeadError } from "./index.ts";
import { BR_0, END, growForever, LOOP, MEMORY_GROW, moduleWithRequestHeaders } from "./test-support/limit-modules.ts";
import { op, tinyModule } from "./test-support/tiny-wasm.ts";

const WASM32_MAX_PAGES = 65_536;

const loopForever = moduleWithRequestHeaders([...LOOP, ...BR_0, ...END, ...op.i32Const(0)]);
/** Asks for 4 GiB, is refused, and copes by asking for one page (AssemblyScript's allocator retries with less). */
const growThenRetry = moduleWithRequestHeaders([
  ...op.i32Const(WASM32_MAX_PAGES),
  ...MEMORY_GROW,
  ...op.drop,
  ...op.i32Const(1),
  ...MEMORY_GROW,
  ...op.drop,
  ...op.i32Const(0),
]);

/** Counts local 1 down from COUNT_DOWN (milliseconds of guest work per callback: far below the deadline even on a loaded machine). */
const COUNT_DOWN = 2_000_000;
const countDown = moduleWithRequestHeaders([
  ...op.i32Const(COUNT_DOWN),
  0x21,
  0x01, // local.set 1
  ...LOOP,
  ...op.localGet(1),
  ...op.i32Const(1),
  0x6b,
  0x22,
  0x01,
  0x0d,
  0x00,
  ...END, // i32.sub; local.tee 1; br_if 0
  ...op.i32Const(0),
]);

describe("the callback deadline", () => {
  it("stops a module looping forever in on_request_headers with WasmTimeoutError, within the deadline", async () => {
    const timeoutMs = 300;
    const emu = await Emulator.load(loopForever, { callbackTimeoutMs: timeoutMs });
    const stream = emu.httpStream();
    const started = performance.now();
    let error: unknown;
    try {
      stream.requestHeaders({ ":path": "/" });
    } catch (e) {
      error = e;
    }
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(WasmTimeoutError);
    const timeout = error as WasmTimeoutError;
    expect(timeout.exportName).toBe("proxy_on_request_headers");
    expect(timeout.contextId).toBe(stream.contextId);
    expect(timeout.message).toContain(
      `proxy_on_request_headers (context ${stream.contextId}) still ran after ${timeoutMs} ms`,
    );
    expect(timeout.hint).toContain("callbackTimeoutMs");
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs);
    expect(elapsed).toBeLessThan(timeoutMs + 2_000); // one fuel slice late at most; generous for a loaded machine
    // The VM is dead: the next stream is told so (watchdog/deadline.test.ts) instead of running the module again.
    expect(() => emu.httpStream().requestHeaders({ ":path": "/" })).toThrow(WasmVmDeadError);
  });

  it("gives each callback its own deadline: many long callbacks in a row run to completion", async () => {
    const timeoutMs = 400;
    const emu = await Emulator.load(countDown, { callbackTimeoutMs: timeoutMs });
    const started = performance.now();
    let requests = 0;
    // Run until the callbacks together took well over one deadline: a deadline shared across callbacks would fire.
    while (performance.now() - started < 3 * timeoutMs && requests < 100_000) {
      emu.httpStream().requestHeaders({ ":path": "/" }, { endOfStream: true });
      requests++;
    }
    expect(performance.now() - started).toBeGreaterThan(3 * timeoutMs);
    expect(emu.failed).toBe(false);
  });
});

describe("the deadline at start-up", () => {
  it("stops a module looping forever in proxy_on_vm_start: Emulator.load rejects with WasmTimeoutError", async () => {
    const loopingStart = tinyModule({
      functions: [
        { signature: sig("->"), export: "proxy_abi_version_0_2_1" },
        { signature: sig("i32 -> i32"), export: "malloc", body: op.i32Const(1024) },
        { signature: sig("i32 i32 ->"), export: "proxy_on_context_create" },
        {
          signature: sig("i32 i32 -> i32"),
          export: "proxy_on_vm_start",
          body: [...LOOP, ...BR_0, ...END, ...op.i32Const(1)],
        },
      ],
    });
    const error = await Emulator.load(loopingStart, { callbackTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WasmTimeoutError);
    expect((error as WasmTimeoutError).exportName).toBe("proxy_on_vm_start");
    expect((error as WasmTimeoutError).contextId).toBe(1);
  });
});

describe("the memory ceiling", () => {
  it("stops a module growing its memory past memoryLimitBytes with WasmMemoryLimitError", async () => {
    const limit = 8 * 2 ** 20;
    const emu = await Emulator.load(growForever, { memoryLimitBytes: limit });
    const stream = emu.httpStream();
    let error: unknown;
    try {
      stream.requestHeaders({ ":path": "/" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WasmMemoryLimitError);
    const memoryError = error as WasmMemoryLimitError;
    expect(memoryError.exportName).toBe("proxy_on_request_headers");
    expect(memoryError.contextId).toBe(stream.contextId);
    expect(memoryError.limitBytes).toBe(limit);
    expect(memoryError.requestedBytes).toBeGreaterThan(limit);
    expect(memoryError.message).toContain("over the limit of 8.0 MiB");
    expect(emu.vm.memoryBytes).toBeLessThanOrEqual(limit);
  });

  it("refuses growth past the ceiling like a declared maximum: a module that retries with less goes on", async () => {
    const emu = await Emulator.load(growThenRetry, { memoryLimitBytes: 8 * 2 ** 20 });
    const before = emu.vm.memoryBytes;
    emu.httpStream().requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(emu.failed).toBe(false);
    expect(emu.vm.memoryBytes).toBe(before + 65_536);
  });

  it("stops the same module at the 256 MiB default", async () => {
    const emu = await Emulator.load(growForever);
    expect(() => emu.httpStream().requestHeaders({ ":path": "/" })).toThrow(/over the limit of 256\.0 MiB/);
    expect(emu.vm.memoryBytes).toBeLessThanOrEqual(256 * 2 ** 20);
  });
});
