// Public API of harness/src/scenario (re-exported by harness/src/index.ts): the differential fidelity suite —
// one scenario definition run on the emulator and on real Envoy, compared field by field.
//   types.ts              the scenario format and the normalised observation both backends produce
//   emulator-backend.ts   runs a scenario on the emulator (plays the client, codecs, router and upstream)
//   envoy-backend.ts      EnvoySuite: one Envoy serving many scenarios (a listener + VM each)
//   normalise.ts          what is normalised and why (ports, ids, dates, transport headers)
//   diff.ts / compare.ts  divergences, expectations, side-by-side report, verdicts, compatibility table
//   known-divergences.ts  the documented differences, each with its reason and Envoy trace
//   recorder.ts           records probe traces in Envoy and replays them against the emulator
//   differential.ts       runDifferential: anyone's module and scenarios on both backends, with the report
//   plugin.ts             what a scenario loads (probe or own module), its upstreams and routes
import "../node-check.ts";
export type {
  Scenario,
  ScenarioPlugin,
  ScenarioRoute,
  ScenarioRequest,
  ScenarioUpstream,
  ScenarioCallout,
  ScenarioGrpcService,
  ScenarioConnection,
  ScenarioExpectation,
  ScenarioObservation,
  ScenarioAbort,
  ScenarioGrpcAnswer,
  ScenarioGrpcCall,
  ScenarioGrpcHandler,
  ScenarioHttpCall,
  ScenarioHttpHandler,
  ExchangeObservation,
  ClientView,
  UpstreamView,
} from "./types.ts";
export { runOnEmulator, clientRequestOf, type EmulatorRunOptions } from "./emulator-backend.ts";
export { probeConfig, DEFAULT_UPSTREAM_BODY, MAIN_UPSTREAM } from "./plugin.ts";
export { EnvoySuite, QUIET_MS, type EnvoySuiteOptions, type ScenarioLogLine } from "./envoy-backend.ts";
export {
  normaliseText,
  normaliseEvent,
  headerRecord,
  CLIENT_TRANSPORT_HEADERS,
  UPSTREAM_TRANSPORT_HEADERS,
} from "./normalise.ts";
export { diffObservations, checkExpectations, formatSideBySide, type Divergence } from "./diff.ts";
export { compareScenario, CompatibilityTable, type ScenarioResult, type Verdict } from "./compare.ts";
export { KNOWN_DIVERGENCES, explainDivergence, type KnownDivergence } from "./known-divergences.ts";
export {
  recordTraces,
  readTraces,
  replayTrace,
  tracePath,
  scenarioDefinition,
  type ScenarioTrace,
} from "./recorder.ts";
export { runDifferential, type DifferentialOptions, type DifferentialReport } from "./differential.ts";
