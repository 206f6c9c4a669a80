// Load from wrk (Debian's /usr/bin/wrk), pinned to its own core with taskset: closed loop, keep-alive
// HTTP/1.1, a fixed number of connections, latency percentiles from wrk's --latency table.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { aptInstall, canAptInstall, hasCommand } from "../harness/src/envoy/apt.ts";
import { EnvoyHarnessError } from "../harness/src/envoy/errors.ts";

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
}

function milliseconds(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!match) throw new Error(`cannot read wrk latency "${text}"`);
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

/** Parses wrk's report (run with --latency). */
export function parseWrk(output: string): LoadResult {
  const number = (pattern: RegExp) => {
    const match = pattern.exec(output);
    return match ? Number(match[1]) : 0;
  };
  const percentile = (p: string) => {
    const match = new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(output);
    if (!match) throw new Error(`wrk printed no ${p}% latency:\n${output}`);
    return milliseconds(match[1]!);
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requests: number(/(\d+) requests in/),
    requestsPerSecond: number(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: percentile("50"),
    p99Ms: percentile("99"),
    errors:
      number(/Non-2xx or 3xx responses: (\d+)/) +
      (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
  };
}

/** The commands the load needs → the Debian package that has each. */
const LOAD_TOOLS: Readonly<Record<string, string>> = { wrk: "wrk", taskset: "util-linux" };

/**
 * Makes sure wrk and taskset are installed before anything is built or started: installs the missing ones from
 * Debian when this process is root with apt-get (apt's progress is printed), else throws with the one-line
 * command to run. The only place the bench installs system packages.
 */
export function ensureLoadGenerator(): void {
  const missing = Object.keys(LOAD_TOOLS).filter((command) => !hasCommand(command));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((command) => LOAD_TOOLS[command]!))];
  if (!canAptInstall()) {
    throw new EnvoyHarnessError(
      `the bench needs ${missing.join(" and ")}, which ${missing.length > 1 ? "are" : "is"} not installed`,
      {
        hint: `install ${packages.join(" ")} (Debian/Ubuntu: sudo apt-get install -y ${packages.join(" ")}; macOS: brew install wrk, and run the bench on Linux for taskset), then run npm run bench again`,
      },
    );
  }
  aptInstall(packages, `the bench's load generator needs ${missing.join(" and ")}`);
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
    ...headerArgs,
    url,
  ];
  const { stdout } = await run("taskset", args, { maxBuffer: 1 << 20 });
  return parseWrk(stdout);
}
