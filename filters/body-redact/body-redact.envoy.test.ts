// body-redact in real Envoy: redacted request bodies upstream, redacted responses at the client, correct framing.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { httpWasm, startEnvoy, startHttpUpstream, type HttpUpstream } from "@proxy-wasm-as/harness";
import { ENVOY_RUNNER, expectEnvoyRejects, filterWasm, validateShippedConfig } from "../test-support/helpers.ts";

const CONFIG = { fields: ["password", "ssn"], maxBodyBytes: 4096 };

describe("body-redact (real Envoy)", () => {
  let upstream: HttpUpstream;
  beforeAll(async () => { upstream = await startHttpUpstream(); }); // echoes the body with the request's content type
  afterAll(() => upstream.close());

  test("the upstream gets the request redacted and the client the echoed response redacted, with matching lengths", async () => {
    await using envoy = await startEnvoy({ runner: ENVOY_RUNNER, filters: [httpWasm(filterWasm("body-redact"), { config: CONFIG })], upstream });
    const body = JSON.stringify({ user: "ana", password: "hunter2", profile: { ssn: "123-45-6789" } });
    for (const http2 of [false, true]) {
      const res = await envoy.request("/signup", { method: "POST", http2, headers: { "content-type": "application/json" }, body });
      expect(res.status).toBe(200);
      const seen = upstream.last();
      expect(JSON.parse(seen.text())).toEqual({ user: "ana", password: "[REDACTED]", profile: { ssn: "[REDACTED]" } });
      const length = seen.header("content-length");
      if (length !== undefined) expect(Number(length)).toBe(seen.body.length); // never the client's stale length
      expect(res.json()).toEqual({ user: "ana", password: "[REDACTED]", profile: { ssn: "[REDACTED]" } });
    }
  });

  test("a request body over the limit gets 413 and never reaches the upstream", async () => {
    await using envoy = await startEnvoy({ runner: ENVOY_RUNNER, filters: [httpWasm(filterWasm("body-redact"), { config: CONFIG })], upstream });
    const before = upstream.requests.length;
    const res = await envoy.request("/signup", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ password: "x", pad: "y".repeat(5000) }) });
    expect(res.status).toBe(413);
    expect(upstream.requests.length).toBe(before);
  });

  test("Envoy refuses a configuration without fields, with the filter's reason", async () => {
    await expectEnvoyRejects("body-redact", { maxBodyBytes: 100 }, /invalid plugin configuration: fields is required/);
  });

  test("the shipped envoy-configs/body-redact.yaml passes envoy --mode validate", async () => {
    await validateShippedConfig("body-redact");
  });
});
