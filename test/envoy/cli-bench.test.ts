// `proxy-wasm-as bench` on a real filter in real Envoy, with few short rounds: the request options reach the
// filter (api-key-auth lets a request through only with its key header), the ratios come with their intervals, and
// the report warns that two rounds are too few. Without the key, the filter answers 401 and the report says it
// measured the rejection path; with --load undici it says what measuring without wrk means. No figure is asserted
// (speed is not tested by timing): only that the report is honest about what it measured.
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { runProxyWasmAs } from "@proxy-wasm-as/harness/cli";

const API_KEY_AUTH_WASM = resolve("build/api-key-auth.wasm");
const CONFIG = JSON.stringify({ keys: [{ client: "ci-bot", key: "k-ci-7f3a" }], realm: "orders" });
/** "0.912× [0.893–0.931], 2 rounds": the interval format both the CLI and the suite print. */
const RATIO = String.raw`\d+\.\d{3}× \[\d+\.\d{3}–\d+\.\d{3}\], \d+ rounds?`;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { print: (t: string) => void out.push(t), info: (t: string) => void err.push(t) }, out, err };
}

describe("proxy-wasm-as bench (real Envoy)", () => {
  test("--header drives the filter's allowed path; each ratio has its interval; two rounds earn a warning", {
    timeout: 120_000,
  }, async () => {
    const { io, out, err } = capture();
    const code = await runProxyWasmAs(
      [
        "bench",
        API_KEY_AUTH_WASM,
        "--config",
        CONFIG,
        "--header",
        "x-api-key: k-ci-7f3a",
        "--header",
        "x-trace: 1",
        "--path",
        "/orders?page=2",
        "--rounds",
        "2",
        "--seconds",
        "1",
        "--warmup",
        "0",
        "--connections",
        "4",
      ],
      io,
    );
    const report = out.join("\n");
    expect(code, `${report}\n${err.join("\n")}`).toBe(0);
    expect(report).toContain(
      "request: GET /orders?page=2 with x-api-key, x-trace; answered 200 with the filter, 200 without",
    );
    expect(report).toMatch(new RegExp(`^  throughput +${RATIO}$`, "m"));
    expect(report).toMatch(new RegExp(`^  p99 latency +${RATIO}$`, "m"));
    expect(report).toMatch(
      /^warning: only 2 rounds: an interval over fewer than 8 rounds .* use --rounds 10 or more$/m,
    );
    expect(report).not.toMatch(/were errors/);
    // Both listeners ran in both rounds, in opposite orders.
    const turns = err.filter((l) => l.startsWith("round "));
    expect(turns).toHaveLength(4);
    expect(turns[0]!.includes("baseline")).not.toBe(turns[2]!.includes("baseline"));
  });

  test("without the key the filter rejects: the report says it measured the 401 path; --load undici says what that means", {
    timeout: 120_000,
  }, async () => {
    const { io, out, err } = capture();
    const code = await runProxyWasmAs(
      [
        "bench",
        API_KEY_AUTH_WASM,
        "--config",
        CONFIG,
        "--method",
        "POST",
        "--body",
        '{"order":1}',
        "--rounds",
        "1",
        "--seconds",
        "1",
        "--warmup",
        "0",
        "--connections",
        "2",
        "--load",
        "undici",
      ],
      io,
    );
    const report = out.join("\n");
    expect(code, `${report}\n${err.join("\n")}`).toBe(0);
    expect(err.join("\n")).toMatch(/^note: undici, as asked \(--load undici\): undici runs inside this Node process/m);
    expect(report).toContain("request: POST / , a 11-byte body".replace(" ,", ","));
    expect(report).toContain("answered 401 with the filter, 200 without");
    expect(report).toMatch(
      /^warning: \d+ filtered and 0 baseline responses were errors .*: the filter answers 401, so this measures its rejection path$/m,
    );
    expect(report).toMatch(/^warning: the load came from undici/m);
    expect(report).toMatch(/^warning: only 1 round: /m);
  });
});
