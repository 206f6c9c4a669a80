// Closed-loop HTTP load for `proxy-wasm-as bench`: wrk when it is installed (fastest, least CPU for the client),
// else a loop of undici requests over keep-alive connections (always available).
// parseWrkReport is public (`@proxy-wasm-as/harness/cli`): the repository's bench/ reads wrk through it too.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Pool } from "undici";

const execFileAsync = promisify(execFile);

/** What one load run measured. */
export interface LoadSample {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Non-2xx/3xx responses plus connection errors. */
  readonly errors: number;
}

/** How to generate load. */
export interface LoadSettings {
  readonly connections: number;
  readonly durationMs: number;
}

/** "wrk" when the wrk binary runs here, else "undici". */
export async function loadTool(): Promise<"wrk" | "undici"> {
  try {
    await execFileAsync("wrk", ["--version"]).catch((error: { stdout?: string }) => {
      // wrk --version prints its banner and exits 1.
      if (!error.stdout?.includes("wrk")) throw error;
    });
    return "wrk";
  } catch {
    return "undici";
  }
}

/** Runs load against `url` with `tool` for `settings.durationMs`. */
export function generateLoad(tool: "wrk" | "undici", url: string, settings: LoadSettings): Promise<LoadSample> {
  return tool === "wrk" ? wrkLoad(url, settings) : undiciLoad(url, settings);
}

function milliseconds(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!match) throw new Error(`cannot read wrk latency "${text}"`);
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

async function wrkLoad(url: string, settings: LoadSettings): Promise<LoadSample> {
  const seconds = Math.max(1, Math.round(settings.durationMs / 1000));
  const { stdout } = await execFileAsync(
    "wrk",
    ["-t1", `-c${settings.connections}`, `-d${seconds}s`, "--latency", url],
    { maxBuffer: 1 << 20 },
  );
  return parseWrkReport(stdout);
}

/**
 * Reads wrk's report (wrk run with `--latency`): requests, req/s, p50/p99 in ms, and errors (non-2xx/3xx responses
 * plus socket errors). Throws when the report has no latency table (wrk failed, or ran without `--latency`).
 */
export function parseWrkReport(output: string): LoadSample {
  const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? 0);
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

/** Latencies kept for percentiles are capped so a long run cannot grow memory without bound. */
const MAX_LATENCY_SAMPLES = 200_000;

async function undiciLoad(url: string, settings: LoadSettings): Promise<LoadSample> {
  const { origin, pathname, search } = new URL(url);
  const pool = new Pool(origin, { connections: settings.connections, pipelining: 1 });
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + settings.durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      try {
        const response = await pool.request({ method: "GET", path: pathname + search });
        await response.body.dump();
        if (response.statusCode >= 400) errors++;
      } catch {
        errors++;
      }
      requests++;
      if (latencies.length < MAX_LATENCY_SAMPLES) latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: settings.connections }, worker));
  const elapsedMs = performance.now() - started;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { requests, requestsPerSecond: (requests * 1000) / elapsedMs, p50Ms: at(0.5), p99Ms: at(0.99), errors };
}
