// body-redact under generated hostile traffic on the emulator (harness/src/fuzz): hostile header sets, methods, paths,
// bodies cut at random chunk boundaries, trailers, client resets, and secret keys spelled with JSON escapes. The
// target (configuration, credentials, invariants) is in filters/test-support/fuzz-targets.ts; `npm run fuzz` runs
// 100,000 requests of it.
import { expect, test } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { fuzzTest } from "@proxy-wasm-as/harness/fuzz";
import { FUZZ_TARGETS } from "../test-support/fuzz-targets.ts";
import { filterWasm } from "../test-support/helpers.ts";

fuzzTest("body-redact keeps its invariants under generated hostile traffic (with trailers)", {
  ...FUZZ_TARGETS["body-redact"]!(),
  numRuns: 150,
});

// Found by this fuzz target: a JSON body followed by trailers reached the upstream unredacted (the end of stream
// came with the trailers, and the filter redacted only in a body callback with end of stream).
test("a JSON body followed by trailers reaches the upstream redacted", async () => {
  const emu = await Emulator.load(filterWasm("body-redact"), { pluginConfig: { fields: ["password"] } });
  const result = await emu.request(
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"password":"hunter2"}',
      trailers: { "x-checksum": "1" },
    },
    (u) => ({ status: 200, body: u.body }),
  );
  expect(result.upstream?.body).toBe('{"password":"[REDACTED]"}');
  expect(result.upstream?.trailers?.get("x-checksum")).toBe("1");
});
