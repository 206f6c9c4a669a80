// Records the Envoy traces of every differential scenario: `npm run record` (all versions of the matrix) or
// `node test/differential/record.ts 1.36.4`. One Envoy per version runs every scenario; each trace is written to
// test/differential/traces/<version>/<scenario>.json and is replayed against the emulator by
// traces.test.ts (unit project, no Envoy). Re-record after changing a scenario or the probe.
import { resolve } from "node:path";
import { recordTraces } from "@proxy-wasm-as/harness";
import { ALL_SCENARIOS } from "./all.scenarios.ts";
import { DIFF_VERSIONS, PROBE_WASM, TRACES_DIR } from "./settings.ts";

const versions = process.argv.length > 2 ? process.argv.slice(2) : DIFF_VERSIONS;
for (const version of versions) {
  const started = performance.now();
  const traces = await recordTraces(ALL_SCENARIOS, TRACES_DIR, { wasm: PROBE_WASM, version });
  console.log(`Envoy ${version}: ${traces.length} traces in ${resolve(TRACES_DIR, traces[0]?.envoyVersion ?? version)} (${Math.round(performance.now() - started)} ms)`);
}
