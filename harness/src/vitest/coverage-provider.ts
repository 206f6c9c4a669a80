// vitest's custom coverage provider module (`coverage.provider: "custom"`, set by the preset): coverage of the
// filter's AssemblyScript source, measured on the emulator. vitest loads this file in two places:
//   - in each test worker: startCoverage() turns measuring on for every module the emulator loads; after each
//     test file, takeCoverage() writes the counts (istanbul coverage data) as JSON into vitest's run-scoped
//     coverage folder and returns the file name;
//   - in the main process: getProvider() (coverage-reporter.ts) merges those files once the run ends and writes
//     the reports (text table, coverage/lcov.info…) and checks `coverage.thresholds`.
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HarnessError } from "../errors.ts";
import { enableCoverage, takeCoverage, unmeasuredModules } from "../emulator/coverage/runtime.ts";
import type { WorkerCoverage } from "./coverage-reporter.ts";
import { type SettingName, settingEnabled } from "../settings.ts";

/**
 * Set to "1" (in the shell, or the config's `test.env`) to also measure AssemblyScript's standard library and
 * packages such as the SDK; by default only the project's own sources count.
 */
export const COVERAGE_LIBRARIES_ENV = "PROXY_WASM_AS_COVERAGE_LIBRARIES" satisfies SettingName;

const provider = {
  /** Main process: the provider that merges, reports and checks thresholds. */
  async getProvider(): Promise<unknown> {
    // Loaded here, not at the top: vitest/node and the report libraries are not needed in test workers.
    const vitestNode: Record<string, unknown> = await import("vitest/node");
    if (!("BaseCoverageProvider" in vitestNode)) {
      throw new HarnessError("the proxy-wasm-as coverage provider needs vitest 5 or newer", {
        hint: "upgrade vitest in your project (`npm install --save-dev vitest@latest`)",
      });
    }
    const { createCoverageProvider } = await import("./coverage-reporter.ts");
    return createCoverageProvider();
  },

  /** Test worker, before its first test file. */
  startCoverage(): void {
    enableCoverage({ includeLibraries: settingEnabled(COVERAGE_LIBRARIES_ENV) });
  },

  /** Test worker, after each test file: the counts since the last call, in a file of vitest's coverage folder. */
  takeCoverage(runtimeOptions?: { coverageFilesDirectory?: string }): string | undefined {
    const payload: WorkerCoverage = { coverage: takeCoverage(), unmeasured: unmeasuredModules({ reset: true }) };
    const directory = runtimeOptions?.coverageFilesDirectory;
    if (!directory || (Object.keys(payload.coverage).length === 0 && payload.unmeasured.length === 0)) return;
    mkdirSync(directory, { recursive: true });
    const file = join(directory, `proxy-wasm-as-${process.pid}-${randomUUID()}.json`);
    writeFileSync(file, JSON.stringify(payload));
    return file;
  },

  /** Test worker, after its last test file. */
  stopCoverage(): void {},
};

export default provider;
