// `proxy-wasm-as bench` without Envoy: its report from given rounds (ratios with intervals, and the warnings that
// keep noise from passing for a result), and its refusal of malformed request options.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { type BenchSample, type BenchSetup, formatBench } from "./bench-report.ts";
import { runProxyWasmAs } from "./index.ts";

const SETUP: BenchSetup = {
  module: "build/cors.wasm",
  rounds: 10,
  seconds: 2,
  warmupSeconds: 1,
  connections: 16,
  tool: "wrk",
  fallback: false,
  request: {
    method: "OPTIONS",
    path: "/",
    headers: [
      ["origin", "https://a.example"],
      ["access-control-request-method", "GET"],
    ],
  },
  envoyVersion: "1.40.0",
  runner: "process",
  envoyCpu: "0",
  loadCpu: "1",
  statuses: { baseline: 200, filtered: 204 },
};

/** Rounds where the filtered listener is `cost` slower, with a deterministic ±`noise` wobble. */
function rounds(count: number, cost: number, noise: number): Record<"baseline" | "filtered", BenchSample[]> {
  const sample = (rps: number, cpu: number): BenchSample => ({
    requests: rps * 2,
    requestsPerSecond: rps,
    p50Ms: 16 / rps,
    p99Ms: 20 / rps,
    errors: 0,
    cpuMicrosPerRequest: cpu,
    envoyBusyShare: 0.97,
  });
  const wobble = (i: number) => 1 + noise * Math.sin(i * 2.1);
  return {
    baseline: Array.from({ length: count }, (_, i) => sample(5000 * wobble(i), 200 / wobble(i))),
    filtered: Array.from({ length: count }, (_, i) =>
      sample((5000 / cost) * wobble(i + 1), (200 * cost) / wobble(i + 1)),
    ),
  };
}

describe("the bench report", () => {
  test("steady rounds: medians, every ratio with its 95 % interval, no warning; a local reply is pointed out", () => {
    const report = formatBench(SETUP, rounds(10, 1.2, 0.01));
    expect(report).toContain(
      "request: OPTIONS / with origin, access-control-request-method; answered 204 with the filter, 200 without",
    );
    expect(report).toContain(
      "load: wrk pinned to CPU 1, 16 keep-alive connections; 10 rounds of 1 s warm-up + 2 s per listener",
    );
    expect(report).toMatch(/^ {2}throughput {13}0\.83\d× \[0\.8\d\d–0\.8\d\d\], 10 rounds$/m);
    expect(report).toMatch(/^ {2}Envoy CPU per request {2}1\.(19|20)\d× \[1\.1\d\d–1\.2\d\d\], 10 rounds$/m);
    expect(report).toMatch(/^baseline +\d[\d,]* +\d+\.\d{3} +\d+\.\d{3} +\d+\.\d +97 %$/m);
    expect(report).not.toMatch(/warning: only|interval is ±|Envoy was busy/);
    expect(report).toMatch(
      /^warning: the filter answers 204 where no filter answers 200: this measures the filter's own reply/m,
    );
  });

  test("two noisy rounds: the interval is still printed, with the too-few-rounds and too-wide warnings", () => {
    const report = formatBench(
      { ...SETUP, rounds: 2, statuses: { baseline: 200, filtered: 200 } },
      rounds(2, 1.05, 0.1),
    );
    expect(report).toMatch(/^ {2}throughput +\d\.\d{3}× \[\d\.\d{3}–\d\.\d{3}\], 2 rounds$/m);
    expect(report).toMatch(/^warning: only 2 rounds: .* use --rounds 10 or more$/m);
    expect(report).toMatch(/^warning: the throughput interval is ±\d+\.\d % wide \(more than ±5 %\)/m);
  });

  test("undici as a fallback, errors, and no CPU figures (container runner) are all said", () => {
    const samples = rounds(10, 1.1, 0.01);
    const noCpu = (list: BenchSample[]) => list.map((s) => ({ ...s, cpuMicrosPerRequest: undefined, errors: 3 }));
    const report = formatBench(
      {
        ...SETUP,
        tool: "undici",
        fallback: true,
        runner: "container",
        envoyCpu: undefined,
        loadCpu: undefined,
        statuses: { baseline: 200, filtered: 401 },
      },
      { baseline: noCpu(samples.baseline), filtered: noCpu(samples.filtered) },
    );
    expect(report).toContain("load: undici (fallback, see the note above), 16 keep-alive connections");
    expect(report).toMatch(/^ {2}Envoy CPU per request {2}— \(needs the process runner on Linux\)$/m);
    expect(report).toMatch(/^warning: the load came from undici/m);
    expect(report).toMatch(
      /^warning: 30 filtered and 30 baseline responses were errors .*: the filter answers 401, so this measures its rejection path$/m,
    );
  });
});

test("an Envoy that was not kept busy earns the warning that req/s then measures the machine, not the filter", () => {
  const samples = rounds(10, 1.2, 0.01);
  const idle = (list: BenchSample[], share: number) => list.map((s) => ({ ...s, envoyBusyShare: share }));
  const report = formatBench(SETUP, { baseline: idle(samples.baseline, 0.22), filtered: idle(samples.filtered, 0.55) });
  expect(report).toMatch(
    /^warning: Envoy was busy only 22 % \(baseline\) and 55 % \(filtered\) of the measured time: it was not the bottleneck .* a filter can even look faster/m,
  );
});

describe("bench's request options", () => {
  const wasm = join(mkdtempSync(join(tmpdir(), "pwas-bench-")), "f.wasm");
  writeFileSync(wasm, "");
  const refused = async (args: string[]) => {
    const err: string[] = [];
    const code = await runProxyWasmAs(["bench", wasm, ...args], { print: () => {}, info: (t) => void err.push(t) });
    return { code, text: err.join("\n") };
  };

  // Loads the bench command's modules (Envoy, harness statistics): seconds on a loaded machine.
  test("a header without a colon, a bad method, path or load generator is a usage error naming the fix", {
    timeout: 60_000,
  }, async () => {
    expect(await refused(["--header", "origin https://a.example"])).toEqual({
      code: 2,
      text: `error: --header must be 'name: value' (got "origin https://a.example")\nhint: e.g. --header 'origin: https://a.example' (repeat --header for more headers)`,
    });
    expect((await refused(["--method", "GET /"])).text).toMatch(/^error: --method must be an HTTP method/);
    expect((await refused(["--path", "orders"])).text).toMatch(/^error: --path must start with \//);
    expect((await refused(["--load", "ab"])).text).toBe('error: --load must be one of auto, wrk, undici (got "ab")');
    expect((await refused(["--rounds", "0"])).text).toBe('error: --rounds must be an integer from 1 to 200 (got "0")');
    expect((await refused(["--body", "@/nonexistent/body.json"])).text).toMatch(
      /^error: cannot read --body file \/nonexistent\/body\.json/,
    );
  });
});
