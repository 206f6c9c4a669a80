// Envoy's fatal conditions, live: real Envoy (every version of the matrix) aborts on the scenarios of
// aborts.scenarios.ts, the emulator throws EnvoyWouldAbortError at the same host call, and runDifferential marks
// each scenario "envoy-aborts" (report.ok false) and starts a new Envoy for the scenarios after it.
import { describe, expect, test } from "vitest";
import { runDifferential } from "@proxy-wasm-as/harness/scenario";
import { aborts, controlScenarioAfterAbort } from "./aborts.scenarios.ts";
import { DIFF_VERSIONS, PROBE_WASM } from "./settings.ts";

describe("runDifferential on a module that makes Envoy abort", () => {
  test("the scenario is envoy-aborts on every version, and the scenario after it still runs on a new Envoy", async () => {
    const report = await runDifferential([...aborts, controlScenarioAfterAbort], {
      wasm: PROBE_WASM,
      versions: DIFF_VERSIONS,
      onResult: () => {},
    });
    console.log(report.format());
    expect(report.ok).toBe(false);
    expect(report.results.map((r) => [r.scenario, r.version, r.verdict])).toEqual(
      DIFF_VERSIONS.flatMap((v) => [
        ...aborts.map((s) => [s.id, v, "envoy-aborts"]),
        [controlScenarioAfterAbort.id, v, "pass"],
      ]),
    );
    expect(report.format()).toContain('aborts during exchange #0 ("panic: unset oneof")');
  }, 180_000);
});
