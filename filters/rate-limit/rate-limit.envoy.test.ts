// rate-limit in real Envoy: one bucket per client across requests and workers, 429 with Retry-After.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { httpWasm, startEnvoy, startHttpUpstream, type HttpUpstream } from "@proxy-wasm-as/harness";
import {
  ENVOY_RUNNER,
  customCounter,
  expectEnvoyRejects,
  filterWasm,
  validateShippedConfig,
} from "../test-support/helpers.ts";

describe("rate-limit (real Envoy)", () => {
  let upstream: HttpUpstream;
  beforeAll(async () => {
    upstream = await startHttpUpstream();
  });
  afterAll(() => upstream.close());

  test("a burst over capacity gets 429 with Retry-After; allowed responses carry X-RateLimit-*", async () => {
    const config = { capacity: 3, refillPerSecond: 1, keyHeader: "x-client-id" };
    await using envoy = await startEnvoy({
      runner: ENVOY_RUNNER,
      filters: [httpWasm(filterWasm("rate-limit"), { config })],
      upstream,
    });
    const started = performance.now();
    const responses = [];
    for (let i = 0; i < 5; i++) responses.push(await envoy.request("/", { headers: { "x-client-id": "alice" } }));
    const elapsedMs = performance.now() - started;
    const statuses = responses.map((r) => r.status);
    // Refill is 1 token/s: within a second exactly 3 pass.
    if (elapsedMs < 1000) expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(responses[0].headers["x-ratelimit-limit"]).toBe("3");
    expect(responses[0].headers["x-ratelimit-remaining"]).toBe("2");
    const limited = responses[4];
    expect(limited.headers["retry-after"]).toBe("1");
    expect(limited.json()).toMatchObject({ error: "rate_limited" });
    // another client has its own bucket
    expect((await envoy.request("/", { headers: { "x-client-id": "bob" } })).status).toBe(200);
  });

  test("two Envoy workers share one bucket (shared data + CAS)", async () => {
    const config = { capacity: 4, refillPerSecond: 1 };
    await using envoy = await startEnvoy({
      runner: ENVOY_RUNNER,
      filters: [httpWasm(filterWasm("rate-limit"), { config })],
      upstream,
      concurrency: 2,
    });
    const started = performance.now();
    // Concurrent requests on separate connections, so both workers take some.
    const statuses = (await Promise.all(Array.from({ length: 12 }, () => envoy.request("/")))).map((r) => r.status);
    const elapsedMs = performance.now() - started;
    const stats = await envoy.stats();
    const perWorker = [...stats]
      .filter(([name]) => /^listener\..*\.worker_\d+\.downstream_cx_total$/.test(name))
      .map(([, value]) => value);
    console.log(
      `rate-limit across workers: ${statuses.join(",")} in ${elapsedMs.toFixed(0)} ms; connections per worker: ${perWorker.join(", ")}`,
    );
    expect(perWorker.length).toBe(2);
    const passed = statuses.filter((s) => s === 200).length;
    expect(passed).toBeGreaterThanOrEqual(4);
    expect(passed).toBeLessThanOrEqual(4 + Math.floor(elapsedMs / 1000)); // refill of 1/s during the burst
    expect(customCounter(stats, "rate_limit.allowed")).toBe(passed);
    expect(customCounter(stats, "rate_limit.limited")).toBe(12 - passed);
  });

  // Issue 13, finding 3: distinct client keys grew shared data without bound.
  test("2,000 distinct client keys keep Envoy's tracked-clients gauge at maxClients and count the evictions", async () => {
    const config = { capacity: 1, refillPerSecond: 1, keyHeader: "x-client-id", maxClients: 100 };
    await using envoy = await startEnvoy({
      runner: ENVOY_RUNNER,
      filters: [httpWasm(filterWasm("rate-limit"), { config })],
      upstream,
    });
    for (let batch = 0; batch < 40; batch++) {
      const statuses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          envoy.request("/", { headers: { "x-client-id": `client-${batch * 50 + i}` } }).then((r) => r.status),
        ),
      );
      expect(statuses.every((status) => status === 200)).toBe(true);
    }
    const stats = await envoy.stats();
    const trackedClients = customCounter(stats, "rate_limit.tracked_clients");
    const evictions = customCounter(stats, "rate_limit.evicted");
    console.log(
      `rate-limit in Envoy: 2,000 clients → tracked ${trackedClients}, evicted ${evictions}, expired ${customCounter(stats, "rate_limit.expired")}`,
    );
    expect(trackedClients).toBeLessThanOrEqual(100);
    expect(trackedClients).toBeGreaterThanOrEqual(90); // a slot frees only when its bucket refilled (1 s here)
    expect(evictions).toBeGreaterThan(1000);
  });

  test("Envoy refuses a configuration without capacity, with the filter's reason", async () => {
    await expectEnvoyRejects(
      "rate-limit",
      { refillPerSecond: 2 },
      /invalid plugin configuration: capacity: missing \(required\)/,
    );
  });

  test("the shipped envoy-configs/rate-limit.yaml passes envoy --mode validate", async () => {
    await validateShippedConfig("rate-limit");
  });
});
