// config-service in real Envoy: the singleton Wasm service (bootstrap extension, root "config-service") polls a
// real loopback configuration endpoint; the HTTP filter (root "deny-list", same vm_id) enforces what it publishes.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  cluster,
  httpWasm,
  startEnvoy,
  startHttpUpstream,
  wasmService,
  type Envoy,
  type HttpUpstream,
  type HttpUpstreamResponse,
} from "@proxy-wasm-as/harness";
import {
  ENVOY_RUNNER,
  customCounter,
  expectEnvoyRejects,
  filterWasm,
  validateShippedConfig,
} from "../test-support/helpers.ts";

const WASM = filterWasm("config-service");
const VM_ID = "deny-list";

/** A JSON answer of the configuration endpoint carrying `deny`. */
const denyList = (deny: { clients?: string[]; paths?: string[] }): HttpUpstreamResponse => ({
  status: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ deny }),
});

describe("config-service (real Envoy)", () => {
  let upstream: HttpUpstream;
  let endpoint: HttpUpstream;
  beforeAll(async () => {
    upstream = await startHttpUpstream();
    endpoint = await startHttpUpstream();
  });
  afterAll(async () => {
    await upstream.close();
    await endpoint.close();
  });

  /** Envoy with the poller service and the deny-list filter, polling `endpoint` every 100 ms. */
  const start = (options: { service?: object; filter?: object } = {}) =>
    startEnvoy({
      runner: ENVOY_RUNNER,
      upstream,
      clusters: [cluster("config", endpoint)],
      services: [
        wasmService(WASM, {
          name: "config-service",
          rootId: "config-service",
          vmId: VM_ID,
          config: { cluster: "config", path: "/deny-list", pollMs: 100, timeoutMs: 500, ...options.service },
        }),
      ],
      filters: [httpWasm(WASM, { name: "deny-list", rootId: "deny-list", vmId: VM_ID, config: { ...options.filter } })],
    });

  /** Status of a request through `envoy` to `path`, as client `client` when given. */
  const send = async (envoy: Envoy, path: string, client?: string) =>
    (await envoy.request(path, { headers: client ? { "x-client-id": client } : {} })).status;

  test("the service publishes the endpoint's list; the filter denies those clients and paths, then follows updates", async () => {
    endpoint.respondWith(() => denyList({ clients: ["scraper-7"], paths: ["/admin"] }));
    await using envoy = await start();
    await envoy.waitForWasmLog("published deny list version 1 from the endpoint: 1 client(s), 1 path(s)");
    expect(endpoint.last().path).toBe("/deny-list");
    expect(endpoint.last().header("host")).toBe("config");

    const denied = await envoy.request("/orders", { headers: { "x-client-id": "scraper-7" } });
    expect(denied.status).toBe(403);
    expect(denied.json()).toEqual({ error: "denied", message: "client scraper-7 is denied" });
    const before = upstream.requests.length;
    expect(await send(envoy, "/admin/users")).toBe(403);
    expect(upstream.requests.length).toBe(before);
    expect(await send(envoy, "/orders", "alice")).toBe(200);
    expect(upstream.last().path).toBe("/orders");

    endpoint.respondWith(() => denyList({ clients: ["scraper-9"] }));
    await envoy.waitForWasmLog("published deny list version 2 from the endpoint: 1 client(s), 0 path(s)");
    expect(await send(envoy, "/admin/users")).toBe(200);
    expect(await send(envoy, "/", "scraper-7")).toBe(200);
    expect(await send(envoy, "/", "scraper-9")).toBe(403);
    const stats = await envoy.stats();
    expect(customCounter(stats, "config_service.denied")).toBe(3);
    expect(customCounter(stats, "config_service.updates")).toBe(2);
    expect(customCounter(stats, "config_service.version")).toBe(2);
    expect(customCounter(stats, "config_service.polls_ok")).toBeGreaterThanOrEqual(2);
  });

  test("an outage (503, then invalid JSON, then a misspelt field) keeps the last good list and logs one warning", async () => {
    endpoint.respondWith(() => denyList({ clients: ["scraper-7"] }));
    await using envoy = await start();
    await envoy.waitForWasmLog("published deny list version 1");

    endpoint.respondWith(() => ({ status: 503, body: "maintenance" }));
    await envoy.waitForWasmLog("poll failed: the endpoint answered 503; keeping deny list version 1");
    expect(await send(envoy, "/", "scraper-7")).toBe(403);

    const failedBefore = customCounter(await envoy.stats(), "config_service.polls_failed");
    endpoint.respondWith(() => ({ status: 200, body: '{"deny": {"clients": [' }));
    await waitUntil(async () => customCounter(await envoy.stats(), "config_service.polls_failed") >= failedBefore + 2);
    expect(await send(envoy, "/", "scraper-7")).toBe(403);
    expect(await send(envoy, "/", "alice")).toBe(200);

    const warnings = envoy
      .wasmLogs()
      .filter((line) => line.level === "warning" && line.message.includes("poll failed"));
    expect(warnings).toHaveLength(1);

    // A misspelt field ("client" for "clients") is a failed poll, not an empty list.
    const failedBeforeMisspelt = customCounter(await envoy.stats(), "config_service.polls_failed");
    endpoint.respondWith(() => ({ status: 200, body: JSON.stringify({ deny: { client: ["alice"] } }) }));
    await waitUntil(
      async () => customCounter(await envoy.stats(), "config_service.polls_failed") >= failedBeforeMisspelt + 2,
    );
    expect(await send(envoy, "/", "scraper-7")).toBe(403);
    expect(customCounter(await envoy.stats(), "config_service.version")).toBe(1);

    endpoint.respondWith(() => denyList({ clients: [] }));
    await envoy.waitForWasmLog(/polling works again after \d+ failed poll\(s\)/);
    expect(await send(envoy, "/", "scraper-7")).toBe(200);
  });

  test("before any list: fail closed answers 503 while the endpoint is down; an initial list applies at once", async () => {
    endpoint.respondWith(() => ({ status: 500 }));
    {
      await using envoy = await start({ filter: { failOpen: false } });
      await envoy.waitForWasmLog("poll failed: the endpoint answered 500; no deny list published yet");
      const res = await envoy.request("/");
      expect(res.status).toBe(503);
      expect(res.json()).toMatchObject({ error: "deny_list_unavailable" });
      expect(customCounter(await envoy.stats(), "config_service.no_list")).toBe(1);
    }
    {
      await using envoy = await start({
        filter: { failOpen: false },
        service: { initial: { deny: { clients: ["scraper-7"] } } },
      });
      expect(await send(envoy, "/", "scraper-7")).toBe(403);
      expect(await send(envoy, "/", "alice")).toBe(200);
    }
  });

  test("Envoy refuses a bad service or filter configuration, with the filter's reason", async () => {
    await expectEnvoyRejects(
      "config-service",
      { path: "/deny-list" },
      /invalid plugin configuration: cluster: missing \(required\)/,
      "service",
      { rootId: "config-service" },
    );
    // Issue 24, finding 7: a misspelt deny-list field gave a list that denies nothing.
    await expectEnvoyRejects(
      "config-service",
      { cluster: "config", path: "/deny-list", initial: { deny: { client: ["scraper-7"] } } },
      /invalid plugin configuration: initial: is not a valid deny list: unknown key `deny\.client` \(did you mean `clients`\?\); known keys: clients, paths/,
      "service",
      { rootId: "config-service" },
    );
    await expectEnvoyRejects("config-service", '{"failOpen": ', /invalid plugin configuration: .* at line 1/, "http", {
      rootId: "deny-list",
    });
  });

  test("the shipped envoy-configs/config-service.yaml passes envoy --mode validate", async () => {
    await validateShippedConfig("config-service");
  });
});

/** Polls `condition` every 50 ms until it holds; fails after 10 s (a safety net, not a timing assertion). */
async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
