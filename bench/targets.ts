// The targets of the suite and how each becomes a row of the report: the comparisons decided over rounds (with
// the sequential decisions of bench/rounds.ts), the A/A control, and the paragraph that says how the decisions
// were made and what the budget left open. Pure: the run's figures in, report rows out.
import {
  type DecisionPlan,
  type RatioEstimate,
  type SequentialOutcome,
  formatPercent,
  formatRatio,
  judge,
  ratioOverRounds,
  relativeHalfWidth,
} from "@proxy-wasm-as/harness/bench";
import { type Pair, pairKeyOf, pairRatio } from "./concurrent.ts";
import type { TargetResult, VariantResult } from "./report.ts";
import type { RatioTargetSpec } from "./rounds.ts";

/** Id of the A/A control: the floor's module in a second Envoy (see below). */
export const A_A_CONTROL_ID = "floor-again";

/** The A/A control as comparisons: the second Envoy's floor against the first's, paired like the targets. */
export const A_A_CONTROL_SPECS: readonly RatioTargetSpec[] = (["throughput", "cpu"] as const).map((metric) => ({
  name: `A/A control (${metric})`,
  metric,
  workload: "headers",
  ours: A_A_CONTROL_ID,
  other: "floor",
  wanted: 1,
  info: true,
  paired: true,
}));

/**
 * The comparisons, in the report's order. Targets (not `info`) still undecided after the base rounds get extra
 * rounds (bench/rounds.ts); information rows are judged on the base rounds.
 */
export const RATIO_TARGETS: readonly RatioTargetSpec[] = [
  {
    name: "our headers filter vs the floor (throughput)",
    metric: "throughput",
    workload: "headers",
    other: "floor",
    wanted: 0.97,
  },
  {
    name: "our headers filter vs the floor (Envoy CPU per request)",
    metric: "cpu",
    workload: "headers",
    other: "floor",
    wanted: 0.97,
  },
  { name: "our headers filter vs Go SDK", metric: "throughput", workload: "headers", other: "go", wanted: 1.0 },
  {
    name: "our headers filter vs solo-io proxy-runtime",
    metric: "throughput",
    workload: "headers",
    other: "proxy-runtime",
    wanted: 1.0,
  },
  { name: "our headers filter vs Rust SDK", metric: "throughput", workload: "headers", other: "rust", wanted: 1.0 },
  { name: "our jwt-auth filter vs Go SDK", metric: "throughput", workload: "jwt", other: "go", wanted: 1.0 },
  // Both jwt workloads, the native filter with its token cache on (bench/envoy-config.ts): the same token on every
  // request (both caches hit), and a different one on every request (every request pays a full verification).
  ...(
    [
      ["jwt", "same token"],
      ["jwt-distinct", "distinct tokens"],
    ] as const
  ).flatMap(([workload, tokens]): RatioTargetSpec[] => [
    {
      name: `our jwt-auth vs Envoy native jwt_authn, ${tokens} (throughput)`,
      metric: "throughput",
      workload,
      other: "native",
      wanted: 1.0,
    },
    {
      name: `our jwt-auth vs Envoy native jwt_authn, ${tokens} (Envoy CPU per request)`,
      metric: "cpu",
      workload,
      other: "native",
      wanted: 1.0,
    },
  ]),
  {
    // What any Wasm module pays Envoy for the jwt work's calls (bench/variants/floor-jwt): the bound on the row above.
    name: "the jwt boundary floor (host calls only, no verification) vs Envoy native jwt_authn, same token",
    metric: "throughput",
    workload: "jwt",
    ours: "floor",
    other: "native",
    wanted: 0,
    info: true,
    paired: true,
  },
  {
    name: "our headers filter vs no filter",
    metric: "throughput",
    workload: "headers",
    other: "none",
    wanted: 0.95,
    info: true,
  },
  {
    name: "our headers filter vs Envoy native header mutation",
    metric: "throughput",
    workload: "headers",
    other: "native",
    wanted: 0.9,
    info: true,
  },
];

/** What the rows are made from. */
export interface TargetContext {
  readonly results: readonly VariantResult[];
  /** How each target's sequential decision ended (bench/rounds.ts). */
  readonly outcomes: ReadonlyMap<string, SequentialOutcome>;
  readonly plan: DecisionPlan;
  /** BENCH_BUDGET_S, for the wording. */
  readonly budgetSeconds: number;
  /** The paired rounds (bench/concurrent.ts): targets, information rows and the A/A control are judged on these. */
  readonly pairs?: readonly Pair[];
  /** True when the targets were decided on paired rounds (the default method), false with BENCH_METHOD=sequential. */
  readonly paired?: boolean;
}

/** The paired rounds of `spec`'s comparison, if they ran. */
const pairOf = (ctx: TargetContext, spec: Pick<RatioTargetSpec, "workload" | "ours" | "other">) =>
  ctx.pairs?.find((p) => p.key === pairKeyOf(spec) && p.rounds.some((x) => x !== undefined));

/** Median of the defined values (NaN when none). */
function medianOf(values: readonly (number | undefined)[]): number {
  const xs = values.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

const fmtNumber = (n: number | undefined) => (n === undefined ? "—" : n.toFixed(0));

function find(ctx: TargetContext, workload: string, id: string): VariantResult | undefined {
  return ctx.results.find((r) => r.workload === workload && r.id === id && !r.skipped);
}

function byRounds(ours: VariantResult, other: VariantResult) {
  const values = (xs: readonly (number | null)[] | undefined) => (xs ?? []).map((x) => x ?? undefined);
  return {
    throughput: ratioOverRounds(values(ours.roundsRps), values(other.roundsRps)),
    // Less CPU per request is better: other / ours, so that above 1 means ours is ahead, as for throughput.
    cpu: ratioOverRounds(values(other.roundsCpuMicros), values(ours.roundsCpuMicros)),
  };
}

/** How a target's rounds ended: "decided after 15 rounds (look 2 of 5)", or why it is still undecided. */
export function describeOutcome(ctx: TargetContext, outcome: SequentialOutcome | undefined): string | undefined {
  const { plan } = ctx;
  if (outcome === undefined) return undefined;
  const rounds = `${outcome.rounds} round${outcome.rounds === 1 ? "" : "s"}${outcome.rounds < plan.minRounds ? ` (a decision needs ${plan.minRounds})` : ""}`;
  return outcome.end === "decided"
    ? `decided after ${rounds} (look ${outcome.looks} of ${plan.looks.length})`
    : outcome.end === "budget"
      ? `undecided after ${rounds}: the time budget ran out (BENCH_BUDGET_S=${ctx.budgetSeconds})`
      : outcome.end === "max-rounds"
        ? `undecided after ${rounds}: the round cap (BENCH_MAX_ROUNDS=${plan.maxRounds})`
        : "no round measured both";
}

/** The report row of `spec`: its decision from the sequential rounds (targets) or its 95 % interval (information rows). */
export function ratioTarget(spec: RatioTargetSpec, ctx: TargetContext): TargetResult {
  const { plan } = ctx;
  const { name, metric, workload, wanted, info = false } = spec;
  const ours = find(ctx, workload, spec.ours ?? "as");
  const other = find(ctx, workload, spec.other);
  const target = `≥ ${wanted.toFixed(2)}× ${metric === "throughput" ? "throughput" : "by Envoy CPU per request"}`;
  if (!ours || !other)
    return {
      name,
      target,
      measured: "—",
      met: undefined,
      info,
      why: `${!ours ? "our filter" : spec.other} did not run`,
    };
  const outcome = info ? undefined : ctx.outcomes.get(name);
  // A target's interval is the one of the look that decided it (or the last look): wider than 95 %, see plan.
  const pair = pairOf(ctx, spec);
  const ratio: RatioEstimate | undefined =
    outcome?.ratio ?? (pair ? pairRatio(spec, pair) : byRounds(ours, other)[metric]);
  if (!ratio) return { name, target, measured: "—", met: undefined, info, why: "no round has both figures" };
  // The sequential decision, which also requires the plan's minimum rounds; judge() alone for a target the rounds
  // did not decide on (none: every non-information target is in the plan).
  const verdict = outcome ? outcome.verdict : ratio.rounds >= plan.minRounds ? judge(ratio, wanted) : "undecided";
  const pick = (side: "first" | "second") =>
    medianOf(
      (pair?.rounds ?? []).map((x) =>
        x === undefined ? undefined : metric === "throughput" ? x[side].requestsPerSecond : x[side].cpuMicrosPerRequest,
      ),
    );
  const absolute = pair
    ? metric === "throughput"
      ? `paired medians ${fmtNumber(pick("first"))} vs ${fmtNumber(pick("second"))} req/s, each on half a core`
      : `paired medians ${fmtNumber(pick("first"))} vs ${fmtNumber(pick("second"))} µs/request`
    : metric === "throughput"
      ? `medians ${fmtNumber(ours.requestsPerSecond)} vs ${fmtNumber(other.requestsPerSecond)} req/s`
      : `medians ${fmtNumber(ours.cpuMicrosPerRequest)} vs ${fmtNumber(other.cpuMicrosPerRequest)} µs/request`;
  const margin = Math.abs(ratio.estimate - wanted);
  const halfWidth = (ratio.high - ratio.low) / 2;
  const noise = `interval half-width ${(halfWidth * 100).toFixed(1)} % vs margin ${(margin * 100).toFixed(1)} %; per-round ${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)}`;
  if (info)
    return {
      name,
      target: "—",
      measured: `${formatRatio(ratio)} (${absolute})`,
      met: undefined,
      info,
      why: wanted === 0 ? undefined : `formerly ${target}`,
    };
  const interval = `${formatPercent(ratio.confidence)} interval`;
  return {
    name,
    target,
    measured: `${formatRatio(ratio)} (${absolute})`,
    met: verdict === "undecided" ? undefined : verdict === "met",
    undecided: verdict === "undecided",
    rounds: describeOutcome(ctx, outcome),
    why:
      verdict === "met"
        ? undefined
        : verdict === "undecided"
          ? ratio.rounds < plan.minRounds
            ? `only ${ratio.rounds} round${ratio.rounds === 1 ? "" : "s"}, too few to decide on (${noise})`
            : `the ${interval} contains the target (${noise})`
          : `the whole ${interval} is below the target (${noise})`,
  };
}

/** The A/A control: the floor against itself in a second Envoy. Its interval should contain 1; if not, the method is biased in this run. */
export function controlTarget(metric: "throughput" | "cpu", ctx: TargetContext): TargetResult | undefined {
  const { plan } = ctx;
  const floor = find(ctx, "headers", "floor");
  const again = find(ctx, "headers", A_A_CONTROL_ID);
  if (!floor || !again) return undefined;
  const spec = A_A_CONTROL_SPECS.find((x) => x.metric === metric)!;
  const pair = pairOf(ctx, spec);
  const ratio = pair ? pairRatio(spec, pair) : byRounds(again, floor)[metric];
  const name = `A/A control: the floor vs the floor in a second Envoy (${metric === "throughput" ? "throughput" : "Envoy CPU per request"}${pair ? ", paired" : ""})`;
  const target = "interval contains 1.00×";
  if (!ratio) return { name, target, measured: "—", met: undefined, why: "no round has both figures" };
  if (ratio.rounds < plan.minRounds)
    return {
      name,
      target,
      measured: formatRatio(ratio),
      met: undefined,
      why: `only ${ratio.rounds} round${ratio.rounds === 1 ? "" : "s"}: too few for its interval to mean anything (${plan.minRounds} needed)`,
    };
  const unbiased = ratio.low <= 1 && ratio.high >= 1;
  return {
    name,
    target,
    measured: formatRatio(ratio),
    met: unbiased,
    why: unbiased
      ? undefined
      : `two Envoys doing the same work differ by ${(Math.abs(ratio.estimate - 1) * 100).toFixed(1)} % in this run: read the other ratios' intervals as at least ±${(relativeHalfWidth(ratio) * 100 + Math.abs(ratio.estimate - 1) * 100).toFixed(1)} % wide`,
  };
}

/** The paragraph above the targets: how targets are decided, the budget, and what this run decided or left open. */
export function decisionsSummary(ctx: TargetContext, rounds: number, budgetRanOut: boolean): string {
  const { plan } = ctx;
  const decided = [...ctx.outcomes.values()];
  // Undecided targets grouped by how they ended ("undecided after 23 rounds: the time budget ran out"): names.
  const undecidedGroups = new Map<string, string[]>();
  for (const [name, o] of ctx.outcomes) {
    const how = describeOutcome(ctx, o)!;
    if (o.end !== "decided") undecidedGroups.set(how, [...(undecidedGroups.get(how) ?? []), name]);
  }
  const undecidedNames = [...undecidedGroups].map(([how, names]) => `${how}: ${names.join("; ")}`);
  return [
    `Decisions: a target is judged${ctx.paired ? " on paired rounds (its two variants measured at the same time, bench/concurrent.ts)" : " on sequential rounds (BENCH_METHOD=sequential)"} after the ${plan.baseRounds} base rounds${plan.looks.length > 1 ? ` and, while its interval still contains it, again after ${plan.looks.slice(1).join(", ")} rounds (extra rounds run only the ${ctx.paired ? "pairs" : "variants"} of open targets)` : ""}; each look uses a ${formatPercent(plan.lookConfidence)} interval, so that over all ${plan.looks.length} look(s) the chance of a wrong decision stays under ${formatPercent(1 - plan.overallConfidence)} (Bonferroni), and nothing is decided on fewer than ${plan.minRounds} rounds. Budget: BENCH_BUDGET_S=${ctx.budgetSeconds} s for the whole run, of which the extra rounds get what the memory phase and the reports leave.`,
    `This run: ${rounds} ${ctx.paired ? "paired " : ""}rounds in all; ${decided.filter((o) => o.end === "decided").length} of ${decided.length} targets decided${budgetRanOut ? "; the time budget ran out" : ""}.`,
    undecidedNames.length ? `Still ${undecidedNames.join(". Still ")}.` : "Every target was decided.",
  ].join(" ");
}
