// The recorder: runs scenarios in real Envoy with the probe module, which logs every callback with its arguments
// and the values Envoy's host calls return (headers, bodies, properties, statuses), and stores what Envoy did as a
// JSON trace per scenario and Envoy version. Replaying a trace runs the same scenario on the emulator and compares
// it with the recorded Envoy observation, so every emulator rule the suite relies on has a real trace behind it,
// and the check runs in milliseconds without Envoy.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareScenario, type ScenarioResult } from "./compare.ts";
import { runOnEmulator } from "./emulator-backend.ts";
import { EnvoySuite, type EnvoySuiteOptions, type ScenarioLogLine } from "./envoy-backend.ts";
import { probeConfig } from "./plugin.ts";
import type { KnownDivergence } from "./known-divergences.ts";
import type { Scenario, ScenarioObservation } from "./types.ts";

/** One recorded trace: a scenario as real Envoy ran it. */
export interface ScenarioTrace {
  /** Trace format version. */
  readonly format: 1;
  readonly scenario: string;
  readonly title: string;
  /** The Envoy version that produced it. */
  readonly envoyVersion: string;
  /** The probe configuration Envoy ran. */
  readonly probeConfig: string;
  /** The scenario's traffic and environment when recorded (see {@link scenarioDefinition}); a replay needs it unchanged. */
  readonly definition: string;
  /** What the probe logged while Envoy started (on_vm_start/on_configure of the canary and the worker VM). */
  readonly startup: readonly string[];
  /** Envoy's observation: client, upstream, events (callbacks with arguments and host-call results), metrics. */
  readonly observation: ScenarioObservation;
  /** Every line the plugin logged (start-up included) with Envoy's level name and the whole message (ports normalised). */
  readonly log?: readonly ScenarioLogLine[];
}

/** What a trace depends on: everything in a scenario but its title and expectations, as canonical JSON. */
export function scenarioDefinition(scenario: Scenario): string {
  const { title: _title, expect: _expect, ...definition } = scenario;
  return JSON.stringify(definition);
}

/** Where the trace of `scenario` on Envoy `version` lives under `dir`. */
export function tracePath(dir: string, version: string, scenario: string): string {
  return join(dir, version, `${scenario}.json`);
}

/**
 * Records `scenarios` in one Envoy (`options.version`) and writes one trace per scenario under
 * `<dir>/<version>/<scenario>.json`. Returns the traces.
 */
export async function recordTraces(
  scenarios: readonly Scenario[],
  dir: string,
  options: EnvoySuiteOptions,
): Promise<ScenarioTrace[]> {
  const traces: ScenarioTrace[] = [];
  const left = [...scenarios];
  while (left.length > 0) {
    const suite = await EnvoySuite.start(left, options);
    try {
      const version = suite.envoy.version;
      mkdirSync(join(dir, version), { recursive: true });
      // A scenario that aborts Envoy (its trace shows the panic) ends this Envoy; a new one records the rest.
      while (left.length > 0 && !suite.crashed) {
        const scenario = left.shift()!;
        const observation = await suite.run(scenario);
        const trace: ScenarioTrace = {
          format: 1,
          scenario: scenario.id,
          title: scenario.title,
          envoyVersion: version,
          probeConfig: probeConfig(scenario),
          definition: scenarioDefinition(scenario),
          startup: suite.startupEvents(scenario),
          observation,
          log: suite.logLines(scenario),
        };
        writeFileSync(tracePath(dir, version, scenario.id), `${JSON.stringify(trace, null, 2)}\n`);
        traces.push(trace);
      }
    } finally {
      await suite.stop();
    }
  }
  return traces;
}

/** Every trace under `<dir>/<version>/` (all versions when `version` is omitted). */
export function readTraces(dir: string, version?: string): ScenarioTrace[] {
  const versions = version
    ? [version]
    : readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
  return versions.flatMap((v) =>
    readdirSync(join(dir, v))
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(dir, v, f), "utf8")) as ScenarioTrace),
  );
}

/**
 * Replays a recorded trace: runs `scenario` on the emulator and compares it with the recorded Envoy observation
 * (known divergences applied). Throws when the scenario changed since the trace was recorded (re-record then).
 */
export async function replayTrace(
  trace: ScenarioTrace,
  scenario: Scenario,
  options: { wasm: string; known?: readonly KnownDivergence[] },
): Promise<ScenarioResult> {
  if (scenarioDefinition(scenario) !== trace.definition) {
    throw new Error(
      `scenario "${scenario.id}" changed since its trace was recorded on Envoy ${trace.envoyVersion}; record its trace again with recordTraces() (in the proxy-wasm-as repository: \`npm run record\`)`,
    );
  }
  const emulator = await runOnEmulator(scenario, { wasm: options.wasm });
  return compareScenario(scenario, emulator, trace.observation, trace.envoyVersion, options.known);
}
