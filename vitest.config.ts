import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Three projects:
//  - unit:  in-process tests (SDK behaviour on the emulator, emulator rules, packaging, config builder).
//  - envoy: tests that run real Envoy (local processes by default, or containers with ENVOY_RUNNER=container) with real traffic.
//  - package: a user's project from the packed packages only (npm create via a loopback registry; minutes).
// `npm test` runs both; `npm run test:unit` / `npm run test:envoy` run one.
// `npm test` and `npm run test:unit` run with --coverage: the sample filters' AssemblyScript sources, measured on the
// emulator by the harness's coverage provider (the one the vitest preset gives users), end the run with a table
// per filter file and coverage/lcov.info.

// Inside this repository "@proxy-wasm-as/harness" resolves to its TypeScript sources (the package's custom
// "source" export condition), so tests run without building harness/dist first. The rest are Vite's
// default server conditions. Node processes the tests start (fixtures, scripts) resolve the same way through
// NODE_OPTIONS, set here when vitest was not started by npm (whose .npmrc sets node-options=--conditions=source).
const SOURCE_FIRST_CONDITIONS = ["source", "module", "node", "development|production"];
if (!process.env.NODE_OPTIONS?.includes("--conditions=source")) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --conditions=source`.trim();
}

export default defineConfig({
  resolve: { conditions: SOURCE_FIRST_CONDITIONS },
  ssr: { resolve: { conditions: SOURCE_FIRST_CONDITIONS } },
  // Vitest loads global setup files through its own "__vitest__" environment, which has its own resolve options.
  environments: { __vitest__: { resolve: { conditions: SOURCE_FIRST_CONDITIONS } } },
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    globalSetup: ["./test/global-setup.ts"],
    coverage: {
      provider: "custom",
      customProviderModule: fileURLToPath(new URL("./harness/src/vitest/coverage-provider.ts", import.meta.url)),
      reporter: ["text", "lcov"],
      // The sample filters (test fixtures are measured by their own tests, e.g. test/unit/coverage-count.test.ts).
      include: ["filters/**"],
    },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: [
            "sdk/**/*.test.ts",
            "harness/src/**/*.test.ts",
            "filters/**/*.test.ts",
            "test/unit/**/*.test.ts",
            "test/differential/**/*.test.ts",
          ],
          exclude: ["**/*.envoy.test.ts", "**/node_modules/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "envoy",
          include: [
            "filters/**/*.envoy.test.ts",
            "harness/src/**/*.envoy.test.ts",
            "test/envoy/**/*.test.ts",
            "test/differential/**/*.envoy.test.ts",
          ],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: "package",
          include: ["test/package/**/*.test.ts"],
          testTimeout: 3_600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
