// rate-limit on the emulator: token bucket arithmetic on the virtual clock, 429 headers, client keys, and one
// bucket shared by several workers (emulators on one EmulatorHost share proxy-wasm shared data).
import { describe, expect, it } from "vitest";
import { Emulator, EmulatorHost } from "@proxy-wasm-as/harness";
import { expectEmulatorRejects, filterWasm } from "../test-support/helpers.ts";

const WASM = filterWasm("rate-limit");
const upstreamOk = () => ({ status: 200, body: "ok" });

async function load(config: object, host = new EmulatorHost({ startTimeMs: 1_800_000_000_000 })) {
  return Emulator.load(WASM, { pluginConfig: config, host });
}

describe("rate-limit (emulator)", () => {
  it("allows a burst of `capacity`, then answers 429 with Retry-After until a token is refilled", async () => {
    const emu = await load({ capacity: 3, refillPerSecond: 1 });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await emu.request({ path: "/" }, upstreamOk);
      expect(result.status).toBe(200);
      expect(result.headers.get("x-ratelimit-limit")).toBe("3");
      remaining.push(result.headers.get("x-ratelimit-remaining")!);
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const limited = await emu.request({ path: "/" }, upstreamOk);
    expect(limited.status).toBe(429);
    expect(limited.upstream).toBeNull();
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(JSON.parse(limited.body).error).toBe("rate_limited");

    emu.advance(999);
    expect((await emu.request({ path: "/" }, upstreamOk)).status).toBe(429);
    emu.advance(1);
    expect((await emu.request({ path: "/" }, upstreamOk)).status).toBe(200);
    expect((await emu.request({ path: "/" }, upstreamOk)).status).toBe(429);
    expect(emu.metric("rate_limit.allowed")).toBe(4);
    expect(emu.metric("rate_limit.limited")).toBe(3);
  });

  it("refills at refillPerSecond up to capacity, never beyond", async () => {
    const emu = await load({ capacity: 5, refillPerSecond: 10 });
    for (let i = 0; i < 5; i++) await emu.request({ path: "/" }, upstreamOk);
    emu.advance(250); // 2.5 tokens
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await emu.request({ path: "/" }, upstreamOk)).status);
    expect(statuses).toEqual([200, 200, 429]);
    emu.advance(60_000); // an idle minute refills to 5, not 600
    const afterIdle = [];
    for (let i = 0; i < 6; i++) afterIdle.push((await emu.request({ path: "/" }, upstreamOk)).status);
    expect(afterIdle).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it("keeps one bucket per source IP (port ignored)", async () => {
    const emu = await load({ capacity: 1, refillPerSecond: 1 });
    const from = (address: string) => emu.request({ path: "/" }, upstreamOk, { properties: { "source.address": address } }).then((r) => r.status);
    expect(await from("10.0.0.1:5000")).toBe(200);
    expect(await from("10.0.0.1:5001")).toBe(429);
    expect(await from("10.0.0.2:5000")).toBe(200);
    expect(await from("[2001:db8::1]:443")).toBe(200);
    expect(await from("[2001:db8::1]:444")).toBe(429);
  });

  it("keys by a configured header when present, else by source IP", async () => {
    const emu = await load({ capacity: 1, refillPerSecond: 1, keyHeader: "X-Client-Id" });
    const send = (client?: string) => emu.request({ path: "/", headers: client ? { "x-client-id": client } : {} }, upstreamOk).then((r) => r.status);
    expect(await send("alice")).toBe(200);
    expect(await send("alice")).toBe(429);
    expect(await send("bob")).toBe(200);
    expect(await send()).toBe(200); // falls back to the (default) source address bucket
    expect(await send()).toBe(429);
  });

  it("shares one bucket across workers through shared data", async () => {
    const host = new EmulatorHost({ startTimeMs: 1_800_000_000_000 });
    const workerA = await load({ capacity: 2, refillPerSecond: 1 }, host);
    const workerB = await load({ capacity: 2, refillPerSecond: 1 }, host);
    expect((await workerA.request({ path: "/" }, upstreamOk)).status).toBe(200);
    expect((await workerB.request({ path: "/" }, upstreamOk)).status).toBe(200);
    expect((await workerA.request({ path: "/" }, upstreamOk)).status).toBe(429);
    expect((await workerB.request({ path: "/" }, upstreamOk)).status).toBe(429);
  });

  it("rejects bad configurations with one clear log line", async () => {
    await expectEmulatorRejects("rate-limit", "[1,", /invalid plugin configuration/);
    await expectEmulatorRejects("rate-limit", { refillPerSecond: 1 }, /capacity is required/);
    await expectEmulatorRejects("rate-limit", { capacity: 5 }, /refillPerSecond is required/);
    await expectEmulatorRejects("rate-limit", { capacity: 0, refillPerSecond: 1 }, /capacity must be an integer from 1 to 1000000/);
    await expectEmulatorRejects("rate-limit", { capacity: 2.5, refillPerSecond: 1 }, /capacity must be an integer/);
    await expectEmulatorRejects("rate-limit", { capacity: 5, refillPerSecond: 1, keyHeader: 7 }, /keyHeader must be a string/);
  });
});
