// @proxy-wasm-as/harness/coverage: line, branch and function coverage of a module's AssemblyScript source,
// measured on the emulator (see README.md). The vitest preset does all of this with `vitest --coverage`; this is
// the same machinery for a test runner of your own.
//   enableCoverage()        measure every module the emulator loads from now on (or `coverage: true` per module)
//   takeCoverage()          the counts so far, as istanbul coverage data (and zero the counters)
//   writeCoverageReport()   coverage/lcov.info, the text table, HTML…; threshold failures as lines
import "../node-check.ts";
export {
  coverageEnabled,
  disableCoverage,
  enableCoverage,
  resetCoverage,
  takeCoverage,
  unmeasuredModules,
  type CoverageSettings,
  type EmulatorCoverageOptions,
} from "../emulator/coverage/runtime.ts";
export type {
  BranchMapping,
  CoverageData,
  FileCoverageData,
  FunctionMapping,
  Position,
  Range,
} from "../emulator/coverage/coverage-data.ts";
export {
  COVERAGE_BUILD_DIR,
  coverageBuildPath,
  findCoverageBuild,
  markCoverageBuild,
  type CoverageBuildLookup,
} from "../emulator/coverage/coverage-build.ts";
export {
  coverageTable,
  mergeCoverage,
  thresholdFailures,
  toLcov,
  writeCoverageReport,
  type CoverageReportOptions,
  type CoverageReporter,
  type CoverageThresholds,
} from "./report.ts";
