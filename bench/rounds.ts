// The suite's rounds: every variant in a balanced order (harness roundOrder), each turn in a fresh Envoy, warm-up
// then measurement; then more rounds only for the variants of targets still undecided, judged at planned looks
// (harness runSequential) until each is decided, reaches the round cap, or the time budget runs out.
//
// Why a fresh Envoy every round: a process carries effects that last as long as it does (where its code and heap
// landed in memory, what V8 decided to compile and how), so with one process per variant for the whole run, those
// effects are the same in every round: the rounds cannot see them, the interval leaves them out, and two runs
// disagree with each other beyond their intervals (issue 21: ours vs the floor by Envoy CPU per request was 0.980×
// [0.953–1.006] in one run and 1.094× [1.059–1.136] in another, for modules that execute the same instructions
// per request to within 0.3 % under callgrind). A new process per round makes them part of the round-to-round
// noise the interval measures. Why a balanced order: a rotation keeps each variant's neighbour and order (ours
// ran right before the floor in 11 of 12 rounds), so anything one turn leaves to the next favours one side.
import {
  type DecisionPlan,
  type RatioEstimate,
  type SequentialResult,
  type SequentialRun,
  formatPercent,
  ratioOverRounds,
  roundOrder,
  runSequential,
} from "@proxy-wasm-as/harness/bench";
import type { BenchEnvoy } from "./bench-envoy.ts";
import type { LoadResult } from "./load.ts";
import type { BuiltVariant, Variant } from "./variants.ts";

/** One measurement: what wrk saw, and the CPU time Envoy spent per request meanwhile. */
export interface RoundResult extends LoadResult {
  /** Envoy's CPU time (all threads) per request: independent of how much of its core other work took. */
  readonly cpuMicrosPerRequest: number;
  /** Envoy's CPU time over the measurement's wall time: near 1 when Envoy (pinned to one core) was the bottleneck. */
  readonly envoyBusyShare: number;
}

/** A variant that built and has an Envoy running it. */
export interface Running {
  readonly variant: Variant;
  readonly built: BuiltVariant;
  /** The current process (a new one every round). */
  envoy: BenchEnvoy;
  /** Launch → ready of every process started for it (ms). */
  readonly startups: number[];
  /** The measurement of each round, by round index; undefined where the variant did not run that round. */
  readonly rounds: (RoundResult | undefined)[];
  /** Requests the current process has served. */
  requestsServed: number;
  /** Wasm linear memory of the current process after its warm-up. */
  wasmMemoryAfterWarmup?: number;
  /** Seconds its last turn took (restart, warm-up, measurement): the estimate for its next one. */
  lastTurnSeconds: number;
}

/** A comparison judged from the rounds: `ours` against `other` of one workload. */
export interface RatioTargetSpec {
  readonly name: string;
  readonly metric: "throughput" | "cpu";
  readonly workload: string;
  /** Default "as" (our filter). */
  readonly ours?: string;
  readonly other: string;
  /** The ratio must be at least this (for "cpu": other / ours, so above 1 means ours is ahead, as for throughput). */
  readonly wanted: number;
  /** A row kept for information: judged on the base rounds, never given extra rounds. */
  readonly info?: boolean;
  /** An information row measured on paired rounds too (targets always are; see bench/concurrent.ts). */
  readonly paired?: boolean;
}

/** "headers/as": how rounds and targets name a variant. */
export const variantKey = (workload: string, id: string) => `${workload}/${id}`;
const keyOf = (r: Running) => variantKey(r.variant.workload, r.variant.id);

/** `spec`'s ratio over the rounds recorded so far in `running`, at `confidence`. */
export function specRatio(
  spec: RatioTargetSpec,
  running: readonly Running[],
  confidence?: number,
): RatioEstimate | undefined {
  const ours = running.find((r) => keyOf(r) === variantKey(spec.workload, spec.ours ?? "as"));
  const other = running.find((r) => keyOf(r) === variantKey(spec.workload, spec.other));
  if (!ours || !other) return undefined;
  return spec.metric === "throughput"
    ? ratioOf(ours, other, (x) => x.requestsPerSecond, confidence)
    : ratioOf(other, ours, (x) => x.cpuMicrosPerRequest, confidence);
}

function ratioOf(
  numerator: Running,
  denominator: Running,
  pick: (x: RoundResult) => number,
  confidence?: number,
): RatioEstimate | undefined {
  const values = (r: Running) => r.rounds.map((x) => (x ? pick(x) : undefined));
  return ratioOverRounds(values(numerator), values(denominator), confidence);
}

/** What {@link runRounds} needs from the suite. */
export interface RoundsOptions {
  readonly running: readonly Running[];
  readonly plan: DecisionPlan;
  /** Targets decided with extra rounds (not information rows). */
  readonly targets: readonly RatioTargetSpec[];
  /** Starts a fresh Envoy for `variant` (the suite's startBenchEnvoy with its CPU). */
  start(running: Running): Promise<BenchEnvoy>;
  /** Loads `running`'s current Envoy for `seconds` (a warm-up or a measurement). */
  load(running: Running, seconds: number): Promise<RoundResult>;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  /** Called after each warm-up (e.g. to read the Wasm memory). */
  afterWarmup(running: Running): void;
  /** Seconds left for rounds before the base rounds' reserve and before the extra rounds' reserve. */
  secondsLeft(extra: boolean): number;
  /** The clock turns are timed with, in seconds (default performance.now()); tests pass a simulated one. */
  now?(): number;
  say(message: string): void;
}

/** Runs the base rounds and the extra ones (see the file comment); returns what the sequential decisions did. */
export async function runRounds(options: RoundsOptions): Promise<SequentialResult> {
  const { running, plan } = options;
  const byKey = new Map(running.map((r) => [keyOf(r), r]));
  const targets = options.targets.filter((t) =>
    [t.ours ?? "as", t.other].every((id) => byKey.has(variantKey(t.workload, id))),
  );
  if (targets.length === 0) {
    // Rounds for the tables only (the targets are decided on paired rounds, bench/concurrent.ts).
    let round = 0;
    const keys = running.map(keyOf);
    for (; round < plan.baseRounds; round++) {
      // The first round always runs: the tables need one.
      const next = keys.reduce((sum, k) => sum + byKey.get(k)!.lastTurnSeconds, 0);
      if (round > 0 && next > options.secondsLeft(false)) break;
      for (const index of roundOrder(keys.length, round))
        await turn(byKey.get(keys[index]!)!, round, `round ${round + 1}/${plan.baseRounds}`, options);
    }
    return { outcomes: new Map(), rounds: round, budgetRanOut: round < plan.baseRounds };
  }
  return runSequential({
    plan,
    targets: targets.map((t) => ({
      id: t.name,
      wanted: t.wanted,
      variants: [variantKey(t.workload, t.ours ?? "as"), variantKey(t.workload, t.other)],
    })),
    baseVariants: running.map(keyOf),
    fits(round, keys) {
      const next = keys.reduce((sum, k) => sum + byKey.get(k)!.lastTurnSeconds, 0);
      return next <= options.secondsLeft(round >= plan.baseRounds);
    },
    ratio(target, confidence) {
      const spec = targets.find((t) => t.name === target.id)!;
      return specRatio(spec, running, confidence);
    },
    async runRound(round, keys) {
      const label = round < plan.baseRounds ? `round ${round + 1}/${plan.baseRounds}` : `extra round ${round + 1}`;
      for (const index of roundOrder(keys.length, round)) {
        const r = byKey.get(keys[index]!)!;
        await turn(r, round, label, options);
      }
    },
    onLook(look) {
      options.say(describeLook(look, plan, "rounds"));
    },
  });
}

/** One variant's turn in a round: a fresh Envoy (from round 2 on), warm-up, measurement. */
async function turn(r: Running, round: number, label: string, options: RoundsOptions): Promise<void> {
  const now = options.now ?? (() => performance.now() / 1000);
  const started = now();
  if (round > 0) {
    await r.envoy.stop();
    // One retry: a start can lose its port to another process between choosing and binding it (bench-envoy.ts).
    r.envoy = await options.start(r).catch((err: Error) => {
      options.say(`${keyOf(r)}: a fresh Envoy did not start (${err.message.split("\n")[0]}); trying once more`);
      return options.start(r);
    });
    r.startups.push(r.envoy.startupMs);
    r.requestsServed = 0;
  }
  await options.load(r, options.warmupSeconds);
  options.afterWarmup(r);
  const result = await options.load(r, options.durationSeconds);
  r.rounds[round] = result;
  r.lastTurnSeconds = now() - started;
  options.say(
    `${label} ${keyOf(r)}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, Envoy CPU ${result.cpuMicrosPerRequest.toFixed(0)} µs/request${result.errors ? `, ${result.errors} ERRORS` : ""}`,
  );
}

/** What a look of the sequential decisions reports (harness/src/bench/sequential.ts). */
type Look = Parameters<NonNullable<SequentialRun["onLook"]>>[0];

/** The progress line after a look: what it decided, what it left undecided and what stays open. */
export function describeLook(look: Look, plan: DecisionPlan, roundsWord: string): string {
  const parts = [
    look.decided.length ? `decided: ${look.decided.join("; ")}` : "nothing decided",
    ...(look.undecided.length
      ? [
          `left undecided (${look.budgetRanOut ? "the time budget ran out" : "the round cap"}): ${look.undecided.join("; ")}`,
        ]
      : []),
    ...(look.open.length ? [`still open: ${look.open.join("; ")}`] : []),
  ];
  return `look ${look.index + 1}/${plan.looks.length} after ${look.rounds} ${roundsWord} (${formatPercent(plan.lookConfidence)} intervals): ${parts.join("; ")}`;
}
