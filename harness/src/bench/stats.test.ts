// The statistics every benchmark here uses: per-round ratios with bootstrap intervals, the decision rule, the
// warnings, and the balanced round order.
import { describe, expect, test } from "vitest";
import {
  MIN_ROUNDS_FOR_INTERVAL,
  formatRatio,
  judge,
  ratioOverRounds,
  ratioWarnings,
  relativeHalfWidth,
  roundOrder,
} from "./stats.ts";

describe("ratioOverRounds and judge", () => {
  test("a steady ratio gets a narrow interval around it and is judged against the target from the interval", () => {
    const other = [1000, 1100, 900, 1050, 980, 1020, 990, 1010];
    const ours = other.map((v, i) => v * (i % 2 ? 1.01 : 0.99));
    const ratio = ratioOverRounds(ours, other)!;
    expect(ratio.rounds).toBe(8);
    expect(ratio.confidence).toBe(0.95);
    expect(ratio.estimate).toBeCloseTo(1, 2);
    expect(ratio.low).toBeGreaterThan(0.985);
    expect(ratio.high).toBeLessThan(1.015);
    expect(judge(ratio, 0.97)).toBe("met");
    expect(judge(ratio, 1.05)).toBe("missed");
    expect(judge(ratio, 1.0)).toBe("undecided");
    // The same rounds always give the same interval (fixed seed).
    expect(ratioOverRounds(ours, other)).toEqual(ratio);
  });

  test("a noisy ratio gets a wide interval that cannot decide a close target; missing rounds are left out", () => {
    const ratio = ratioOverRounds([640, 1350, 900, undefined, 1200, 0], [1000, 1000, 1000, 1000, 1000, 1000])!;
    expect(ratio.rounds).toBe(4);
    expect(ratio.min).toBeCloseTo(0.64, 5);
    expect(ratio.max).toBeCloseTo(1.35, 5);
    expect(judge(ratio, 0.97)).toBe("undecided");
    expect(ratioOverRounds([], [])).toBeUndefined();
  });

  test("a higher confidence widens the interval and is named when printed", () => {
    const a = [101, 99, 104, 97, 102, 100, 103, 98, 101, 100];
    const b = [100, 100, 100, 100, 100, 100, 100, 100, 100, 100];
    const at95 = ratioOverRounds(a, b)!;
    const at99 = ratioOverRounds(a, b, 0.99)!;
    expect(at99.low).toBeLessThan(at95.low);
    expect(at99.high).toBeGreaterThan(at95.high);
    expect(formatRatio(at95)).toMatch(/^1\.005× \[\d\.\d{3}–\d\.\d{3}\], 10 rounds$/);
    expect(formatRatio(at99)).toMatch(/^1\.005× \[\d\.\d{3}–\d\.\d{3}\], 10 rounds, 99 % interval$/);
    expect(() => ratioOverRounds(a, b, 1)).toThrow(RangeError);
  });
});

describe("ratioWarnings", () => {
  const wording = { what: "throughput", more: "--rounds 10 or more" };

  test("too few rounds and a wide interval each earn a warning that says what to do", () => {
    const ratio = ratioOverRounds([900, 1100], [1000, 1000])!;
    const warnings = ratioWarnings(ratio, wording);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^only 2 rounds: an interval over fewer than 8 rounds .* use --rounds 10 or more$/);
    expect(warnings[1]).toMatch(/^the throughput interval is ±\d+\.\d % wide \(more than ±5 %\)/);
    expect(relativeHalfWidth(ratio)).toBeGreaterThan(0.05);
  });

  test("enough steady rounds earn none", () => {
    const rounds = Array.from({ length: MIN_ROUNDS_FOR_INTERVAL + 2 }, (_, i) => 1000 + (i % 3));
    const ratio = ratioOverRounds(
      rounds.map((v) => v * 0.9),
      rounds,
    )!;
    expect(ratioWarnings(ratio, wording)).toEqual([]);
  });
});

describe("roundOrder", () => {
  test("every order is a permutation, and the same round always gets the same one", () => {
    for (let round = 0; round < 20; round++) {
      const order = roundOrder(7, round);
      expect([...order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(roundOrder(7, round)).toEqual(order);
    }
    expect(roundOrder(0, 3)).toEqual([]);
    expect(roundOrder(1, 3)).toEqual([0]);
  });

  test("in every pair of rounds each variant runs once before and once after every other one, at mirrored places", () => {
    const count = 10;
    for (let pair = 0; pair < 6; pair++) {
      const first = roundOrder(count, 2 * pair);
      const second = roundOrder(count, 2 * pair + 1);
      expect(second).toEqual([...first].reverse());
      for (let a = 0; a < count; a++)
        for (let b = 0; b < count; b++) {
          if (a === b) continue;
          const before = [first, second].filter((o) => o.indexOf(a) < o.indexOf(b)).length;
          expect(before).toBe(1);
        }
    }
  });

  test("unlike a rotation, no variant keeps the same neighbour: the one after variant 2 varies over 12 rounds", () => {
    const following = new Set<number>();
    for (let round = 0; round < 12; round++) {
      const order = roundOrder(10, round);
      const at = order.indexOf(2);
      if (at < order.length - 1) following.add(order[at + 1]!);
    }
    expect(following.size).toBeGreaterThanOrEqual(4);
  });

  test("two variants alternate which goes first", () => {
    const firsts = Array.from({ length: 8 }, (_, round) => roundOrder(2, round)[0]);
    for (let pair = 0; pair < 4; pair++) expect(firsts[2 * pair]).not.toBe(firsts[2 * pair + 1]);
  });
});
