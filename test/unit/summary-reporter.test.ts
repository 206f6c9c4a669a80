// The closing line of test/summary-reporter.ts counts what really failed: failed tests, modules that failed to
// load, and suites whose beforeAll failed (their tests are merely "skipped"). Runs vitest as a child process on
// test/fixtures/summary-reporter/*.fixture.ts and reads the line it prints.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, test } from "vitest";

const FIXTURE_DIR = fileURLToPath(new URL("../fixtures/summary-reporter/", import.meta.url));
const VITEST_CLI = join(dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");

test("a suite failing in beforeAll, a module-level beforeAll and a module failing to load each count as failed", async () => {
  // Not this run's vitest settings: the child is a vitest run of its own.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("VITEST") && key !== "TEST"),
  );
  const run = await promisify(execFile)(process.execPath, [VITEST_CLI, "run"], {
    cwd: FIXTURE_DIR,
    env: { ...env, NO_COLOR: "1" },
  }).catch((error: { stdout: string; stderr: string; code: number }) => error);
  const lines = run.stdout.trim().split("\n");
  // plain: 1 passed, 1 failed, 1 skipped; hook-fails: 1 passed, 2 skipped + 1 failed hook;
  // module-hook-fails: 1 skipped + 1 failed hook; load-fails: 1 failed module.
  expect(lines.at(-1)).toBe("tests: 2 passed, 4 failed, 4 skipped");
  expect("code" in run && run.code).toBe(1);
}, 60_000);
