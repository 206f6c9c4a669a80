// Ratios between two variants measured in the same interleaved rounds, with a bootstrap confidence interval, and
// the rule that decides a target with it. Pure: no I/O. Hand-written (a percentile bootstrap is a few lines;
// a statistics package would bring far more than it) with a seeded generator, so a run's report is reproducible
// from its per-round figures in latest.json.

/** A ratio of two variants over rounds: the point estimate and its 95 % bootstrap interval. */
export interface RatioEstimate {
  /** Geometric mean of the per-round ratios (robust to one variant's round being long or short). */
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
  /** Rounds that had both figures. */
  readonly rounds: number;
  /** Smallest and largest per-round ratio. */
  readonly min: number;
  readonly max: number;
}

const RESAMPLES = 10_000;
const CONFIDENCE = 0.95;
/** Fixed seed: the same rounds always give the same interval. */
const SEED = 0x5eed;

/** mulberry32: a small, well-known 32-bit generator; enough for resampling indexes. */
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
 * Per-round ratios `numerator[i] / denominator[i]` (rounds where either is missing or not positive are left
 * out), summarised as a geometric mean with a percentile bootstrap interval over rounds.
 */
export function ratioOverRounds(
  numerator: readonly number[],
  denominator: readonly number[],
): RatioEstimate | undefined {
  const logs: number[] = [];
  for (let i = 0; i < Math.min(numerator.length, denominator.length); i++) {
    const a = numerator[i]!;
    const b = denominator[i]!;
    if (a > 0 && b > 0 && Number.isFinite(a / b)) logs.push(Math.log(a / b));
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
  const tail = (1 - CONFIDENCE) / 2;
  return {
    estimate: Math.exp(mean(logs)),
    low: Math.exp(means[Math.floor(tail * (RESAMPLES - 1))]!),
    high: Math.exp(means[Math.ceil((1 - tail) * (RESAMPLES - 1))]!),
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

/** "0.981× [0.952–1.010], 12 rounds" */
export function formatRatio(ratio: RatioEstimate): string {
  return `${ratio.estimate.toFixed(3)}× [${ratio.low.toFixed(3)}–${ratio.high.toFixed(3)}], ${ratio.rounds} round${ratio.rounds === 1 ? "" : "s"}`;
}
