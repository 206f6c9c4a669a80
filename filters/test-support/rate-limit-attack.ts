// The eviction attack on rate-limit (issue 24, finding 1), shared by the emulator and the real-Envoy tests: the
// attacker's key choices, and the bound every key must stay under whatever they are; and the filter's own SipHash
// compiled to Wasm, for the tests that check it and the adversary that knows the key. Not a filter (no index.ts).
import { resolve } from "node:path";
import {
  compileTestModule,
  MANAGED_MEMORY_EXPORTS,
  ManagedMemory,
  type ManagedMemoryExports,
  type Pointer,
} from "../../sdk/test/wasm-test-module.ts";

interface SipExports extends ManagedMemoryExports {
  hashOf(k0: bigint, k1: bigint, data: Pointer): bigint;
}

/** filters/rate-limit/siphash.as.ts compiled to Wasm: `hash(k0, k1, bytes)` is its SipHash-2-4 (unsigned). */
export async function loadSipHash(): Promise<(k0: bigint, k1: bigint, bytes: Uint8Array) => bigint> {
  const entry = `${MANAGED_MEMORY_EXPORTS}
import { SipKey, sipHash24 } from "./siphash.as";
export function hashOf(k0: u64, k1: u64, data: ArrayBuffer): u64 { return sipHash24(new SipKey(k0, k1), changetype<usize>(data), <usize>data.byteLength); }
`;
  const dir = resolve(import.meta.dirname, "../rate-limit");
  const wasm = await compileTestModule<SipExports>(dir, "siphash", entry, ["--noAssert"]);
  const memory = new ManagedMemory(wasm);
  return (k0, k1, bytes) => BigInt.asUintN(64, wasm.hashOf(k0, k1, memory.bytesIn(bytes)));
}

/** The limit under attack: 5 tokens of burst, 5 per second (the finding's configuration). */
export const ATTACK_RATE = { capacity: 5, refillPerSecond: 5 } as const;

/** An attacker's key choice: the client key (x-client-id) of its `i`-th request. */
export interface AttackPlan {
  readonly name: string;
  keyFor(i: number): string;
}

/** FNV-1a over UTF-16 units: the filter's old, unkeyed slot hash, which let an attacker find colliding keys offline. */
function oldSlotHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** `count` client keys (header values) whose stored key "h:<value>" shared `victim`'s slot under the old hash. */
export function oldHashCollisions(victim: string, maxClients: number, count: number, prefix: string): string[] {
  const slot = oldSlotHash(`h:${victim}`) % maxClients;
  const found: string[] = [];
  for (let i = 0; found.length < count; i++) {
    const candidate = `${prefix}${i}`;
    if (oldSlotHash(`h:${candidate}`) % maxClients === slot) found.push(candidate);
  }
  return found;
}

/**
 * The attacks of the finding, and more: a victim alone; a victim interleaved with fresh keys (one new key per
 * request); with keys that collided with it under the old hash, interleaved with fresh keys; five identities
 * round-robin, and five that shared one slot under the old hash; more identities than the table has slots, round-robin. `tag` keeps runs on one Envoy apart.
 */
export function attackPlans(maxClients: number, tag: string): AttackPlan[] {
  const victim = `${tag}-victim`;
  const colliding = oldHashCollisions(victim, maxClients, 4, `${tag}-c`);
  const identities = (count: number) => Array.from({ length: count }, (_, i) => `${tag}-id${i}`);
  const five = identities(5);
  const crowd = identities(Math.min(maxClients * 2, 64));
  return [
    { name: "one key alone", keyFor: () => victim },
    { name: "victim interleaved with fresh keys", keyFor: (i) => (i % 2 === 0 ? victim : `${tag}-fresh${i}`) },
    {
      name: "victim with old-hash colliding keys and fresh keys",
      keyFor: (i) => (i % 3 === 0 ? victim : i % 3 === 1 ? colliding[((i / 3) % 4) | 0]! : `${tag}-fresh${i}`),
    },
    { name: "five identities round-robin", keyFor: (i) => five[i % 5]! },
    {
      name: "five identities sharing one old-hash slot, round-robin",
      keyFor: (i) => (i % 5 === 0 ? victim : colliding[(i % 5) - 1]!),
    },
    { name: `${crowd.length} identities round-robin`, keyFor: (i) => crowd[i % crowd.length]! },
  ];
}

/** Requests granted per key, and the most any key may get over `durationMs` (+ `margin`). */
export interface BoundReport {
  readonly granted: Map<string, number>;
  readonly allowedPerKey: number;
  /** The key that got most, and how many. */
  readonly worst: readonly [string, number];
  readonly requests: number;
}

/** Counts the 200s per key and the per-key allowance: capacity + floor(refill × duration) + margin. */
export function boundReport(
  results: readonly { key: string; status: number }[],
  durationMs: number,
  margin: number,
): BoundReport {
  const granted = new Map<string, number>();
  for (const { key, status } of results) if (status === 200) granted.set(key, (granted.get(key) ?? 0) + 1);
  let worst: [string, number] = ["(none)", 0];
  for (const entry of granted) if (entry[1] > worst[1]) worst = entry;
  const allowedPerKey = ATTACK_RATE.capacity + Math.floor((ATTACK_RATE.refillPerSecond * durationMs) / 1000) + margin;
  return { granted, allowedPerKey, worst, requests: results.length };
}
