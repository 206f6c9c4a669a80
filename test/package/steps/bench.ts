// Package-test step: `npx proxy-wasm-as bench` on the scaffolded project's own filter, as a user runs it, with
// `--header` and tiny durations. It must print every filtered/baseline ratio with its 95 % interval and warn that
// two rounds are too few. (Figures are not asserted: nothing here measures speed.)
import { expect } from "vitest";

/** Runs a command in the user's project and resolves with its output (throws with the output if it fails). */
export type RunInProject = (
  label: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
) => Promise<{ readonly stdout: string; readonly stderr: string }>;

/** "0.912× [0.893–0.931], 2 rounds". */
const RATIO = String.raw`\d+\.\d{3}× \[\d+\.\d{3}–\d+\.\d{3}\], 2 rounds`;

/**
 * `npx proxy-wasm-as bench build/<project>.wasm --header … --path /api` in `project` (already built by `npm test`):
 * exit 0, the header sent, a ratio with its interval for throughput and Envoy CPU per request, and the
 * too-few-rounds warning.
 */
export async function benchScaffoldedFilter(
  run: RunInProject,
  project: string,
  projectName: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const { stdout, stderr } = await run(
    "npx proxy-wasm-as bench --header … (2 short rounds)",
    "npx",
    [
      "proxy-wasm-as",
      "bench",
      `build/${projectName}.wasm`,
      "--header",
      "x-client: package-test",
      "--header",
      "accept: text/plain",
      "--path",
      "/api",
      "--rounds",
      "2",
      "--seconds",
      "1",
      "--warmup",
      "0",
      "--connections",
      "4",
    ],
    { cwd: project, env },
  );
  process.stderr.write(`[package test] proxy-wasm-as bench printed:\n${stdout}\n`);
  const context = `--- stdout\n${stdout}\n--- stderr\n${stderr}`;
  expect(stdout, context).toContain(
    "request: GET /api with x-client, accept; answered 200 with the filter, 200 without",
  );
  expect(stdout, context).toMatch(new RegExp(`^  throughput +${RATIO}$`, "m"));
  expect(stdout, context).toMatch(new RegExp(`^  Envoy CPU per request +${RATIO}$`, "m"));
  expect(stdout, context).toMatch(
    /^warning: only 2 rounds: an interval over fewer than 8 rounds .* use --rounds 10 or more$/m,
  );
}
