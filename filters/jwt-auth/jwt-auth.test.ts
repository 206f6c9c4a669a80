// jwt-auth on the emulator: signature, exp/nbf with clock skew, iss/aud, forwarded claims, counters, bad configs.
import { describe, expect, it } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { EmulatorHost } from "@proxy-wasm-as/harness/emulator";
import { expectEmulatorRejects, filterWasm } from "../test-support/helpers.ts";
import { signJwt } from "./jwt-tokens.ts";

const SECRET = "0123456789abcdef0123456789abcdef-orders";
const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const CONFIG = {
  secret: SECRET,
  issuer: "https://auth.example.com",
  audiences: ["orders-api"],
  clockSkewSeconds: 30,
  realm: "orders",
  forwardClaims: [
    { claim: "sub", header: "x-user-id" },
    { claim: "tenant", header: "x-tenant" },
    { claim: "admin", header: "x-admin" },
  ],
};
const GOOD_CLAIMS = {
  iss: "https://auth.example.com",
  aud: "orders-api",
  sub: "user-42",
  tenant: "acme",
  admin: false,
  exp: NOW + 600,
};

async function load(config: object = CONFIG, options: { trace?: boolean } = {}) {
  return Emulator.load(filterWasm("jwt-auth"), {
    pluginConfig: config,
    host: new EmulatorHost({ startTimeMs: NOW_MS }),
    ...options,
  });
}

/** The filter's tick (filters/jwt-auth/clock.as.ts TICK_PERIOD_MS): clock reading and counter flush. */
const TICK_MS = 1000;

const upstreamOk = () => ({ status: 200, body: "ok" });
const withToken = (token: string, headers: Record<string, string> = {}) => ({
  path: "/orders",
  headers: { authorization: `Bearer ${token}`, ...headers },
});

describe("jwt-auth (emulator)", () => {
  it("forwards a valid token's request with the selected claims as headers", async () => {
    const emu = await load();
    const result = await emu.request(withToken(signJwt(GOOD_CLAIMS, SECRET)), upstreamOk);
    expect(result.status).toBe(200);
    const seen = result.upstream!.headers;
    expect(seen.get("x-user-id")).toBe("user-42");
    expect(seen.get("x-tenant")).toBe("acme");
    expect(seen.get("x-admin")).toBe("false");
    expect(seen.get("authorization")).toMatch(/^Bearer /); // the token itself is passed on
    // Allowed requests are added to the counter on the next tick (one host call per tick, not per request).
    expect(emu.metric("jwt_auth.allowed") ?? 0).toBe(0);
    await emu.request(withToken(signJwt(GOOD_CLAIMS, SECRET)), upstreamOk);
    emu.advance(TICK_MS);
    expect(emu.metric("jwt_auth.allowed")).toBe(2);
  });

  it("reads the clock for a cached token only when its verdict could change before the next reading", async () => {
    const emu = await load(CONFIG, { trace: true });
    // Clock readings in the request path (the root's ticks read it too).
    const clockReads = (from: number) =>
      emu.trace
        .slice(from)
        .filter((e) => e.call === "env.proxy_get_current_time_nanoseconds" && e.contextId !== emu.rootContextId())
        .length;
    const farFromExpiry = signJwt(GOOD_CLAIMS, SECRET); // exp = now + 600 s, skew 30 s
    expect((await emu.request(withToken(farFromExpiry), upstreamOk)).status).toBe(200);
    let from = emu.trace.length;
    for (let i = 0; i < 5; i++) expect((await emu.request(withToken(farFromExpiry), upstreamOk)).status).toBe(200);
    expect(clockReads(from)).toBe(0); // the reading at configure decides: valid for at least the next 60 s
    // 600 + 30 - 60 s later the verdict could change within the staleness window: every request reads the clock.
    emu.advance((600 + 30 - 60 + 1) * 1000);
    from = emu.trace.length;
    expect((await emu.request(withToken(farFromExpiry), upstreamOk)).status).toBe(200);
    expect(clockReads(from)).toBe(1);
    // Past exp + skew (the ticks kept reading the clock): refused, exactly as with a reading per request.
    emu.advance(58 * 1000);
    expect((await emu.request(withToken(farFromExpiry), upstreamOk)).status).toBe(200); // now = exp + 29 s
    emu.advance(1000);
    const expired = await emu.request(withToken(farFromExpiry), upstreamOk); // now = exp + 30 s
    expect(expired.status).toBe(401);
    expect(JSON.parse(expired.body).message).toBe("token expired");
  });

  it("replaces claim headers a client tried to set itself", async () => {
    const emu = await load();
    const result = await emu.request(
      withToken(signJwt({ ...GOOD_CLAIMS, tenant: undefined }, SECRET), { "x-tenant": "evil", "x-user-id": "root" }),
      upstreamOk,
    );
    expect(result.upstream!.headers.getAll("x-user-id")).toEqual(["user-42"]);
    expect(result.upstream!.headers.get("x-tenant")).toBeUndefined(); // claim absent: header removed, not kept
  });

  it("answers 401 without a bearer token", async () => {
    const emu = await load();
    const result = await emu.request({ path: "/orders" }, upstreamOk);
    expect(result.status).toBe(401);
    expect(result.upstream).toBeNull();
    expect(result.headers.get("www-authenticate")).toBe('Bearer realm="orders"');
    expect(emu.metric("jwt_auth.denied_missing")).toBe(1);
  });

  it("answers 401 invalid_token for a bad signature, another key, alg none and malformed tokens", async () => {
    const emu = await load();
    const good = signJwt(GOOD_CLAIMS, SECRET);
    const [head, payload, signature] = good.split(".");
    const tamperedPayload = Buffer.from(JSON.stringify({ ...GOOD_CLAIMS, sub: "admin" })).toString("base64url");
    const cases: Array<[string, string]> = [
      [`${head}.${tamperedPayload}.${signature}`, "invalid signature"],
      [signJwt(GOOD_CLAIMS, "another-secret-another-secret-1234"), "invalid signature"],
      [`${head}.${payload}.${signature.slice(0, -2)}`, "malformed token (expected an HS256 JWT)"],
      [signJwt(GOOD_CLAIMS, SECRET, { alg: "none" }), "malformed token (expected an HS256 JWT)"],
      [signJwt(GOOD_CLAIMS, SECRET, { alg: "HS512" }), "malformed token (expected an HS256 JWT)"],
      [`${head}.${payload}`, "malformed token (expected an HS256 JWT)"],
      [`${good}.extra`, "malformed token (expected an HS256 JWT)"],
      [signJwt({ ...GOOD_CLAIMS, exp: "tomorrow" }, SECRET), "malformed token (expected an HS256 JWT)"],
    ];
    for (const [token, message] of cases) {
      const result = await emu.request(withToken(token), upstreamOk);
      expect(result.status, token).toBe(401);
      expect(JSON.parse(result.body)).toEqual({ error: "invalid_token", message });
      expect(result.headers.get("www-authenticate")).toBe(
        `Bearer realm="orders", error="invalid_token", error_description="${message}"`,
      );
    }
    expect(emu.metric("jwt_auth.denied_invalid")).toBe(cases.length);
  });

  it("applies exp and nbf with the configured clock skew, on the host's clock", async () => {
    const emu = await load();
    const expiresSoon = signJwt({ ...GOOD_CLAIMS, exp: NOW + 10 }, SECRET);
    expect((await emu.request(withToken(expiresSoon), upstreamOk)).status).toBe(200);
    emu.advance(39_000); // now = exp + 29 s: still inside the 30 s skew
    expect((await emu.request(withToken(expiresSoon), upstreamOk)).status).toBe(200);
    emu.advance(2_000); // now = exp + 31 s
    const expired = await emu.request(withToken(expiresSoon), upstreamOk);
    expect(expired.status).toBe(401);
    expect(JSON.parse(expired.body).message).toBe("token expired");

    const later = signJwt({ ...GOOD_CLAIMS, nbf: NOW + 41 + 60, exp: NOW + 3600 }, SECRET);
    const early = await emu.request(withToken(later), upstreamOk);
    expect(JSON.parse(early.body).message).toBe("token not yet valid");
    expect(emu.metric("jwt_auth.denied_expired")).toBe(2);

    const noExpiry = signJwt({ ...GOOD_CLAIMS, exp: undefined }, SECRET);
    expect((await emu.request(withToken(noExpiry), upstreamOk)).status).toBe(401);
    const lenient = await load({ ...CONFIG, requireExp: false });
    expect((await lenient.request(withToken(noExpiry), upstreamOk)).status).toBe(200);
  });

  it("answers 403 for a genuine token from another issuer or for another audience", async () => {
    const emu = await load();
    const otherIssuer = await emu.request(
      withToken(signJwt({ ...GOOD_CLAIMS, iss: "https://evil.example.com" }, SECRET)),
      upstreamOk,
    );
    expect(otherIssuer.status).toBe(403);
    expect(JSON.parse(otherIssuer.body)).toEqual({ error: "forbidden", message: "token issuer not accepted" });
    const otherAudience = await emu.request(
      withToken(signJwt({ ...GOOD_CLAIMS, aud: ["billing-api"] }, SECRET)),
      upstreamOk,
    );
    expect(otherAudience.status).toBe(403);
    const audienceInList = await emu.request(
      withToken(signJwt({ ...GOOD_CLAIMS, aud: ["billing-api", "orders-api"] }, SECRET)),
      upstreamOk,
    );
    expect(audienceInList.status).toBe(200);
    expect(emu.metric("jwt_auth.denied_forbidden")).toBe(2);
  });

  it("rejects bad configurations with one clear log line", async () => {
    await expectEmulatorRejects("jwt-auth", '{"secret": }', /invalid plugin configuration/);
    await expectEmulatorRejects(
      "jwt-auth",
      { issuer: "x" },
      /^invalid plugin configuration: secret: missing \(required\)$/,
    );
    await expectEmulatorRejects(
      "jwt-auth",
      { secret: "short" },
      /^invalid plugin configuration: secret: must be at least 32 characters/,
    );
    await expectEmulatorRejects(
      "jwt-auth",
      { ...CONFIG, audiences: "orders-api" },
      /^invalid plugin configuration: audiences: expected a list of strings, got "orders-api"$/,
    );
    await expectEmulatorRejects(
      "jwt-auth",
      { ...CONFIG, clockSkewSeconds: -1 },
      /^invalid plugin configuration: clockSkewSeconds: expected an integer from 0 to 3600, got -1$/,
    );
    await expectEmulatorRejects(
      "jwt-auth",
      { ...CONFIG, forwardClaims: [{ claim: "sub" }] },
      /^invalid plugin configuration: forwardClaims\[0\]\.header: missing \(required\)$/,
    );
  });
});
