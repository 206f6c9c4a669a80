// canary-router on the emulator: the routing header it writes for each rule (override header, override cookie,
// hashed key, random draw), the hash buckets reproduced independently here, counters and bad configurations.
// Which upstream Envoy then picks from that header is proven in canary-router.envoy.test.ts.
import { describe, expect, it } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { expectEmulatorRejects, filterWasm } from "../test-support/helpers.ts";

const WASM = filterWasm("canary-router");
const upstreamOk = () => ({ status: 200, body: "ok" });

/** The bucket the README documents: FNV-1a (32-bit) of the key's UTF-8 bytes, modulo 10000. */
function bucketOf(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash % 10_000;
}

/** The routing header value the upstream received for a request with `headers`. */
async function routedAs(emu: Emulator, headers: Record<string, string> = {}): Promise<string | undefined> {
  const result = await emu.request({ path: "/", headers }, upstreamOk);
  return result.upstream!.headers.get("x-canary");
}

describe("canary-router (emulator)", () => {
  it("routes a user by the bucket of their key: the same user always lands on the same side", async () => {
    const emu = await Emulator.load(WASM, { pluginConfig: { percentage: 25, hashKeyHeader: "x-user-id" } });
    const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    let canaries = 0;
    for (const user of users) {
      const first = await routedAs(emu, { "x-user-id": user });
      expect(first).toBe(bucketOf(user) < 2_500 ? "true" : "false");
      expect(await routedAs(emu, { "x-user-id": user })).toBe(first);
      if (first === "true") canaries++;
    }
    expect(emu.metric("canary_router.canary")).toBe(2 * canaries);
    expect(emu.metric("canary_router.stable")).toBe(2 * (users.length - canaries));
  });

  it("0% sends everyone to stable and 100% everyone to the canary, whatever the client's own routing header says", async () => {
    const none = await Emulator.load(WASM, { pluginConfig: { percentage: 0, hashKeyHeader: "x-user-id" } });
    const all = await Emulator.load(WASM, { pluginConfig: { percentage: 100 } });
    for (let i = 0; i < 50; i++) {
      expect(await routedAs(none, { "x-user-id": `u${i}`, "x-canary": "true" })).toBe("false");
      expect(await routedAs(all, { "x-canary": "false" })).toBe("true");
    }
  });

  it("without a key the draw is random, near the percentage over many requests", async () => {
    const emu = await Emulator.load(WASM, { pluginConfig: { percentage: 30, hashKeyHeader: "x-user-id" } });
    let canaries = 0;
    for (let i = 0; i < 2_000; i++) if ((await routedAs(emu)) === "true") canaries++;
    // Binomial(2000, 0.3): mean 600, standard deviation ~20.5; ±6 deviations never fails by chance in practice.
    expect(canaries).toBeGreaterThan(477);
    expect(canaries).toBeLessThan(723);
  });

  it("the override header wins over the cookie, the cookie over the hash; other values are ignored", async () => {
    const emu = await Emulator.load(WASM, {
      pluginConfig: {
        percentage: 0,
        hashKeyHeader: "x-user-id",
        overrideHeader: "X-Canary-Override",
        overrideCookie: "canary",
      },
    });
    expect(await routedAs(emu, { "x-canary-override": "canary" })).toBe("true");
    expect(await routedAs(emu, { "x-canary-override": "stable", cookie: "canary=canary" })).toBe("false");
    expect(await routedAs(emu, { cookie: "session=abc; canary=canary; theme=dark" })).toBe("true");
    expect(await routedAs(emu, { "x-canary-override": "yes please", cookie: "canary=canary" })).toBe("true");
    expect(await routedAs(emu, { cookie: "canary=maybe", "x-user-id": "u1" })).toBe("false");
    expect(await routedAs(emu, { cookie: "notcanary=canary" })).toBe("false");
    expect(emu.metric("canary_router.overridden")).toBe(4);
  });

  it("writes the decision into a configured routing header", async () => {
    const emu = await Emulator.load(WASM, { pluginConfig: { percentage: 100, routingHeader: "X-Backend-Canary" } });
    const result = await emu.request({ path: "/" }, upstreamOk);
    expect(result.upstream!.headers.get("x-backend-canary")).toBe("true");
    expect(result.upstream!.headers.get("x-canary")).toBeUndefined();
    expect(emu.logMessages("info")).toContain(
      "canary-router: 100% to the canary by random draw; decision in header x-backend-canary",
    );
  });

  it("rejects bad configurations with one clear log line", async () => {
    await expectEmulatorRejects("canary-router", '{"percentage": 10,', /invalid plugin configuration/);
    await expectEmulatorRejects(
      "canary-router",
      { hashKeyHeader: "x-user-id" },
      /^invalid plugin configuration: percentage: missing \(required\)$/,
    );
    await expectEmulatorRejects(
      "canary-router",
      { percentage: 101 },
      /^invalid plugin configuration: percentage: expected a number from 0 to 100, got 101$/,
    );
    await expectEmulatorRejects(
      "canary-router",
      { percentage: "10" },
      /^invalid plugin configuration: percentage: expected a number from 0 to 100, got "10"$/,
    );
    await expectEmulatorRejects(
      "canary-router",
      { percentage: 10, routingHeader: ":authority" },
      /^invalid plugin configuration: routingHeader: must be a non-empty regular header name$/,
    );
    await expectEmulatorRejects(
      "canary-router",
      { percentage: 10, overrideCookie: 1 },
      /^invalid plugin configuration: overrideCookie: expected a string, got 1$/,
    );
  });
});
