// config-service on the emulator: the poller (root "config-service") and the HTTP filter (root "deny-list") run
// as two plugins of one EmulatorHost with the same vm_id, as the bootstrap service and the HTTP filter share
// shared data in Envoy. The configuration endpoint is a TypeScript handler the tests change between polls.
import { describe, expect, it } from "vitest";
import { Emulator, type CalloutRequest, type CalloutResponse } from "@proxy-wasm-as/harness";
import { EmulatorHost } from "@proxy-wasm-as/harness/emulator";
import { expectEmulatorRejects, filterWasm } from "../test-support/helpers.ts";

const WASM = filterWasm("config-service");
const VM_ID = "deny-list";
const POLL_MS = 1_000;
const upstreamOk = () => ({ status: 200, body: "ok" });

/** A configuration endpoint whose answer the test sets; it records the poll requests it gets. */
class ConfigEndpoint {
  answer: CalloutResponse = { status: 200, body: JSON.stringify({ deny: { clients: [], paths: [] } }) };
  readonly polls: CalloutRequest[] = [];
  /** Answers with this deny list from now on. */
  serve(deny: { clients?: string[]; paths?: string[] }): void {
    this.answer = { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ deny }) };
  }
  readonly handle = (request: CalloutRequest): CalloutResponse => {
    this.polls.push(request);
    return this.answer;
  };
}

/** The poller and the filter on one host (one "Envoy process"). */
async function deploy(
  options: { service?: object; filter?: object; endpoint?: ConfigEndpoint; host?: EmulatorHost } = {},
) {
  const host = options.host ?? new EmulatorHost();
  const endpoint = options.endpoint ?? new ConfigEndpoint();
  const service = await Emulator.load(WASM, {
    rootId: "config-service",
    vmId: VM_ID,
    host,
    upstreams: { config: endpoint.handle },
    pluginConfig: { cluster: "config", path: "/deny-list", pollMs: POLL_MS, timeoutMs: 200, ...options.service },
  });
  const filter = await Emulator.load(WASM, {
    rootId: "deny-list",
    vmId: VM_ID,
    host,
    pluginConfig: { ...options.filter },
  });
  /** Sends a request through the filter as client `client` (x-client-id) and returns the status. */
  const send = async (path: string, client?: string) =>
    (await filter.request({ path, headers: client ? { "x-client-id": client } : {} }, upstreamOk)).status;
  return { host, endpoint, service, filter, send };
}

describe("config-service (emulator)", () => {
  it("publishes the endpoint's list at start-up; the filter answers 403 to denied clients and paths", async () => {
    const endpoint = new ConfigEndpoint();
    endpoint.serve({ clients: ["scraper-7"], paths: ["/admin", "/v1/export/"] });
    const { service, filter, send } = await deploy({ endpoint });
    service.flush(); // the first poll was sent from on_configure; its answer arrives now
    expect(endpoint.polls).toHaveLength(1);
    expect(endpoint.polls[0]!.headers.get(":path")).toBe("/deny-list");
    expect(endpoint.polls[0]!.headers.get(":method")).toBe("GET");
    expect(endpoint.polls[0]!.headers.get(":authority")).toBe("config");

    const denied = await filter.request({ path: "/orders", headers: { "x-client-id": "scraper-7" } }, upstreamOk);
    expect(denied.status).toBe(403);
    expect(denied.upstream).toBeNull();
    expect(JSON.parse(denied.body)).toEqual({ error: "denied", message: "client scraper-7 is denied" });
    expect(denied.localReply!.details).toBe("deny_list_client");
    expect(await send("/admin")).toBe(403);
    expect(await send("/admin/users?page=2")).toBe(403);
    expect(await send("/v1/export/all")).toBe(403);
    expect(await send("/administer")).toBe(200); // a prefix only matches whole path segments
    expect(await send("/v1/export")).toBe(200); // "/v1/export/" denies what is below it
    expect(await send("/orders", "alice")).toBe(200);
    expect(filter.metric("config_service.polls_ok")).toBe(1);
    expect(filter.metric("config_service.version")).toBe(1);
    expect(filter.metric("config_service.denied")).toBe(4);
    expect(service.logMessages("info")).toContain(
      "config-service: published deny list version 1 from the endpoint: 1 client(s), 2 path(s)",
    );
  });

  it("polls every pollMs; a changed list gets the next version, an unchanged one keeps its version", async () => {
    const endpoint = new ConfigEndpoint();
    endpoint.serve({ clients: ["scraper-7"] });
    const { service, filter, send } = await deploy({ endpoint });
    service.flush();
    expect(await send("/", "scraper-7")).toBe(403);

    service.advance(POLL_MS);
    expect(endpoint.polls).toHaveLength(2);
    expect(filter.metric("config_service.version")).toBe(1);
    expect(filter.metric("config_service.updates")).toBe(1);

    endpoint.serve({ clients: ["scraper-9"] });
    service.advance(POLL_MS);
    expect(endpoint.polls).toHaveLength(3);
    expect(filter.metric("config_service.version")).toBe(2);
    expect(await send("/", "scraper-7")).toBe(200);
    expect(await send("/", "scraper-9")).toBe(403);
    expect(filter.metric("config_service.polls_ok")).toBe(3);
    expect(filter.metric("config_service.polls_failed") ?? 0).toBe(0);
  });

  it("keeps the last good list through an outage (non-200, invalid JSON, invalid list, reset, timeout) with one warning", async () => {
    const endpoint = new ConfigEndpoint();
    endpoint.serve({ clients: ["scraper-7"], paths: ["/admin"] });
    const { service, filter, send } = await deploy({ endpoint });
    service.flush();
    const failures: CalloutResponse[] = [
      { status: 503, body: "maintenance" },
      { status: 200, body: '{"deny": {"clients": ["scraper-7"' },
      { status: 200, body: JSON.stringify({ deny: { paths: ["admin"] } }) },
      { status: 200, body: JSON.stringify({ allow: [] }) },
      { reset: true } as CalloutResponse,
      { status: 200, body: JSON.stringify({ deny: {} }), delayMs: 5_000 }, // slower than timeoutMs 200
    ];
    for (const failure of failures) {
      endpoint.answer = failure;
      service.advance(POLL_MS);
      expect(await send("/", "scraper-7")).toBe(403);
      expect(await send("/admin")).toBe(403);
    }
    service.advance(5_000); // lets the slow answer's timer run out without another tick in between mattering
    expect(filter.metric("config_service.polls_failed")).toBeGreaterThanOrEqual(failures.length);
    const warnings = service.logMessages("warn").filter((line) => line.startsWith("config-service:"));
    expect(warnings).toEqual(["config-service: poll failed: the endpoint answered 503; keeping deny list version 1"]);
    expect(filter.metric("config_service.version")).toBe(1);

    endpoint.serve({ clients: [] });
    service.advance(POLL_MS);
    expect(await send("/", "scraper-7")).toBe(200);
    expect(filter.metric("config_service.version")).toBe(2);
    expect(
      service.logMessages("info").some((line) => /polling works again after \d+ failed poll\(s\)/.test(line)),
    ).toBe(true);
  });

  it("names why a poll failed in the debug log", async () => {
    const endpoint = new ConfigEndpoint();
    endpoint.answer = { status: 200, body: "[1," }; // the answer to the first poll, sent from on_configure
    const service = await Emulator.load(WASM, {
      rootId: "config-service",
      vmId: VM_ID,
      upstreams: { config: endpoint.handle },
      logLevel: "debug",
      pluginConfig: { cluster: "config", path: "/deny-list", pollMs: POLL_MS, timeoutMs: 200 },
    });
    service.flush();
    endpoint.answer = { status: 200, body: JSON.stringify({ deny: { clients: [7] } }) };
    service.advance(POLL_MS);
    endpoint.answer = { status: 200, body: "x", delayMs: 1_000 };
    service.advance(POLL_MS + 200);
    const lines = service
      .logMessages()
      .filter((line) => line.includes("poll failed"))
      .join("\n");
    expect(lines).toMatch(
      /poll failed: the answer is not valid JSON: .* at line 1, column 4 .*; no deny list published yet/,
    );
    expect(lines).toMatch(
      /poll failed again \(2 in a row\): the answer is not a valid deny list \(deny\.clients\[0\] must be a non-empty string/,
    );
    expect(lines).toMatch(/poll failed again \(3 in a row\): the endpoint answered 504/);
  });

  it("a poll that cannot be sent (unknown cluster) counts as failed and is retried on the next tick", async () => {
    const host = new EmulatorHost();
    const service = await Emulator.load(WASM, {
      rootId: "config-service",
      vmId: VM_ID,
      host,
      upstreams: {},
      pluginConfig: { cluster: "nowhere", path: "/deny-list", pollMs: POLL_MS },
    });
    expect(service.metric("config_service.polls_failed")).toBe(1);
    service.advance(POLL_MS);
    expect(service.metric("config_service.polls_failed")).toBe(2);
    const warnings = service.logMessages("warn").filter((line) => line.startsWith("config-service:"));
    expect(warnings).toEqual([
      "config-service: poll failed: the poll could not be sent to cluster nowhere; no deny list published yet",
    ]);
  });

  it("before the first list: requests pass by default, get 503 with failOpen false, and an initial list applies at once", async () => {
    const lonelyFilter = await Emulator.load(WASM, { rootId: "deny-list", vmId: VM_ID });
    expect((await lonelyFilter.request({ path: "/admin" }, upstreamOk)).status).toBe(200);
    expect(lonelyFilter.metric("config_service.no_list")).toBe(1);

    const closedFilter = await Emulator.load(WASM, {
      rootId: "deny-list",
      vmId: VM_ID,
      pluginConfig: { failOpen: false },
    });
    const rejected = await closedFilter.request({ path: "/" }, upstreamOk);
    expect(rejected.status).toBe(503);
    expect(rejected.upstream).toBeNull();
    expect(JSON.parse(rejected.body).error).toBe("deny_list_unavailable");

    const endpoint = new ConfigEndpoint();
    endpoint.answer = { status: 503 };
    const { filter, send } = await deploy({
      endpoint,
      filter: { failOpen: false },
      service: { initial: { deny: { clients: ["scraper-7"], paths: ["/admin"] } } },
    });
    expect(await send("/", "scraper-7")).toBe(403);
    expect(await send("/admin")).toBe(403);
    expect(await send("/", "alice")).toBe(200);
    expect(filter.metric("config_service.version")).toBe(1);
  });

  it("Envoy's start-up duplication (a canary VM configured first) publishes the initial list once", async () => {
    const host = new EmulatorHost();
    const endpoint = new ConfigEndpoint();
    endpoint.answer = { status: 503 };
    const service = await Emulator.load(WASM, {
      rootId: "config-service",
      vmId: VM_ID,
      host,
      upstreams: { config: endpoint.handle },
      canary: true,
      pluginConfig: {
        cluster: "config",
        path: "/deny-list",
        pollMs: POLL_MS,
        initial: { deny: { clients: ["scraper-7"] } },
      },
    });
    service.flush();
    expect(service.logMessages("info").filter((line) => line.includes("published deny list"))).toHaveLength(1);
    expect(service.metric("config_service.version")).toBe(1);
    expect(service.failures).toEqual([]);
  });

  it("a re-configured service keeps the published list instead of its initial one", async () => {
    const endpoint = new ConfigEndpoint();
    endpoint.serve({ clients: ["scraper-9"] });
    const { host, service, send } = await deploy({ endpoint });
    service.flush();
    endpoint.answer = { status: 503 };
    await deploy({ host, endpoint, service: { initial: { deny: { clients: ["scraper-7"] } } } });
    expect(await send("/", "scraper-9")).toBe(403);
    expect(await send("/", "scraper-7")).toBe(200);
  });

  it("versions keep increasing when several pollers publish into one vm_id (read, compare, CAS)", async () => {
    const host = new EmulatorHost();
    const first = new ConfigEndpoint();
    first.serve({ clients: ["a"] });
    const second = new ConfigEndpoint();
    second.serve({ clients: ["b"] });
    const one = await deploy({ host, endpoint: first });
    one.service.flush();
    expect(one.filter.metric("config_service.version")).toBe(1);
    const two = await deploy({ host, endpoint: second });
    two.service.flush();
    expect(one.filter.metric("config_service.version")).toBe(2);
    expect(await one.send("/", "b")).toBe(403);
    expect(await one.send("/", "a")).toBe(200);
    second.serve({ clients: ["a"] }); // now both serve the same list: the next publication, then no more
    host.advance(POLL_MS);
    expect(one.filter.metric("config_service.version")).toBe(3);
    host.advance(POLL_MS);
    expect(one.filter.metric("config_service.version")).toBe(3);
    expect(one.filter.metric("config_service.updates")).toBe(3);
  });

  it("rejects bad configurations of either root with one clear log line", async () => {
    const service = { rootId: "config-service" };
    await expectEmulatorRejects("config-service", '{"cluster": ', /invalid plugin configuration/, service);
    await expectEmulatorRejects(
      "config-service",
      { path: "/deny-list" },
      /^invalid plugin configuration: cluster: missing \(required\)$/,
      service,
    );
    await expectEmulatorRejects(
      "config-service",
      { cluster: "config" },
      /^invalid plugin configuration: path: missing \(required\)$/,
      service,
    );
    await expectEmulatorRejects(
      "config-service",
      { cluster: "config", path: "deny-list" },
      /^invalid plugin configuration: path: must start with "\/"$/,
      service,
    );
    await expectEmulatorRejects(
      "config-service",
      { cluster: "config", path: "/d", pollMs: 5 },
      /^invalid plugin configuration: pollMs: expected an integer from 100 to 86400000, got 5$/,
      service,
    );
    await expectEmulatorRejects(
      "config-service",
      { cluster: "config", path: "/d", initial: { deny: { paths: ["admin"] } } },
      /^invalid plugin configuration: initial: is not a valid deny list: deny\.paths\[0\] must start with "\/"$/,
      service,
    );
    await expectEmulatorRejects(
      "config-service",
      { cluster: "config", path: "/d", initial: ["x"] },
      /^invalid plugin configuration: initial: expected an object, got an array$/,
      service,
    );
    const filter = { rootId: "deny-list" };
    await expectEmulatorRejects("config-service", "[", /invalid plugin configuration/, filter);
    await expectEmulatorRejects(
      "config-service",
      { failOpen: "no" },
      /^invalid plugin configuration: failOpen: expected true or false, got "no"$/,
      filter,
    );
    await expectEmulatorRejects(
      "config-service",
      { clientHeader: "" },
      /^invalid plugin configuration: clientHeader: expected a non-empty string, got ""$/,
      filter,
    );
  });
});
