// Paired rounds: the two variants of a comparison measured AT THE SAME TIME, so that each round's ratio is taken
// over the same seconds of the same machine and whatever drifts between seconds (other processes, the core's
// frequency, the kernel) falls on both sides alike and cancels in the ratio.
//
// Both Envoys are pinned to the Envoy core and two wrk processes (one per Envoy, same settings) to the load core.
// With both Envoys saturated, the scheduler (CFS) gives each half of the core, so the throughput ratio is the
// inverse ratio of their CPU time per request; the CPU-per-request ratio is read per process from /proc as in the
// sequential rounds. Each paired round starts both Envoys afresh, warms both up together, then measures both
// together; which Envoy starts first and whose wrk is launched first alternate from round to round. The pairs of a round run in a balanced order (harness roundOrder).
//
// The targets are decided on these rounds with the harness's sequential plan (runSequential): a pair's rounds are
// one "variant" of that plan, so extra rounds run only the pairs of targets still open.
import {
  type RatioEstimate,
  type SequentialResult,
  ratioOverRounds,
  roundOrder,
  runSequential,
} from "@proxy-wasm-as/harness/bench";
import {
  describeLook,
  type RatioTargetSpec,
  type RoundResult,
  type RoundsOptions,
  type Running,
  variantKey,
} from "./rounds.ts";

/** Two variants measured together; `first` is ours (or the A/A control's second Envoy). */
export interface Pair {
  /** "jwt/as+jwt/native". */
  readonly key: string;
  readonly first: Running;
  readonly second: Running;
  /** Each paired round's two measurements, by paired round index. */
  readonly rounds: ({ first: RoundResult; second: RoundResult } | undefined)[];
  /** Seconds its last paired turn took: the estimate for its next one. */
  lastTurnSeconds: number;
}

/** The key of the pair of `spec` (ours first). */
export const pairKeyOf = (spec: Pick<RatioTargetSpec, "workload" | "ours" | "other">) =>
  `${variantKey(spec.workload, spec.ours ?? "as")}+${variantKey(spec.workload, spec.other)}`;

/**
 * The pairs the specs need (one per distinct comparison: every target, and the information rows marked `paired`),
 * among the variants that run.
 */
export function pairsOf(
  specs: readonly RatioTargetSpec[],
  running: readonly Running[],
  warmTurnSeconds: number,
): Pair[] {
  const byKey = new Map(running.map((r) => [variantKey(r.variant.workload, r.variant.id), r]));
  const pairs = new Map<string, Pair>();
  for (const spec of specs) {
    if (spec.info && !spec.paired) continue;
    const first = byKey.get(variantKey(spec.workload, spec.ours ?? "as"));
    const second = byKey.get(variantKey(spec.workload, spec.other));
    const key = pairKeyOf(spec);
    if (first && second && !pairs.has(key))
      pairs.set(key, { key, first, second, rounds: [], lastTurnSeconds: warmTurnSeconds });
  }
  return [...pairs.values()];
}

/** `spec`'s ratio over the paired rounds of its pair (throughput: ours / other; cpu: other / ours). */
export function pairRatio(
  spec: Pick<RatioTargetSpec, "metric">,
  pair: Pair,
  confidence?: number,
): RatioEstimate | undefined {
  const of = (side: "first" | "second") =>
    pair.rounds.map((x) =>
      x === undefined
        ? undefined
        : spec.metric === "throughput"
          ? x[side].requestsPerSecond
          : x[side].cpuMicrosPerRequest,
    );
  return spec.metric === "throughput"
    ? ratioOverRounds(of("first"), of("second"), confidence)
    : ratioOverRounds(of("second"), of("first"), confidence);
}

/**
 * What {@link runPairedRounds} needs from the suite: what the sequential rounds need (rounds.ts), with the pairs in
 * place of the variants. Targets are decided on the paired rounds; information pairs run the base rounds only.
 */
export interface PairedOptions extends Omit<RoundsOptions, "running" | "now"> {
  readonly pairs: readonly Pair[];
}

/** Runs the paired rounds and decides the targets on them (see the file comment). */
export async function runPairedRounds(options: PairedOptions): Promise<SequentialResult> {
  const { pairs, plan } = options;
  const byKey = new Map(pairs.map((p) => [p.key, p]));
  const targets = options.targets.filter((t) => byKey.has(pairKeyOf(t)));
  return runSequential({
    plan,
    targets: targets.map((t) => ({ id: t.name, wanted: t.wanted, variants: [pairKeyOf(t)] })),
    baseVariants: pairs.map((p) => p.key),
    fits(round, keys) {
      const next = keys.reduce((sum, k) => sum + byKey.get(k)!.lastTurnSeconds, 0);
      return next <= options.secondsLeft(round >= plan.baseRounds);
    },
    ratio(target, confidence) {
      const spec = targets.find((t) => t.name === target.id)!;
      return pairRatio(spec, byKey.get(pairKeyOf(spec))!, confidence);
    },
    async runRound(round, keys) {
      const label =
        round < plan.baseRounds ? `paired round ${round + 1}/${plan.baseRounds}` : `extra paired round ${round + 1}`;
      for (const index of roundOrder(keys.length, round))
        await pairedTurn(byKey.get(keys[index]!)!, round, label, options);
    },
    onLook(look) {
      options.say(describeLook(look, plan, "paired rounds"));
    },
  });
}

/** One pair's turn: both Envoys fresh, warmed up together, measured together. */
async function pairedTurn(pair: Pair, round: number, label: string, options: PairedOptions): Promise<void> {
  const started = performance.now();
  // Which of the two starts first, and whose load is launched first, both alternate (over every 4 rounds, each
  // combination once), so that neither side is always the older process or the first one loaded.
  const sides = Math.floor(round / 2) % 2 === 0 ? [pair.first, pair.second] : [pair.second, pair.first];
  const launch = round % 2 === 0 ? [pair.first, pair.second] : [pair.second, pair.first];
  for (const r of sides) {
    await r.envoy.stop();
    r.envoy = await options.start(r).catch((err: Error) => {
      options.say(`${pair.key}: a fresh Envoy did not start (${err.message.split("\n")[0]}); trying once more`);
      return options.start(r);
    });
    r.startups.push(r.envoy.startupMs);
    r.requestsServed = 0;
  }
  await Promise.all(launch.map((r) => options.load(r, options.warmupSeconds)));
  options.afterWarmup(pair.first);
  options.afterWarmup(pair.second);
  const measured = await Promise.all(launch.map((r) => options.load(r, options.durationSeconds)));
  const first = measured[launch.indexOf(pair.first)];
  const second = measured[launch.indexOf(pair.second)];
  pair.rounds[round] = { first: first!, second: second! };
  pair.lastTurnSeconds = (performance.now() - started) / 1000;
  const fmt = (x: RoundResult) =>
    `${x.requestsPerSecond.toFixed(0)} req/s, ${x.cpuMicrosPerRequest.toFixed(0)} µs/request, busy ${(x.envoyBusyShare * 100).toFixed(0)} %${x.errors ? `, ${x.errors} ERRORS` : ""}`;
  options.say(
    `${label} ${pair.key}: ${fmt(first!)} | ${fmt(second!)}: ratio ${(first!.requestsPerSecond / second!.requestsPerSecond).toFixed(3)}`,
  );
}
