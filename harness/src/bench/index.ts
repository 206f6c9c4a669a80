// Public API of harness/src/bench (`@proxy-wasm-as/harness/bench`): measuring a filter's cost honestly.
//   ratioOverRounds/judge/formatRatio   per-round ratios, bootstrap intervals, the met/missed/undecided rule
//   ratioWarnings                       too few rounds, or an interval too wide to mean anything
//   roundOrder                          the order of the variants in each round (balanced, seeded)
//   decisionPlan/runSequential          more rounds only for undecided targets, at planned looks, within a budget
//   chooseLoadTool/generateLoad/runWrk  wrk (installed like the suite does) or undici, with any method/headers/body
//   processCpuMicros                    a process's CPU time, for CPU per request and how busy it was
// Used by `proxy-wasm-as bench` and by the repository's benchmark suite (bench/): the statistics live here once.
export {
  DEFAULT_CONFIDENCE,
  MIN_ROUNDS_FOR_INTERVAL,
  WIDE_INTERVAL_HALF_WIDTH,
  formatPercent,
  formatRatio,
  judge,
  ratioOverRounds,
  ratioWarnings,
  relativeHalfWidth,
  roundOrder,
} from "./stats.ts";
export type { RatioEstimate, Verdict, WarningWording } from "./stats.ts";
export { decisionPlan, runSequential } from "./sequential.ts";
export type {
  DecisionPlan,
  DecisionPlanOptions,
  SequentialOutcome,
  SequentialResult,
  SequentialRun,
  SequentialTarget,
} from "./sequential.ts";
export { UNDICI_CAVEAT, chooseLoadTool, generateLoad } from "./load.ts";
export type { LoadTool, LoadToolChoice } from "./load.ts";
export { luaString, parseWrkReport, runWrk, wrkCommand, wrkScript } from "./wrk.ts";
export type { LoadRequest, LoadSample, LoadSettings, WrkOptions } from "./wrk.ts";
export { SATURATED_BUSY_SHARE, canReadProcessCpu, processCpuMicros } from "./cpu.ts";
export { freeLoopbackPort } from "./ports.ts";
