// A step of the package test: coverage from the published packages. In the project `npm create proxy-wasm-as`
// made (its packages installed from the tarballs), `npx vitest run --coverage` on the emulator test must build
// the coverage build, measure the filter's own source and write coverage/lcov.info naming assembly/index.ts,
// with lines that ran; the SDK (a package under node_modules) must not be in it.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

/** How the package test runs a command (its `run`): label, command, arguments, cwd and environment. */
export type RunStep = (
  label: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
) => Promise<{ readonly stdout: string; readonly stderr: string }>;

/** What the step needs from the package test. */
export interface CoverageStepContext {
  /** The scaffolded project's folder. */
  readonly project: string;
  /** Its module name (build/<module>.wasm). */
  readonly module: string;
  /** The user's environment (system Node and npm, no repository variables). */
  readonly env: NodeJS.ProcessEnv;
  readonly run: RunStep;
}

/**
 * Runs the scaffolded project's emulator test with coverage (`npx vitest run --coverage test/filter.test.ts`) and
 * checks the table and coverage/lcov.info. Call it after `npm test` (Envoy is provisioned and the module built).
 */
export async function coverageStep({ project, module, env, run }: CoverageStepContext): Promise<void> {
  const ran = await run(
    "npx vitest run --coverage (emulator test)",
    "npx",
    ["vitest", "run", "--coverage", "test/filter.test.ts"],
    { cwd: project, env: { ...env, PROXY_WASM_AS_SKIP_ENVOY: "1" } },
  );
  const output = ran.stdout + ran.stderr;
  expect(output).toContain("Coverage report from proxy-wasm-as");
  expect(output).toMatch(/^\s*index\.ts\s*\|/m);
  expect(existsSync(join(project, "build", "coverage", `${module}.wasm`)), "the coverage build").toBe(true);
  const lcov = readFileSync(join(project, "coverage", "lcov.info"), "utf8");
  expect(lcov).toContain("SF:assembly/index.ts\n");
  expect(lcov, "a line of the filter ran").toMatch(/^DA:\d+,[1-9]\d*$/m);
  expect(lcov, "a function of the filter ran").toMatch(/^FNDA:[1-9]\d*,/m);
  expect(lcov, "the SDK is not the user's code").not.toContain("@proxy-wasm-as/sdk");
}
