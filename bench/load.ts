// Load from wrk (Debian's /usr/bin/wrk), pinned to its own core with taskset: closed loop, keep-alive
// HTTP/1.1, a fixed number of connections, latency percentiles from wrk's --latency table.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { parseWrkReport } from "@proxy-wasm-as/harness/cli";
import { ensureDebianTools } from "@proxy-wasm-as/harness/envoy";

const run = promisify(execFile);

/** What one wrk run measured. */
export interface LoadResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Responses other than 2xx/3xx plus socket errors: any of these makes the measurement suspect. */
  readonly errors: number;
}

/** How to generate load. */
export interface LoadOptions {
  /** CPUs wrk may run on (taskset -c). */
  readonly cpus: string;
  readonly connections: number;
  /** Rounded to whole seconds (at least 1): wrk takes no fractions. */
  readonly durationSeconds: number;
  /** Request headers sent with every request. */
  readonly headers: Record<string, string>;
  /** A wrk Lua script (path) that makes the requests, e.g. a different token on each (bench/workloads.ts). */
  readonly script?: string;
}

/** Parses wrk's report (run with --latency), with the harness's parser (`proxy-wasm-as bench` reads wrk the same way). */
export const parseWrk: (output: string) => LoadResult = parseWrkReport;

/** The commands the load needs, with the Debian package that has each. */
const LOAD_TOOLS = [
  { command: "wrk", package: "wrk" },
  { command: "taskset", package: "util-linux" },
] as const;

/**
 * Makes sure wrk and taskset are installed before anything is built or started: the harness's
 * `ensureDebianTools` installs the missing ones from Debian when this process is root with apt-get (with
 * progress), else throws with the one-line command to run. The only place the bench provisions system packages.
 */
export function ensureLoadGenerator(): void {
  ensureDebianTools(LOAD_TOOLS, "the bench's load generator (npm run bench)");
}

/** Runs wrk against `url` and returns what it measured. */
export async function generateLoad(url: string, options: LoadOptions): Promise<LoadResult> {
  const headerArgs = Object.entries(options.headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  // wrk takes whole seconds only.
  const seconds = Math.max(1, Math.round(options.durationSeconds));
  const args = [
    "-c",
    options.cpus,
    "wrk",
    "-t1",
    `-c${options.connections}`,
    `-d${seconds}s`,
    "--latency",
    ...(options.script ? ["-s", options.script] : []),
    ...headerArgs,
    url,
  ];
  const { stdout } = await run("taskset", args, { maxBuffer: 1 << 20 });
  return parseWrk(stdout);
}
