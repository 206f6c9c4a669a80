// Records the Envoy traces of every differential scenario: `npm run record` (all versions of the matrix),
// `node test/differential/record.ts 1.36.4`, or only some suites: `npm run record -- --suite cm-router`. One Envoy per version runs every scenario; each trace is written to
// test/differential/traces/<version>/<scenario>.json and is replayed against the emulator by
// traces.test.ts (unit project, no Envoy). Re-record after changing a scenario or the probe.
import { resolve } from "node:path";
import { recordTraces } from "@proxy-wasm-as/harness/scenario";
import { ALL_SCENARIOS, SUITES } from "./all.scenarios.ts";
import { DIFF_VERSIONS, PROBE_WASM, TRACES_DIR } from "./settings.ts";

const args = process.argv.slice(2);
const suites: string[] = [];
for (let i = args.indexOf("--suite"); i >= 0; i = args.indexOf("--suite")) suites.push(...args.splice(i, 2).slice(1));
const unknown = suites.filter((s) => !SUITES[s]);
if (unknown.length > 0)
  throw new Error(`unknown suite(s) ${unknown.join(", ")}; known: ${Object.keys(SUITES).join(", ")}`);
const scenarios = suites.length > 0 ? suites.flatMap((s) => SUITES[s]!) : ALL_SCENARIOS;
const versions = args.length > 0 ? args : DIFF_VERSIONS;
for (const version of versions) {
  const started = performance.now();
  const traces = await recordTraces(scenarios, TRACES_DIR, { wasm: PROBE_WASM, version });
  console.log(
    `Envoy ${version}: ${traces.length} traces in ${resolve(TRACES_DIR, traces[0]?.envoyVersion ?? version)} (${Math.round(performance.now() - started)} ms)`,
  );
}
