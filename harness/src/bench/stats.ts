// Ratios between two variants measured in the same interleaved rounds, with a bootstrap confidence interval, the
// rule that decides a target with it, the order of the variants in each round, and the warnings a ratio earns.
// Pure: no I/O. Hand-written (a percentile bootstrap and a permutation are a few lines each; a statistics
// package would bring far more than this needs) with a seeded generator, so a report is reproducible from its
// per-round figures. Used by `proxy-wasm-as bench` and by the repository's benchmark suite (bench/).

/** A ratio of two variants over rounds: the point estimate and its bootstrap interval. */
export interface RatioEstimate {
  /** Geometric mean of the per-round ratios (robust to one variant's round being long or short). */
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
  /** Confidence of [low, high], e.g. 0.95. */
  readonly confidence: number;
  /** Rounds that had both figures. */
  readonly rounds: number;
  /** Smallest and largest per-round ratio. */
  readonly min: number;
  readonly max: number;
}

/** Resamples per interval. */
const RESAMPLES = 10_000;
/** The confidence of an interval when the caller asks for none. */
export const DEFAULT_CONFIDENCE = 0.95;
/** Fixed seed: the same rounds always give the same interval. */
const SEED = 0x5eed;
/** Below this many rounds a percentile bootstrap interval is too narrow to trust: it can only be as wide as the few rounds happened to spread. */
export const MIN_ROUNDS_FOR_INTERVAL = 8;
/** An interval wider than ±this (relative) cannot tell apart the differences a filter usually makes. */
export const WIDE_INTERVAL_HALF_WIDTH = 0.05;

/** mulberry32: a small, well-known 32-bit generator; enough for resampling indexes and round orders. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Per-round ratios `numerator[i] / denominator[i]` (rounds where either is missing, not positive or not finite are
 * left out), summarised as a geometric mean with a percentile bootstrap interval over rounds at `confidence`
 * (default 95 %). Returns undefined when no round has both figures.
 */
export function ratioOverRounds(
  numerator: readonly (number | undefined)[],
  denominator: readonly (number | undefined)[],
  confidence: number = DEFAULT_CONFIDENCE,
): RatioEstimate | undefined {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const logs: number[] = [];
  for (let i = 0; i < Math.min(numerator.length, denominator.length); i++) {
    const a = numerator[i];
    const b = denominator[i];
    if (a !== undefined && b !== undefined && a > 0 && b > 0 && Number.isFinite(a / b)) logs.push(Math.log(a / b));
  }
  if (logs.length === 0) return undefined;
  const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  const random = generator(SEED);
  const means = new Float64Array(RESAMPLES);
  for (let r = 0; r < RESAMPLES; r++) {
    let sum = 0;
    for (let i = 0; i < logs.length; i++) sum += logs[Math.floor(random() * logs.length)]!;
    means[r] = sum / logs.length;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  return {
    estimate: Math.exp(mean(logs)),
    low: Math.exp(means[Math.floor(tail * (RESAMPLES - 1))]!),
    high: Math.exp(means[Math.ceil((1 - tail) * (RESAMPLES - 1))]!),
    confidence,
    rounds: logs.length,
    min: Math.exp(Math.min(...logs)),
    max: Math.exp(Math.max(...logs)),
  };
}

/** met: the whole interval is at or above `wanted`; missed: entirely below; undecided: the interval straddles it. */
export type Verdict = "met" | "missed" | "undecided";

/** Decides `ratio ≥ wanted` from the interval, never from the point estimate alone. */
export function judge(ratio: RatioEstimate, wanted: number): Verdict {
  if (ratio.low >= wanted) return "met";
  if (ratio.high < wanted) return "missed";
  return "undecided";
}

/** Half the interval's width relative to the estimate: 0.03 means "± 3 %". */
export function relativeHalfWidth(ratio: RatioEstimate): number {
  return (ratio.high - ratio.low) / 2 / ratio.estimate;
}

/** "0.981× [0.952–1.010], 12 rounds"; an interval other than 95 % names its confidence: "…, 12 rounds, 99 % interval". */
export function formatRatio(ratio: RatioEstimate): string {
  const confidence =
    Math.abs(ratio.confidence - DEFAULT_CONFIDENCE) < 1e-9 ? "" : `, ${formatPercent(ratio.confidence)} interval`;
  return `${ratio.estimate.toFixed(3)}× [${ratio.low.toFixed(3)}–${ratio.high.toFixed(3)}], ${ratio.rounds} round${ratio.rounds === 1 ? "" : "s"}${confidence}`;
}

/** 0.95 → "95 %", 0.99 → "99 %", 0.9875 → "98.75 %". */
export function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))} %`;
}

/** How {@link ratioWarnings} words its advice. */
export interface WarningWording {
  /** What the ratio measures, e.g. "throughput" (names the interval in the width warning). */
  readonly what: string;
  /** How to ask for more rounds, e.g. "--rounds 10 or more". */
  readonly more: string;
}

/**
 * What a reader must know before trusting `ratio`: too few rounds for the interval to mean much, or an interval
 * too wide to tell apart the differences that matter. Empty when neither applies. The few-rounds warning does not
 * depend on `wording.what`, so warnings of several ratios of one run can be deduplicated.
 */
export function ratioWarnings(ratio: RatioEstimate, wording: WarningWording): string[] {
  const warnings: string[] = [];
  if (ratio.rounds < MIN_ROUNDS_FOR_INTERVAL)
    warnings.push(
      `only ${ratio.rounds} round${ratio.rounds === 1 ? "" : "s"}: an interval over fewer than ${MIN_ROUNDS_FOR_INTERVAL} rounds can only be as wide as those rounds happened to spread, so it understates the noise; use ${wording.more}`,
    );
  const halfWidth = relativeHalfWidth(ratio);
  if (halfWidth > WIDE_INTERVAL_HALF_WIDTH)
    warnings.push(
      `the ${wording.what} interval is ±${(halfWidth * 100).toFixed(1)} % wide (more than ±${(WIDE_INTERVAL_HALF_WIDTH * 100).toFixed(0)} %): differences smaller than that are noise here, not the filter; use ${wording.more}, longer rounds, or a quieter machine`,
    );
  return warnings;
}

/**
 * The order in which `count` variants (indexes 0…count−1) run in round `round`. Rounds come in pairs: a seeded
 * random permutation, then the same permutation reversed. So within every pair of rounds each variant runs
 * before and after each other variant once, and at mirrored positions: no variant keeps a neighbour or a place
 * in the round (which a fixed rotation does: the variant after X is almost always the same one). Deterministic
 * for a given `seed`.
 */
export function roundOrder(count: number, round: number, seed = SEED): number[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a whole number, got ${count}`);
  const random = generator((seed ^ Math.imul(Math.floor(round / 2) + 1, 0x9e3779b1)) >>> 0);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return round % 2 === 0 ? order : order.reverse();
}
