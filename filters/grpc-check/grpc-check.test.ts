// grpc-check on the emulator: the request waits for the gRPC authorization service (virtual clock), then
// continues with the service's headers, is denied with its status and reason, or follows the failure mode on a
// gRPC error, a timeout, an invalid answer or a call that cannot be made. The service speaks authz.proto
// through protobufjs.
import { describe, expect, it } from "vitest";
import { Emulator, type EmulatorOptions, type GrpcReply, type GrpcRequest } from "@proxy-wasm-as/harness";
import { expectEmulatorRejects, filterWasm } from "../test-support/helpers.ts";
import {
  decide,
  decodeAllowRequest,
  encodeAllowResponse,
  type AllowRequest,
  type AllowResponse,
} from "./authz-service.ts";

const WASM = filterWasm("grpc-check");
const upstreamOk = () => ({ status: 200, body: "ok" });
/** The service's latency on the virtual clock, and the slow answer's (well over any timeout used here). */
const SERVICE_DELAY_MS = 20;
const SLOW_DELAY_MS = 5_000;

/** What one emulated service saw: the gRPC calls' method paths and decoded AllowRequests. */
interface ServiceLog {
  methods: string[];
  requests: AllowRequest[];
}

/** The tests' policy (authz-service.ts) as an emulator gRPC handler, recording what it was asked. */
function authzService(log: ServiceLog) {
  return (call: GrpcRequest): GrpcReply => {
    log.methods.push(`/${call.serviceName}/${call.method}`);
    const request = decodeAllowRequest(call.message);
    log.requests.push(request);
    const verdict = decide(request);
    switch (verdict.kind) {
      case "answer":
        return { message: encodeAllowResponse(verdict.response), delayMs: SERVICE_DELAY_MS };
      case "slow":
        return { message: encodeAllowResponse(verdict.response), delayMs: SLOW_DELAY_MS };
      case "error":
        return { status: verdict.status, statusMessage: verdict.message, delayMs: SERVICE_DELAY_MS };
      case "bytes":
        return { message: verdict.bytes, delayMs: SERVICE_DELAY_MS };
    }
  };
}

/** Value of the filter's counter `name` (0 until the filter first increments it: counters are defined lazily). */
const count = (emu: Emulator, name: string) => emu.metric(name) ?? 0;

async function load(config: object, options: EmulatorOptions = {}) {
  const log: ServiceLog = { methods: [], requests: [] };
  const emu = await Emulator.load(WASM, {
    pluginConfig: { cluster: "authz", ...config },
    grpcServices: { authz: authzService(log) },
    ...options,
  });
  return { emu, log };
}

/** A service that always answers `response`, for decisions the shared policy does not make. */
async function loadAnswering(response: AllowResponse, config: object = {}) {
  return Emulator.load(WASM, {
    pluginConfig: { cluster: "authz", ...config },
    grpcServices: { authz: () => ({ message: encodeAllowResponse(response), delayMs: SERVICE_DELAY_MS }) },
  });
}

describe("grpc-check (emulator)", () => {
  it("holds the request until the service allows it, then forwards it with the service's headers", async () => {
    const { emu, log } = await load({ forwardHeaders: ["authorization", "x-request-*"] });
    const stream = emu.httpStream();
    const action = stream.requestHeaders({
      ":method": "POST",
      ":path": "/orders?id=7",
      ":authority": "shop",
      ":scheme": "http",
      authorization: "Bearer alice",
      "x-request-id": "r1",
      "x-auth-user": "mallory",
      cookie: "secret",
      "x-client-id": "mobile-app",
    });
    expect(action).toBe("pause");
    expect(emu.callouts).toHaveLength(1);
    expect(emu.callouts[0]!).toMatchObject({ kind: "grpc-call", cluster: "authz" });
    expect(log.methods).toEqual(["/authz.v1.Check/Allow"]);
    expect(log.requests[0]).toEqual({
      method: "POST",
      path: "/orders?id=7",
      clientId: "mobile-app",
      headers: [
        { name: "authorization", value: "Bearer alice" },
        { name: "x-request-id", value: "r1" },
      ],
    });
    expect(stream.request.headersForwarded).toBe(false);
    emu.advance(SERVICE_DELAY_MS);
    expect(stream.request.headersForwarded).toBe(true);
    expect(stream.request.headers.getAll("x-auth-user")).toEqual(["alice"]); // the client's value was removed
    expect(stream.request.headers.get("x-auth-roles")).toBe("reader");
    expect(stream.request.headers.get("x-unlisted")).toBeUndefined(); // not in upstreamHeaders
    expect(count(emu, "grpc_check.allowed")).toBe(1);
  });

  it("sends the downstream address as the client id when the client id header is absent", async () => {
    const { emu, log } = await load({ clientIdHeader: "x-tenant" });
    await emu.request({ path: "/", headers: { authorization: "Bearer alice", "x-client-id": "ignored" } }, upstreamOk, {
      properties: { "source.address": "10.1.2.3:4567" },
    });
    expect(log.requests[0]!.clientId).toBe("10.1.2.3:4567");
    await emu.request({ path: "/", headers: { authorization: "Bearer alice", "x-tenant": "acme" } }, upstreamOk);
    expect(log.requests[1]!.clientId).toBe("acme");
  });

  it("denies with the service's status and reason; the upstream sees nothing", async () => {
    const { emu } = await load({});
    const result = await emu.request(
      { method: "DELETE", path: "/orders/7", headers: { authorization: "Bearer bob" } },
      upstreamOk,
    );
    expect(result.status).toBe(401);
    expect(result.upstream).toBeNull();
    expect(result.body).toBe("DELETE /orders/7: bob is suspended\n");
    expect(result.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(result.localReply!.details).toBe("grpc_check_denied");
    expect(count(emu, "grpc_check.denied")).toBe(1);
    expect(count(emu, "grpc_check.allowed")).toBe(0);
  });

  it('denies with 403 "access denied" when the service gives no status or an unusable one', async () => {
    const { emu } = await load({});
    const silent = await emu.request({ path: "/" }, upstreamOk);
    expect([silent.status, silent.body]).toEqual([403, "access denied\n"]);
    const odd = await loadAnswering({ allowed: false, statusCode: 200, reason: "nope" });
    const result = await odd.request({ path: "/" }, upstreamOk);
    expect([result.status, result.body]).toEqual([403, "nope\n"]);
    expect(
      odd.logMessages("warn").some((line) => /denied with status 200, not 400-599; answering 403/.test(line)),
    ).toBe(true);
  });

  it("a gRPC error from the service fails closed with 503 by default", async () => {
    const { emu } = await load({});
    const result = await emu.request({ path: "/", headers: { authorization: "Bearer broken" } }, upstreamOk);
    expect(result.status).toBe(503);
    expect(result.upstream).toBeNull();
    expect(JSON.parse(result.body)).toEqual({ error: "authorization_unavailable" });
    expect(result.localReply!.details).toBe("grpc_check_unavailable");
    expect(emu.logMessages("warn")).toContain(
      "grpc-check: the call failed with gRPC status 13 (policy store unreachable{via_upstream}); failing closed",
    );
    expect(count(emu, "grpc_check.unavailable")).toBe(1);
    expect(count(emu, "grpc_check.failed_open")).toBe(0);
  });

  it("timeout, fail closed: 503 once the timeout passes, not before", async () => {
    const { emu } = await load({ timeoutMs: 100 });
    const stream = emu.httpStream();
    expect(
      stream.requestHeaders({ ":method": "GET", ":path": "/", ":authority": "shop", authorization: "Bearer slow" }),
    ).toBe("pause");
    emu.advance(99);
    expect(stream.localReply).toBeNull();
    emu.advance(1);
    expect(stream.localReply).toMatchObject({ status: 503, details: "grpc_check_unavailable" });
    expect(stream.request.headersForwarded).toBe(false);
    expect(emu.logMessages("warn")).toContain(
      "grpc-check: the call failed with gRPC status 14 (upstream request timeout{response_timeout}); failing closed",
    );
    expect(count(emu, "grpc_check.unavailable")).toBe(1);
  });

  it("timeout, fail open: the request continues without the service's headers", async () => {
    const { emu } = await load({ timeoutMs: 100, failOpen: true });
    const result = await emu.request(
      { path: "/", headers: { authorization: "Bearer slow", "x-auth-user": "mallory" } },
      upstreamOk,
    );
    expect(result.status).toBe(200);
    expect(result.upstream!.headers.get("x-auth-user")).toBeUndefined();
    expect(count(emu, "grpc_check.unavailable")).toBe(1);
    expect(count(emu, "grpc_check.failed_open")).toBe(1);
    expect(count(emu, "grpc_check.allowed")).toBe(0);
  });

  it("an answer that is not a valid AllowResponse counts as unavailable, in either failure mode", async () => {
    const { emu } = await load({});
    expect((await emu.request({ path: "/", headers: { authorization: "Bearer garbage" } }, upstreamOk)).status).toBe(
      503,
    );
    expect(emu.logMessages("warn")).toContain(
      "grpc-check: the answer is not a valid AllowResponse: truncated varint at byte 1; failing closed",
    );
    const open = await load({ failOpen: true });
    expect(
      (await open.emu.request({ path: "/", headers: { authorization: "Bearer garbage" } }, upstreamOk)).status,
    ).toBe(200);
    expect(count(open.emu, "grpc_check.failed_open")).toBe(1);
  });

  it("refuses headers from the service that could break the request (CR/LF in a value, pseudo-headers)", async () => {
    for (const header of [
      { name: "x-auth-user", value: "alice\r\nx-admin: yes" },
      { name: ":path", value: "/admin" },
      { name: "X-Auth-User", value: "alice" },
    ]) {
      const emu = await loadAnswering(
        { allowed: true, headers: [header] },
        { upstreamHeaders: ["x-auth-*", ":path", "X-Auth-*"] },
      );
      const result = await emu.request({ path: "/" }, upstreamOk);
      expect(result.status).toBe(503);
      expect(
        emu.logMessages("warn").some((line) => line.includes("is not a lower-case name with a printable value")),
      ).toBe(true);
    }
  });

  it("applies the failure mode at once when the call cannot be made (unknown cluster)", async () => {
    const closed = await Emulator.load(WASM, { pluginConfig: { cluster: "missing" }, grpcServices: {} });
    expect((await closed.request({ path: "/" }, upstreamOk)).status).toBe(503);
    expect(closed.callouts).toHaveLength(0);
    expect(
      closed.logMessages("warn").some((line) => /could not be started \(status 4\); failing closed/.test(line)),
    ).toBe(true);
    const open = await Emulator.load(WASM, { pluginConfig: { cluster: "missing", failOpen: true }, grpcServices: {} });
    expect((await open.request({ path: "/" }, upstreamOk)).status).toBe(200);
  });

  it("a stream that ends before the answer: counted as abandoned, the late answer is dropped without effect", async () => {
    const { emu } = await load({}, { logLevel: "debug" });
    const stream = emu.httpStream();
    expect(
      stream.requestHeaders({ ":method": "GET", ":path": "/", ":authority": "shop", authorization: "Bearer alice" }),
    ).toBe("pause");
    stream.complete(); // the client went away: on_log, on_done, on_delete
    expect(count(emu, "grpc_check.abandoned")).toBe(1);
    emu.advance(SERVICE_DELAY_MS); // the answer reaches the root, for a stream that is gone
    expect(emu.failed).toBe(false);
    expect(emu.logMessages("debug").some((line) => /callout event.*dropped|dropping callout event/.test(line))).toBe(
      true,
    );
    expect(emu.logs.filter((line) => line.level === "error" || line.level === "critical")).toEqual([]);
    expect(count(emu, "grpc_check.allowed")).toBe(0);
    // The filter keeps working for the next request.
    expect((await emu.request({ path: "/", headers: { authorization: "Bearer alice" } }, upstreamOk)).status).toBe(200);
    expect(count(emu, "grpc_check.abandoned")).toBe(1);
  });

  it("calls the configured service, method and authority", async () => {
    const seen: GrpcRequest[] = [];
    const emu = await Emulator.load(WASM, {
      pluginConfig: { cluster: "authz", authority: "authz.internal", service: "acme.Gate", method: "Decide" },
      grpcServices: {
        authz: (call) => {
          seen.push(call);
          return { message: encodeAllowResponse({ allowed: true }) };
        },
      },
    });
    expect((await emu.request({ path: "/" }, upstreamOk)).status).toBe(200);
    expect(seen.map((call) => `${call.cluster} /${call.serviceName}/${call.method}`)).toEqual([
      "authz /acme.Gate/Decide",
    ]);
  });

  it("rejects bad configurations with one clear log line", async () => {
    await expectEmulatorRejects("grpc-check", '{"cluster"', /invalid plugin configuration/);
    await expectEmulatorRejects(
      "grpc-check",
      { timeoutMs: 100 },
      /^invalid plugin configuration: cluster: missing \(required\)$/,
    );
    await expectEmulatorRejects(
      "grpc-check",
      { cluster: "authz", timeoutMs: 0 },
      /^invalid plugin configuration: timeoutMs: expected an integer from 1 to 60000, got 0$/,
    );
    await expectEmulatorRejects(
      "grpc-check",
      { cluster: "authz", failOpen: "no" },
      /^invalid plugin configuration: failOpen: expected true or false, got "no"$/,
    );
    await expectEmulatorRejects(
      "grpc-check",
      { cluster: "authz", method: "" },
      /^invalid plugin configuration: method: expected a non-empty string, got ""$/,
    );
    await expectEmulatorRejects(
      "grpc-check",
      { cluster: "authz", forwardHeaders: "authorization" },
      /^invalid plugin configuration: forwardHeaders: expected a list of strings, got "authorization"$/,
    );
  });
});
