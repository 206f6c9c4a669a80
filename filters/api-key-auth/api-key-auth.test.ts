// api-key-auth on the emulator: allowed and denied requests, what the upstream sees, counters, bad configs.
import { describe, expect, it } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { expectEmulatorRejects, filterWasm } from "../test-support/helpers.ts";

const CONFIG = {
  keys: [
    { client: "ci-bot", key: "k-ci-7f3a" },
    { client: "dashboard", key: "k-dash-19be" },
  ],
  realm: "orders",
};

async function load(config: object = CONFIG) {
  return Emulator.load(filterWasm("api-key-auth"), { pluginConfig: config });
}

const upstreamOk = () => ({ status: 200, body: "ok" });

describe("api-key-auth (emulator)", () => {
  it("forwards a request with a valid x-api-key, without the key and with the client name", async () => {
    const emu = await load();
    const result = await emu.request({ path: "/orders", headers: { "x-api-key": "k-dash-19be" } }, upstreamOk);
    expect(result.status).toBe(200);
    expect(result.upstream!.headers.get("x-api-client")).toBe("dashboard");
    expect(result.upstream!.headers.get("x-api-key")).toBeUndefined();
    expect(emu.metric("api_key_auth.allowed")).toBe(1);
  });

  it("accepts Authorization: Bearer <key> (scheme case-insensitive) and strips it", async () => {
    const emu = await load();
    const result = await emu.request({ path: "/", headers: { authorization: "bearer k-ci-7f3a" } }, upstreamOk);
    expect(result.status).toBe(200);
    expect(result.upstream!.headers.get("x-api-client")).toBe("ci-bot");
    expect(result.upstream!.headers.get("authorization")).toBeUndefined();
  });

  it("answers 401 with a challenge when no key is sent", async () => {
    const emu = await load();
    const result = await emu.request({ path: "/orders" }, upstreamOk);
    expect(result.status).toBe(401);
    expect(result.upstream).toBeNull();
    expect(result.headers.get("www-authenticate")).toBe('Bearer realm="orders"');
    expect(JSON.parse(result.body)).toEqual({ error: "unauthorized", message: "missing API key" });
    expect(emu.metric("api_key_auth.denied_missing")).toBe(1);
    expect(emu.metric("api_key_auth.allowed") ?? 0).toBe(0);
  });

  it("answers 401 invalid_token for a wrong, truncated or extended key", async () => {
    const emu = await load();
    for (const key of ["k-ci-7f3b", "k-ci-7f3", "k-ci-7f3aa", "K-CI-7F3A"]) {
      const result = await emu.request({ path: "/", headers: { "x-api-key": key } }, upstreamOk);
      expect(result.status, key).toBe(401);
      expect(result.headers.get("www-authenticate")).toBe('Bearer realm="orders", error="invalid_token"');
    }
    const bearerOther = await emu.request({ path: "/", headers: { authorization: "Basic k-ci-7f3a" } }, upstreamOk);
    expect(bearerOther.status).toBe(401); // not a bearer token: treated as missing
    expect(emu.metric("api_key_auth.denied_invalid")).toBe(4);
    expect(emu.metric("api_key_auth.denied_missing")).toBe(1);
  });

  it("drops a client-supplied identity header so it cannot be spoofed", async () => {
    const emu = await load();
    const result = await emu.request(
      { path: "/", headers: { "x-api-key": "k-ci-7f3a", "x-api-client": "admin" } },
      upstreamOk,
    );
    expect(result.upstream!.headers.getAll("x-api-client")).toEqual(["ci-bot"]);
  });

  it("reads the key from a configured header and can disable bearer tokens", async () => {
    const emu = await load({ ...CONFIG, header: "X-Token", allowBearer: false, clientHeader: "" });
    const viaHeader = await emu.request({ path: "/", headers: { "x-token": "k-ci-7f3a" } }, upstreamOk);
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.upstream!.headers.get("x-api-client")).toBeUndefined();
    const viaBearer = await emu.request({ path: "/", headers: { authorization: "Bearer k-ci-7f3a" } }, upstreamOk);
    expect(viaBearer.status).toBe(401);
  });

  it("rejects bad configurations with one clear log line", async () => {
    await expectEmulatorRejects("api-key-auth", '{"keys": [', /invalid plugin configuration/);
    await expectEmulatorRejects("api-key-auth", {}, /^invalid plugin configuration: keys: missing \(required\)$/);
    await expectEmulatorRejects(
      "api-key-auth",
      { keys: [] },
      /^invalid plugin configuration: keys: expected a non-empty list, got \[\]$/,
    );
    await expectEmulatorRejects(
      "api-key-auth",
      { keys: [{ client: "a" }] },
      /^invalid plugin configuration: keys\[0\]\.key: missing \(required\)$/,
    );
    await expectEmulatorRejects(
      "api-key-auth",
      { keys: [{ client: "a", key: 5 }] },
      /^invalid plugin configuration: keys\[0\]\.key: expected a non-empty string, got 5$/,
    );
    await expectEmulatorRejects(
      "api-key-auth",
      {
        keys: [
          { client: "a", key: "x" },
          { client: "a", key: "y" },
        ],
      },
      /^invalid plugin configuration: keys\[1\]\.client: "a" is listed twice$/,
    );
    await expectEmulatorRejects(
      "api-key-auth",
      { keys: CONFIG.keys, allowBearer: "yes" },
      /^invalid plugin configuration: allowBearer: expected true or false, got "yes"$/,
    );
  });
});
