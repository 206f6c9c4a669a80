// jwt-auth in real Envoy: valid tokens reach the upstream with claim headers; 401/403 local replies; counters.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  EnvoyHarnessError,
  httpWasm,
  startEnvoy,
  startHttpUpstream,
  type Envoy,
  type HttpUpstream,
} from "@proxy-wasm-as/harness";
import {
  ENVOY_RUNNER,
  customCounter,
  expectEnvoyRejects,
  filterWasm,
  rawHttpStatus,
  validateShippedConfig,
} from "../test-support/helpers.ts";
import { signJwt } from "./jwt-tokens.ts";

const SECRET = "0123456789abcdef0123456789abcdef-orders";
const CONFIG = {
  secret: SECRET,
  issuer: "https://auth.example.com",
  audiences: ["orders-api"],
  forwardClaims: [{ claim: "sub", header: "x-user-id" }],
};
const now = () => Math.floor(Date.now() / 1000);
/** Allowed requests reach `jwt_auth.allowed` on the filter's next tick (1 s, clock.as.ts): wait two. */
const flushed = () => new Promise((resolve) => setTimeout(resolve, 2_500));
const claims = () => ({ iss: "https://auth.example.com", aud: "orders-api", sub: "user-42", exp: now() + 600 });

describe("jwt-auth (real Envoy)", () => {
  let upstream: HttpUpstream;
  let envoy: Envoy;
  beforeAll(async () => {
    upstream = await startHttpUpstream();
    envoy = await startEnvoy({
      runner: ENVOY_RUNNER,
      filters: [httpWasm(filterWasm("jwt-auth"), { config: CONFIG })],
      upstream,
    });
  });
  afterAll(async () => {
    await envoy?.stop();
    await upstream?.close();
  });

  // Issue 13, finding 2: "Bearer <valid jwt>\xff" was accepted (the SDK's decoder dropped the trailing byte).
  test("a valid token followed by a byte that is not UTF-8 is refused with 401 and never reaches the upstream", async () => {
    const token = signJwt(claims(), SECRET);
    const before = upstream.requests.length;
    expect(await rawHttpStatus(envoy, "/orders", { authorization: `Bearer ${token}` })).toBe(200); // the raw client works
    expect(upstream.requests.length).toBe(before + 1);
    for (const bad of [[0xff], [0xc3], [0xe2, 0x82]]) {
      expect(
        await rawHttpStatus(envoy, "/orders", {
          authorization: Buffer.concat([Buffer.from(`Bearer ${token}`), Buffer.from(bad)]),
        }),
      ).toBe(401);
    }
    expect(upstream.requests.length).toBe(before + 1);
  });

  test("a valid token reaches the upstream with x-user-id from its sub claim", async () => {
    await flushed(); // the earlier tests' allowed requests
    const delta = await envoy.statsDelta(async () => {
      const res = await envoy.request("/orders", {
        headers: { authorization: `Bearer ${signJwt(claims(), SECRET)}`, "x-user-id": "spoofed" },
      });
      expect(res.status).toBe(200);
      await flushed();
    });
    expect(upstream.last().headers["x-user-id"]).toEqual(["user-42"]);
    expect(customCounter(delta, "jwt_auth.allowed")).toBe(1);
  });

  test("expired, forged and foreign tokens are answered by Envoy without reaching the upstream", async () => {
    const before = upstream.requests.length;
    const delta = await envoy.statsDelta(async () => {
      const expired = await envoy.request("/orders", {
        headers: { authorization: `Bearer ${signJwt({ ...claims(), exp: now() - 3600 }, SECRET)}` },
      });
      expect(expired.status).toBe(401);
      expect(expired.json()).toEqual({ error: "invalid_token", message: "token expired" });
      expect(expired.headers["www-authenticate"]).toContain('error="invalid_token"');
      const forged = await envoy.request("/orders", {
        headers: { authorization: `Bearer ${signJwt(claims(), "x".repeat(40))}` },
      });
      expect(forged.status).toBe(401);
      const foreign = await envoy.request("/orders", {
        headers: { authorization: `Bearer ${signJwt({ ...claims(), aud: "billing-api" }, SECRET)}` },
      });
      expect(foreign.status).toBe(403);
      const missing = await envoy.request("/orders");
      expect(missing.status).toBe(401);
    });
    expect(upstream.requests.length).toBe(before);
    expect(customCounter(delta, "jwt_auth.denied_expired")).toBe(1);
    expect(customCounter(delta, "jwt_auth.denied_invalid")).toBe(1);
    expect(customCounter(delta, "jwt_auth.denied_forbidden")).toBe(1);
    expect(customCounter(delta, "jwt_auth.denied_missing")).toBe(1);
  });

  // jwt-auth keeps nothing per stream (the SDK's stateless streams), and Envoy does not tell a module which plugin a
  // stream belongs to: two jwt-auth plugins sharing a VM (the same code and VM configuration) must never mix their
  // configurations, so the second one is refused. With their own vm_id they run side by side.
  test("a second jwt-auth plugin in the same VM is refused; with its own vm_id it runs", async () => {
    const orders = { ...CONFIG, issuer: "https://orders.example.com" };
    const billing = { ...CONFIG, issuer: "https://billing.example.com" };
    const refused = await startEnvoy({
      runner: ENVOY_RUNNER,
      filters: [
        httpWasm(filterWasm("jwt-auth"), { name: "orders-jwt", config: orders }),
        httpWasm(filterWasm("jwt-auth"), { name: "billing-jwt", config: billing }),
      ],
      upstream,
    }).then(
      async (started) => {
        await started.stop();
        return null;
      },
      (e: unknown) => e,
    );
    expect(refused, "Envoy should have refused the second plugin").toBeInstanceOf(EnvoyHarnessError);
    // Envoy fails the worker's VM; the module's reason (the emulator test in test/unit/add-header.test.ts checks
    // its text) is logged just before, at critical level.
    expect((refused as EnvoyHarnessError).logLines.join("\n")).toMatch(
      /Failed to start thread-local Wasm|statelessStreams: plugin "(billing|orders)-jwt" cannot share a VM/,
    );
    await using apart = await startEnvoy({
      runner: ENVOY_RUNNER,
      filters: [
        httpWasm(filterWasm("jwt-auth"), { name: "orders-jwt", config: orders, vmId: "orders" }),
        httpWasm(filterWasm("jwt-auth"), { name: "billing-jwt", config: billing, vmId: "billing" }),
      ],
      upstream,
    });
    // Each plugin checks its own issuer: a token of one is refused by the other.
    const ordersToken = signJwt({ ...claims(), iss: "https://orders.example.com" }, SECRET);
    const response = await apart.request("/orders", { headers: { authorization: `Bearer ${ordersToken}` } });
    expect(response.status).toBe(403);
    expect(response.json()).toEqual({ error: "forbidden", message: "token issuer not accepted" });
  });

  test("Envoy refuses a configuration without a secret, with the filter's reason", async () => {
    await expectEnvoyRejects("jwt-auth", { issuer: "x" }, /invalid plugin configuration: secret: missing \(required\)/);
  });

  test("the shipped envoy-configs/jwt-auth.yaml passes envoy --mode validate", async () => {
    await validateShippedConfig("jwt-auth");
  });
});
