// jwt-auth in real Envoy: valid tokens reach the upstream with claim headers; 401/403 local replies; counters.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { httpWasm, startEnvoy, startHttpUpstream, type Envoy, type HttpUpstream } from "@proxy-wasm-as/harness";
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
    const delta = await envoy.statsDelta(async () => {
      const res = await envoy.request("/orders", {
        headers: { authorization: `Bearer ${signJwt(claims(), SECRET)}`, "x-user-id": "spoofed" },
      });
      expect(res.status).toBe(200);
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

  test("Envoy refuses a configuration without a secret, with the filter's reason", async () => {
    await expectEnvoyRejects("jwt-auth", { issuer: "x" }, /invalid plugin configuration: secret: missing \(required\)/);
  });

  test("the shipped envoy-configs/jwt-auth.yaml passes envoy --mode validate", async () => {
    await validateShippedConfig("jwt-auth");
  });
});
