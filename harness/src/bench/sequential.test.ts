// Deciding targets with more rounds only where needed, within a budget: the planned looks and their confidence,
// which variants each round runs, when a target is decided, and what the report learns when the rounds or the
// budget run out. The "measurements" are deterministic: each variant's figure in a round is a fixed function of
// the round, so every test sees the same rounds on every run.
import { describe, expect, test } from "vitest";
import { type SequentialRun, type SequentialTarget, decisionPlan, runSequential } from "./sequential.ts";
import { ratioOverRounds } from "./stats.ts";

describe("decisionPlan", () => {
  test("looks grow by half each time up to the cap, and share the error budget (Bonferroni)", () => {
    const plan = decisionPlan({ baseRounds: 10, maxRounds: 40 });
    expect(plan.looks).toEqual([10, 15, 23, 35, 40]);
    expect(plan.lookConfidence).toBeCloseTo(0.99, 10);
    expect(plan.overallConfidence).toBe(0.95);
    expect(plan.minRounds).toBe(8);
  });

  test("without a cap above the base there is one look at the overall confidence", () => {
    const plan = decisionPlan({ baseRounds: 2 });
    expect(plan.looks).toEqual([2]);
    expect(plan.lookConfidence).toBeCloseTo(0.95, 10);
    expect(decisionPlan({ baseRounds: 2, maxRounds: 3 }).looks).toEqual([2, 3]);
  });

  test("nonsense is refused", () => {
    expect(() => decisionPlan({ baseRounds: 0 })).toThrow(RangeError);
    expect(() => decisionPlan({ baseRounds: 10, maxRounds: 5 })).toThrow(RangeError);
    expect(() => decisionPlan({ baseRounds: 10, maxRounds: 20, growth: 1 })).toThrow(RangeError);
  });
});

/**
 * A simulated run: variant figures per round from `figure(variant, round)`; each variant's round costs
 * `secondsPer[variant]`; the budget is `budgetSeconds` for all rounds. Records which variants each round ran.
 */
function simulate(options: {
  targets: SequentialTarget[];
  baseVariants: string[];
  figure: (variant: string, round: number) => number;
  secondsPer: Record<string, number>;
  budgetSeconds: number;
  baseRounds: number;
  maxRounds: number;
}) {
  const figures = new Map<string, (number | undefined)[]>();
  const rounds: string[][] = [];
  let spent = 0;
  const cost = (variants: readonly string[]) => variants.reduce((s, v) => s + options.secondsPer[v]!, 0);
  const looks: Array<{ rounds: number; decided: string[]; open: string[] }> = [];
  const run: SequentialRun = {
    plan: decisionPlan({ baseRounds: options.baseRounds, maxRounds: options.maxRounds }),
    targets: options.targets,
    baseVariants: options.baseVariants,
    async runRound(round, variants) {
      rounds.push([...variants]);
      spent += cost(variants);
      for (const v of variants) {
        const list = figures.get(v) ?? [];
        list[round] = options.figure(v, round);
        figures.set(v, list);
      }
    },
    ratio(target, confidence) {
      const [ours, other] = target.variants;
      return ratioOverRounds(figures.get(ours!) ?? [], figures.get(other!) ?? [], confidence);
    },
    fits: (_round, variants) => spent + cost(variants) <= options.budgetSeconds,
    onLook: (look) => looks.push({ rounds: look.rounds, decided: look.decided, open: look.open }),
  };
  return { run, rounds, looks, spent: () => spent };
}

/** Deterministic noise: uniform in 1 ± `amplitude`, from a hash of the variant and the round (the same every run). */
function wobble(variant: string, round: number, amplitude: number): number {
  let h = (round + 1) * 0x9e3779b1;
  for (const c of variant) h = Math.imul(h ^ c.charCodeAt(0), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return 1 + amplitude * (2 * (((h ^ (h >>> 16)) >>> 0) / 4294967296) - 1);
}

describe("runSequential", () => {
  const variants = ["none", "ours", "floor", "rust"];
  const secondsPer = { none: 3, ours: 3, floor: 3, rust: 3 };

  test("a clear target is decided at the base look; a close one gets extra rounds of its two variants only", async () => {
    const sim = simulate({
      targets: [
        { id: "vs-rust", wanted: 1, variants: ["ours", "rust"] },
        { id: "vs-floor", wanted: 0.97, variants: ["ours", "floor"] },
      ],
      baseVariants: ["none"],
      // ours is 20 % ahead of rust (clear) and 1.2 % behind the floor: 1.8 % above the 0.97 target, with ±4 % noise.
      figure: (v, r) => ({ none: 5000, ours: 4000, floor: 4050, rust: 3333 })[v]! * wobble(v, r, 0.04),
      secondsPer,
      budgetSeconds: 10_000,
      baseRounds: 8,
      maxRounds: 60,
    });
    const result = await runSequential(sim.run);
    const rust = result.outcomes.get("vs-rust")!;
    expect(rust).toMatchObject({ verdict: "met", end: "decided", looks: 1, rounds: 8 });
    const floor = result.outcomes.get("vs-floor")!;
    expect(floor.end).toBe("decided");
    expect(floor.verdict).toBe("met");
    expect(floor.looks).toBeGreaterThan(1);
    expect(floor.rounds).toBe(result.rounds);
    expect(floor.ratio!.confidence).toBeCloseTo(sim.run.plan.lookConfidence, 10);
    // Base rounds run every variant; the extra rounds only ours and the floor.
    for (const round of sim.rounds.slice(0, 8)) expect([...round].sort()).toEqual([...variants].sort());
    for (const round of sim.rounds.slice(8)) expect([...round].sort()).toEqual(["floor", "ours"]);
    expect(sim.looks[0]).toEqual({ rounds: 8, decided: ["vs-rust"], open: ["vs-floor"] });
    expect(result.budgetRanOut).toBe(false);
  });

  test("a target exactly at its margin stays undecided: the budget stops the rounds and the report says so", async () => {
    const budgetSeconds = 8 * 9 + 10 * 6; // base rounds of 3 variants, then 10 rounds of 2
    const sim = simulate({
      targets: [{ id: "vs-floor", wanted: 1, variants: ["ours", "floor"] }],
      baseVariants: ["none"],
      // The same mean, alternating ±3 %: the interval always straddles 1.
      figure: (v, r) => (v === "none" ? 5000 : 4000 * (v === "ours" ? 1 + (r % 2 ? 0.03 : -0.03) : 1)),
      secondsPer,
      budgetSeconds,
      baseRounds: 8,
      maxRounds: 200,
    });
    const result = await runSequential(sim.run);
    expect(result.budgetRanOut).toBe(true);
    expect(result.rounds).toBe(18);
    expect(sim.spent()).toBeLessThanOrEqual(budgetSeconds);
    expect(result.outcomes.get("vs-floor")).toMatchObject({ verdict: "undecided", end: "budget", rounds: 18 });
  });

  test("without budget trouble, the round cap ends an undecidable target at the last planned look", async () => {
    const sim = simulate({
      targets: [{ id: "vs-floor", wanted: 1, variants: ["ours", "floor"] }],
      baseVariants: [],
      figure: (v, r) => 4000 * (v === "ours" ? 1 + (r % 2 ? 0.03 : -0.03) : 1),
      secondsPer,
      budgetSeconds: 1e9,
      baseRounds: 8,
      maxRounds: 18,
    });
    const result = await runSequential(sim.run);
    expect(sim.run.plan.looks).toEqual([8, 12, 18]);
    expect(result.rounds).toBe(18);
    expect(result.outcomes.get("vs-floor")).toMatchObject({ verdict: "undecided", end: "max-rounds", looks: 3 });
  });

  test("a clear target is not decided before it has the minimum rounds, however narrow its interval", async () => {
    const sim = simulate({
      targets: [{ id: "vs-rust", wanted: 1, variants: ["ours", "rust"] }],
      baseVariants: [],
      figure: (v, r) => ({ ours: 4000, rust: 3000 })[v]! * wobble(v, r, 0.01),
      secondsPer,
      budgetSeconds: 1e9,
      baseRounds: 4,
      maxRounds: 12,
    });
    const result = await runSequential(sim.run);
    expect(sim.run.plan.looks).toEqual([4, 6, 9, 12]);
    expect(sim.looks.map((l) => l.decided.length)).toEqual([0, 0, 1]);
    expect(result.outcomes.get("vs-rust")).toMatchObject({ verdict: "met", end: "decided", looks: 3, rounds: 9 });
  });

  test("a budget too small for the base rounds leaves even a clear target undecided: 3 rounds are too few", async () => {
    const sim = simulate({
      targets: [{ id: "vs-rust", wanted: 1, variants: ["ours", "rust"] }],
      baseVariants: ["none"],
      figure: (v, r) => ({ none: 5000, ours: 4000, rust: 3000 })[v]! * wobble(v, r, 0.01),
      secondsPer,
      budgetSeconds: 9 * 3,
      baseRounds: 10,
      maxRounds: 40,
    });
    const result = await runSequential(sim.run);
    expect(result.rounds).toBe(3);
    expect(result.budgetRanOut).toBe(true);
    expect(result.outcomes.get("vs-rust")).toMatchObject({ verdict: "undecided", end: "budget", looks: 1, rounds: 3 });
    expect(result.outcomes.get("vs-rust")!.ratio!.low).toBeGreaterThan(1.2); // clear, but over too few rounds
  });

  test("a variant that produced no figures ends its targets as no-data instead of running forever", async () => {
    const sim = simulate({
      targets: [{ id: "vs-go", wanted: 1, variants: ["ours", "go"] }],
      baseVariants: [],
      figure: (v) => (v === "go" ? 0 : 4000),
      secondsPer: { ...secondsPer, go: 3 },
      budgetSeconds: 1e9,
      baseRounds: 3,
      maxRounds: 30,
    });
    const result = await runSequential(sim.run);
    expect(result.rounds).toBe(3);
    expect(result.outcomes.get("vs-go")).toMatchObject({ verdict: "undecided", end: "no-data", rounds: 0 });
  });
});
