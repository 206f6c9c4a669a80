// A trap in a coverage run is told in the same source line as without coverage: the frames go back through the
// watchdog's rewrite and the coverage pass's to the coverage build (build/coverage/traps.wasm, which
// scripts/build.ts always builds for this fixture), then through its map. test/unit/traps.test.ts has the same
// traps without coverage.
import { expect, test } from "vitest";
import { Emulator, WasmTrapError } from "@proxy-wasm-as/harness";
import { takeCoverage } from "@proxy-wasm-as/harness/coverage";

async function trapWithCoverage(kind: string): Promise<string[]> {
  const emulator = await Emulator.load("build/traps.wasm", { coverage: true });
  const result = await emulator.request({ path: "/", headers: { "x-trap": kind } }, () => ({ status: 200 }));
  expect(result.status).toBe(503);
  expect(emulator.failures[0]).toBeInstanceOf(WasmTrapError);
  return emulator.failures[0]!.message.split("\n");
}

test("unreachable() under coverage: the line, column and function of the source", async () => {
  expect((await trapWithCoverage("unreachable")).slice(0, 4)).toEqual([
    "Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable",
    "  at test/fixtures/traps/index.ts:22:32 in TrapOnRequest.onRequestHeaders",
    '    22 |     if (kind == "unreachable") unreachable();',
    "       |                                ^",
  ]);
  // and the run was measured: the trapping line ran once
  const file = Object.entries(takeCoverage({ reset: false })).find(([path]) =>
    path.endsWith("test/fixtures/traps/index.ts"),
  )?.[1];
  const line22 = Object.entries(file?.statementMap ?? {}).find(([, range]) => range.start.line === 22)?.[0];
  expect(line22 !== undefined && file!.s[line22]).toBeGreaterThanOrEqual(1);
});

test("an out-of-bounds load under coverage, in the filter's second file", async () => {
  expect((await trapWithCoverage("bounds")).slice(0, 2)).toEqual([
    "Function: proxy_on_request_headers failed: Uncaught RuntimeError: memory access out of bounds",
    "  at test/fixtures/traps/memory.ts:6:10 in readPastMemory",
  ]);
});
