// The bench's decision rule (bench/stats.ts) and its reading of Envoy's trace log (bench/accounting.ts): a target
// is met only when the whole bootstrap interval clears it, and the trace lines are counted by name per request.
import { expect, test } from "vitest";
import { countEnvoyTrace } from "../../bench/accounting.ts";
import { judge, ratioOverRounds } from "../../bench/stats.ts";

test("a steady ratio gets a narrow interval around it and is judged against the target from the interval", () => {
  const other = [1000, 1100, 900, 1050, 980, 1020, 990, 1010];
  const ours = other.map((v, i) => v * (i % 2 ? 1.01 : 0.99));
  const ratio = ratioOverRounds(ours, other)!;
  expect(ratio.rounds).toBe(8);
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
  const ratio = ratioOverRounds([640, 1350, 900, 1200, 0], [1000, 1000, 1000, 1000, 1000])!;
  expect(ratio.rounds).toBe(4);
  expect(ratio.min).toBeCloseTo(0.64, 5);
  expect(ratio.max).toBeCloseTo(1.35, 5);
  expect(judge(ratio, 0.97)).toBe("undecided");
  expect(ratioOverRounds([], [])).toBeUndefined();
});

test("Envoy's wasm trace lines are counted per request by name, host calls apart from VM entries", () => {
  const lines = [
    "[host->vm] proxy_on_request_headers(3, 12, 1)",
    "[vm->host] env.proxy_get_header_map_value(0, 1, 13, 2, 3)",
    "[host->vm] malloc(268)",
    "[host<-vm] malloc return: 5000",
    "[vm<-host] env.proxy_get_header_map_value return: 0",
    "[host<-vm] proxy_on_request_headers return: 0",
    "[host->vm] proxy_on_request_headers(4, 12, 1)",
    "[vm->host] wasi_snapshot_preview1.clock_time_get(1, 0, 8)",
    "some other wasm log line",
  ];
  expect(countEnvoyTrace(lines, 2)).toEqual({
    vmEntries: { proxy_on_request_headers: 1, malloc: 0.5 },
    hostCalls: { proxy_get_header_map_value: 0.5, "wasi_snapshot_preview1.clock_time_get": 0.5 },
  });
});
