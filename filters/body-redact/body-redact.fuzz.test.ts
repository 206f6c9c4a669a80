// body-redact under generated hostile traffic on the emulator (harness/src/fuzz): hostile header sets, methods, paths,
// bodies cut at random chunk boundaries, trailers and client resets. The target (configuration, credentials,
// invariants) is in filters/test-support/fuzz-targets.ts; `npm run fuzz` runs 100,000 requests of it.
import { expect, test } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { fuzzTest } from "@proxy-wasm-as/harness/fuzz";
import { FUZZ_TARGETS } from "../test-support/fuzz-targets.ts";
import { filterWasm } from "../test-support/helpers.ts";

// KNOWN BUG (found by this fuzz target, reported): a JSON request body followed by trailers reaches the upstream
// unredacted: the filter redacts only when a body callback sees the end of stream, and with trailers the end of
// stream comes with the trailers. Trailers are left out of the CI run until the fix; `npm run fuzz` keeps them.
const target = FUZZ_TARGETS["body-redact"]!();
fuzzTest("body-redact keeps its invariants under generated hostile traffic (no trailers: known bug below)", { ...target, traffic: { ...target.traffic, trailers: false }, numRuns: 150 });

test.fails("KNOWN BUG: a JSON body followed by trailers reaches the upstream unredacted (remove `trailers: false` above once this fails)", async () => {
  const emu = await Emulator.load(filterWasm("body-redact"), { pluginConfig: { fields: ["password"] } });
  const result = await emu.request({ method: "POST", headers: { "content-type": "application/json" }, body: '{"password":"hunter2"}', trailers: { "x-checksum": "1" } }, (u) => ({ status: 200, body: u.body }));
  expect(result.upstream?.body ?? "").not.toContain("hunter2");
});
