// The watch layer on a real folder and the real file system: every way editors and tools save is reported, again
// and again (the bug was "the first rename-style save is the last one seen"); temporaries and outputs are not.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { saveByMove, saveLikeJetBrains, saveLikeSed, saveLikeVim } from "./test-support.ts";
import { isBuildInput, watchBuildInputs, type BuildInputChange, type BuildInputWatcher } from "./watch.ts";

/** A save not reported within this long is a lost save (they arrive in ~150 ms plus the debounce). */
const REPORT_TIMEOUT_MS = 5_000;
/** Each test makes up to a dozen saves of ~0.6 s each on a machine that may be loaded. */
const WATCH_TEST_TIMEOUT_MS = 60_000;

const ROOT = mkdtempSync(join(tmpdir(), "pwas-watch-"));
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

describe("isBuildInput", () => {
  const at = (path: string) => join(ROOT, path);
  test.each([
    "assembly/index.ts",
    "assembly/auth/index.ts",
    "assembly/lib/deep/util.ts",
    "assembly/auth/asconfig.json",
    "asconfig.json",
    "package.json",
  ])("%s is an input", (path) => expect(isBuildInput(ROOT, at(path))).toBe(true));
  test.each([
    "assembly/4913",
    "assembly/5036",
    "assembly/.index.ts.swp",
    "assembly/index.ts~",
    "assembly/index.ts___jb_tmp___",
    "assembly/index.ts___jb_old___",
    "assembly/sedAb12Cd",
    "assembly/.#index.ts",
    "assembly/#index.ts#",
    "assembly/.cache/x.ts",
    "assembly/node_modules/x/index.ts",
    "assembly/README.md",
    "build/filter.wasm",
    "test/filter.test.ts",
    "node_modules/@proxy-wasm-as/sdk/index.ts",
    "tsconfig.json",
    "assembly",
  ])("%s is not", (path) => expect(isBuildInput(ROOT, at(path))).toBe(false));
});

describe("watchBuildInputs", { timeout: WATCH_TEST_TIMEOUT_MS }, () => {
  let project = "";
  let source = "";
  let watcher: BuildInputWatcher | undefined;
  let bursts: BuildInputChange[][] = [];
  let waiting: (() => void) | undefined;
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
  });

  const start = async () => {
    project = mkdtempSync(join(ROOT, "project-"));
    source = join(project, "assembly", "index.ts");
    mkdirSync(join(project, "assembly"), { recursive: true });
    mkdirSync(join(project, "build"), { recursive: true });
    writeFileSync(join(project, "package.json"), '{"name":"w"}');
    writeFileSync(join(project, "asconfig.json"), "{}");
    writeFileSync(source, "export const v = 0;\n");
    bursts = [];
    watcher = await watchBuildInputs(project, (changes) => {
      bursts.push(changes);
      waiting?.();
    });
  };
  /** Runs `act`, then waits for the next burst and returns its paths relative to the project, sorted. */
  const burstAfter = async (act: () => void): Promise<string[]> => {
    const before = bursts.length;
    const arrived = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no change reported within ${REPORT_TIMEOUT_MS} ms`)),
        REPORT_TIMEOUT_MS,
      );
      waiting = () => {
        if (bursts.length === before) return;
        clearTimeout(timer);
        resolve();
      };
    });
    act();
    await arrived;
    // Let a straggling event of the same save land in this burst rather than the next one.
    await new Promise((resolve) => setTimeout(resolve, 400));
    return [
      ...new Set(
        bursts
          .slice(before)
          .flat()
          .map((c) => c.path.slice(project.length + 1)),
      ),
    ].sort();
  };

  test("five vim saves in a row: each one is reported, and the temporaries never are", async () => {
    await start();
    for (let i = 1; i <= 5; i++) {
      expect(await burstAfter(() => saveLikeVim(source, `export const v = ${i};\n`))).toEqual(["assembly/index.ts"]);
      expect(readFileSync(source, "utf8")).toBe(`export const v = ${i};\n`);
    }
  });

  test("JetBrains safe write, sed -i, cp + mv with an old mtime, and in-place saves, interleaved, all reported", async () => {
    await start();
    for (let round = 0; round < 2; round++) {
      for (const save of [saveLikeJetBrains, saveLikeSed, saveByMove, saveLikeVim, writeFileSync]) {
        expect(await burstAfter(() => save(source, `// ${save.name} ${round}\n`)), save.name).toEqual([
          "assembly/index.ts",
        ]);
      }
    }
  });

  test("delete and create, new files in new subfolders, deleted folders, asconfig.json and package.json", async () => {
    await start();
    expect(await burstAfter(() => unlinkSync(source))).toEqual(["assembly/index.ts"]);
    expect(await burstAfter(() => writeFileSync(source, "export const v = 2;\n"))).toEqual(["assembly/index.ts"]);
    const nested = join(project, "assembly", "auth", "lib", "keys.ts");
    expect(
      await burstAfter(() => {
        mkdirSync(dirname(nested), { recursive: true });
        writeFileSync(nested, "export const k = 1;\n");
      }),
    ).toEqual(["assembly/auth/lib/keys.ts"]);
    expect(await burstAfter(() => saveLikeVim(nested, "export const k = 2;\n"))).toEqual(["assembly/auth/lib/keys.ts"]);
    expect(await burstAfter(() => rmSync(join(project, "assembly", "auth"), { recursive: true }))).toEqual([
      "assembly/auth/lib/keys.ts",
    ]);
    expect(await burstAfter(() => saveLikeSed(join(project, "asconfig.json"), '{"targets":{}}'))).toEqual([
      "asconfig.json",
    ]);
    expect(await burstAfter(() => saveLikeVim(join(project, "package.json"), '{"name":"w2"}'))).toEqual([
      "package.json",
    ]);
  });

  test("assembly/ removed and restored (a branch switch) keeps being watched", async () => {
    await start();
    const assembly = join(project, "assembly");
    expect(await burstAfter(() => renameSync(assembly, `${assembly}.old`))).toEqual(["assembly/index.ts"]);
    expect(await burstAfter(() => renameSync(`${assembly}.old`, assembly))).toEqual(["assembly/index.ts"]);
    expect(await burstAfter(() => saveLikeVim(source, "export const v = 9;\n"))).toEqual(["assembly/index.ts"]);
  });

  test("outputs, tests and editor temporaries alone make no burst", async () => {
    await start();
    writeFileSync(join(project, "build", "w.wasm"), "x");
    mkdirSync(join(project, "test"), { recursive: true });
    writeFileSync(join(project, "test", "w.test.ts"), "x");
    writeFileSync(join(project, "assembly", "4913"), "");
    writeFileSync(join(project, "assembly", ".index.ts.swp"), "x");
    writeFileSync(join(project, "assembly", "index.ts~"), "x");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(bursts).toEqual([]);
    // …and the watcher still sees a real save afterwards.
    expect(await burstAfter(() => saveLikeVim(source, "export const v = 3;\n"))).toEqual(["assembly/index.ts"]);
  });
});
