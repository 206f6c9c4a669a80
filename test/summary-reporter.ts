import type { Reporter, TestModule, TestSuite } from "vitest/node";

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own summary,
 * so that CI systems that read a run's last lines (and people skimming a log) get the counts in a
 * stable, language-neutral form. Besides failed tests, "failed" counts one for each module that failed to
 * load and each suite or module whose own hooks failed (a failing `beforeAll` skips every test under it, so
 * those tests show as skipped and the failure would otherwise not be counted at all), and each unhandled error.
 * Exercised by test/unit/summary-reporter.test.ts.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const counts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
    for (const module of testModules) countModule(module, counts);
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
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
