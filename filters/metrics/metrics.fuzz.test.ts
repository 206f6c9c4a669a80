// metrics under generated hostile traffic on the emulator (harness/src/fuzz): hostile header sets, methods, paths,
// bodies cut at random chunk boundaries, trailers and client resets. The target (configuration, credentials,
// invariants) is in filters/test-support/fuzz-targets.ts; `npm run fuzz` runs 100,000 requests of it.
import { fuzzTest } from "@proxy-wasm-as/harness/fuzz";
import { FUZZ_TARGETS } from "../test-support/fuzz-targets.ts";

fuzzTest("metrics keeps its invariants under generated hostile traffic", {
  ...FUZZ_TARGETS.metrics!(),
  numRuns: 150,
});
