// The rate limit's keyed slot hash (siphash.as.ts) compiled to Wasm, against the test vectors of the SipHash paper's
// reference implementation (key 00 01 … 0f, message 00 01 … of length n).
import { beforeAll, describe, expect, it } from "vitest";
import { loadSipHash } from "../test-support/rate-limit-attack.ts";

let hashOf: Awaited<ReturnType<typeof loadSipHash>>;
beforeAll(async () => {
  hashOf = await loadSipHash();
}, 120_000);

const KEY_BYTES = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
const k0 = KEY_BYTES.readBigUInt64LE(0);
const k1 = KEY_BYTES.readBigUInt64LE(8);
const message = (length: number) => new Uint8Array(Array.from({ length }, (_, i) => i));
/** The reference vectors as the byte strings vectors.h lists (little-endian output). */
const asLittleEndianHex = (value: bigint) => {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(BigInt.asUintN(64, value));
  return out.toString("hex");
};

describe("SipHash-2-4", () => {
  it.each([
    [0, "310e0edd47db6f72"],
    [1, "fd67dc93c539f874"],
    [2, "5a4fa9d909806c0d"],
    [3, "2d7efbd796666785"],
    [7, "37d1018bf50002ab"],
    [8, "6224939a79f5f593"],
    [15, "e545be4961ca29a1"],
    [63, "724506eb4c328a95"],
  ])("matches the reference vector for a %i-byte message", (length, expected) => {
    expect(asLittleEndianHex(hashOf(k0, k1, message(length)))).toBe(expected);
  });

  it("depends on the key", () => {
    const data = message(15);
    expect(hashOf(k0, k1, data)).not.toBe(hashOf(k0 ^ 1n, k1, data));
    expect(hashOf(k0, k1, data)).not.toBe(hashOf(k0, k1 ^ (1n << 63n), data));
  });
});
