// The deadline is time, not work (issue 24, item 3): a loop whose iterations are bulk memory operations or host
// calls is stopped within twice the deadline (before, both still ran after 45 s), and once an execution limit has
// stopped the VM, later streams say the VM is dead and why instead of re-throwing the first error word for word.
import { describe, expect, it } from "vitest";
import { sig } from "../../abi/index.ts";
import { Emulator, WasmMemoryLimitError, WasmTimeoutError, WasmVmDeadError, type EmulatorOptions } from "../index.ts";
import { BR_0, END, growForever, LOOP, MEMORY_GROW, moduleWithRequestHeaders } from "../test-support/limit-modules.ts";
import { op } from "../test-support/tiny-wasm.ts";

/** memory.fill on memory 0: [destination, value, length] → []. */
const MEMORY_FILL = [0xfc, 0x0b, 0x00];
/** i32.store with 4-byte alignment at offset 0. */
const I32_STORE = [0x36, 0x02, 0x00];
const FILL_BYTES = 32 * 2 ** 20;
const WASM_PAGE = 65_536;
/** Request headers, the map the header host calls below use (proxy-wasm's map type 0). */
const REQUEST_HEADERS = 0;
/** Where the modules below keep the header name and value they pass to the host (both "x-a" / ":x"). */
const NAME_AT = 16;

/** Grows the memory to hold FILL_BYTES, then fills all of it with one memory.fill per iteration, forever. */
const fillForever = moduleWithRequestHeaders([
  ...op.i32Const(FILL_BYTES / WASM_PAGE),
  ...MEMORY_GROW,
  ...op.drop,
  ...LOOP,
  ...op.i32Const(0),
  ...op.i32Const(0x2a),
  ...op.i32Const(FILL_BYTES),
  ...MEMORY_FILL,
  ...BR_0,
  ...END,
  ...op.i32Const(0),
]);

const HEADER_CALL = sig("i32 i32 i32 i32 i32 -> i32");

/** Stores `name` (up to 4 ASCII bytes) at NAME_AT, then calls the imported header function 0 with it, forever. */
function headerCallForever(importName: string, name: string): Uint8Array {
  const word = [...name].reduce((w, c, i) => w + c.charCodeAt(0) * 256 ** i, 0);
  return moduleWithRequestHeaders(
    [
      ...op.i32Const(NAME_AT),
      ...op.i32Const(word),
      ...I32_STORE,
      ...LOOP,
      ...op.i32Const(REQUEST_HEADERS),
      ...op.i32Const(NAME_AT),
      ...op.i32Const(name.length),
      ...op.i32Const(NAME_AT),
      ...op.i32Const(name.length),
      ...op.call(0),
      ...op.drop,
      ...BR_0,
      ...END,
      ...op.i32Const(0),
    ],
    [{ module: "env", name: importName, signature: HEADER_CALL }],
  );
}

/** Runs the request headers of a new stream; returns what it threw and how long it ran. */
function timedRequestHeaders(emu: Emulator): { error: unknown; elapsedMs: number } {
  const started = performance.now();
  try {
    emu.httpStream().requestHeaders({ ":path": "/" });
    return { error: undefined, elapsedMs: performance.now() - started };
  } catch (error) {
    return { error, elapsedMs: performance.now() - started };
  }
}

const DEADLINE_MS = 1_000;
const options: EmulatorOptions = { callbackTimeoutMs: DEADLINE_MS, logLevel: "error" };

describe("the deadline counts time spent outside the guest's own instructions", () => {
  it.each([
    ["a 32 MiB memory.fill per iteration", fillForever],
    // Adding a pseudo-header is linear in the map's size (it goes before the first regular header), so every
    // call is slower than the one before: the loop does fewer iterations per second the longer it runs.
    ["proxy_add_header_map_value(':x') per iteration", headerCallForever("proxy_add_header_map_value", ":x")],
    ["proxy_replace_header_map_value('x-a') per iteration", headerCallForever("proxy_replace_header_map_value", "x-a")],
  ])("stops a loop doing %s within twice the deadline", async (_, wasm) => {
    const emu = await Emulator.load(wasm, options);
    const { error, elapsedMs } = timedRequestHeaders(emu);
    expect(error).toBeInstanceOf(WasmTimeoutError);
    expect((error as WasmTimeoutError).exportName).toBe("proxy_on_request_headers");
    expect(elapsedMs).toBeGreaterThanOrEqual(DEADLINE_MS);
    expect(elapsedMs).toBeLessThan(2 * DEADLINE_MS); // the requirement: before, still running after 45 s
  });
});

describe("after an execution limit stopped the VM", () => {
  it("says the VM is dead and why to every later stream and connection, without repeating the first error", async () => {
    const emu = await Emulator.load(headerCallForever("proxy_replace_header_map_value", "x-a"), {
      ...options,
      callbackTimeoutMs: 200,
    });
    const inFlight = emu.httpStream(); // opened before the VM died: its first callback finds it dead
    const first = emu.httpStream();
    let original: unknown;
    try {
      first.requestHeaders({ ":path": "/" });
    } catch (e) {
      original = e;
    }
    expect(original).toBeInstanceOf(WasmTimeoutError);
    const timeout = original as WasmTimeoutError;

    const later = (() => {
      try {
        emu.httpStream();
      } catch (e) {
        return e;
      }
    })();
    expect(later).toBeInstanceOf(WasmVmDeadError);
    const dead = later as WasmVmDeadError;
    expect(dead.cause).toBe(timeout);
    expect(dead.original).toBe(timeout);
    const [headline] = dead.message.split("\n");
    expect(headline).toBe(
      `the Wasm VM is dead: WasmTimeoutError in proxy_on_request_headers (context ${first.contextId}) stopped it earlier ` +
        `(proxy_on_request_headers (context ${first.contextId}) still ran after 200 ms: the emulator stopped it); a new stream was not run. ` +
        "Envoy has no deadline: its worker thread would still be running that callback, and every stream on it would wait.",
    );
    expect(dead.hint).toContain("error.cause");
    expect(dead.message).not.toBe(timeout.message);
    expect(dead.message).not.toContain("the module logged nothing"); // the first error's body is not repeated

    expect(() => inFlight.requestHeaders({ ":path": "/" })).toThrow(
      /; proxy_on_context_create \(context \d+\) was not run\./,
    );
    expect(() => emu.tcpConnection()).toThrow(/the Wasm VM is dead: .* a new connection was not run/);
    expect(() => emu.httpStream()).toThrow(WasmVmDeadError); // and so on: the VM stays dead
  });

  it("names a memory limit as the reason, with what Envoy would do instead", async () => {
    const emu = await Emulator.load(growForever, { ...options, memoryLimitBytes: 8 * 2 ** 20 });
    const { error } = timedRequestHeaders(emu);
    expect(error).toBeInstanceOf(WasmMemoryLimitError);
    const dead = timedRequestHeaders(emu).error as WasmVmDeadError;
    expect(dead).toBeInstanceOf(WasmVmDeadError);
    expect(dead.cause).toBe(error);
    expect(dead.message).toMatch(
      /^the Wasm VM is dead: WasmMemoryLimitError in proxy_on_request_headers \(context \d+\) stopped it earlier \(.*over the limit of 8\.0 MiB\); a new stream was not run\. Envoy lets the memory grow to about 4 GiB/,
    );
  });
});
