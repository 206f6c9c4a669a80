// metrics on the emulator: counters per route and status class, latency samples on the virtual clock.
import { describe, expect, it } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { expectEmulatorRejects, filterWasm } from "../test-support/helpers.ts";

const CONFIG = {
  routes: [
    { name: "orders", prefix: "/orders" },
    { name: "health", prefix: "/healthz" },
  ],
};

async function load(config: object = CONFIG) {
  return Emulator.load(filterWasm("metrics"), { pluginConfig: config });
}

/** Runs one request whose upstream answers `status` after `latencyMs` of virtual time. */
function exchange(emu: Emulator, path: string, status: string, latencyMs: number): void {
  const stream = emu.httpStream();
  stream.requestHeaders({ ":method": "GET", ":path": path, ":authority": "shop" }, { endOfStream: true });
  emu.advance(latencyMs);
  stream.responseHeaders({ ":status": status }, { endOfStream: true });
  stream.complete();
}

describe("metrics (emulator)", () => {
  it("counts requests per route and status class", async () => {
    const emu = await load();
    exchange(emu, "/orders/1", "200", 5);
    exchange(emu, "/orders?page=2", "204", 5);
    exchange(emu, "/orders/9", "404", 5);
    exchange(emu, "/orders/1", "503", 5);
    exchange(emu, "/healthz", "200", 1);
    exchange(emu, "/favicon.ico", "301", 1);
    expect(emu.metric("http_metrics.orders.rq_2xx")).toBe(2);
    expect(emu.metric("http_metrics.orders.rq_4xx")).toBe(1);
    expect(emu.metric("http_metrics.orders.rq_5xx")).toBe(1);
    expect(emu.metric("http_metrics.orders.rq_3xx") ?? 0).toBe(0);
    expect(emu.metric("http_metrics.health.rq_2xx")).toBe(1);
    expect(emu.metric("http_metrics.other.rq_3xx")).toBe(1);
  });

  it("records each request's latency in milliseconds", async () => {
    const emu = await load();
    exchange(emu, "/orders/1", "200", 12);
    exchange(emu, "/orders/2", "200", 250);
    exchange(emu, "/healthz", "200", 3);
    expect(emu.histogram("http_metrics.orders.latency_ms")).toEqual([12, 250]);
    expect(emu.histogram("http_metrics.health.latency_ms")).toEqual([3]);
  });

  it("counts local replies by their status, and uses the configured names", async () => {
    const emu = await load({ metricPrefix: "shop.api", otherRoute: "rest", routes: [] });
    const result = await emu.request({ path: "/x" }, () => ({ status: 429 }));
    expect(result.status).toBe(429);
    expect(emu.metric("shop.api.rest.rq_4xx")).toBe(1);
  });

  it("counts a stream reset before any response as 'none'", async () => {
    const emu = await load();
    const stream = emu.httpStream();
    stream.requestHeaders({ ":method": "GET", ":path": "/orders", ":authority": "shop" }, { endOfStream: true });
    stream.complete();
    expect(emu.metric("http_metrics.orders.rq_none")).toBe(1);
  });

  it("rejects bad configurations with one clear log line", async () => {
    await expectEmulatorRejects("metrics", "{routes: []}", /invalid plugin configuration/);
    await expectEmulatorRejects(
      "metrics",
      { routes: [{ prefix: "/a" }] },
      /^invalid plugin configuration: routes\[0\]\.name: missing \(required\)$/,
    );
    await expectEmulatorRejects(
      "metrics",
      { routes: [{ name: "a b", prefix: "/a" }] },
      /^invalid plugin configuration: routes\[0\]\.name: must use only letters/,
    );
    await expectEmulatorRejects(
      "metrics",
      { routes: [{ name: "a", prefix: "a" }] },
      /^invalid plugin configuration: routes\[0\]\.prefix: must start with "\/"$/,
    );
  });
});
