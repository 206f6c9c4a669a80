// How the package tests run commands as a user would: outside this repository, with the user's environment (no
// repository Node on PATH, no npm/vitest/harness variables), each step timed, and every failure reported with the
// command's whole output.
import { execFile } from "node:child_process";
import { delimiter } from "node:path";
import { cacheRoot } from "@proxy-wasm-as/harness/envoy";

/** Installing real packages on a shared 2-core machine: generous, nothing here measures speed. */
export const STEP_TIMEOUT_MS = 900_000;

/** The environment a user's shell would have: no repository Node on PATH, no npm/vitest/harness variables. */
export function userEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|NODE_OPTIONS$|NODE_PATH$|VITEST|TEST$|ENVOY_|PROXY_WASM_AS_|INIT_CWD$|TINYPOOL)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter(
      (entry) => !entry.includes(`${delimiter}node_modules`) && !/node_modules[\\/]\.bin|node-gyp-bin/.test(entry),
    )
    .join(delimiter);
  // The shared per-user Envoy cache (the same one this repository's tests use): no second download.
  env.PROXY_WASM_AS_CACHE = cacheRoot();
  env.NO_COLOR = "1";
  env.CI = "1";
  return env;
}

/** What a command printed, how it ended, and how long it took. */
export interface Ran {
  readonly stdout: string;
  readonly stderr: string;
  /** The exit code (0 on success). */
  readonly code: number;
  readonly ms: number;
}

/** Every step's label and duration, printed by {@link printDurations}. */
const timings: [string, number][] = [];

/**
 * Runs `command` (no shell), printing its duration. Throws with its whole output when it exits non-zero, unless
 * `allowFailure` (then the result carries the exit code).
 */
export function run(
  label: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; allowFailure?: boolean },
): Promise<Ran> {
  const started = performance.now();
  process.stderr.write(`[package test] ${label}…\n`);
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      [...args],
      { cwd: options.cwd, env: options.env, maxBuffer: 64 << 20, timeout: STEP_TIMEOUT_MS },
      (error, stdout, stderr) => {
        const ms = performance.now() - started;
        timings.push([label, ms]);
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        process.stderr.write(
          `[package test] ${label}: ${code === 0 ? "ok" : `exit ${code}`} in ${(ms / 1000).toFixed(1)} s\n`,
        );
        if (error && !options.allowFailure)
          reject(
            new Error(
              `${label} failed (${command} ${args.join(" ")}): ${error.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
            ),
          );
        else resolvePromise({ stdout, stderr, code, ms });
      },
    );
  });
}

/** Prints every step's duration on one line (call it in afterAll). */
export function printDurations(): void {
  process.stderr.write(
    `[package test] durations: ${timings.map(([l, ms]) => `${l} ${(ms / 1000).toFixed(1)} s`).join("; ")}\n`,
  );
}
