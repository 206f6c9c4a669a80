// Load from wrk (Debian's /usr/bin/wrk), pinned to its own core with taskset: closed loop, keep-alive
// HTTP/1.1, a fixed number of connections, latency percentiles from wrk's --latency table. The wrk runner and its
// report parser are the harness's (`@proxy-wasm-as/harness/bench`, shared with `proxy-wasm-as bench`).
import { type LoadSample, runWrk } from "@proxy-wasm-as/harness/bench";
import { ensureDebianTools } from "@proxy-wasm-as/harness/envoy";

/** What one wrk run measured. */
export type LoadResult = LoadSample;

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
export function generateLoad(url: string, options: LoadOptions): Promise<LoadResult> {
  return runWrk(url, {
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    cpus: options.cpus,
    request: { headers: Object.entries(options.headers) },
    ...(options.script ? { script: options.script } : {}),
  });
}
