// Coverage reports from coverage data, by istanbul's report libraries (the ones vitest's own providers use):
// lcov.info, the text table, HTML, JSON. Thresholds are checked the way vitest checks `coverage.thresholds`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import libCoverage from "istanbul-lib-coverage";
import libReport from "istanbul-lib-report";
import reports from "istanbul-reports";
import type { CoverageData } from "../emulator/coverage/coverage-data.ts";

/** The report formats of istanbul-reports (as in vitest's `coverage.reporter`): "text", "lcov", "lcovonly", "html", "json", "json-summary", "text-summary", "clover", "cobertura". */
export type CoverageReporter =
  | "text"
  | "text-summary"
  | "lcov"
  | "lcovonly"
  | "html"
  | "json"
  | "json-summary"
  | "clover"
  | "cobertura";

/** Minimum percentages (as vitest's `coverage.thresholds`); a negative number is the most uncovered items allowed. */
export interface CoverageThresholds {
  readonly lines?: number;
  readonly branches?: number;
  readonly functions?: number;
  readonly statements?: number;
}

/** Options of {@link writeCoverageReport}. */
export interface CoverageReportOptions {
  /** Folder of the report files. Default "coverage" (relative to `root`). */
  readonly dir?: string;
  /** Default ["text", "lcov"]: the table on stdout, coverage/lcov.info and an HTML report. */
  readonly reporters?: readonly CoverageReporter[];
  /** Paths in the reports are relative to it. Default: the current directory. */
  readonly root?: string;
  /** Checked after writing: each failure is one line in the result. */
  readonly thresholds?: CoverageThresholds;
}

/** Merges coverage data (several processes, several runs): counts of the same source add up. */
export function mergeCoverage(...data: readonly CoverageData[]): CoverageData {
  const map = libCoverage.createCoverageMap({});
  for (const d of data) map.merge(d as libCoverage.CoverageMapData);
  return map.toJSON() as unknown as CoverageData;
}

/**
 * Writes the reports of `data` (the "text" reporter prints to stdout) and returns the threshold failures, one
 * line each (empty when every threshold is met): `ERROR: Coverage for lines (50%) does not meet global threshold (80%)`.
 */
export function writeCoverageReport(data: CoverageData, options: CoverageReportOptions = {}): string[] {
  const root = options.root ?? process.cwd();
  const map = libCoverage.createCoverageMap(data as libCoverage.CoverageMapData);
  const context = libReport.createContext({ dir: resolve(root, options.dir ?? "coverage"), coverageMap: map });
  for (const reporter of options.reporters ?? ["text", "lcov"]) {
    reports.create(reporter, { projectRoot: root } as never).execute(context);
  }
  return options.thresholds ? thresholdFailures(data, options.thresholds) : [];
}

/** The text table of `data` (file, % statements, % branches, % functions, % lines, uncovered lines), as vitest prints it. */
export function coverageTable(data: CoverageData, options: { readonly root?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "proxy-wasm-as-coverage-"));
  try {
    const map = libCoverage.createCoverageMap(data as libCoverage.CoverageMapData);
    const context = libReport.createContext({ dir, coverageMap: map });
    reports.create("text", { file: "table.txt", projectRoot: options.root ?? process.cwd() } as never).execute(context);
    return readFileSync(join(dir, "table.txt"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The lcov.info text of `data`, paths relative to `root` (default: the current directory). */
export function toLcov(data: CoverageData, options: { readonly root?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "proxy-wasm-as-coverage-"));
  try {
    const map = libCoverage.createCoverageMap(data as libCoverage.CoverageMapData);
    const context = libReport.createContext({ dir, coverageMap: map });
    reports.create("lcovonly", { file: "lcov.info", projectRoot: options.root ?? process.cwd() }).execute(context);
    return readFileSync(join(dir, "lcov.info"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const THRESHOLD_KEYS = ["lines", "functions", "statements", "branches"] as const;

/** Lines saying which of `thresholds` the total coverage of `data` misses (empty when all are met). */
export function thresholdFailures(data: CoverageData, thresholds: CoverageThresholds): string[] {
  const summary = libCoverage.createCoverageMap(data as libCoverage.CoverageMapData).getCoverageSummary();
  const failures: string[] = [];
  for (const key of THRESHOLD_KEYS) {
    const threshold = thresholds[key];
    if (threshold === undefined) continue;
    const totals = summary[key];
    if (threshold >= 0 && totals.pct < threshold) {
      failures.push(`ERROR: Coverage for ${key} (${totals.pct}%) does not meet global threshold (${threshold}%)`);
    } else if (threshold < 0 && totals.total - totals.covered > -threshold) {
      failures.push(
        `ERROR: Uncovered ${key} (${totals.total - totals.covered}) exceed global threshold (${-threshold})`,
      );
    }
  }
  return failures;
}
