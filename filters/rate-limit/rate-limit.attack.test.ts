// Issue 24, finding 1 on the emulator: with capacity 5/s, one key got 1,080–1,295 requests through in 2 s by
// evicting its own bucket with colliding or fresh keys. Now no key choice gets a key more than capacity plus
// refill over the window (exactly: one worker, virtual clock, margin 0). The real-Envoy run is in
// rate-limit.envoy.test.ts; the property-based adversary in rate-limit.fuzz.test.ts.
import { describe, expect, it } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { EmulatorHost } from "@proxy-wasm-as/harness/emulator";
import { filterWasm } from "../test-support/helpers.ts";
import { ATTACK_RATE, attackPlans, boundReport } from "../test-support/rate-limit-attack.ts";

const WASM = filterWasm("rate-limit");
const START_MS = 1_800_000_000_000;
const upstreamOk = () => ({ status: 200, body: "ok" });
const REQUESTS = 2_000; // one per virtual millisecond: a 2 s window

describe("rate-limit under the eviction attack (emulator)", () => {
  for (const maxClients of [8, 10_000]) {
    for (const plan of attackPlans(maxClients, "e")) {
      it(`maxClients ${maxClients}, ${plan.name}: no key gets more than capacity + refill × 2 s`, async () => {
        const emu = await Emulator.load(WASM, {
          pluginConfig: { ...ATTACK_RATE, keyHeader: "x-client-id", maxClients },
          host: new EmulatorHost({ startTimeMs: START_MS }),
        });
        const results: { key: string; status: number }[] = [];
        for (let i = 0; i < REQUESTS; i++) {
          if (i > 0) emu.advance(1);
          const key = plan.keyFor(i);
          const response = await emu.request({ path: "/", headers: { "x-client-id": key } }, upstreamOk);
          results.push({ key, status: response.status });
        }
        const report = boundReport(results, REQUESTS - 1, 0);
        console.log(
          `rate-limit attack (emulator, maxClients ${maxClients}, ${plan.name}): ${report.requests} requests, most for one key ${report.worst[1]} (${report.worst[0]}), allowed ${report.allowedPerKey}; tracked ${emu.metric("rate_limit.tracked_clients")}, table_full ${emu.metric("rate_limit.table_full")}, expired ${emu.metric("rate_limit.expired")}`,
        );
        expect(report.worst[1]).toBeLessThanOrEqual(report.allowedPerKey);
        expect(emu.metric("rate_limit.tracked_clients")).toBeLessThanOrEqual(maxClients);
        // The victim (or the first identity) was not starved either: it got its own full allowance.
        expect(report.granted.get(plan.keyFor(0))).toBe(report.allowedPerKey);
      });
    }
  }

  it("the slot hash's key is drawn once per Envoy process and shared by its VMs; another process draws another", async () => {
    const config = { ...ATTACK_RATE, keyHeader: "x-client-id" };
    const hostA = new EmulatorHost({ startTimeMs: START_MS });
    const hostB = new EmulatorHost({ startTimeMs: START_MS });
    await Emulator.load(WASM, { pluginConfig: config, host: hostA, vmId: "rl", canary: true });
    const keyA = hostA.getSharedData("rl", "rate-limit/hash-key");
    await Emulator.load(WASM, { pluginConfig: config, host: hostA, vmId: "rl" }); // a second worker
    expect(hostA.getSharedData("rl", "rate-limit/hash-key")).toEqual(keyA);
    await Emulator.load(WASM, { pluginConfig: config, host: hostB, vmId: "rl" });
    const text = (value: { value: Uint8Array } | undefined) => new TextDecoder().decode(value!.value);
    expect(text(keyA)).toMatch(/^\d+:\d+$/);
    expect(text(hostB.getSharedData("rl", "rate-limit/hash-key"))).not.toBe(text(keyA));
    // The same client lands in different slots under the two keys (a chance of 1 in 10,000 to coincide, tried 3 times).
    const slotOf = async (host: EmulatorHost, client: string) => {
      const emu = await Emulator.load(WASM, { pluginConfig: config, host, vmId: "rl" });
      await emu.request({ path: "/", headers: { "x-client-id": client } }, upstreamOk);
      for (let slot = 0; slot < 10_000; slot++) {
        const value = host.getSharedData("rl", `rate-limit/${slot}`);
        if (value && new TextDecoder().decode(value.value).endsWith(`:h:${client}`)) return slot;
      }
      throw new Error(`no slot holds ${client}`);
    };
    const clients = ["alice", "bob", "carol"];
    const slotsA = await Promise.all(clients.map((c) => slotOf(hostA, c)));
    const slotsB = await Promise.all(clients.map((c) => slotOf(hostB, c)));
    expect(slotsA).not.toEqual(slotsB);
  });
});
