// grpc-check in real Envoy: a real gRPC authorization service on loopback (h2c, authz.proto through protobufjs)
// decides; a service that is down or too slow follows fail-open / fail-closed.
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  cluster,
  httpWasm,
  startEnvoy,
  startGrpcUpstream,
  startHttpUpstream,
  type GrpcUpstream,
  type GrpcUpstreamReply,
  type HttpUpstream,
  type RecordedGrpcCall,
} from "@proxy-wasm-as/harness";
import type { UpstreamEndpoint } from "@proxy-wasm-as/harness/traffic";
import {
  ENVOY_RUNNER,
  customCounter,
  expectEnvoyRejects,
  filterWasm,
  validateShippedConfig,
} from "../test-support/helpers.ts";
import { ALLOW_METHOD, decide, decodeAllowRequest, encodeAllowResponse, headerOf } from "./authz-service.ts";

/** How long the "Bearer slow" answer takes: far beyond the filter's timeout below. */
const SLOW_ANSWER_MS = 2_000;
const TIMEOUT_MS = 300;

/** "Bearer hold" calls wait for this to be released (see the abandoned-request test). */
let releaseHeldCalls = () => {};
const heldCalls = new Promise<void>((resolve) => (releaseHeldCalls = resolve));

/** The tests' policy (authz-service.ts) as a real gRPC handler; "Bearer hold" is allowed once released. */
async function answer(call: RecordedGrpcCall): Promise<GrpcUpstreamReply> {
  const request = decodeAllowRequest(call.message);
  if (headerOf(request, "authorization") === "Bearer hold") {
    await heldCalls;
    return encodeAllowResponse({ allowed: true });
  }
  const verdict = decide(request);
  switch (verdict.kind) {
    case "answer":
      return encodeAllowResponse(verdict.response);
    case "slow":
      await new Promise((resolve) => setTimeout(resolve, SLOW_ANSWER_MS));
      return encodeAllowResponse(verdict.response);
    case "error":
      return { status: verdict.status, message: verdict.message };
    case "bytes":
      return verdict.bytes;
  }
}

describe("grpc-check (real Envoy)", () => {
  let upstream: HttpUpstream;
  let authz: GrpcUpstream;
  /** A loopback h2c endpoint nobody listens on any more: the service is down. */
  let down: UpstreamEndpoint;
  beforeAll(async () => {
    upstream = await startHttpUpstream();
    authz = await startGrpcUpstream({ [ALLOW_METHOD]: answer });
    const gone = await startGrpcUpstream({});
    down = { host: gone.host, port: gone.port, protocol: gone.protocol };
    await gone.close();
  });
  afterAll(async () => {
    await upstream.close();
    await authz.close();
  });

  const start = (config: object, service: UpstreamEndpoint = authz) =>
    startEnvoy({
      runner: ENVOY_RUNNER,
      upstream,
      clusters: [cluster("authz", service)],
      filters: [httpWasm(filterWasm("grpc-check"), { config: { cluster: "authz", timeoutMs: TIMEOUT_MS, ...config } })],
    });
  const lastCheck = () => decodeAllowRequest(authz.calls.at(-1)!.message);

  test("allowed: the upstream gets the service's headers (not the client's); the service saw the request", async () => {
    await using envoy = await start({ forwardHeaders: ["authorization", "x-request-id"] });
    const res = await envoy.request("/orders/7?full=1", {
      method: "PUT",
      body: "{}",
      headers: {
        authorization: "Bearer alice",
        "x-auth-user": "mallory",
        "x-request-id": "r-42",
        "x-client-id": "mobile-app",
        cookie: "c=1",
      },
    });
    expect(res.status).toBe(200);
    const seen = upstream.last();
    expect(seen.headers["x-auth-user"]).toEqual(["alice"]);
    expect(seen.header("x-auth-roles")).toBe("reader");
    expect(seen.headers["x-unlisted"]).toBeUndefined();
    expect(authz.calls.at(-1)!.method).toBe(ALLOW_METHOD);
    expect(lastCheck()).toEqual({
      method: "PUT",
      path: "/orders/7?full=1",
      clientId: "mobile-app",
      headers: [
        { name: "authorization", value: "Bearer alice" },
        { name: "x-request-id", value: "r-42" },
      ],
    });
    expect(customCounter(await envoy.stats(), "grpc_check.allowed")).toBe(1);
  });

  test("without the client id header, the client id is Envoy's downstream address", async () => {
    await using envoy = await start({});
    expect((await envoy.request("/", { headers: { authorization: "Bearer alice" } })).status).toBe(200);
    expect(lastCheck().clientId).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  test("denied: the client gets the service's status and reason; the upstream nothing", async () => {
    await using envoy = await start({});
    const before = upstream.requests.length;
    const res = await envoy.request("/orders", { method: "DELETE", headers: { authorization: "Bearer bob" } });
    expect(res.status).toBe(401);
    expect(res.text()).toBe("DELETE /orders: bob is suspended\n");
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    const silent = await envoy.request("/orders", { headers: { authorization: "Bearer nobody" } });
    expect([silent.status, silent.text()]).toEqual([403, "access denied\n"]);
    expect(upstream.requests.length).toBe(before);
    expect(customCounter(await envoy.stats(), "grpc_check.denied")).toBe(2);
  });

  test("a gRPC error or an answer that is not protobuf: fail closed with 503", async () => {
    await using envoy = await start({});
    const broken = await envoy.request("/", { headers: { authorization: "Bearer broken" } });
    expect(broken.status).toBe(503);
    expect(broken.json()).toEqual({ error: "authorization_unavailable" });
    expect((await envoy.request("/", { headers: { authorization: "Bearer garbage" } })).status).toBe(503);
    const warnings = envoy
      .wasmLogs()
      .filter((line) => line.level === "warning")
      .map((line) => line.message)
      .join("\n");
    expect(warnings).toMatch(/the call failed with gRPC status 13 \(policy store unreachable.*\); failing closed/);
    expect(warnings).toMatch(/not a valid AllowResponse: truncated varint at byte 1; failing closed/);
    expect(customCounter(await envoy.stats(), "grpc_check.unavailable")).toBe(2);
  });

  test("service down: fail closed answers 503; fail open lets the request through without auth headers", async () => {
    {
      await using closed = await start({}, down);
      const res = await closed.request("/", { headers: { authorization: "Bearer alice" } });
      expect(res.status).toBe(503);
      expect(res.json()).toEqual({ error: "authorization_unavailable" });
      expect(customCounter(await closed.stats(), "grpc_check.unavailable")).toBe(1);
    }
    {
      await using open = await start({ failOpen: true }, down);
      const res = await open.request("/", { headers: { authorization: "Bearer alice", "x-auth-user": "mallory" } });
      expect(res.status).toBe(200);
      expect(upstream.last().headers["x-auth-user"]).toBeUndefined();
      expect(customCounter(await open.stats(), "grpc_check.failed_open")).toBe(1);
    }
  });

  test("timeout: fail closed answers 503; fail open lets the request through", async () => {
    {
      await using closed = await start({});
      expect((await closed.request("/", { headers: { authorization: "Bearer slow" } })).status).toBe(503);
      // Envoy reports the timeout as UNAVAILABLE with its router's message (the emulator does the same).
      const warnings = closed
        .wasmLogs()
        .map((line) => line.message)
        .join("\n");
      expect(warnings).toMatch(/the call failed with gRPC status 14 \(upstream request timeout.*\); failing closed/);
    }
    {
      await using open = await start({ failOpen: true });
      const res = await open.request("/", { headers: { authorization: "Bearer slow" } });
      expect(res.status).toBe(200);
      expect(upstream.last().headers["x-auth-user"]).toBeUndefined();
      expect(customCounter(await open.stats(), "grpc_check.failed_open")).toBe(1);
    }
  });

  test("a client that leaves before the answer: counted as abandoned; the late answer is dropped without error", async () => {
    await using envoy = await start({ timeoutMs: 10_000 });
    const callsBefore = authz.calls.length;
    const client = httpRequest(`${envoy.origin()}/`, { headers: { authorization: "Bearer hold" } });
    client.on("error", () => {}); // we hang up below
    client.end();
    while (authz.calls.length === callsBefore) await new Promise((resolve) => setTimeout(resolve, 10));
    client.destroy();
    await envoy.waitForWasmLog("grpc-check: the request ended before the service answered");
    releaseHeldCalls();
    await envoy.waitForWasmLog(/callout event.*dropped|dropping callout event/);
    const stats = await envoy.stats();
    expect(customCounter(stats, "grpc_check.abandoned")).toBe(1);
    expect(customCounter(stats, "grpc_check.allowed")).toBe(0);
    expect((await envoy.request("/", { headers: { authorization: "Bearer alice" } })).status).toBe(200);
  });

  test("Envoy refuses invalid JSON and a configuration without a cluster, with the filter's reason", async () => {
    await expectEnvoyRejects("grpc-check", '{"cluster"', /invalid plugin configuration/);
    await expectEnvoyRejects(
      "grpc-check",
      { timeoutMs: 100 },
      /invalid plugin configuration: cluster: missing \(required\)/,
    );
  });

  test("the shipped envoy-configs/grpc-check.yaml passes envoy --mode validate", async () => {
    await validateShippedConfig("grpc-check");
  });
});
