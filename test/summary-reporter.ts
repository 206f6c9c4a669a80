import type { Reporter, TestModule, TestSuite, Vitest } from "vitest/node";

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own summary,
 * so that CI systems that read a run's last lines (and people skimming a log) get the counts in a
 * stable, language-neutral form. Besides failed tests, "failed" counts one for each module that failed to
 * load and each suite or module whose own hooks failed (a failing `beforeAll` skips every test under it, so
 * those tests show as skipped and the failure would otherwise not be counted at all), and each unhandled error.
 * With coverage on (`npm test` runs `vitest run --coverage`), vitest prints the coverage report after this
 * reporter's `onTestRunEnd`; the line then waits for the report to end (`onFinishedReportCoverage`, which vitest
 * calls on every reporter that has it) so that it stays the closing line. vitest writes no report when something
 * failed (unless `coverage.reportOnFailure`): the line is printed at once then, and at exit if it is still waiting.
 * Exercised by test/unit/summary-reporter.test.ts.
 */
export default class SummaryReporter implements Reporter {
  #coverageReportFollows: (failed: number) => boolean = () => false;
  #pending: string | null = null;

  onInit(vitest: Vitest): void {
    const coverage = vitest.config.coverage;
    this.#coverageReportFollows = (failed) => coverage.enabled && (failed === 0 || coverage.reportOnFailure);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const counts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
    for (const module of testModules) countModule(module, counts);
    const line = `\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`;
    if (!this.#coverageReportFollows(counts.failed)) {
      process.stdout.write(line);
      return;
    }
    this.#pending = line;
    process.once("exit", () => this.onFinishedReportCoverage());
  }

  /** Called by vitest once the coverage report is written. */
  onFinishedReportCoverage(): void {
    if (this.#pending) process.stdout.write(this.#pending);
    this.#pending = null;
  }
}

function countModule(module: TestModule, counts: { passed: number; failed: number; skipped: number }): void {
  const failedBefore = counts.failed;
  for (const test of module.children.allTests()) {
    const state = test.result().state;
    if (state === "passed") counts.passed++;
    else if (state === "failed") counts.failed++;
    else counts.skipped++;
  }
  // Errors of the module or a suite itself: a load/collection error, or a failed beforeAll/afterAll.
  const entities: Array<TestModule | TestSuite> = [module, ...module.children.allSuites()];
  for (const entity of entities) if (entity.errors().length > 0) counts.failed++;
  // vitest says the module failed, yet nothing above was counted: still one failure, never a silent pass.
  if (counts.failed === failedBefore && module.state() === "failed") counts.failed++;
}
