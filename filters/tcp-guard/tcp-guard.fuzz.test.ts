// tcp-guard under generated connections on the emulator: greetings that start with a deny prefix, share part of
// one, or are arbitrary bytes, cut at random chunk boundaries (a prefix may straddle chunks), half-closed or not.
// Invariants: no trap; a connection that starts with a deny prefix never sends a byte upstream; any other
// connection reaches the upstream complete and in order. (The HTTP fuzz API drives HTTP streams; a network filter
// is driven here with fast-check directly on `emu.tcpConnection()`.)
import { readFileSync } from "node:fs";
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { filterWasm } from "../test-support/helpers.ts";

const DENY = ["GET /admin", "SSH-"];
const encoder = new TextEncoder();

const greeting = fc.oneof(
  fc.tuple(fc.constantFrom(...DENY), fc.string({ maxLength: 40 })).map(([p, rest]) => p + rest),
  fc.tuple(fc.constantFrom(...DENY), fc.nat()).map(([p, n]) => p.slice(0, n % p.length)), // a strict part of a prefix
  fc.tuple(fc.constantFrom("GET /admi", "SSH", "GET /"), fc.string({ maxLength: 20 })).map(([p, rest]) => p + rest),
  fc.string({ unit: "binary", maxLength: 64 }),
);
const connection = fc.record({
  data: greeting.map((g) => encoder.encode(g)),
  cuts: fc.array(fc.nat(), { maxLength: 6 }),
  halfClose: fc.boolean(),
});

let emu: Emulator | undefined;

test.prop([connection], { numRuns: 300 })(
  "tcp-guard: denied greetings never reach the upstream, others arrive whole",
  ({ data, cuts, halfClose }) => {
    if (!emu || emu.failed)
      emu = Emulator.fromBytes(readFileSync(filterWasm("tcp-guard")), { pluginConfig: { denyPrefixes: DENY } });
    const failures = emu.failures.length;
    const c = emu.tcpConnection();
    const points = [...new Set(cuts.map((x) => (data.length ? x % data.length : 0)).filter((x) => x > 0))].sort(
      (a, b) => a - b,
    );
    let previous = 0;
    const pieces = [...points, data.length].map((p) => {
      const piece = data.subarray(previous, p);
      previous = p;
      return piece;
    });
    for (const [i, piece] of pieces.entries()) {
      if (c.closedBy) break;
      c.downstreamData(piece, { endOfStream: halfClose && i === pieces.length - 1 });
    }
    const text = Buffer.from(data).toString("latin1");
    const denied = DENY.some((p) => text.startsWith(p));
    const undecided = !denied && DENY.some((p) => p.startsWith(text)) && text.length > 0;
    expect(emu.failures.length, "no trap").toBe(failures);
    if (denied) {
      expect(c.toUpstream.text, "denied connection leaked bytes upstream").toBe("");
      expect(c.closedBy).toBe("filter");
    } else if (!undecided || halfClose) {
      expect(
        Buffer.from(c.toUpstream.bytes).equals(Buffer.from(data)),
        "allowed connection must arrive whole and in order",
      ).toBe(true);
    }
    if (!c.closedBy) c.close("remote");
  },
);
