// metrics in real Envoy: per-route status-class counters and the latency histogram in /stats/prometheus.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { httpWasm, startEnvoy, startHttpUpstream, type HttpUpstream } from "@proxy-wasm-as/harness";
import { ENVOY_RUNNER, expectEnvoyRejects, filterWasm, validateShippedConfig } from "../test-support/helpers.ts";

/** Value of a Prometheus sample line `name{...} value` or `name value`; undefined if absent. */
function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("metrics (real Envoy)", () => {
  let upstream: HttpUpstream;
  beforeAll(async () => {
    // /orders/missing → 404, /orders/slow → 200 after 150 ms, anything else 200 at once
    upstream = await startHttpUpstream({
      respond: (request) =>
        request.path.endsWith("/missing")
          ? { status: 404 }
          : { status: 200, delayMs: request.path.endsWith("/slow") ? 150 : 0 },
    });
  });
  afterAll(() => upstream.close());

  test("counters by route and status class and a latency histogram appear in /stats/prometheus", async () => {
    const config = { routes: [{ name: "orders", prefix: "/orders" }] };
    await using envoy = await startEnvoy({
      runner: ENVOY_RUNNER,
      filters: [httpWasm(filterWasm("metrics"), { config })],
      upstream,
    });
    for (const path of ["/orders/1", "/orders/slow", "/orders/missing", "/about"]) await envoy.request(path);
    let text = await envoy.admin.prometheus();
    expect(sample(text, "http_metrics_orders_rq_2xx")).toBe(2);
    expect(sample(text, "http_metrics_orders_rq_4xx")).toBe(1);
    expect(sample(text, "http_metrics_other_rq_2xx")).toBe(1);
    // Histograms are published at the stats flush (every 5 s by default).
    const deadline = Date.now() + 8_000;
    while ((sample(text, "http_metrics_orders_latency_ms_count") ?? 0) < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      text = await envoy.admin.prometheus();
    }
    expect(sample(text, "http_metrics_orders_latency_ms_count")).toBe(3);
    expect(sample(text, "http_metrics_orders_latency_ms_sum")).toBeGreaterThanOrEqual(150); // the slow request alone
  }, 30_000);

  test("Envoy refuses a route without a name, with the filter's reason", async () => {
    await expectEnvoyRejects(
      "metrics",
      { routes: [{ prefix: "/a" }] },
      /invalid plugin configuration: routes\[0\]\.name: missing \(required\)/,
    );
  });

  test("the shipped envoy-configs/metrics.yaml passes envoy --mode validate", async () => {
    await validateShippedConfig("metrics");
  });
});
