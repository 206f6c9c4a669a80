// The fuzz API (harness/src/fuzz) on small modules with known behaviour: it finds a trap, a fail-open and a broken
// user invariant, shrinks each to a minimal request and prints it readably; a correct module passes.
import { describe, expect, test } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness/emulator";
import {
  assertFuzz,
  driveRequest,
  fc,
  FuzzFailure,
  formatRequest,
  fuzzRequests,
  fuzzTest,
  requestHeader,
  runFuzz,
} from "@proxy-wasm-as/harness/fuzz";
import { fixtureModule } from "../envoy/fixtures/wat-modules.ts";

const passThrough = fixtureModule("ok"); // adds x-wat-req: 1 to every request, lets everything through
const trapping = fixtureModule("trap-on-request");

describe("fuzz API", () => {
  test("generated requests cover methods, hostile headers, chunked bodies, trailers and resets", () => {
    const sample = fc.sample(fuzzRequests({ headerNames: ["x-api-key"] }), { numRuns: 600, seed: 7 });
    expect(sample.some((r) => r.method !== "GET")).toBe(true);
    expect(sample.some((r) => r.headers.length >= 10)).toBe(true);
    expect(sample.some((r) => r.headers.some(([, v]) => v.length >= 1024))).toBe(true);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the generator must produce control characters
    expect(sample.some((r) => r.headers.some(([, v]) => /[\x01-\x1f\x7f-\xff\ud800-\udfff]/.test(v)))).toBe(true);
    expect(sample.some((r) => r.headers.some(([k]) => k === "x-api-key"))).toBe(true);
    expect(sample.some((r) => r.chunks.length >= 3)).toBe(true);
    expect(sample.some((r) => r.body.length > 64 * 1024)).toBe(true);
    expect(sample.some((r) => r.trailers !== null)).toBe(true);
    expect(new Set(sample.map((r) => r.reset))).toEqual(
      new Set([null, "after-headers", "mid-body", "before-response", "mid-response"]),
    );
    for (const r of sample) expect(r.chunks.reduce((a, b) => a + b, 0)).toBe(r.body.length);
  }, 60_000);

  test("a trap is found and shrunk to the smallest request, printed readably", () => {
    const report = runFuzz({ module: trapping }, { runs: 50, seed: 1, maxCounterexamples: 1 });
    expect(report.failures).toBeGreaterThan(0);
    expect(report.failuresByInvariant["no trap"]).toBe(report.failures);
    const [example] = report.counterexamples;
    // Every request traps, so the minimal one is GET / without headers, body or reset.
    expect(example!.request).toMatchObject({
      method: "GET",
      path: "/",
      headers: [],
      chunks: [],
      trailers: null,
      reset: null,
    });
    expect(example!.text).toMatch(/violated "no trap": the VM trapped: .*proxy_on_request_headers/);
    expect(example!.text).toContain('GET "/" (authority "example.com")');
  });

  test("the security invariant catches a filter that lets a request without a valid credential through", () => {
    const options = {
      module: passThrough,
      traffic: {
        headerNames: ["x-api-key"],
        credentials: fc.oneof(fc.constant([]), fc.constant([["x-api-key", "good"]] as const)),
      },
      isAuthorized: (r: Parameters<typeof requestHeader>[0]) => requestHeader(r, "x-api-key") === "good",
    };
    let failure: unknown;
    try {
      assertFuzz(options, { runs: 100, seed: 3 });
    } catch (e) {
      failure = e;
    }
    expect(failure).toBeInstanceOf(FuzzFailure);
    const message = (failure as FuzzFailure).message;
    expect(message).toMatch(
      /violated "no unauthorized upstream request": a request without a valid credential reached the upstream/,
    );
    expect(message).toMatch(/reached upstream: yes/);
    expect((failure as FuzzFailure).hint).toMatch(/replay/);
  });

  test("user invariants are checked, and an invariant that holds passes", () => {
    const holds = runFuzz(
      {
        module: passThrough,
        invariants: { "x-wat-req added": (_r, o) => !o.upstream || o.upstream.headers.get("x-wat-req") === "1" },
      },
      { runs: 200, seed: 5 },
    );
    expect(holds).toMatchObject({ runs: 200, failures: 0 });
    const broken = runFuzz(
      {
        module: passThrough,
        invariants: {
          "never a body upstream": (_r, o) => (o.upstream?.bodyBytes.length ?? 0) === 0 || "the upstream got a body",
        },
      },
      { runs: 300, seed: 5, maxCounterexamples: 1 },
    );
    expect(broken.failures).toBeGreaterThan(0);
    // Shrunk to a tiny body in one chunk, with nothing else.
    expect(broken.counterexamples[0]!.request.body.length).toBeLessThanOrEqual(8);
    expect(broken.counterexamples[0]!.request).toMatchObject({ path: "/", headers: [], trailers: null, reset: null });
    expect(broken.counterexamples[0]!.request.chunks).toHaveLength(1);
    expect(broken.counterexamples[0]!.text).toMatch(/violated "never a body upstream": the upstream got a body/);
  });

  test("driveRequest reports the response headers the client received, and null when the client reset first", async () => {
    const emu = await Emulator.load(passThrough);
    const request = {
      method: "GET",
      path: "/",
      authority: "example.com",
      headers: [],
      body: new Uint8Array(0),
      chunks: [],
      trailers: null,
      reset: null,
    };
    const upstream = () => ({ status: 201, headers: { "x-up": ["a", "b"], "content-type": "text/plain" } });
    const outcome = driveRequest(emu, request, upstream);
    expect(outcome.status).toBe(201);
    expect(outcome.responseHeaders?.get(":status")).toBe("201");
    expect(outcome.responseHeaders?.getAll("x-up")).toEqual(["a", "b"]);
    expect(outcome.responseHeaders?.get("content-type")).toBe("text/plain");
    expect(driveRequest(emu, { ...request, reset: "before-response" }, upstream).responseHeaders).toBeNull();
  });

  test("formatRequest makes every byte visible", () => {
    const text = formatRequest({
      method: "POST",
      path: "/a b",
      authority: "h",
      headers: [["x-k", 'v\xc3\u0001\ud800"\\']],
      body: new Uint8Array([0x7b, 0xff]),
      chunks: [1, 1],
      trailers: [["t", "1"]],
      reset: "mid-body",
    });
    expect(text).toBe(
      [
        'POST "/a b" (authority "h")',
        '"x-k": "v\\xc3\\x01\\ud800\\"\\\\"',
        'body: 2 bytes in chunks [1, 1]: bytes "{\\xff"',
        'trailer "t": "1"',
        "client reset: mid-body",
      ].join("\n"),
    );
  });
});

// The @fast-check/vitest form, as a user writes it.
fuzzTest("fuzzTest: the pass-through module never traps and never answers 5xx", { module: passThrough, numRuns: 100 });
