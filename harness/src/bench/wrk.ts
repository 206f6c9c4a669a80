// wrk (Debian's /usr/bin/wrk, or any wrk 4 on PATH): closed loop, keep-alive HTTP/1.1, a fixed number of
// connections, latency percentiles from its --latency table. Optionally pinned to CPUs with taskset. Imports only
// Node built-ins: `@proxy-wasm-as/harness/cli` re-exports parseWrkReport and must load on any Node.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { HarnessError } from "../errors.ts";

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

/** The request every connection sends, again and again. */
export interface LoadRequest {
  /** Default GET. */
  readonly method?: string;
  /** Path and query, e.g. "/api?x=1"; default the URL's. */
  readonly path?: string;
  /** Request headers as [name, value] pairs (wrk keeps the last value of a repeated name). */
  readonly headers?: readonly (readonly [string, string])[];
  /** Request body (wrk adds its Content-Length). */
  readonly body?: string | Uint8Array;
}

/** How long and how hard. */
export interface LoadSettings {
  readonly connections: number;
  /** Whole seconds for wrk (at least 1; fractions are rounded). */
  readonly durationSeconds: number;
  /** Pin the load generator to these CPUs with `taskset -c` (e.g. "1"); default: not pinned. */
  readonly cpus?: string;
}

/** Options of {@link runWrk}. */
export interface WrkOptions extends LoadSettings {
  readonly request?: LoadRequest;
  /** A wrk Lua script (path) that makes the requests itself; then `request` may only carry headers. */
  readonly script?: string;
}

/** What to do when wrk's report cannot be read. */
const WRK_HINT =
  "run wrk with --latency (the harness does); an old or patched wrk may print another report: wrk 4.x is expected";

function milliseconds(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) throw new HarnessError(`cannot read wrk latency "${text}"`, { hint: WRK_HINT });
  const value = Number(match[1]);
  const unit = match[2];
  return unit === "us" ? value / 1000 : unit === "s" ? value * 1000 : unit === "m" ? value * 60_000 : value;
}

/**
 * Reads wrk's report (wrk run with `--latency`): requests, req/s, p50/p99 in ms, and errors (non-2xx/3xx responses
 * plus socket errors). Throws when the report has no latency table (wrk failed, or ran without `--latency`).
 */
export function parseWrkReport(output: string): LoadSample {
  const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? 0);
  const percentile = (p: string) => {
    const match = new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(output);
    if (!match) throw new HarnessError(`wrk printed no ${p}% latency:\n${output}`, { hint: WRK_HINT });
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

/** `bytes` as a Lua string literal: printable ASCII as is, everything else (and `"`, `\`) as a three-digit decimal escape (so a digit after it is not read as part of it). */
export function luaString(bytes: string | Uint8Array): string {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  let out = '"';
  for (const byte of data)
    out +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\${String(byte).padStart(3, "0")}`;
  return `${out}"`;
}

/** The wrk Lua script that sends `request`'s method and body (headers go on the command line), or undefined for a plain GET. */
export function wrkScript(request: LoadRequest): string | undefined {
  const lines: string[] = [];
  if (request.method && request.method !== "GET") lines.push(`wrk.method = ${luaString(request.method)}`);
  if (request.body !== undefined) lines.push(`wrk.body = ${luaString(request.body)}`);
  return lines.length ? `${lines.join("\n")}\n` : undefined;
}

/** The command (taskset or wrk) and its arguments for `url` with `options`; `scriptPath` is the Lua script to pass. */
export function wrkCommand(url: string, options: WrkOptions, scriptPath?: string): [string, string[]] {
  const target = new URL(url);
  if (options.request?.path) {
    const path = new URL(options.request.path, target);
    target.pathname = path.pathname;
    target.search = path.search;
  }
  const args = [
    "-t1",
    `-c${options.connections}`,
    `-d${Math.max(1, Math.round(options.durationSeconds))}s`,
    "--latency",
    ...(scriptPath ? ["-s", scriptPath] : []),
    ...(options.request?.headers ?? []).flatMap(([name, value]) => ["-H", `${name}: ${value}`]),
    target.href,
  ];
  return options.cpus ? ["taskset", ["-c", options.cpus, "wrk", ...args]] : ["wrk", args];
}

/** Runs wrk against `url` and returns what it measured. Needs wrk (and taskset when `cpus` is set) on PATH. */
export async function runWrk(url: string, options: WrkOptions): Promise<LoadSample> {
  if (options.script && (options.request?.method || options.request?.body !== undefined))
    throw new HarnessError("runWrk was given both a script and a request method or body", {
      hint: "a wrk script makes its own requests: set the method and body in the script, or pass no script",
    });
  const script = options.request ? wrkScript(options.request) : undefined;
  const dir = script ? mkdtempSync(join(tmpdir(), "pwas-wrk-")) : undefined;
  try {
    let scriptPath = options.script;
    if (dir && script) {
      scriptPath = join(dir, "request.lua");
      writeFileSync(scriptPath, script);
    }
    const [command, args] = wrkCommand(url, options, scriptPath);
    const { stdout } = await execFileAsync(command, args, { maxBuffer: 1 << 20 });
    return parseWrkReport(stdout);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
