// The vitest preset's coverage, as a filter project runs it: `vitest run --coverage` in a project using
// defineFilterConfig() measures the module on the emulator, prints the table, writes coverage/lcov.info, and a
// missed `coverage.thresholds` entry fails the run with one line saying which. The project is a temporary folder
// holding the coverage fixture's modules (the preset's build step is skipped: the unit tests' global setup built
// them) and this repository's node_modules. test/package does the same from the published packages.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const project = mkdtempSync(join(tmpdir(), "proxy-wasm-as-coverage-preset-"));
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** This process's environment without this vitest run's settings: the child is a vitest run of its own. */
function ownEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("VITEST") && key !== "TEST"));
}

function write(path: string, text: string): void {
  mkdirSync(join(project, path, ".."), { recursive: true });
  writeFileSync(join(project, path), text);
}

function copy(from: string, to: string): void {
  mkdirSync(join(project, to, ".."), { recursive: true });
  copyFileSync(join(ROOT, from), join(project, to));
}

it("vitest run --coverage: table, coverage/lcov.info, and a missed threshold fails the run with one line", () => {
  write("package.json", JSON.stringify({ name: "coverage-preset", private: true, type: "module" }));
  symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"));
  write(
    "vitest.config.ts",
    `import { defineFilterConfig } from "@proxy-wasm-as/harness/vitest";
// The harness of this repository is used from its TypeScript sources (its "source" export condition).
const conditions = ["source", "module", "node", "development|production"];
export default defineFilterConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  environments: { __vitest__: { resolve: { conditions } } },
  test: { coverage: { thresholds: { lines: 50, branches: 90 } } },
});
`,
  );
  write(
    "test/count.test.ts",
    `import { expect, it } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
it("serves /", async () => {
  const emulator = await Emulator.load("build/coverage-count.wasm");
  expect(await emulator.request({ path: "/" }, () => ({ status: 200 }))).toHaveStatus(200);
});
`,
  );
  copy("build/coverage-count.wasm", "build/coverage-count.wasm");
  copy("build/coverage/coverage-count.wasm", "build/coverage/coverage-count.wasm");
  copy("build/coverage/coverage-count.wasm.map", "build/coverage/coverage-count.wasm.map");
  copy("build/coverage/coverage-count.wasm.coverage.json", "build/coverage/coverage-count.wasm.coverage.json");
  // The source map names the fixture by its path in this repository; the project holds it at the same path.
  copy("test/fixtures/coverage-count/index.ts", "test/fixtures/coverage-count/index.ts");

  const run = spawnSync(process.execPath, [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--coverage"], {
    cwd: project,
    encoding: "utf8",
    env: { ...ownEnvironment(), PROXY_WASM_AS_SKIP_BUILD: "1", PROXY_WASM_AS_SKIP_ENVOY: "1", NO_COLOR: "1", CI: "1" },
    timeout: 240_000,
  });
  const output = `${run.stdout}\n${run.stderr}`;
  expect(output, output).toContain("1 passed");
  // one request to "/": 7 of 11 lines, 2 of 4 branches (see coverage-count.test.ts for the hand count)
  const row = output.split("\n").find((line) => /^\s*index\.ts\s*\|/.test(line));
  expect(
    row?.split("|").map((c) => c.trim()),
    output,
  ).toEqual(["index.ts", "63.63", "50", "75", "63.63", "16-17,24-25"]);
  expect(output).toContain("ERROR: Coverage for branches (50%) does not meet global threshold (90%)");
  expect(output).not.toContain("ERROR: Coverage for lines");
  expect(run.status).toBe(1);
  const lcov = readFileSync(join(project, "coverage/lcov.info"), "utf8");
  expect(lcov).toContain("SF:test/fixtures/coverage-count/index.ts\n");
  expect(lcov).toContain("BRDA:15,0,0,0\nBRDA:15,0,1,1\n");
}, 300_000);
