// Runs a list of scenarios as a vitest suite on both backends and every Envoy version of the matrix: one Envoy
// per version serves all scenarios of the file; each scenario is one test that fails on an unexplained
// divergence or a broken expectation, with the side-by-side report as the failure message. The file's
// compatibility table (scenario × version) is printed at the end and saved under build/differential/.
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, test } from "vitest";
import {
  CompatibilityTable,
  EnvoySuite,
  compareScenario,
  runOnEmulator,
  type Scenario,
} from "@proxy-wasm-as/harness/scenario";
import { DIFF_VERSIONS, PROBE_WASM } from "./settings.ts";

/** Registers one vitest suite per Envoy version for `scenarios`, named `name`. */
export function differentialSuite(name: string, scenarios: readonly Scenario[]): void {
  const table = new CompatibilityTable();
  describe.each(DIFF_VERSIONS)(`${name} on Envoy %s`, (version) => {
    let suite: EnvoySuite | undefined;
    beforeAll(async () => {
      suite = await EnvoySuite.start(scenarios, { wasm: PROBE_WASM, version });
    });
    afterAll(async () => {
      await suite?.stop();
    });
    test.each(scenarios.map((s) => [s.id, s] as const))("%s", async (_id, scenario) => {
      const envoySide = await suite!.run(scenario);
      const emulatorSide = await runOnEmulator(scenario, { wasm: PROBE_WASM });
      const result = compareScenario(scenario, emulatorSide, envoySide, suite!.envoy.version);
      table.record(result);
      if (result.verdict === "diverged") throw new Error(`${scenario.title}\n${result.report}`);
    });
  });
  afterAll(() => {
    if (table.results().length === 0) return;
    const text = table.format(name);
    console.log(text);
    const dir = resolve("build/differential");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      resolve(dir, `${name}.json`),
      JSON.stringify(
        table.results().map(({ scenario, version, verdict, unexplained, explainedBy }) => ({
          scenario,
          version,
          verdict,
          unexplained,
          known: explainedBy.map((k) => k.id),
        })),
        null,
        2,
      ),
    );
  });
}
