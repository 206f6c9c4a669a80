// ext-authz on the emulator: the request waits for the authorization service, then continues with its
// headers, is denied with its status, or follows the failure mode on timeout, reset and 5xx.
import { describe, expect, it } from "vitest";
import { Emulator, type CalloutRequest, type CalloutResponse } from "@proxy-wasm-as/harness";
import { expectEmulatorRejects, filterWasm } from "../test-support/helpers.ts";

const WASM = filterWasm("ext-authz");
const upstreamOk = () => ({ status: 200, body: "ok" });

/** An authorization service: allows "Bearer good" (adding x-auth-user), denies everything else with 403. */
function authService(request: CalloutRequest): CalloutResponse {
  if (request.headers.get("authorization") === "Bearer good") {
    return {
      status: 200,
      headers: { "x-auth-user": "alice", "x-auth-roles": "reader", "x-unrelated": "1" },
      delayMs: 20,
    };
  }
  return {
    status: 403,
    headers: { "content-type": "text/plain", "www-authenticate": "Bearer" },
    body: "forbidden by policy",
    delayMs: 20,
  };
}

async function load(config: object, authz: (request: CalloutRequest) => CalloutResponse = authService) {
  return Emulator.load(WASM, { pluginConfig: { cluster: "authz", ...config }, upstreams: { authz } });
}

describe("ext-authz (emulator)", () => {
  it("holds the request until the service allows it, then forwards it with the service's x-auth-* headers", async () => {
    const emu = await load({ pathPrefix: "/check" });
    const stream = emu.httpStream();
    expect(
      stream.requestHeaders({
        ":method": "POST",
        ":path": "/orders?id=7",
        ":authority": "shop",
        authorization: "Bearer good",
        "x-auth-user": "mallory",
      }),
    ).toBe("pause");
    expect(emu.callouts).toHaveLength(1);
    const check = emu.callouts[0];
    expect(check.cluster).toBe("authz");
    expect(check.headers.get(":path")).toBe("/check/orders?id=7");
    expect(check.headers.get(":method")).toBe("POST");
    expect(check.headers.get(":authority")).toBe("authz");
    expect(check.headers.get("authorization")).toBe("Bearer good");
    expect(stream.request.headersForwarded).toBe(false);
    emu.advance(20);
    expect(stream.request.headersForwarded).toBe(true);
    expect(stream.request.headers.getAll("x-auth-user")).toEqual(["alice"]); // the client's value was dropped
    expect(stream.request.headers.get("x-auth-roles")).toBe("reader");
    expect(stream.request.headers.get("x-unrelated")).toBeUndefined();
    expect(emu.metric("ext_authz.allowed")).toBe(1);
  });

  it("denies with the service's status, body and challenge", async () => {
    const emu = await load({});
    const result = await emu.request({ path: "/orders", headers: { authorization: "Bearer bad" } }, upstreamOk);
    expect(result.status).toBe(403);
    expect(result.upstream).toBeNull();
    expect(result.body).toBe("forbidden by policy");
    expect(result.headers.get("www-authenticate")).toBe("Bearer");
    expect(result.headers.get("content-type")).toBe("text/plain");
    expect(emu.metric("ext_authz.denied")).toBe(1);
  });

  it("fails closed with 503 when the service is too slow (timeout), resets or answers 5xx", async () => {
    const slow = await load({ timeoutMs: 100 }, () => ({ status: 200, delayMs: 5_000 }));
    const timedOut = await slow.request({ path: "/" }, upstreamOk);
    expect(timedOut.status).toBe(503);
    expect(timedOut.upstream).toBeNull();
    expect(JSON.parse(timedOut.body).error).toBe("authorization_unavailable");
    expect(slow.logMessages("warn").some((line) => /answered 504; failing closed/.test(line))).toBe(true);

    const resetting = await load({}, () => ({ reset: true }) as CalloutResponse);
    expect((await resetting.request({ path: "/" }, upstreamOk)).status).toBe(503);
    const broken = await load({}, () => ({ status: 500 }));
    expect((await broken.request({ path: "/" }, upstreamOk)).status).toBe(503);
    expect(broken.metric("ext_authz.unavailable")).toBe(1);
  });

  it("fails open when configured: the request continues without auth headers", async () => {
    const emu = await load({ timeoutMs: 100, failOpen: true }, () => ({
      status: 200,
      headers: { "x-auth-user": "late" },
      delayMs: 5_000,
    }));
    const result = await emu.request({ path: "/", headers: { "x-auth-user": "mallory" } }, upstreamOk);
    expect(result.status).toBe(200);
    expect(result.upstream!.headers.get("x-auth-user")).toBeUndefined();
    expect(emu.metric("ext_authz.failed_open")).toBe(1);
  });

  it("applies the failure mode at once when the call cannot be made (unknown cluster)", async () => {
    const emu = await Emulator.load(WASM, { pluginConfig: { cluster: "missing" }, upstreams: {} });
    const result = await emu.request({ path: "/" }, upstreamOk);
    expect(result.status).toBe(503);
    expect(emu.callouts).toHaveLength(0);
  });

  it("rejects bad configurations with one clear log line", async () => {
    await expectEmulatorRejects("ext-authz", '{"cluster"', /invalid plugin configuration/);
    await expectEmulatorRejects(
      "ext-authz",
      { timeoutMs: 100 },
      /^invalid plugin configuration: cluster: missing \(required\)$/,
    );
    await expectEmulatorRejects(
      "ext-authz",
      { cluster: "authz", timeoutMs: 0 },
      /^invalid plugin configuration: timeoutMs: expected an integer from 1 to 60000, got 0$/,
    );
    await expectEmulatorRejects(
      "ext-authz",
      { cluster: "authz", failOpen: "no" },
      /^invalid plugin configuration: failOpen: expected true or false, got "no"$/,
    );
    await expectEmulatorRejects(
      "ext-authz",
      { cluster: "authz", pathPrefix: "check" },
      /^invalid plugin configuration: pathPrefix: must start with "\/"$/,
    );
  });
});
