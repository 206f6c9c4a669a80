// The harness works for any proxy-wasm module: the Rust-SDK filter of test/fixtures/rust-filter (crates.io
// proxy-wasm, built by test/fixtures/rust-filter/build.ts) runs through real Envoy on both runners.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EnvoyHarnessError, type HttpUpstream, httpWasm, startEnvoy, startHttpUpstream } from "@proxy-wasm-as/harness";
import { buildRustFilter } from "../fixtures/rust-filter/build.ts";
import { RUNNERS } from "./support.ts";

const fixture = buildRustFilter();

describe.skipIf(fixture.skip).each(RUNNERS)("Rust-SDK filter through real Envoy (%s runner)", (runner) => {
  const wasm = fixture.path!;
  let upstream: HttpUpstream;
  beforeAll(async () => {
    upstream = await startHttpUpstream();
  });
  afterAll(() => upstream.close());

  test("adds its header for the upstream and denies locally", async () => {
    await using envoy = await startEnvoy({
      runner,
      filters: [httpWasm(wasm, { name: "rust", config: "blue" })],
      upstream,
    });
    upstream.reset();
    const res = await envoy.request("/rust");
    expect(res.status).toBe(200);
    expect(upstream.last().header("x-rust-filter")).toBe("blue");
    const denied = await envoy.request("/secret", { headers: { "x-deny": "1" } });
    expect(denied.status).toBe(403);
    expect(denied.text()).toBe("denied by rust\n");
    expect(upstream.requests.map((r) => r.path)).toEqual(["/rust"]);
    expect(envoy.wasmLogs().map((l) => l.message)).toContain("rust-filter saw /rust");
  });

  test("a rejected configuration fails the start with the module's own message", async () => {
    const error = await startEnvoy({
      runner,
      filters: [httpWasm(wasm, { name: "rust", config: "fail" })],
      upstream,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvoyHarnessError);
    expect(String(error)).toContain("configuration 'fail' rejected");
  });
});
