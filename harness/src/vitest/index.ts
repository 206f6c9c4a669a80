// @proxy-wasm-as/harness/vitest: the vitest preset for filter projects (see README.md).
//   defineFilterConfig()   vitest config: globalSetup (build + Envoy once), matchers, timeouts, watch triggers
//   filterMatchers         the matchers, for `expect.extend` in a config of your own
//   coverage               `vitest --coverage`: the filter's AssemblyScript source, measured on the emulator
import "../node-check.ts";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, mergeConfig, type ViteUserConfig } from "vitest/config";

export { filterMatchers, type FilterMatchers, type HeaderExpectation } from "./matchers.ts";

/** Per-test timeout: a real-Envoy test starts Envoy (1–5 s on a loaded machine) and sends traffic. */
export const FILTER_TEST_TIMEOUT_MS = 60_000;
/** Hook timeout: hooks may start Envoy or containers. */
export const FILTER_HOOK_TIMEOUT_MS = 120_000;
/** Sources whose change re-runs the tests in watch mode (the global setup rebuilds the module first). */
export const FILTER_SOURCE_TRIGGERS = [
  "**/package.json/**",
  "**/{vitest,vite}.config.*/**",
  "**/assembly/**/*.ts",
  "**/asconfig.json",
];

// Sibling files keep this file's extension: .ts in the repository (source condition), .js in the package.
const sibling = (name: string) =>
  fileURLToPath(new URL(`./${name}${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/**
 * A vitest config for a filter project: builds `assembly/` and provisions Envoy once before the tests (and rebuilds
 * on every save in watch mode), registers the filter matchers, and sets timeouts that fit real-Envoy tests. With
 * `vitest --coverage` (or `test.coverage.enabled`), it measures the filter's AssemblyScript source on the emulator
 * and writes coverage/lcov.info and a text table; `test.coverage.thresholds` fail the run below their percentages.
 * `overrides` is merged on top (arrays are concatenated, so your own setup files run too). Call it in vitest.config.ts.
 */
export function defineFilterConfig(overrides: ViteUserConfig = {}): ViteUserConfig {
  const preset = defineConfig({
    test: {
      globalSetup: [sibling("global-setup")],
      setupFiles: [sibling("setup")],
      testTimeout: FILTER_TEST_TIMEOUT_MS,
      hookTimeout: FILTER_HOOK_TIMEOUT_MS,
      forceRerunTriggers: FILTER_SOURCE_TRIGGERS,
      include: ["test/**/*.test.ts"],
      exclude: ["**/node_modules/**", "build/**"],
      // Off until `--coverage` or `coverage.enabled`; `coverage.thresholds` fail the run as with vitest's providers.
      coverage: {
        provider: "custom",
        customProviderModule: sibling("coverage-provider"),
        reporter: ["text", "lcov"],
      },
    },
  });
  return mergeConfig(preset, overrides);
}
