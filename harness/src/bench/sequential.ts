// Deciding targets with as many interleaved rounds as they need, within a budget: a fixed number of base rounds for
// every variant, then more rounds only for the variants of targets whose interval still straddles their target,
// judged at planned looks until each target is decided or the rounds or the time run out.
//
// Looking again and again until an interval excludes the target would decide some targets by chance (optional
// stopping). So the looks are planned (the base rounds, then ×1.5 each time up to the round cap) and each look's
// interval has confidence 1 − (1 − overall) / looks (Bonferroni): over all looks, the chance of a wrong decision
// stays below 1 − overall. A look the budget forces early replaces the next planned one, so the count holds.
// And no target is decided on fewer than `minRounds` rounds: a bootstrap interval over a handful of rounds is only
// as wide as they happened to spread (over one round it has no width at all), so it would decide on noise.
import { MIN_ROUNDS_FOR_INTERVAL, type RatioEstimate, type Verdict, judge } from "./stats.ts";

/** How a run decides its targets. */
export interface DecisionPlan {
  /** Rounds every variant runs before the first look. */
  readonly baseRounds: number;
  /** No target gets more rounds than this. */
  readonly maxRounds: number;
  /** Round counts at which the open targets are judged, ascending: the first is baseRounds, the last maxRounds. */
  readonly looks: readonly number[];
  /** Confidence of the interval at each look. */
  readonly lookConfidence: number;
  /** Confidence over all looks together (what the decisions are worth). */
  readonly overallConfidence: number;
  /** No target is decided on fewer rounds than this. */
  readonly minRounds: number;
}

/** Options of {@link decisionPlan}. */
export interface DecisionPlanOptions {
  readonly baseRounds: number;
  /** Default: baseRounds (no extra rounds). */
  readonly maxRounds?: number;
  /** Each look after the first comes at this many times the previous look's rounds; default 1.5. */
  readonly growth?: number;
  /** Default 0.95. */
  readonly overallConfidence?: number;
  /** Default MIN_ROUNDS_FOR_INTERVAL (8). */
  readonly minRounds?: number;
}

/** Plans the looks: baseRounds, then ×growth (rounded up) until maxRounds, each at the Bonferroni confidence. */
export function decisionPlan(options: DecisionPlanOptions): DecisionPlan {
  const { baseRounds } = options;
  const maxRounds = options.maxRounds ?? baseRounds;
  const growth = options.growth ?? 1.5;
  const overallConfidence = options.overallConfidence ?? 0.95;
  if (!Number.isInteger(baseRounds) || baseRounds < 1)
    throw new RangeError(`baseRounds must be ≥ 1, got ${baseRounds}`);
  if (!Number.isInteger(maxRounds) || maxRounds < baseRounds)
    throw new RangeError(`maxRounds must be a whole number ≥ baseRounds (${baseRounds}), got ${maxRounds}`);
  if (!(growth > 1)) throw new RangeError(`growth must be above 1, got ${growth}`);
  const looks = [baseRounds];
  while (looks.at(-1)! < maxRounds)
    looks.push(Math.min(maxRounds, Math.max(looks.at(-1)! + 1, Math.ceil(looks.at(-1)! * growth))));
  return {
    baseRounds,
    maxRounds,
    looks,
    lookConfidence: 1 - (1 - overallConfidence) / looks.length,
    overallConfidence,
    minRounds: options.minRounds ?? MIN_ROUNDS_FOR_INTERVAL,
  };
}

/** A target to decide: `ratio ≥ wanted`, measured on the rounds of `variants`. */
export interface SequentialTarget {
  readonly id: string;
  readonly wanted: number;
  /** The variants whose rounds the ratio needs (e.g. ours and the one compared with). */
  readonly variants: readonly string[];
}

/** How a target's decision ended. */
export interface SequentialOutcome {
  readonly verdict: Verdict;
  /** The ratio at the look that decided it (or the last look), at the plan's look confidence. */
  readonly ratio?: RatioEstimate;
  /** Rounds the ratio is over. */
  readonly rounds: number;
  /** Looks it took (1 = decided at the base rounds). */
  readonly looks: number;
  /** decided; or still undecided when the round cap or the time budget was reached (even if with fewer than the plan's minRounds); no-data: no round had both figures. */
  readonly end: "decided" | "max-rounds" | "budget" | "no-data";
}

/** What {@link runSequential} needs from the run. */
export interface SequentialRun {
  readonly plan: DecisionPlan;
  readonly targets: readonly SequentialTarget[];
  /** Variants every base round measures besides the targets' (baselines, information rows). */
  readonly baseVariants: readonly string[];
  /** Measures round `round` (0-based) of `variants`; the caller chooses their order. */
  runRound(round: number, variants: readonly string[]): Promise<void>;
  /** `target`'s ratio over the rounds measured so far, with its interval at `confidence`. */
  ratio(target: SequentialTarget, confidence: number): RatioEstimate | undefined;
  /** Whether one more round of `variants` fits the time budget. */
  fits(round: number, variants: readonly string[]): boolean;
  /** Called after each look: the targets it decided, those it closed undecided (cap, budget), those still open. */
  onLook?(look: {
    readonly rounds: number;
    readonly index: number;
    readonly decided: string[];
    readonly undecided: string[];
    readonly open: string[];
    readonly budgetRanOut: boolean;
  }): void;
}

/** What {@link runSequential} did. */
export interface SequentialResult {
  readonly outcomes: ReadonlyMap<string, SequentialOutcome>;
  /** Rounds run in all (the base rounds included). */
  readonly rounds: number;
  /** True when the budget stopped the rounds before every target was decided or reached the cap. */
  readonly budgetRanOut: boolean;
}

/**
 * Runs base rounds of every variant, then, look by look, more rounds of only the variants the open targets need,
 * until every target is decided, reaches the plan's round cap, or the next round would not fit the budget.
 */
export async function runSequential(run: SequentialRun): Promise<SequentialResult> {
  const { plan } = run;
  const union = (lists: Iterable<readonly string[]>) => [...new Set([...lists].flat())];
  const open = new Map(run.targets.map((t) => [t.id, t]));
  const outcomes = new Map<string, SequentialOutcome>();
  const allVariants = union([run.baseVariants, ...run.targets.map((t) => t.variants)]);
  let round = 0;
  let budgetRanOut = false;
  for (let index = 0; index < plan.looks.length && open.size > 0; index++) {
    while (round < plan.looks[index]!) {
      const variants = round < plan.baseRounds ? allVariants : union([...open.values()].map((t) => t.variants));
      if (!run.fits(round, variants)) {
        budgetRanOut = true;
        break;
      }
      await run.runRound(round, variants);
      round++;
    }
    const last = index === plan.looks.length - 1;
    const decided: string[] = [];
    const undecided: string[] = [];
    for (const target of [...open.values()]) {
      const ratio = run.ratio(target, plan.lookConfidence);
      const verdict = ratio && ratio.rounds >= plan.minRounds ? judge(ratio, target.wanted) : "undecided";
      const end =
        ratio === undefined ? "no-data" : verdict !== "undecided" ? "decided" : budgetRanOut ? "budget" : "max-rounds";
      if (end === "decided" || budgetRanOut || last || ratio === undefined) {
        outcomes.set(target.id, { verdict, ratio, rounds: ratio?.rounds ?? 0, looks: index + 1, end });
        open.delete(target.id);
        (end === "decided" ? decided : undecided).push(target.id);
      }
    }
    run.onLook?.({ rounds: round, index, decided, undecided, open: [...open.keys()], budgetRanOut });
    if (budgetRanOut) break;
  }
  return { outcomes, rounds: round, budgetRanOut };
}
