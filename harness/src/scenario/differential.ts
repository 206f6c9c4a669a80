// Differential testing of anyone's module: your own `.wasm` and scenarios, run on the emulator and on real Envoy
// (every version you name), compared field by field, with the side-by-side divergence report and the
// compatibility table. Scenarios for your own module set `plugin` (its configuration) instead of `probe`; the
// module's log lines are the events, and an exchange ends on Envoy when its logs have settled (see QUIET_MS).
import { progress } from "../envoy/errors.ts";
import { DEFAULT_ENVOY_VERSION } from "../envoy/settings.ts";
import type { RunnerKind } from "../envoy/settings.ts";
import { CompatibilityTable, compareScenario, type ScenarioResult, type Verdict } from "./compare.ts";
import { runOnEmulator } from "./emulator-backend.ts";
import { EnvoySuite } from "./envoy-backend.ts";
import type { KnownDivergence } from "./known-divergences.ts";
import type { Scenario } from "./types.ts";

/** Verdicts that fail a run: an unexplained divergence, a failed expectation, an Envoy abort. */
const FAILING: ReadonlySet<Verdict> = new Set(["diverged", "failed-expectation", "envoy-aborts"]);

/** Options of {@link runDifferential}. */
export interface DifferentialOptions {
  /** Your module (path to the `.wasm`). */
  readonly wasm: string;
  /** Envoy versions to compare with; default the pinned one. Each must be provisioned (`npx proxy-wasm-as envoy provision --version <x.y.z>`). */
  readonly versions?: readonly string[];
  /** "process" (default: fast) or "container". */
  readonly runner?: RunnerKind;
  /** Differences you accept, each with its reason (default none: your module's scenarios are held to equality). */
  readonly known?: readonly KnownDivergence[];
  /** Called after each scenario and version (default: a progress line on stderr unless ENVOY_HARNESS_QUIET=1). */
  readonly onResult?: (result: ScenarioResult) => void;
}

/** The outcome of {@link runDifferential}. */
export interface DifferentialReport {
  /** One result per scenario and version, in run order. */
  readonly results: readonly ScenarioResult[];
  /** The compatibility table over scenarios × versions. */
  readonly table: CompatibilityTable;
  /** True when every result is "pass" or "diverged-known" (equal, or explained by `known`). */
  readonly ok: boolean;
  /** The table, then the side-by-side report of every scenario that diverged. */
  format(): string;
}

/**
 * Runs `scenarios` with your module on the emulator and on real Envoy, once per version, and compares them.
 * One Envoy per version serves all scenarios (a listener and a VM each; a scenario whose module makes Envoy abort is
 * marked "envoy-aborts" and a new Envoy serves the scenarios after it); a fresh emulator runs each scenario.
 * Rejects, before starting anything, a scenario with neither `probe` nor `plugin`, or with both.
 */
export async function runDifferential(
  scenarios: readonly Scenario[],
  options: DifferentialOptions,
): Promise<DifferentialReport> {
  for (const scenario of scenarios) {
    if (!scenario.probe === !scenario.plugin) {
      throw new Error(
        `scenario "${scenario.id}": set exactly one of probe (the project's probe module) and plugin (your module's configuration)`,
      );
    }
  }
  const table = new CompatibilityTable();
  const results: ScenarioResult[] = [];
  const report =
    options.onResult ??
    ((r: ScenarioResult) => progress(`differential ${r.scenario} on Envoy ${r.version}: ${r.verdict}`));
  for (const version of options.versions ?? [DEFAULT_ENVOY_VERSION]) {
    const left = [...scenarios];
    while (left.length > 0) {
      const suite = await EnvoySuite.start(left, { wasm: options.wasm, version, runner: options.runner });
      try {
        while (left.length > 0 && !suite.crashed) {
          const scenario = left.shift()!;
          const envoySide = await suite.run(scenario);
          const emulatorSide = await runOnEmulator(scenario, { wasm: options.wasm });
          const result = compareScenario(scenario, emulatorSide, envoySide, suite.envoy.version, options.known ?? []);
          table.record(result);
          results.push(result);
          report(result);
        }
      } finally {
        await suite.stop(); // after a scenario aborted Envoy, a new one serves the scenarios left
      }
    }
  }
  const diverged = results.filter((r) => FAILING.has(r.verdict));
  return {
    results,
    table,
    ok: diverged.length === 0,
    format: () =>
      [table.format(), ...diverged.map((r) => `\n${r.scenario} on Envoy ${r.version}:\n${r.report}`)].join("\n"),
  };
}
