// canary-router in real Envoy: two loopback upstreams (stable, canary) behind a route that matches the
// x-canary header the filter writes. The requests must land where the filter decided, which also proves that
// Envoy re-computed the route after the filter changed the header (the route was first computed before it).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  cluster,
  httpWasm,
  startEnvoy,
  startHttpUpstream,
  type Envoy,
  type HttpUpstream,
} from "@proxy-wasm-as/harness";
import {
  ENVOY_RUNNER,
  customCounter,
  expectEnvoyRejects,
  filterWasm,
  validateShippedConfig,
} from "../test-support/helpers.ts";

/** The bucket the README documents: FNV-1a (32-bit) of the key's UTF-8 bytes, modulo 10000. */
function bucketOf(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash % 10_000;
}

describe("canary-router (real Envoy)", () => {
  let stable: HttpUpstream;
  let canary: HttpUpstream;
  beforeAll(async () => {
    stable = await startHttpUpstream({ respond: () => ({ status: 200, body: "stable" }) });
    canary = await startHttpUpstream({ respond: () => ({ status: 200, body: "canary" }) });
  });
  afterAll(async () => {
    await stable.close();
    await canary.close();
  });

  /** Envoy routing x-canary: true to cluster "canary" and everything else to "stable" (the default upstream). */
  const start = (config: object) =>
    startEnvoy({
      runner: ENVOY_RUNNER,
      upstream: stable,
      clusters: [cluster("canary", canary)],
      routes: [{ headers: { "x-canary": "true" }, cluster: "canary" }],
      filters: [httpWasm(filterWasm("canary-router"), { config })],
    });

  /** Which upstream answered a request with `headers`. */
  const landsOn = async (envoy: Envoy, headers: Record<string, string> = {}) =>
    (await envoy.request("/checkout", { headers })).text();

  test("each user lands on the upstream of their hash bucket, every time", async () => {
    await using envoy = await start({ percentage: 30, hashKeyHeader: "x-user-id" });
    const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const canaryBefore = canary.requests.length;
    let expectedCanaries = 0;
    for (const user of users) {
      const expected = bucketOf(user) < 3_000 ? "canary" : "stable";
      if (expected === "canary") expectedCanaries++;
      expect(await landsOn(envoy, { "x-user-id": user })).toBe(expected);
      expect(await landsOn(envoy, { "x-user-id": user })).toBe(expected);
    }
    expect(expectedCanaries).toBeGreaterThan(0); // the sample covers both sides
    expect(expectedCanaries).toBeLessThan(users.length);
    expect(canary.requests.length - canaryBefore).toBe(2 * expectedCanaries);
    expect(canary.last().header("x-canary")).toBe("true");
    const stats = await envoy.stats();
    expect(customCounter(stats, "canary_router.canary")).toBe(2 * expectedCanaries);
    expect(customCounter(stats, "canary_router.stable")).toBe(2 * (users.length - expectedCanaries));
  });

  test("the route follows the filter's header, not the client's: Envoy re-routes after the header changes", async () => {
    {
      await using envoy = await start({ percentage: 0 });
      expect(await landsOn(envoy, { "x-canary": "true" })).toBe("stable");
      expect(stable.last().header("x-canary")).toBe("false");
    }
    {
      await using envoy = await start({ percentage: 100 });
      expect(await landsOn(envoy)).toBe("canary");
      expect(await landsOn(envoy, { "x-canary": "false" })).toBe("canary");
    }
  });

  test("testers and opted-in users are forced to a side by header or cookie", async () => {
    await using envoy = await start({ percentage: 0, overrideHeader: "x-canary-override", overrideCookie: "canary" });
    expect(await landsOn(envoy)).toBe("stable");
    expect(await landsOn(envoy, { "x-canary-override": "canary" })).toBe("canary");
    expect(await landsOn(envoy, { cookie: "session=1; canary=canary" })).toBe("canary");
    expect(await landsOn(envoy, { "x-canary-override": "stable", cookie: "canary=canary" })).toBe("stable");
    expect(customCounter(await envoy.stats(), "canary_router.overridden")).toBe(3);
  });

  test("Envoy refuses a configuration without a percentage, with the filter's reason", async () => {
    await expectEnvoyRejects(
      "canary-router",
      { hashKeyHeader: "x-user-id" },
      /invalid plugin configuration: percentage: missing \(required\)/,
    );
  });

  test("the shipped envoy-configs/canary-router.yaml passes envoy --mode validate", async () => {
    await validateShippedConfig("canary-router");
  });
});
