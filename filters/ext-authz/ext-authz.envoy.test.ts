// ext-authz in real Envoy: a real authorization upstream decides; timeouts follow fail-open / fail-closed.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  cluster,
  httpWasm,
  startEnvoy,
  startHttpUpstream,
  type HttpUpstream,
  type HttpUpstreamResponse,
  type RecordedRequest,
} from "@proxy-wasm-as/harness";
import {
  ENVOY_RUNNER,
  customCounter,
  expectEnvoyRejects,
  filterWasm,
  validateShippedConfig,
} from "../test-support/helpers.ts";

/** The authorization service: "Bearer good" is alice; "Bearer slow" takes 2 s; anything else is refused. */
function decide(request: RecordedRequest): HttpUpstreamResponse {
  const authorization = request.header("authorization");
  if (authorization === "Bearer good") return { status: 200, headers: { "x-auth-user": "alice" } };
  if (authorization === "Bearer slow") return { status: 200, headers: { "x-auth-user": "late" }, delayMs: 2_000 };
  return {
    status: 401,
    headers: { "www-authenticate": 'Bearer realm="shop"', "content-type": "text/plain" },
    body: "who are you?",
  };
}

describe("ext-authz (real Envoy)", () => {
  let upstream: HttpUpstream;
  let authz: HttpUpstream;
  beforeAll(async () => {
    upstream = await startHttpUpstream();
    authz = await startHttpUpstream({ respond: decide });
  });
  afterAll(async () => {
    await upstream.close();
    await authz.close();
  });

  const start = (config: object) =>
    startEnvoy({
      runner: ENVOY_RUNNER,
      upstream,
      clusters: [cluster("authz", authz)],
      filters: [
        httpWasm(filterWasm("ext-authz"), {
          config: { cluster: "authz", pathPrefix: "/check", timeoutMs: 300, ...config },
        }),
      ],
    });

  test("allowed: the upstream gets the service's x-auth-user; the service saw the original path", async () => {
    await using envoy = await start({});
    const res = await envoy.request("/orders/7", {
      method: "DELETE",
      headers: { authorization: "Bearer good", "x-auth-user": "mallory" },
    });
    expect(res.status).toBe(200);
    expect(upstream.last().headers["x-auth-user"]).toEqual(["alice"]);
    expect(authz.last().path).toBe("/check/orders/7");
    expect(authz.last().method).toBe("DELETE");
  });

  test("denied: the client gets the service's 401, body and challenge; the upstream nothing", async () => {
    await using envoy = await start({});
    const before = upstream.requests.length;
    const res = await envoy.request("/orders", { headers: { authorization: "Bearer nope" } });
    expect(res.status).toBe(401);
    expect(res.text()).toBe("who are you?");
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="shop"');
    expect(upstream.requests.length).toBe(before);
  });

  test("timeout: fail closed answers 503; fail open lets the request through", async () => {
    {
      await using closed = await start({});
      const res = await closed.request("/", { headers: { authorization: "Bearer slow" } });
      expect(res.status).toBe(503);
      expect(res.json()).toMatchObject({ error: "authorization_unavailable" });
      expect(customCounter(await closed.stats(), "ext_authz.unavailable")).toBe(1);
    }
    {
      await using open = await start({ failOpen: true });
      const res = await open.request("/", { headers: { authorization: "Bearer slow" } });
      expect(res.status).toBe(200);
      expect(upstream.last().headers["x-auth-user"]).toBeUndefined();
      expect(customCounter(await open.stats(), "ext_authz.failed_open")).toBe(1);
    }
  });

  test("Envoy refuses a configuration without a cluster, with the filter's reason", async () => {
    await expectEnvoyRejects(
      "ext-authz",
      { timeoutMs: 100 },
      /invalid plugin configuration: cluster: missing \(required\)/,
    );
  });

  test("the shipped envoy-configs/ext-authz.yaml passes envoy --mode validate", async () => {
    await validateShippedConfig("ext-authz");
  });
});
