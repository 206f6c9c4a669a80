// The suite's rounds (bench/rounds.ts) with fake Envoys and a deterministic load: every turn after the first round
// runs in a fresh Envoy, the order changes from round to round, extra rounds run only the variants of open targets,
// and the rounds stop when the next one would not fit the budget.
import { expect, test } from "vitest";
import { decisionPlan } from "@proxy-wasm-as/harness/bench";
import type { BenchEnvoy } from "../../bench/bench-envoy.ts";
import { type RatioTargetSpec, type RoundResult, type Running, runRounds } from "../../bench/rounds.ts";
import type { Variant } from "../../bench/variants.ts";

let nextPid = 1000;
function fakeEnvoy(stopped: number[]): BenchEnvoy {
  const pid = nextPid++;
  return { pid, startupMs: 100, stop: async () => void stopped.push(pid) } as unknown as BenchEnvoy;
}

function running(id: string, stopped: number[]): Running {
  const variant = { id, workload: "headers", label: id, build: async () => ({ skip: "" }) } as Variant;
  return {
    variant,
    built: { filter: { kind: "none" } },
    envoy: fakeEnvoy(stopped),
    startups: [],
    rounds: [],
    requestsServed: 0,
    lastTurnSeconds: 3,
  };
}

test("fresh Envoys every round, a changing order, extra rounds for the open target only, within the budget", async () => {
  const stopped: number[] = [];
  const variants = ["none", "as", "floor", "rust"].map((id) => running(id, stopped));
  const order: string[][] = [];
  const pids = new Map<string, number[]>();
  /** rps per variant: ours 1.2 % behind the floor (undecided at 0.97 for a while), far ahead of rust. */
  const base: Record<string, number> = { none: 5000, as: 4000, floor: 4050, rust: 3000 };
  let clock = 0;
  let call = 0;
  const targets: RatioTargetSpec[] = [
    { name: "vs floor", metric: "throughput", workload: "headers", other: "floor", wanted: 0.97 },
    { name: "vs rust", metric: "throughput", workload: "headers", other: "rust", wanted: 1 },
  ];
  const result = await runRounds({
    running: variants,
    plan: decisionPlan({ baseRounds: 8, maxRounds: 40 }),
    targets,
    start: async () => fakeEnvoy(stopped),
    async load(r, seconds): Promise<RoundResult> {
      clock += seconds;
      call++;
      const wobble = 1 + 0.03 * Math.sin(call * 2.7);
      const rps = base[r.variant.id]! * wobble;
      return {
        requests: rps * seconds,
        requestsPerSecond: rps,
        p50Ms: 3,
        p99Ms: 5,
        errors: 0,
        cpuMicrosPerRequest: 1e6 / rps,
        envoyBusyShare: 1,
      };
    },
    warmupSeconds: 1,
    durationSeconds: 2,
    afterWarmup: (r) => {
      const list = pids.get(r.variant.id) ?? [];
      list.push(r.envoy.pid);
      pids.set(r.variant.id, list);
      if (order.length === 0 || order.at(-1)!.length === (order.length <= 8 ? 4 : 2)) order.push([]);
      order.at(-1)!.push(r.variant.id);
    },
    secondsLeft: () => 200 - clock,
    now: () => clock,
    say: () => {},
  });
  // Every turn in its own process: as many distinct pids as rounds the variant ran.
  for (const r of variants) expect(new Set(pids.get(r.variant.id)).size).toBe(pids.get(r.variant.id)!.length);
  expect(variants[0]!.startups.length).toBe(7); // rounds 2..8 restart; round 1 uses the Envoy started before
  // The base rounds change their order.
  expect(new Set(order.slice(0, 8).map((o) => o.join())).size).toBeGreaterThan(2);
  // rust was decided at the first look; only ours and the floor ran after the base rounds.
  expect(result.outcomes.get("vs rust")).toMatchObject({ verdict: "met", rounds: 8, looks: 1 });
  for (const round of order.slice(8)) expect([...round].sort()).toEqual(["as", "floor"]);
  expect(variants.find((r) => r.variant.id === "rust")!.rounds.length).toBe(8);
  // The budget (200 s of load) stopped the extra rounds; the floor target says so if it is still open.
  expect(clock).toBeLessThanOrEqual(200);
  const floor = result.outcomes.get("vs floor")!;
  expect(["decided", "budget"]).toContain(floor.end);
  expect(floor.rounds).toBe(result.rounds);
});
