// The preset's watch mode as a user runs it (`npm run test:watch`): vitest --watch in a scaffolded project, saved
// into the way vim and sed do, the filter deleted and restored, a broken save and its fix. Each re-run must test a
// module rebuilt from the source as it is then (a test in the project checks the marker the source holds), and
// vitest must still be watching after a failed build.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { saveLikeSed, saveLikeVim } from "../builder/test-support.ts";
import { scaffoldProject } from "../cli/init.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const PRESET = fileURLToPath(new URL("./index.ts", import.meta.url));
/** The first run builds the optimized module (30 s and more on a loaded machine); a re-run takes a few seconds. */
const RUN_TIMEOUT_MS = 180_000;

const parent = mkdtempSync(join(tmpdir(), "pwas-vitest-watch-"));
const project = join(parent, "watch-vitest");
const entry = join(project, "assembly", "index.ts");
let template = "";
let child: ChildProcess | undefined;
let log = "";

const sourceWith = (marker: string) => `${template}\nexport function watchMarker(): string { return "${marker}"; }\n`;

/** Waits for the end of the next test run after output offset `from` (green or red); returns its output. */
async function runAfter(from: number): Promise<string> {
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  while (!/(Waiting|Watching) for file changes/.test(log.slice(from))) {
    if (child?.exitCode !== null) throw new Error(`vitest exited (${child?.exitCode}):\n${log.slice(from)}`);
    if (Date.now() > deadline)
      throw new Error(`no test run ended within ${RUN_TIMEOUT_MS / 1000} s:\n${log.slice(from)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return log.slice(from);
}

/** Saves with `save` and returns the output of the test run it causes. */
async function rerunAfter(save: () => void): Promise<string> {
  const from = log.length;
  save();
  return runAfter(from);
}

const green = (run: string) => /Tests\s+\d+ passed/.test(run) && !/failed/.test(run);

beforeAll(async () => {
  scaffoldProject(project);
  symlinkSync(join(REPO, "node_modules"), join(project, "node_modules"), "dir");
  template = readFileSync(entry, "utf8");
  writeFileSync(entry, sourceWith("marker-initial"));
  // The preset from this repository's sources (a user's project gets the same code from the package's dist/).
  const conditions = JSON.stringify(["source", "module", "node", "development|production"]);
  writeFileSync(
    join(project, "vitest.config.ts"),
    `import { defineFilterConfig } from ${JSON.stringify(PRESET)};
const conditions = ${conditions};
export default defineFilterConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  environments: { __vitest__: { resolve: { conditions } } },
});
`,
  );
  writeFileSync(
    join(project, "test", "marker.test.ts"),
    `import { readFileSync } from "node:fs";
import { expect, test } from "vitest";

test("the module under test was built from the source as it is now", () => {
  const marker = /return "(marker-[^"]+)"/.exec(readFileSync("assembly/index.ts", "utf8"))![1]!;
  expect(readFileSync("build/watch-vitest.wasm").includes(Buffer.from(marker, "utf16le")), marker).toBe(true);
});
`,
  );
  const env = { ...process.env, PROXY_WASM_AS_SKIP_ENVOY: "1", NO_COLOR: "1", FORCE_COLOR: "0", CI: "" };
  const vitest = join(REPO, "node_modules", "vitest", "vitest.mjs");
  child = spawn(process.execPath, [vitest, "--watch", "test/filter.test.ts", "test/marker.test.ts"], {
    cwd: project,
    env,
    stdio: "pipe",
  });
  child.stdout?.on("data", (chunk) => {
    log += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    log += chunk;
  });
  const first = await runAfter(0);
  expect(green(first), first).toBe(true);
}, RUN_TIMEOUT_MS);

afterAll(() => {
  child?.kill("SIGKILL");
  rmSync(parent, { recursive: true, force: true });
});

describe("the vitest preset in watch mode", { timeout: RUN_TIMEOUT_MS }, () => {
  test("vim saves twice, then sed -i: each re-run tests the rebuilt module", async () => {
    for (const [save, marker] of [
      [saveLikeVim, "marker-vim-1"],
      [saveLikeVim, "marker-vim-2"],
      [saveLikeSed, "marker-sed"],
    ] as const) {
      const run = await rerunAfter(() => save(entry, sourceWith(marker)));
      expect(run).toMatch(/\[proxy-wasm-as\] built watch-vitest/);
      expect(green(run), `${marker}:\n${run}`).toBe(true);
    }
  });

  test("deleting the filter re-runs and fails with the build error; restoring it turns green", async () => {
    const removed = await rerunAfter(() => unlinkSync(entry));
    expect(removed).toMatch(/\[proxy-wasm-as\] removed assembly\/index\.ts: re-running/);
    expect(removed).toMatch(/no filter found in assembly/);
    expect(removed).toMatch(/still watching/);
    expect(green(removed)).toBe(false);
    const restored = await rerunAfter(() => writeFileSync(entry, sourceWith("marker-restored")));
    expect(green(restored), restored).toBe(true);
  });

  test("a broken save fails the tests with asc's error and vitest keeps watching; the fix turns green", async () => {
    const broken = await rerunAfter(() => saveLikeVim(entry, `${sourceWith("marker-broken")}\nlet oops: i32 = ;\n`));
    expect(broken).toMatch(/the filter did not build, so it was not tested:[\s\S]*ERROR/);
    expect(broken).toMatch(/build failed: [^\n]*still watching/);
    expect(green(broken)).toBe(false);
    const fixed = await rerunAfter(() => saveLikeVim(entry, sourceWith("marker-fixed")));
    expect(green(fixed), fixed).toBe(true);
  });
});
