// Replays every recorded Envoy trace (test/differential/traces/<version>/<scenario>.json, written by
// `npm run record`) against the emulator: the emulator's rules are checked against what real Envoy did, in
// milliseconds and without Envoy. Fails on an unexplained divergence (see harness/src/scenario/known-divergences.ts).
import { existsSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { readTraces, replayTrace } from "@proxy-wasm-as/harness/scenario";
import { ALL_SCENARIOS } from "./all.scenarios.ts";
import { DIFF_VERSIONS, PROBE_WASM, TRACES_DIR } from "./settings.ts";

const byId = new Map(ALL_SCENARIOS.map((s) => [s.id, s]));

describe.each(DIFF_VERSIONS)("recorded Envoy %s traces replayed on the emulator", (version) => {
  const traces = existsSync(`${TRACES_DIR}/${version}`) ? readTraces(TRACES_DIR, version) : [];

  test("every scenario has a trace for this version", () => {
    expect(
      traces.map((t) => t.scenario).sort(),
      `traces in ${TRACES_DIR}/${version} do not match the scenarios: run \`npm run record\``,
    ).toEqual([...byId.keys()].sort());
  });

  test.each(traces.map((t) => [t.scenario, t] as const))("%s", async (id, trace) => {
    const scenario = byId.get(id);
    expect(scenario, `trace of unknown scenario ${id}: delete it or re-record`).toBeDefined();
    const result = await replayTrace(trace, scenario!, { wasm: PROBE_WASM });
    if (result.verdict === "diverged") throw new Error(`${scenario!.title}\n${result.report}`);
    expect(result.unexplained).toEqual([]);
  });
});
