// A trap in the emulator, told in the filter's own source lines (test/fixtures/traps, release build + the map the
// build keeps beside it): the message a user sees, word for word where it matters, for an AssemblyScript throw,
// an out-of-bounds load, `unreachable` and a failed assert; the watchdog's limits; the matchers; and a module without its map.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  Emulator,
  WasmMemoryLimitError,
  WasmTimeoutError,
  WasmTrapError,
  type SourceFrame,
} from "@proxy-wasm-as/harness";
import { filterMatchers } from "@proxy-wasm-as/harness/vitest";

expect.extend(filterMatchers);

const RELEASE = "build/traps.wasm";
const DEBUG = "build/traps.debug.wasm";
const scratch = mkdtempSync(join(tmpdir(), "traps-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const where = (f: SourceFrame | undefined) => f && `${f.file}:${f.line}:${f.column} in ${f.function}`;

/** Sends a request asking the probe for `kind` and returns the result and the emulator's trap. */
async function trapped(kind: string, options: Parameters<typeof Emulator.load>[1] = {}, wasm = RELEASE) {
  const emulator = await Emulator.load(wasm, options);
  const result = await emulator.request({ path: "/", headers: { "x-trap": kind } }, () => ({ status: 200 }));
  const error = emulator.failures[0];
  expect(error).toBeInstanceOf(WasmTrapError);
  return { result, error: error! };
}

describe("a trap names the source line and function of the filter", () => {
  test("unreachable()", async () => {
    const { result, error } = await trapped("unreachable");
    expect(result.status).toBe(503);
    expect(error.message.split("\n").slice(0, 4)).toEqual([
      "Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable",
      "  at test/fixtures/traps/index.ts:22:32 in TrapOnRequest.onRequestHeaders",
      '    22 |     if (kind == "unreachable") unreachable();',
      "       |                                ^",
    ]);
    expect(error.frames[0]).toMatchObject({
      file: "test/fixtures/traps/index.ts",
      line: 22,
      column: 32,
      function: "TrapOnRequest.onRequestHeaders",
      kind: "user",
    });
    expect(error.hint).toBe(
      "look at test/fixtures/traps/index.ts:22:32 in TrapOnRequest.onRequestHeaders and the module's logs above; the VM stays failed, as in Envoy (error.frames has every frame)",
    );
  });

  test("an AssemblyScript throw (abort): the throw's line, next to the SDK's abort log line", async () => {
    const { error } = await trapped("abort");
    expect(error.message.split("\n").slice(0, 2)).toEqual([
      "Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable",
      "  at test/fixtures/traps/index.ts:20:42 in TrapOnRequest.onRequestHeaders",
    ]);
    expect(error.message).toContain(
      "  [critical] abort: trap requested by x-trap: abort at test/fixtures/traps/index.ts:20:26",
    );
  });

  test("a direct abort() call traps too, at the call's line, after the SDK's abort log line", async () => {
    const { result, error } = await trapped("abort-call");
    expect(result.status).toBe(503);
    expect(where(error.frames.find((f) => f.kind === "user"))).toMatch(
      /^test\/fixtures\/traps\/index\.ts:26:\d+ in TrapOnRequest\.onRequestHeaders$/,
    );
    expect(error.message).toContain("  [critical] abort: abort() called for x-trap: abort-call\n");
  });

  test("an out-of-bounds load, in a second file of the filter", async () => {
    const { error } = await trapped("bounds");
    expect(error.message.split("\n").slice(0, 4)).toEqual([
      "Function: proxy_on_request_headers failed: Uncaught RuntimeError: memory access out of bounds",
      "  at test/fixtures/traps/memory.ts:6:10 in readPastMemory",
      "    6 |   return <Action>load<u32>(<usize>0xffff_fff0 + <usize>offset);",
      "      |          ^",
    ]);
  });

  test("a failed assert (debug build), which the release build drops (noAssert)", async () => {
    const { error } = await trapped("assert", {}, DEBUG);
    expect(where(error.frames[0])).toMatch(
      /^test\/fixtures\/traps\/index\.ts:25:\d+ in TrapOnRequest\.onRequestHeaders$/,
    );
    expect(error.message).toContain(
      "  [critical] abort: assert requested by x-trap at test/fixtures/traps/index.ts:25:",
    );
    const release = await Emulator.load(RELEASE);
    const passed = await release.request({ path: "/", headers: { "x-trap": "assert" } }, () => ({ status: 200 }));
    expect(passed).toHaveStatus(200);
  });

  test("the same frames with and without the watchdog's instrumentation (its offset map)", async () => {
    for (const kind of ["unreachable", "abort", "bounds"]) {
      // coverage: false: under `vitest --coverage` the coverage build would run instead, with frames of its own
      const guarded = (await trapped(kind, { coverage: false })).error.frames;
      const plain = (await trapped(kind, { watchdog: false })).error.frames;
      expect(guarded.map(where), kind).toEqual(plain.map(where));
    }
  });

  test("the debug build shows every frame: the filter's, then the SDK's dispatch", async () => {
    const { error } = await trapped("bounds", {}, DEBUG);
    const shown = error.frames.filter((f) => f.line !== undefined).map(where);
    expect(shown).toEqual([
      "test/fixtures/traps/memory.ts:6:10 in readPastMemory",
      "test/fixtures/traps/index.ts:21:34 in TrapOnRequest.onRequestHeaders",
      expect.stringMatching(
        /^node_modules\/@proxy-wasm-as\/sdk\/assembly\/dispatch\/exports\.ts:\d+:\d+ in proxy_on_request_headers$/,
      ),
    ]);
    expect(error.message).toContain("in proxy_on_request_headers (proxy-wasm-as SDK)");
  });
});

describe("the watchdog's limits name the source line too", () => {
  test("a loop that never ends: WasmTimeoutError at the loop", async () => {
    const emulator = await Emulator.load(RELEASE, { callbackTimeoutMs: 200 });
    const error = await emulator
      .request({ path: "/", headers: { "x-trap": "loop" } }, () => ({ status: 200 }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WasmTimeoutError);
    const timeout = error as WasmTimeoutError;
    const mine = timeout.frames.find((f) => f.kind === "user");
    expect(where(mine)).toBe("test/fixtures/traps/index.ts:23:12 in TrapOnRequest.onRequestHeaders");
    expect(timeout.message).toContain(
      [
        "  at test/fixtures/traps/index.ts:23:12 in TrapOnRequest.onRequestHeaders",
        '    23 |     while (kind == "loop") headerCount++;',
        "       |            ^",
      ].join("\n"),
    );
    expect(timeout.hint).toContain(
      "look for a loop that never ends in this callback (test/fixtures/traps/index.ts:23:12 in TrapOnRequest.onRequestHeaders)",
    );
  });

  test("memory that grows past the ceiling: WasmMemoryLimitError where the filter allocates", async () => {
    const emulator = await Emulator.load(DEBUG, { memoryLimitBytes: 8 * 2 ** 20 });
    const error = await emulator
      .request({ path: "/", headers: { "x-trap": "memory" } }, () => ({ status: 200 }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WasmMemoryLimitError);
    const limit = error as WasmMemoryLimitError;
    expect(where(limit.frames[0])).toBe("~lib/rt/tlsf.ts:445:9 in growMemory");
    expect(limit.frames.filter((f) => f.kind === "user").map(where)).toEqual([
      "test/fixtures/traps/memory.ts:14:15 in hoard",
      "test/fixtures/traps/index.ts:24:34 in TrapOnRequest.onRequestHeaders",
    ]);
    expect(limit.hint).toContain("e.g. where test/fixtures/traps/memory.ts:14:15 in hoard allocates");
  });
});

describe("what a test sees", () => {
  test("a matcher's failure message shows the trap and the filter's source line", async () => {
    const { result } = await trapped("unreachable");
    expect(() => expect(result).toHaveStatus(200)).toThrow(
      [
        "expected status 200, got 503",
        "The filter trapped:",
        "  Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable",
        "    at test/fixtures/traps/index.ts:22:32 in TrapOnRequest.onRequestHeaders",
        '      22 |     if (kind == "unreachable") unreachable();',
        "         |                                ^",
      ].join("\n"),
    );
    expect(() => expect(result).toHaveReachedUpstream()).toThrow(
      /none did\nThe filter trapped:\n {2}Function: proxy_on_request_headers failed/,
    );
  });

  test("a release module without its map: Wasm frames, and how to get source lines", async () => {
    const alone = join(scratch, "traps.wasm");
    copyFileSync(RELEASE, alone);
    const { error } = await trapped("unreachable", {}, alone);
    expect(error.frames[0]?.line).toBeUndefined();
    expect(error.message).toMatch(
      /\n {2}at wasm-function\[\d+\] \(Wasm offset 0x[0-9a-f]+, no source position\)\n {2}\(no source lines: no source map found \(looked for .*traps\.wasm\.map\)\)/,
    );
    expect(error.hint).toContain(
      "For source lines, build the module with `proxy-wasm-as build` (it keeps build/<name>.wasm.map beside the module)",
    );
  });

  test("an explicit sourceMap option finds a map kept elsewhere", async () => {
    const alone = join(scratch, "elsewhere.wasm");
    copyFileSync(RELEASE, alone);
    const { error } = await trapped("unreachable", { sourceMap: `${RELEASE}.map` }, alone);
    expect(where(error.frames[0])).toBe("test/fixtures/traps/index.ts:22:32 in TrapOnRequest.onRequestHeaders");
  });
});
