// Public API of harness/src/fuzz (exported as `@proxy-wasm-as/harness/fuzz`): property-based fuzzing of any
// proxy-wasm module on the emulator with fast-check. See README.md. Builds on the emulator layer only.
import "../node-check.ts";
export {
  fuzzRequests,
  hostileBodies,
  hostileHeader,
  hostileHeaderValues,
  hostileMethods,
  hostilePaths,
  type HeaderPairs,
  type TrafficOptions,
} from "./arbitraries.ts";
export { driveRequest, okUpstream, type FuzzOutcome, type FuzzUpstream } from "./drive.ts";
export { checkInvariants, formatOutcome, type Invariant, type InvariantOptions, type Violation } from "./invariants.ts";
export {
  formatRequest,
  printable,
  quote,
  requestHeader,
  requestHeaderValues,
  type FuzzRequest,
  type FuzzReset,
} from "./request.ts";
export {
  assertFuzz,
  formatFailure,
  FuzzFailure,
  fuzzProperty,
  FuzzTarget,
  requestsOf,
  runFuzz,
  type FuzzCampaignOptions,
  type FuzzCounterexample,
  type FuzzOptions,
  type FuzzReport,
  type FuzzRun,
} from "./check.ts";
export { fuzzTest, type FuzzTestOptions } from "./vitest.ts";
export { default as fc } from "fast-check";
