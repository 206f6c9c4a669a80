// headers filter in real Envoy: edits seen by the upstream and the client; a bad configuration is refused.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { httpWasm, startEnvoy, startHttpUpstream, type HttpUpstream } from "@proxy-wasm-as/harness";
import { ENVOY_RUNNER, expectEnvoyRejects, filterWasm, validateShippedConfig } from "../test-support/helpers.ts";

describe("headers filter (real Envoy)", () => {
  let upstream: HttpUpstream;
  beforeAll(async () => {
    upstream = await startHttpUpstream();
  });
  afterAll(() => upstream.close());

  test("edits request headers for the upstream and response headers for the client", async () => {
    const config = {
      request: { set: { "x-env": "prod" }, add: { "x-tag": "filter" }, remove: ["x-internal"] },
      response: { set: { "cache-control": "no-store" }, remove: ["x-upstream"] },
    };
    await using envoy = await startEnvoy({
      runner: ENVOY_RUNNER,
      filters: [httpWasm(filterWasm("headers"), { config })],
      upstream,
    });
    const res = await envoy.request("/orders", { headers: { "x-env": "dev", "x-tag": "client", "x-internal": "1" } });
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["x-upstream"]).toBeUndefined(); // the echo upstream sets it; the filter removed it
    const seen = upstream.last();
    expect(seen.header("x-env")).toBe("prod");
    expect(seen.headers["x-tag"]).toEqual(["client", "filter"]);
    expect(seen.headers["x-internal"]).toBeUndefined();
  });

  test("Envoy refuses a bad configuration and the harness reports the filter's reason", async () => {
    await expectEnvoyRejects("headers", "{not json", /invalid plugin configuration/);
    await expectEnvoyRejects(
      "headers",
      { request: { set: "x-a" } },
      /invalid plugin configuration: request\.set: expected an object of strings, got "x-a"/,
    );
  });

  // Issue 19, item 6: the configuration is declared once (ConfigSchema); a wrong value is refused with its path.
  test("Envoy refuses a value of the wrong type, and its log names the value's path", async () => {
    await expectEnvoyRejects(
      "headers",
      { response: { remove: ["x-a", 7] } },
      /\[wasm\].*invalid plugin configuration: response\.remove\[1\]: expected a string, got 7$/m,
    );
    await expectEnvoyRejects(
      "headers",
      { request: { add: { "x-a": "1", "x-b": ["2"] } } },
      /\[wasm\].*invalid plugin configuration: request\.add\["x-b"\]: expected a string, got an array$/m,
    );
  });

  // Issue 13, finding 7: a misspelt key configured nothing and said nothing; a 6 MB configuration was accepted.
  test("Envoy refuses a misspelt key with a suggestion, and a configuration over 64 KiB", async () => {
    await expectEnvoyRejects(
      "headers",
      { reqest: { set: { "x-a": "1" } } },
      /invalid plugin configuration: unknown key `reqest` \(did you mean `request`\?\)/,
    );
    await expectEnvoyRejects(
      "headers",
      { request: { set: { "x-a": "y".repeat(6 * 1024 * 1024) } } },
      /invalid plugin configuration: \d+ bytes, over the limit of 65536 bytes/,
    );
  });

  test("the shipped envoy-configs/headers.yaml passes envoy --mode validate", async () => {
    await validateShippedConfig("headers");
  });
});
