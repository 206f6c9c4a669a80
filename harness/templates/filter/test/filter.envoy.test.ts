// The filter in real Envoy (a local process; set ENVOY_RUNNER=container to use Docker), with real HTTP traffic.
// The vitest preset provisions Envoy once (into the per-user cache) and sets timeouts that fit Envoy's start.
import { describe, expect, test } from "vitest";
import { httpWasm, startEnvoy } from "@proxy-wasm-as/harness/envoy";
import { startHttpUpstream } from "@proxy-wasm-as/harness/traffic";

const WASM = "build/{{module}}.wasm";

describe("{{name}} (real Envoy)", () => {
  test("adds the header, and answers blocked paths with 403 without reaching the upstream", async () => {
    await using upstream = await startHttpUpstream({ respond: () => ({ status: 200, body: "hello from upstream" }) });
    const config = { header: "x-hello", value: "world", blockedPath: "/admin" };
    await using envoy = await startEnvoy({ filters: [httpWasm(WASM, { config })], upstream });

    const response = await envoy.request("/items");
    expect(response).toHaveStatus(200);
    expect(response).toHaveHeader("x-hello", "world");
    expect(upstream).toHaveUpstreamHeader("x-hello", "world");
    expect(envoy).toHaveLogged(/configured: x-hello: world/);

    await expect(async () => {
      const denied = await envoy.request("/admin");
      expect(denied).toBeLocalReply(403);
    }).toChangeMetric(envoy, "{{module}}.denied", 1);
    expect(upstream.requests).toHaveLength(1);
  });
});
