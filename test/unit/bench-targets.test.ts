// The suite's target rows (bench/targets.ts) from given rounds and decisions: a target is met or missed only as
// the sequential rounds decided it (never on fewer rounds than the plan's minimum, however narrow the interval),
// the report says how many rounds each decision took or why it is open, and the A/A control flags a biased run.
import { describe, expect, test } from "vitest";
import { decisionPlan, ratioOverRounds, type SequentialOutcome } from "@proxy-wasm-as/harness/bench";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BenchReport, type VariantResult, renderMarkdown, updateReadme } from "../../bench/report.ts";
import {
  A_A_CONTROL_ID,
  RATIO_TARGETS,
  type TargetContext,
  controlTarget,
  decisionsSummary,
  ratioTarget,
} from "../../bench/targets.ts";

const plan = decisionPlan({ baseRounds: 10, maxRounds: 50 });
const floorThroughput = RATIO_TARGETS.find((t) => t.other === "floor" && t.metric === "throughput")!;
const rustThroughput = RATIO_TARGETS.find((t) => t.other === "rust")!;

function variant(id: string, rps: (number | null)[], cpu: (number | null)[] = rps.map((r) => (r ? 1e6 / r : null))) {
  const known = rps.filter((x): x is number => x !== null).sort((a, b) => a - b);
  return {
    id,
    workload: "headers",
    label: id,
    requestsPerSecond: known[Math.floor(known.length / 2)],
    cpuMicrosPerRequest: 250,
    roundsRps: rps,
    roundsCpuMicros: cpu,
  } satisfies VariantResult;
}

const steady = (base: number, n: number, wobble = 0.01) =>
  Array.from({ length: n }, (_, i) => base * (1 + wobble * Math.sin(i * 1.9)));

function context(results: VariantResult[], outcomes: Array<[string, SequentialOutcome]>): TargetContext {
  return { results, outcomes: new Map(outcomes), plan, budgetSeconds: 840 };
}

describe("target rows", () => {
  test("a target decided at a later look says so, with the look's 99 % interval", () => {
    const ours = steady(4000, 23);
    const floor = steady(4080, 23, 0.012);
    const ratio = ratioOverRounds(ours, floor, plan.lookConfidence)!;
    const row = ratioTarget(
      floorThroughput,
      context(
        [variant("as", ours), variant("floor", floor)],
        [[floorThroughput.name, { verdict: "met", ratio, rounds: 23, looks: 3, end: "decided" }]],
      ),
    );
    expect(row.met).toBe(true);
    expect(row.rounds).toBe("decided after 23 rounds (look 3 of 5)");
    expect(row.measured).toMatch(
      /^0\.98\d× \[0\.9\d\d–0\.9\d\d\], 23 rounds, 99 % interval \(medians \d+ vs \d+ req\/s\)$/,
    );
  });

  test("a clear difference over too few rounds (the budget ran out) is undecided, not missed", () => {
    const ours = [3000, 3010, 2990];
    const rust = [4000, 4010, 3990];
    const ratio = ratioOverRounds(ours, rust, plan.lookConfidence)!;
    expect(ratio.high).toBeLessThan(1); // the interval alone would call it missed
    const row = ratioTarget(
      rustThroughput,
      context(
        [variant("as", ours), variant("rust", rust)],
        [[rustThroughput.name, { verdict: "undecided", ratio, rounds: 3, looks: 1, end: "budget" }]],
      ),
    );
    expect(row.met).toBeUndefined();
    expect(row.undecided).toBe(true);
    expect(row.why).toMatch(/^only 3 rounds, too few to decide on/);
    expect(row.rounds).toBe(
      "undecided after 3 rounds (a decision needs 8): the time budget ran out (BENCH_BUDGET_S=840)",
    );
  });

  test("information rows use the 95 % interval over the rounds both ran (extra rounds skip the baseline)", () => {
    const none = [...steady(5000, 10), null, null];
    const ours = steady(4000, 12);
    const info = RATIO_TARGETS.find((t) => t.info && t.other === "none")!;
    const row = ratioTarget(info, context([variant("as", ours), variant("none", none)], []));
    expect(row.info).toBe(true);
    expect(row.measured).toMatch(/^0\.80\d× \[0\.\d{3}–0\.\d{3}\], 10 rounds \(medians/);
  });

  test("the A/A control passes when its interval contains 1 and names the bias when it does not", () => {
    const floor = steady(4000, 10, 0.02);
    const same = context([variant("floor", floor), variant(A_A_CONTROL_ID, steady(4000, 10, 0.02).reverse())], []);
    expect(controlTarget("throughput", same)).toMatchObject({ met: true, why: undefined });
    const biased = context(
      [
        variant("floor", floor),
        variant(
          A_A_CONTROL_ID,
          floor.map((x) => x * 1.06),
        ),
      ],
      [],
    );
    expect(controlTarget("throughput", biased)!.why).toMatch(
      /^two Envoys doing the same work differ by 6\.0 % in this run/,
    );
    const few = context([variant("floor", floor.slice(0, 3)), variant(A_A_CONTROL_ID, floor.slice(0, 3))], []);
    expect(controlTarget("cpu", few)).toMatchObject({ met: undefined });
  });

  test("the decisions paragraph states the plan and budget, and groups what is still open by why", () => {
    const outcome = (end: SequentialOutcome["end"], rounds: number): SequentialOutcome => ({
      verdict: end === "decided" ? "met" : "undecided",
      rounds,
      looks: 2,
      end,
    });
    const text = decisionsSummary(
      context(
        [],
        [
          ["a", outcome("decided", 15)],
          ["b", outcome("budget", 23)],
          ["c", outcome("budget", 23)],
        ],
      ),
      23,
      true,
    );
    expect(text).toContain("again after 15, 23, 35, 50 rounds");
    expect(text).toContain(
      "each look uses a 99 % interval, so that over all 5 look(s) the chance of a wrong decision stays under 5 %",
    );
    expect(text).toContain("Budget: BENCH_BUDGET_S=840 s");
    expect(text).toContain("This run: 23 rounds in all; 1 of 3 targets decided; the time budget ran out.");
    expect(text).toContain("Still undecided after 23 rounds: the time budget ran out (BENCH_BUDGET_S=840): b; c.");
  });
});

test("latest.md and the README's generated section carry the decisions paragraph and each target's rounds", () => {
  const report: BenchReport = {
    startedAt: "2026-12-07T00:00:00Z",
    durationSeconds: 800,
    mode: "full run",
    machine: "test machine",
    method: "Method: …",
    decisions:
      "Decisions: a target is judged after the 10 base rounds … Still undecided after 50 rounds: the round cap: x.",
    results: [],
    targets: [
      {
        name: "our headers filter vs the floor (throughput)",
        target: "≥ 0.97× throughput",
        measured: "0.991× [0.975–1.006], 23 rounds, 99 % interval",
        met: true,
        rounds: "decided after 23 rounds (look 3 of 5)",
      },
    ],
    minimalModule: { rawBytes: 1, gzipBytes: 1 },
    notes: [],
  };
  const row =
    "| our headers filter vs the floor (throughput) | ≥ 0.97× throughput | 0.991× [0.975–1.006], 23 rounds, 99 % interval | met | decided after 23 rounds (look 3 of 5) |";
  const markdown = renderMarkdown(report);
  expect(markdown).toContain("| target | wanted | measured | result | rounds |");
  expect(markdown).toContain(row);
  expect(markdown).toContain(report.decisions);
  const readme = join(mkdtempSync(join(tmpdir(), "pwas-readme-")), "README.md");
  writeFileSync(readme, "# x\n\n<!-- bench:begin (written by npm run bench) -->\nold\n<!-- bench:end -->\n");
  updateReadme(readme, report);
  const text = readFileSync(readme, "utf8");
  expect(text).toContain(report.decisions);
  expect(text).toContain(row);
  expect(text).not.toContain("old");
});
