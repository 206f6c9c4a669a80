// `proxy-wasm-as build --watch` as a user runs it: a real process in a scaffolded project, saved into the way vim,
// JetBrains, sed and mv do, several times in a row, with files deleted and created, a module folder added and a
// broken save in between. Every save must rebuild: the .wasm carries the marker the source holds at that moment.
import { spawn, type ChildProcess } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { saveByMove, saveLikeJetBrains, saveLikeSed, saveLikeVim } from "../builder/test-support.ts";
import { scaffoldProject } from "./init.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
/** One unoptimized rebuild takes 1–3 s; on a loaded shared machine allow far more before calling it lost. */
const REBUILD_TIMEOUT_MS = 60_000;

const parent = mkdtempSync(join(tmpdir(), "pwas-build-watch-"));
const project = join(parent, "watch-me");
const entry = join(project, "assembly", "index.ts");
const output = join(project, "build", "watch-me.wasm");
let template = "";
let child: ChildProcess | undefined;
let log = "";

/** The scaffold's filter plus an exported function whose string literal lands in the module's data. */
const sourceWith = (marker: string) => `${template}\nexport function watchMarker(): string { return "${marker}"; }\n`;
/** AssemblyScript keeps string literals as UTF-16LE. */
const carries = (wasmPath: string, marker: string) => readFileSync(wasmPath).includes(Buffer.from(marker, "utf16le"));

/** Waits until the output after `from` matches `pattern`; returns that part of the output. */
async function outputAfter(from: number, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + REBUILD_TIMEOUT_MS;
  while (!pattern.test(log.slice(from))) {
    if (child?.exitCode !== null) throw new Error(`build --watch exited (${child?.exitCode}):\n${log}`);
    if (Date.now() > deadline)
      throw new Error(`no ${pattern} within ${REBUILD_TIMEOUT_MS / 1000} s:\n${log.slice(from)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return log.slice(from);
}

/** Saves with `save`, then waits for the rebuild it causes to end (a size table or a failure, then "watching"). */
async function rebuildAfter(save: () => void): Promise<string> {
  const from = log.length;
  save();
  return outputAfter(from, /changed: [^\n]*; rebuilding\n[\s\S]*\n(build failed; still )?watching /);
}

beforeAll(async () => {
  scaffoldProject(project);
  symlinkSync(join(REPO, "node_modules"), join(project, "node_modules"), "dir");
  template = readFileSync(entry, "utf8");
  writeFileSync(entry, sourceWith("marker-initial"));
  child = spawn(process.execPath, [MAIN, "build", "--watch", "--fast"], { cwd: project, stdio: "pipe" });
  child.stdout?.on("data", (chunk) => {
    log += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    log += chunk;
  });
  await outputAfter(0, /watching assembly\/, asconfig\.json and package\.json/);
  expect(carries(output, "marker-initial")).toBe(true);
}, REBUILD_TIMEOUT_MS * 2);

afterAll(() => {
  child?.kill("SIGKILL");
  rmSync(parent, { recursive: true, force: true });
});

describe("build --watch", { timeout: REBUILD_TIMEOUT_MS * 4 }, () => {
  test("three vim saves in a row rebuild three times", async () => {
    for (let i = 1; i <= 3; i++) {
      const text = await rebuildAfter(() => saveLikeVim(entry, sourceWith(`marker-vim-${i}`)));
      expect(text).toMatch(/changed: assembly\/index\.ts; rebuilding\ncompiling assembly\/index\.ts \(watch-me\)…/);
      expect(text).toMatch(/build\/watch-me\.wasm\s+\d+\s+\d+\s+built in/);
      expect(carries(output, `marker-vim-${i}`), `after vim save ${i}`).toBe(true);
    }
  });

  test("JetBrains safe write, sed -i and cp + mv (an mtime older than the module) each rebuild", async () => {
    for (const save of [saveLikeJetBrains, saveLikeSed, saveByMove, saveLikeVim]) {
      await rebuildAfter(() => save(entry, sourceWith(`marker-${save.name}`)));
      expect(carries(output, `marker-${save.name}`), save.name).toBe(true);
    }
  });

  test("deleting the entry fails the build and keeps watching; creating it again rebuilds", async () => {
    const failed = await rebuildAfter(() => unlinkSync(entry));
    expect(failed).toMatch(/no filter found in assembly[\s\S]*build failed; still watching assembly\//);
    await rebuildAfter(() => writeFileSync(entry, sourceWith("marker-recreated")));
    expect(carries(output, "marker-recreated")).toBe(true);
  });

  test("a broken save prints asc's error and keeps watching; the fix rebuilds", async () => {
    const broken = await rebuildAfter(() => saveLikeVim(entry, `${sourceWith("marker-broken")}\nlet oops: i32 = ;\n`));
    expect(broken).toMatch(/ERROR[\s\S]*assembly\/index\.ts[\s\S]*build failed; still watching/);
    expect(carries(output, "marker-broken")).toBe(false);
    await rebuildAfter(() => saveLikeVim(entry, sourceWith("marker-fixed")));
    expect(carries(output, "marker-fixed")).toBe(true);
  });

  test("a module folder created under assembly/ is built as its own module", async () => {
    const second = join(project, "assembly", "second", "index.ts");
    const text = await rebuildAfter(() => {
      mkdirSync(join(project, "assembly", "second"));
      writeFileSync(second, sourceWith("marker-second"));
    });
    expect(text).toMatch(/compiling assembly\/second\/index\.ts \(second\)…/);
    expect(carries(join(project, "build", "second.wasm"), "marker-second")).toBe(true);
  });

  test("Ctrl-C stops it with exit code 0", async () => {
    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    child!.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(existsSync(output)).toBe(true);
  });
});
