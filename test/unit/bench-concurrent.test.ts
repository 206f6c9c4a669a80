// The suite's paired rounds (bench/concurrent.ts) with fake Envoys and a load whose speed drifts from one turn to
// the next by up to ±30 %: the two variants of a pair are loaded at the same time in fresh Envoys, so the drift
// falls on both sides of each round's ratio and cancels; a 1.2 % difference is decided in the base rounds, and the
// A/A pair's interval contains 1.
import { expect, test } from "vitest";
import { decisionPlan } from "@proxy-wasm-as/harness/bench";
import type { BenchEnvoy } from "../../bench/bench-envoy.ts";
import { pairRatio, pairsOf, runPairedRounds } from "../../bench/concurrent.ts";
import type { RatioTargetSpec, RoundResult, Running } from "../../bench/rounds.ts";
import type { Variant } from "../../bench/variants.ts";

let nextPid = 2000;
const fakeEnvoy = () => ({ pid: nextPid++, startupMs: 100, stop: async () => {} }) as unknown as BenchEnvoy;

function running(id: string): Running {
  const variant = { id, workload: "headers", label: id, build: async () => ({ skip: "" }) } as Variant;
  return {
    variant,
    built: { filter: { kind: "none" } },
    envoy: fakeEnvoy(),
    startups: [],
    rounds: [],
    requestsServed: 0,
    lastTurnSeconds: 3,
  };
}

test("paired rounds load both variants at once in fresh Envoys; the drift cancels and the target is decided", async () => {
  const variants = ["as", "floor", "floor-again", "rust"].map(running);
  /** CPU µs per request: ours 1.2 % more than the floor (the two floors the same), rust 20 % more. */
  const cost: Record<string, number> = { as: 253, floor: 250, "floor-again": 250, rust: 300 };
  let inFlight = 0;
  let maxInFlight = 0;
  let calls = 0;
  let clock = 0;
  const pidsSeen = new Set<number>();
  const targets: RatioTargetSpec[] = [
    { name: "vs floor", metric: "throughput", workload: "headers", other: "floor", wanted: 0.97 },
    { name: "vs floor, cpu", metric: "cpu", workload: "headers", other: "floor", wanted: 0.97 },
    { name: "vs rust", metric: "throughput", workload: "headers", other: "rust", wanted: 1 },
  ];
  const control: RatioTargetSpec = {
    name: "A/A",
    metric: "throughput",
    workload: "headers",
    ours: "floor-again",
    other: "floor",
    wanted: 1,
    info: true,
    paired: true,
  };
  const sequentialOnly: RatioTargetSpec = { ...control, name: "info", ours: "as", other: "rust", paired: false };
  const pairs = pairsOf([sequentialOnly, ...targets, control], variants, 3);
  expect(pairs.map((p) => p.key)).toEqual([
    "headers/as+headers/floor",
    "headers/as+headers/rust",
    "headers/floor-again+headers/floor",
  ]);
  const plan = decisionPlan({ baseRounds: 8, maxRounds: 20 });
  const result = await runPairedRounds({
    pairs,
    plan,
    targets,
    start: async () => fakeEnvoy(),
    async load(r, seconds): Promise<RoundResult> {
      // Both loads of a pair start before either ends; the machine's speed drifts from turn to turn.
      const speed = 1 + 0.3 * Math.sin(Math.floor(calls++ / 2) * 2.3);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      pidsSeen.add(r.envoy.pid);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      clock += seconds / 2;
      // Half a core each, with a little independent noise on top of the shared drift.
      const rps = ((0.5e6 * speed) / cost[r.variant.id]!) * (1 + 0.004 * Math.sin(calls * 1.7));
      return {
        requests: rps * seconds,
        requestsPerSecond: rps,
        p50Ms: 3,
        p99Ms: 5,
        errors: 0,
        cpuMicrosPerRequest: cost[r.variant.id]! * (1 + 0.004 * Math.cos(calls * 1.3)),
        envoyBusyShare: 0.5,
      };
    },
    warmupSeconds: 1,
    durationSeconds: 2,
    afterWarmup: () => {},
    secondsLeft: () => 1000 - clock,
    say: () => {},
  });
  expect(maxInFlight).toBe(2); // two at once, never more
  // A fresh pair of Envoys every paired round: 8 base rounds × 2 sides for each of the 3 pairs, at least.
  expect(pidsSeen.size).toBeGreaterThanOrEqual(8 * 2 * 3);
  // ±30 % drift between turns, yet the 1.2 % difference is decided at the first look (0.97 is far below it).
  expect(result.outcomes.get("vs floor")).toMatchObject({ verdict: "met", rounds: 8, looks: 1, end: "decided" });
  expect(result.outcomes.get("vs floor, cpu")).toMatchObject({ verdict: "met", end: "decided" });
  expect(result.outcomes.get("vs rust")).toMatchObject({ verdict: "met", end: "decided" });
  const floorRatio = result.outcomes.get("vs floor")!.ratio!;
  expect(floorRatio.estimate).toBeCloseTo(250 / 253, 2);
  expect(floorRatio.high - floorRatio.low).toBeLessThan(0.02);
  const aa = pairRatio(control, pairs[2]!)!;
  expect(aa.low).toBeLessThanOrEqual(1);
  expect(aa.high).toBeGreaterThanOrEqual(1);
});
