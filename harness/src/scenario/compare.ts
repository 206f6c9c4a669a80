// One scenario's verdict on one Envoy version (comparison + expectations + known divergences), and the
// compatibility table over scenarios × versions.
import { checkExpectations, diffObservations, formatSideBySide, type Divergence } from "./diff.ts";
import { explainDivergence, KNOWN_DIVERGENCES, type KnownDivergence } from "./known-divergences.ts";
import type { Scenario, ScenarioObservation } from "./types.ts";

/**
 * pass: same observations and expectations hold; diverged-known: only documented differences; diverged: the
 * backends differ in a way no known divergence explains; failed-expectation: the backends agree but the scenario's
 * own expectations do not hold (the module, or the expectation, is wrong, not the emulator); envoy-aborts: the module makes Envoy's process abort, and the emulator threw EnvoyWouldAbortError at the
 * same point (both backends agree, but the module must be fixed: the report names the panic and the host call).
 */
export type Verdict = "pass" | "diverged-known" | "diverged" | "failed-expectation" | "envoy-aborts";

/** The outcome of a scenario on one Envoy version. */
export interface ScenarioResult {
  readonly scenario: string;
  /** The Envoy version compared with the emulator. */
  readonly version: string;
  readonly verdict: Verdict;
  /** Every divergence found. */
  readonly divergences: readonly Divergence[];
  /** Divergences with no known-divergence entry (the suite fails on these). */
  readonly unexplained: readonly Divergence[];
  /** Known divergences that explained some of them. */
  readonly explainedBy: readonly KnownDivergence[];
  /** Broken expectations on either backend (also fail the suite). */
  readonly expectationFailures: readonly string[];
  /** Side-by-side report (empty when both backends agree). */
  readonly report: string;
}

/** Compares the emulator's and Envoy's observations of `scenario` and checks its expectations on both. */
export function compareScenario(
  scenario: Scenario,
  emulator: ScenarioObservation,
  envoy: ScenarioObservation,
  version: string,
  known: readonly KnownDivergence[] = KNOWN_DIVERGENCES,
): ScenarioResult {
  const abortAt = Math.min(emulator.abort?.exchange ?? Infinity, envoy.abort?.exchange ?? Infinity);
  // What happened before Envoy aborted is compared as usual; the exchange that aborted has no client answer.
  const before = (o: ScenarioObservation): ScenarioObservation =>
    Number.isFinite(abortAt) ? { ...o, exchanges: o.exchanges.slice(0, abortAt), metrics: {} } : o;
  const divergences = diffObservations(before(emulator), before(envoy));
  if ((emulator.abort?.panic ?? "") !== (envoy.abort?.panic ?? ""))
    divergences.push({
      scenario: scenario.id,
      exchange: Math.min(abortAt, Math.max(emulator.exchanges.length, envoy.exchanges.length) - 1),
      field: "abort",
      left: emulator.abort ? `${emulator.abort.panic} (${emulator.abort.detail})` : "(absent)",
      right: envoy.abort ? envoy.abort.detail : "(absent)",
    });
  const notes = new Map<Divergence, string>();
  const explainedBy = new Set<KnownDivergence>();
  const unexplained: Divergence[] = [];
  for (const d of divergences) {
    const k = explainDivergence(d, version, known);
    if (k) {
      notes.set(d, `${k.id}: ${k.reason} (trace ${k.trace})`);
      explainedBy.add(k);
    } else unexplained.push(d);
  }
  // A scenario that aborts Envoy has no outcome to hold expectations against.
  const bothAbort = emulator.abort !== undefined && envoy.abort !== undefined;
  const expectationFailures = Number.isFinite(abortAt)
    ? []
    : [...checkExpectations(scenario, emulator), ...checkExpectations(scenario, envoy)];
  const verdict: Verdict =
    unexplained.length > 0
      ? "diverged"
      : expectationFailures.length > 0
        ? "failed-expectation"
        : bothAbort
          ? "envoy-aborts"
          : divergences.length > 0
            ? "diverged-known"
            : "pass";
  const abortLine = bothAbort
    ? [
        `  Envoy ${version} aborts during exchange #${envoy.abort!.exchange} ("${envoy.abort!.panic}"): the module's ${emulator.abort!.detail} makes its process crash; the emulator threw EnvoyWouldAbortError at the same call (its message says how to fix the module).`,
      ]
    : [];
  const failing = verdict === "diverged" || verdict === "failed-expectation" || verdict === "envoy-aborts";
  // Envoy's own warnings and errors are shown only for a failing scenario, as what may explain it.
  const envoyLog = failing && envoy.envoyLog?.length ? envoy.envoyLog.slice(0, MAX_ENVOY_LOG_LINES) : [];
  const expectationHead =
    expectationFailures.length > 0 && divergences.length === 0
      ? [
          `scenario ${scenario.id}: the emulator and ${envoy.backend} agree; ${expectationFailures.length} expectation(s) of the scenario failed (check the module, or the expectation):`,
        ]
      : [];
  const report =
    divergences.length > 0 || expectationFailures.length > 0 || bothAbort
      ? [
          ...abortLine,
          ...expectationHead,
          ...(divergences.length > 0 ? [formatSideBySide(emulator, envoy, divergences, notes)] : []),
          ...expectationFailures.map((f) => `  expectation: ${f}`),
          ...(envoyLog.length > 0 ? [`  ${envoy.backend}'s own warnings and errors meanwhile:`] : []),
          ...envoyLog.map((l) => `    ${l}`),
        ].join("\n")
      : "";
  return {
    scenario: scenario.id,
    version,
    verdict,
    divergences,
    unexplained,
    explainedBy: [...explainedBy],
    expectationFailures,
    report,
  };
}

/** At most this many of Envoy's own warning lines in a report. */
const MAX_ENVOY_LOG_LINES = 10;

/** Scenario × Envoy version → verdict, printed as a table. */
export class CompatibilityTable {
  readonly #results = new Map<string, Map<string, ScenarioResult>>();
  readonly #versions = new Set<string>();

  /** Adds (or replaces) one result. */
  record(result: ScenarioResult): void {
    this.#versions.add(result.version);
    if (!this.#results.has(result.scenario)) this.#results.set(result.scenario, new Map());
    this.#results.get(result.scenario)!.set(result.version, result);
  }

  /** Every recorded result. */
  results(): ScenarioResult[] {
    return [...this.#results.values()].flatMap((m) => [...m.values()]);
  }

  /** The table as text: one row per scenario, one column per version, and a totals line. */
  format(title = "compatibility"): string {
    const versions = [...this.#versions].sort();
    const idWidth = Math.max(8, ...[...this.#results.keys()].map((k) => k.length)) + 2;
    const lines = [
      `${title}: emulator vs Envoy`,
      `${"scenario".padEnd(idWidth)}${versions.map((v) => v.padEnd(16)).join("")}`,
    ];
    for (const [id, byVersion] of [...this.#results].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`${id.padEnd(idWidth)}${versions.map((v) => (byVersion.get(v)?.verdict ?? "-").padEnd(16)).join("")}`);
    }
    const totals = versions.map((v) => {
      const all = this.results().filter((r) => r.version === v);
      const count = (verdict: Verdict) => all.filter((r) => r.verdict === verdict).length;
      const extra = (["failed-expectation", "envoy-aborts"] as const)
        .filter((verdict) => count(verdict) > 0)
        .map((verdict) => `, ${count(verdict)} ${verdict}`)
        .join("");
      return `${v}: ${count("pass")} pass, ${count("diverged-known")} diverged-known, ${count("diverged")} diverged${extra}`;
    });
    lines.push(totals.join(" | "));
    return lines.join("\n");
  }
}
