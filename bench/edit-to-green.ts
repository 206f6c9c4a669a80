// Edit-to-green: in a scaffolded filter project, the time from saving a one-line change to the filter to its
// emulator test result in watch mode (`vitest --watch` with the harness preset, which rebuilds the module before
// each re-run), as a ratio against one cold `asc` compile of the same filter measured in the same run.
// Target: ≤ 2 s on the project's 2-core machines. Prints figures; never asserts.
//
// Run: npm run bench:edit-to-green [-- --edits 5]
// The project is `proxy-wasm-as init`'s scaffold in a temporary folder, using this repository's packages (its
// node_modules is linked to the repository's; the harness is compiled to dist/ first, as it is published). Each edit changes the filter's 403 body to a new marker; an
// extra emulator test reads the marker back from the source and checks the module answers with it, so a green
// result proves the new module ran.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { scaffoldProject } from "@proxy-wasm-as/harness/cli";

const REPO = resolve(fileURLToPath(new URL("..", import.meta.url)));
const { values } = parseArgs({ options: { edits: { type: "string", default: "5" }, keep: { type: "boolean" } } });
const EDITS = Number(values.edits);
/** Give up on one edit after this long (a hung watcher must not hang the bench). */
const EDIT_TIMEOUT_MS = 120_000;
const NODE = process.execPath;

// The scaffold resolves @proxy-wasm-as/harness as a user's project does: the compiled dist/.
execFileSync(NODE, [join(REPO, "harness/scripts/build.ts")], { stdio: "inherit" });

const project = join(mkdtempSync(join(tmpdir(), "pwas-edit-to-green-")), "edit-bench");
scaffoldProject(project);
symlinkSync(join(REPO, "node_modules"), join(project, "node_modules"), "dir");
const filterSource = join(project, "assembly", "index.ts");
const BODY_LINE = /this\.sendLocalResponse\(403, "[^"]*"\);/;
const setMarker = (marker: string) => {
  const text = readFileSync(filterSource, "utf8");
  if (!BODY_LINE.test(text))
    throw new Error(`the scaffold's filter no longer has the line this bench edits (${BODY_LINE})`);
  writeFileSync(filterSource, text.replace(BODY_LINE, `this.sendLocalResponse(403, "forbidden ${marker}\\n");`));
};
setMarker("m0");
writeFileSync(
  join(project, "test", "edit-marker.test.ts"),
  `// Written by bench/edit-to-green.ts: the module answers with the marker the source currently holds.
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness/emulator";

test("the module carries the latest edit", async () => {
  const marker = /forbidden (m\\d+)/.exec(readFileSync("assembly/index.ts", "utf8"))![1];
  const emulator = await Emulator.load("build/edit-bench.wasm");
  const result = await emulator.request({ path: "/admin" }, () => ({ status: 200 }));
  expect(result).toBeLocalReply(403);
  expect(result.body).toBe(\`forbidden \${marker}\\n\`);
});
`,
);

// 1. Baseline: one cold asc compile (a new process, release target, the project's asconfig), as `asc` is run by hand.
const coldStarted = performance.now();
execFileSync(
  NODE,
  [
    join(REPO, "node_modules/assemblyscript/bin/asc.js"),
    "assembly/index.ts",
    "--config",
    "asconfig.json",
    "--target",
    "release",
    "--outFile",
    join(project, "cold.wasm"),
  ],
  { cwd: project, stdio: "inherit" },
);
const coldMs = performance.now() - coldStarted;
console.log(`cold asc compile (release): ${(coldMs / 1000).toFixed(2)} s`);

// 2. vitest in watch mode on the emulator tests; the preset's global setup builds once, then rebuilds per save.
// No NODE_OPTIONS: the repository's --conditions=source would make Node load the harness sources while vitest loads dist/.
const env = { ...process.env, NODE_OPTIONS: "", NO_COLOR: "1", PROXY_WASM_AS_SKIP_ENVOY: "1", FORCE_COLOR: "0" };
const vitest = spawn(
  NODE,
  [join(REPO, "node_modules/vitest/vitest.mjs"), "--watch", "test/filter.test.ts", "test/edit-marker.test.ts"],
  { cwd: project, env, stdio: ["pipe", "pipe", "pipe"] },
);
let output = "";
let waiter: { pattern: RegExp; from: number; resolve: (text: string) => void } | undefined;
const onData = (chunk: Buffer) => {
  output += chunk.toString();
  if (waiter?.pattern.test(output.slice(waiter.from))) {
    const done = waiter;
    waiter = undefined;
    done.resolve(output.slice(done.from));
  }
};
vitest.stdout.on("data", onData);
vitest.stderr.on("data", onData);
/** Resolves with the output since now once it shows vitest's end-of-run line (green or red). */
const nextRunEnd = () =>
  new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no test result within ${EDIT_TIMEOUT_MS / 1000} s:\n${output.slice(-3000)}`)),
      EDIT_TIMEOUT_MS,
    );
    waiter = {
      pattern: /(Waiting|Watching) for file changes/,
      from: output.length,
      resolve: (text) => {
        clearTimeout(timer);
        resolvePromise(text);
      },
    };
  });

const results: { ms: number; green: boolean; compileMs: number }[] = [];
try {
  const first = await nextRunEnd();
  if (!/Tests\s+\d+ passed/.test(first)) throw new Error(`the first run is not green:\n${first}`);
  console.log("first run green (initial build + emulator tests); editing…");
  for (let i = 1; i <= EDITS; i++) {
    const ended = nextRunEnd();
    const saved = performance.now();
    setMarker(`m${i}`);
    const text = await ended;
    const ms = performance.now() - saved;
    const green = /Tests\s+\d+ passed/.test(text) && !/failed/.test(text);
    // The preset's global setup prints how long the rebuild took.
    const compileMs = Number(/built edit-bench \((\d+(?:\.\d+)?) s\)/.exec(text)?.[1] ?? Number.NaN) * 1000;
    results.push({ ms, green, compileMs });
    console.log(
      `edit ${i}: ${green ? "green" : "RED"} after ${(ms / 1000).toFixed(2)} s (of which rebuild ${(compileMs / 1000).toFixed(1)} s)`,
    );
    if (!green) console.log(text);
  }
} finally {
  vitest.kill("SIGTERM");
  if (!values.keep) rmSync(resolve(project, ".."), { recursive: true, force: true });
}

const times = results.map((r) => r.ms).sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] ?? Number.NaN;
console.log("");
console.log(`edit-to-green (save → emulator test result, vitest --watch + preset rebuild), ${results.length} edits`);
console.log(
  `  median ${(median / 1000).toFixed(2)} s   min ${(times[0]! / 1000).toFixed(2)} s   max ${(times.at(-1)! / 1000).toFixed(2)} s   (target ≤ 2 s)`,
);
console.log(
  `  cold asc compile ${(coldMs / 1000).toFixed(2)} s   ratio edit-to-green / cold compile: ${(median / coldMs).toFixed(2)}×`,
);
const compiles = results.map((r) => r.compileMs).sort((a, b) => a - b);
console.log(
  `  of which the unoptimized rebuild: median ${((compiles[Math.floor(compiles.length / 2)] ?? Number.NaN) / 1000).toFixed(2)} s`,
);
console.log(
  `  all green: ${results.every((r) => r.green)}   (machine load average now: ${(await import("node:os")).loadavg()[0]!.toFixed(1)})`,
);
