// rate-limit under generated hostile traffic on the emulator (harness/src/fuzz): hostile header sets, methods, paths,
// bodies cut at random chunk boundaries, trailers and client resets. The target (configuration, credentials,
// invariants) is in filters/test-support/fuzz-targets.ts; `npm run fuzz` runs 100,000 requests of it.
//
// Then an adversarial key chooser (issue 24, finding 1): it knows the table size and even the slot hash's secret
// key (read from shared data, hashed with the filter's own SipHash), and mixes a victim, keys that share the
// victim's slots, fresh keys, a round-robin crowd larger than the table, and pauses. Every decision must match
// an exact token bucket per key: a key never gets a token its own bucket does not have, and a key is refused
// with tokens left only when it is new and every slot it may use holds a bucket that is still refilling.
import { fc, test } from "@fast-check/vitest";
import { beforeAll } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { EmulatorHost } from "@proxy-wasm-as/harness/emulator";
import { fuzzTest } from "@proxy-wasm-as/harness/fuzz";
import { FUZZ_TARGETS } from "../test-support/fuzz-targets.ts";
import { filterWasm } from "../test-support/helpers.ts";
import { loadSipHash } from "../test-support/rate-limit-attack.ts";

fuzzTest("rate-limit keeps its invariants under generated hostile traffic", {
  ...FUZZ_TARGETS["rate-limit"]!(),
  numRuns: 150,
});

const START_MS = 1_800_000_000_000;
const MILLI = 1000;
/** The filter's PROBES: slots one client may use. */
const PROBES = 8;
const upstreamOk = () => ({ status: 200, body: "ok" });

let sipHash: Awaited<ReturnType<typeof loadSipHash>>;
beforeAll(async () => {
  sipHash = await loadSipHash();
}, 120_000);

/** The slots the filter lets header value `client` use, computed as the filter does, with its secret key. */
function probeSlots(k0: bigint, k1: bigint, client: string, maxClients: number): number[] {
  const hash = sipHash(k0, k1, Buffer.from(`h:${client}`, "utf16le"));
  const count = BigInt(maxClients);
  const first = (hash & 0xffffffffn) % count;
  const step = ((hash >> 32n) | 1n) % count;
  return Array.from({ length: PROBES }, (_, i) => Number((first + BigInt(i) * step) % count));
}

type Move =
  | { kind: "victim" }
  | { kind: "colliding"; index: number }
  | { kind: "fresh" }
  | { kind: "crowd"; index: number }
  | { kind: "wait"; ms: number };

const move: fc.Arbitrary<Move> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Move>({ kind: "victim" }) },
  { weight: 4, arbitrary: fc.nat(15).map((index): Move => ({ kind: "colliding", index })) },
  { weight: 3, arbitrary: fc.constant<Move>({ kind: "fresh" }) },
  { weight: 2, arbitrary: fc.nat(200).map((index): Move => ({ kind: "crowd", index })) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 1500 }).map((ms): Move => ({ kind: "wait", ms })) },
);

test.prop(
  {
    capacity: fc.integer({ min: 1, max: 5 }),
    refillPerSecond: fc.integer({ min: 1, max: 5 }),
    maxClients: fc.constantFrom(1, 4, 16, 64),
    moves: fc.array(move, { minLength: 1, maxLength: 250 }),
  },
  { numRuns: 40 },
)(
  "an adversary who knows the table and the hash key gets no key a token beyond its own bucket",
  async ({ capacity, refillPerSecond, maxClients, moves }) => {
    const host = new EmulatorHost({ startTimeMs: START_MS });
    const emu = await Emulator.load(filterWasm("rate-limit"), {
      pluginConfig: { capacity, refillPerSecond, keyHeader: "x-client-id", maxClients, sweepSeconds: 1 },
      host,
      vmId: "rl",
    });
    const [k0, k1] = new TextDecoder()
      .decode(host.getSharedData("rl", "rate-limit/hash-key")!.value)
      .split(":")
      .map((word) => BigInt(word)) as [bigint, bigint];
    // Keys that may use the victim's first slot: each arrival there competes with the victim for it.
    const victimSlot = probeSlots(k0, k1, "victim", maxClients)[0]!;
    const colliding: string[] = [];
    for (let i = 0; colliding.length < 16; i++)
      if (probeSlots(k0, k1, `c${i}`, maxClients).includes(victimSlot)) colliding.push(`c${i}`);
    const crowd = Math.min(maxClients + 3, 201);

    const buckets = new Map<string, { milliTokens: number; lastMs: number }>();
    const granted = new Map<string, number>();
    let nowMs = 0;
    let fresh = 0;
    for (const step of moves) {
      if (step.kind === "wait") {
        emu.advance(step.ms);
        nowMs += step.ms;
        continue;
      }
      const key =
        step.kind === "victim"
          ? "victim"
          : step.kind === "colliding"
            ? colliding[step.index]!
            : step.kind === "fresh"
              ? `fresh${fresh++}`
              : `crowd${step.index % crowd}`;
      const bucket = buckets.get(key) ?? { milliTokens: capacity * MILLI, lastMs: nowMs };
      bucket.milliTokens = Math.min(capacity * MILLI, bucket.milliTokens + (nowMs - bucket.lastMs) * refillPerSecond);
      bucket.lastMs = nowMs;
      buckets.set(key, bucket);
      const tableFullBefore = emu.metric("rate_limit.table_full") ?? 0;
      const { status } = await emu.request({ path: "/", headers: { "x-client-id": key } }, upstreamOk);
      if (status === 200) {
        if (bucket.milliTokens < MILLI)
          throw new Error(`${key} got a token its bucket does not have (${bucket.milliTokens}/1000)`);
        bucket.milliTokens -= MILLI;
        granted.set(key, (granted.get(key) ?? 0) + 1);
      } else if (bucket.milliTokens >= MILLI) {
        // Refused with tokens left: only a client without a bucket (a full one) meeting a full table.
        if (bucket.milliTokens < capacity * MILLI)
          throw new Error(`${key} refused with ${bucket.milliTokens}/1000 tokens in its bucket`);
        if ((emu.metric("rate_limit.table_full") ?? 0) !== tableFullBefore + 1)
          throw new Error(`${key} refused, not counted as table_full`);
      }
    }
    for (const [key, count] of granted) {
      const allowance = capacity + Math.floor((refillPerSecond * nowMs) / 1000);
      if (count > allowance) throw new Error(`${key}: ${count} granted over ${nowMs} ms, allowance ${allowance}`);
    }
    const tracked = emu.metric("rate_limit.tracked_clients") ?? 0;
    if (tracked > maxClients) throw new Error(`tracked_clients ${tracked} > maxClients ${maxClients}`);
  },
  120_000,
);
