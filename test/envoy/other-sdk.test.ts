// The harness works for any proxy-wasm module: the Go-SDK filter of test/fixtures/go-filter runs through real
// Envoy on both runners (built to build/go-filter.wasm by test/fixtures/go-filter/build.ts when a Go toolchain
// and the Go SDK can be had; the Go module proxy here refuses the SDK, so the suite is skipped).
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EnvoyHarnessError, type HttpUpstream, httpWasm, startEnvoy, startHttpUpstream } from "@proxy-wasm-as/harness";
import { RUNNERS } from "./support.ts";

const GO_FILTER = resolve("build/go-filter.wasm");

describe.skipIf(!existsSync(GO_FILTER)).each(RUNNERS)("Go-SDK filter through real Envoy (%s runner)", (runner) => {
  let upstream: HttpUpstream;
  beforeAll(async () => {
    upstream = await startHttpUpstream();
  });
  afterAll(() => upstream.close());

  test("adds headers both ways, denies locally, counts requests", async () => {
    await using envoy = await startEnvoy({
      runner,
      filters: [httpWasm(GO_FILTER, { name: "go", config: "from-go" })],
      upstream,
    });
    upstream.reset();
    const delta = await envoy.statsDelta(async () => {
      const res = await envoy.request("/go?x=1");
      expect(res.status).toBe(200);
      expect(res.headers["x-go-filter"]).toBe("from-go");
      expect(upstream.last().header("x-go-filter-seen")).toBe("1");

      const denied = await envoy.request("/secret", { headers: { "x-go-deny": "1" } });
      expect(denied.status).toBe(403);
      expect(denied.text()).toBe("denied by go-filter");
      // Real Envoy runs the local reply through the encoder chain, so the same filter's on_response_headers
      // also adds its header: both values arrive (an emulator must reproduce this).
      expect(denied.headers["x-go-filter"]).toEqual(["denied", "from-go"]);
    });
    expect(upstream.requests.map((r) => r.path)).toEqual(["/go?x=1"]); // the denied request never reached it
    // Envoy 1.40 shows custom metrics as wasmcustom.<name> in /stats, and without the prefix in Prometheus.
    expect(delta.get("wasmcustom.go_filter_requests")).toBe(2);
    expect(await envoy.admin.prometheus()).toMatch(/^go_filter_requests\{\} 2$/m);
    const logged = envoy.wasmLogs().map((l) => l.message);
    expect(logged).toContain("go-filter: GET /go?x=1");
    expect(logged).toContain('go-filter: configured with "from-go"');
  });

  test("a rejected configuration fails the start with the module's own message", async () => {
    const error = await startEnvoy({
      runner,
      filters: [httpWasm(GO_FILTER, { name: "go", config: "fail" })],
      upstream,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvoyHarnessError);
    expect((error as EnvoyHarnessError).logLines.join("\n")).toMatch(/go-filter: configuration 'fail' rejected/);
  });
});
