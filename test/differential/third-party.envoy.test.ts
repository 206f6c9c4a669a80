// Differential testing of modules we did not write for the suite, through the public API (runDifferential): the
// Rust-SDK module (built from test/fixtures/rust-filter with cargo) and an AssemblyScript module outside filters/
// (test/fixtures/add-header) run on the emulator and on real Envoy (every version of the matrix); the test fails
// with the side-by-side report on any divergence.
import { describe, expect, test } from "vitest";
import { runDifferential, type Scenario } from "@proxy-wasm-as/harness/scenario";
import { buildRustFilter } from "../fixtures/rust-filter/build.ts";
import { DIFF_VERSIONS } from "./settings.ts";
import { ADD_HEADER_WASM, addHeaderScenarios, rustScenarios } from "./third-party.scenarios.ts";

const rust = buildRustFilter();

describe("runDifferential on modules from elsewhere", () => {
  test.skipIf(rust.skip)(
    "Rust-SDK module: every scenario equal on the emulator and on Envoy",
    async () => {
      const report = await runDifferential(rustScenarios, { wasm: rust.path!, versions: DIFF_VERSIONS });
      console.log(report.format());
      expect(report.ok, report.format()).toBe(true);
      expect(report.results).toHaveLength(rustScenarios.length * DIFF_VERSIONS.length);
    },
    180_000,
  );

  test("AssemblyScript module outside filters/: every scenario equal on the emulator and on Envoy", async () => {
    const report = await runDifferential(addHeaderScenarios, { wasm: ADD_HEADER_WASM, versions: DIFF_VERSIONS });
    console.log(report.format());
    expect(report.ok, report.format()).toBe(true);
    expect(report.results.map((r) => r.verdict)).toEqual(
      Array(addHeaderScenarios.length * DIFF_VERSIONS.length).fill("pass"),
    );
  }, 180_000);

  test("a broken expectation makes the report fail and say where, on both backends", async () => {
    const wrong: Scenario = {
      ...addHeaderScenarios[0]!,
      id: "as-add-header-wrong",
      expect: { responses: [{ status: 418 }] },
    };
    const report = await runDifferential([wrong], {
      wasm: ADD_HEADER_WASM,
      versions: DIFF_VERSIONS.slice(0, 1),
      onResult: () => {},
    });
    expect(report.ok).toBe(false);
    expect(report.format()).toContain("as-add-header-wrong");
    expect(report.results[0]!.expectationFailures).toEqual([
      "emulator: request 0 status 200, expected 418",
      `envoy-${DIFF_VERSIONS[0]}: request 0 status 200, expected 418`,
    ]);
  }, 120_000);
});
