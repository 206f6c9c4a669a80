// `proxy-wasm-as bench <module.wasm>`: the user's filter against no filter, measured the way the repository's
// benchmark suite measures its own (the statistics are the same code, harness/src/bench). One Envoy (one worker)
// has three listeners: "filtered" (the module), "baseline" (no filter), both routing to "upstream", a direct
// response from the same Envoy, so no Node upstream can be the bottleneck. Rounds interleave the two listeners in a
// balanced order; each ratio is the geometric mean of per-round ratios with a 95 % bootstrap interval, and the
// report warns when there are too few rounds or the interval is too wide to mean anything.
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import {
  type LoadRequest,
  type LoadTool,
  chooseLoadTool,
  freeLoopbackPort,
  generateLoad,
  processCpuMicros,
  roundOrder,
} from "../bench/index.ts";
import { httpWasm, startEnvoy, type Envoy, type RunnerKind } from "../envoy/index.ts";
import { type BenchSample, formatBench, type BenchSetup } from "./bench-report.ts";
import { type Command, parseCommandArgs, PROGRAM } from "./command.ts";
import { CliError } from "./errors.ts";
import { type CliIo, readConfigArgument, step } from "./io.ts";

const DEFAULT_ROUNDS = 10;
const DEFAULT_SECONDS = 2;
const DEFAULT_WARMUP_SECONDS = 1;
const DEFAULT_CONNECTIONS = 16;
/** Bounds keeping a mistyped flag from starting an hours-long or machine-saturating run. */
const MAX_ROUNDS = 200;
const MAX_SECONDS = 300;
const MAX_WARMUP_SECONDS = 60;
const MAX_CONNECTIONS = 1024;
/** A request body larger than this is refused (it is sent on every request, from memory). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** RFC 9110 token: what a method and a header name may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const LISTENERS = ["baseline", "filtered"] as const;
type Listener = (typeof LISTENERS)[number];

/** The `bench` command. */
export const benchCommand: Command = {
  help: `Usage: ${PROGRAM} bench <module.wasm> [options]

Measures what your filter costs: one Envoy (one worker) with two listeners, one with your filter and one
without, both routing to a direct response from the same Envoy. Rounds interleave the two (balanced order);
each ratio filtered/baseline (req/s, Envoy CPU per request, p50, p99) is the geometric mean of the
per-round ratios with its 95 % bootstrap interval. It warns when rounds are too few, an interval is too wide
to mean anything, or Envoy was not kept busy (then req/s measures the machine, not your filter).

Load comes from wrk (installed with apt-get when run as root on Debian/Ubuntu, else you are told how) or,
without wrk, from undici inside this process (it says so, and what that means for the figures).

Options:
  --config <json|@file>   plugin configuration
  --method <method>       request method (default GET)
  --path <path>           request path and query (default /)
  --header 'name: value'  request header; repeat for more (e.g. --header 'origin: https://a.example')
  --body <text|@file>     request body sent with every request
  --rounds <n>            rounds (default ${DEFAULT_ROUNDS}; fewer than 8 gives intervals that understate the noise)
  --seconds <s>           measured seconds per listener per round (default ${DEFAULT_SECONDS})
  --warmup <s>            discarded seconds before each measurement (default ${DEFAULT_WARMUP_SECONDS}; 0 for none)
  --connections <n>       concurrent keep-alive connections (default ${DEFAULT_CONNECTIONS})
  --load <auto|wrk|undici>  load generator (default auto: wrk when installed or installable)
  --runner <process|container>  (default process; Envoy CPU per request needs process)

Example (a CORS preflight):
  ${PROGRAM} bench build/cors.wasm --method OPTIONS --header 'origin: https://a.example' \\
    --header 'access-control-request-method: GET'`,
  async run(argv, io) {
    const { positionals, values } = parseCommandArgs("bench", argv, {
      config: { type: "string" },
      method: { type: "string" },
      path: { type: "string" },
      header: { type: "string", multiple: true },
      body: { type: "string" },
      rounds: { type: "string" },
      seconds: { type: "string" },
      warmup: { type: "string" },
      connections: { type: "string" },
      load: { type: "string" },
      runner: { type: "string" },
    });
    if (values.help) {
      io.print(this.help);
      return 0;
    }
    const wasm = positionals[0];
    if (!wasm || positionals.length > 1)
      throw new CliError("bench needs exactly one .wasm file", {
        hint: `e.g. \`${PROGRAM} bench build/my-filter.wasm\``,
        exitCode: 2,
      });
    if (!existsSync(wasm))
      throw new CliError(`${wasm} does not exist`, { hint: `build it first (\`${PROGRAM} build\`)` });
    const setup = {
      rounds: boundedInteger("--rounds", values.rounds, DEFAULT_ROUNDS, 1, MAX_ROUNDS),
      seconds: boundedInteger("--seconds", values.seconds, DEFAULT_SECONDS, 1, MAX_SECONDS),
      warmupSeconds: boundedInteger("--warmup", values.warmup, DEFAULT_WARMUP_SECONDS, 0, MAX_WARMUP_SECONDS),
      connections: boundedInteger("--connections", values.connections, DEFAULT_CONNECTIONS, 1, MAX_CONNECTIONS),
    };
    const request = parseRequest(values);
    const runner = oneOf("--runner", values.runner ?? "process", ["process", "container"]) as RunnerKind;
    const wantedLoad = oneOf("--load", values.load ?? "auto", ["auto", "wrk", "undici"]) as "auto" | LoadTool;
    const config = await readConfigArgument(values.config);

    const choice = chooseLoadTool(wantedLoad, `${PROGRAM} bench`);
    if (choice.fallback) io.info(`note: ${choice.fallback}`);
    const pinning = runner === "process" ? choice.pinning : undefined;
    const upstreamPort = await freeLoopbackPort();
    const started = step(io, "starting Envoy with a filtered and a baseline listener");
    const envoy = await startEnvoy({
      runner,
      ...(pinning ? { cpus: pinning.envoy } : {}),
      listeners: [
        {
          name: "filtered",
          protocol: "http",
          filters: [httpWasm(wasm, { config, name: basename(wasm, ".wasm") })],
          cluster: "upstream",
        },
        { name: "baseline", protocol: "http", filters: [], cluster: "upstream" },
        { name: "upstream", protocol: "http", filters: [], port: upstreamPort },
      ],
      clusters: [{ name: "upstream", host: "127.0.0.1", port: upstreamPort }],
      allowWasmErrors: true,
    });
    try {
      started(`Envoy ${envoy.version} ready`);
      const statuses = await probe(envoy, request);
      const samples = await measure(envoy, { ...setup, tool: choice.tool, request, loadCpu: pinning?.load }, io);
      const full: BenchSetup = {
        ...setup,
        module: wasm,
        tool: choice.tool,
        fallback: choice.fallback !== undefined,
        request,
        envoyVersion: envoy.version,
        runner,
        envoyCpu: pinning?.envoy,
        loadCpu: choice.tool === "wrk" ? pinning?.load : undefined,
        statuses,
      };
      io.print(formatBench(full, samples));
      return 0;
    } finally {
      await envoy.stop();
    }
  },
};

/** What the run measures with, besides the request. */
interface MeasureSettings {
  readonly rounds: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  readonly tool: LoadTool;
  readonly request: LoadRequest;
  readonly loadCpu?: string;
}

/** Runs the rounds: in each, both listeners in a balanced order, each warmed up and then measured. */
async function measure(envoy: Envoy, plan: MeasureSettings, io: CliIo): Promise<Record<Listener, BenchSample[]>> {
  const samples: Record<Listener, BenchSample[]> = { baseline: [], filtered: [] };
  const settings = { connections: plan.connections, cpus: plan.tool === "wrk" ? plan.loadCpu : undefined };
  const cpu = () => (envoy.pid === undefined ? undefined : processCpuMicros(envoy.pid));
  for (let round = 0; round < plan.rounds; round++) {
    for (const index of roundOrder(LISTENERS.length, round)) {
      const listener = LISTENERS[index]!;
      const url = `${envoy.origin(listener)}/`;
      io.info(
        `round ${round + 1}/${plan.rounds}: ${listener} (${plan.tool}, ${plan.connections} connections, ${plan.warmupSeconds ? `${plan.warmupSeconds} s warm-up + ` : ""}${plan.seconds} s)`,
      );
      if (plan.warmupSeconds > 0)
        await generateLoad(plan.tool, url, { ...settings, durationSeconds: plan.warmupSeconds }, plan.request);
      const before = cpu();
      const startedAt = performance.now();
      const sample = await generateLoad(plan.tool, url, { ...settings, durationSeconds: plan.seconds }, plan.request);
      const wallMicros = (performance.now() - startedAt) * 1000;
      const after = cpu();
      const known = before !== undefined && after !== undefined && sample.requests > 0;
      samples[listener].push({
        ...sample,
        cpuMicrosPerRequest: known ? (after - before) / sample.requests : undefined,
        envoyBusyShare: known ? (after - before) / wallMicros : undefined,
      });
    }
  }
  return samples;
}

/** One request through each listener, so the report can say what the filter answers (and whether it rejects). */
async function probe(envoy: Envoy, request: LoadRequest): Promise<Record<Listener, number>> {
  const statuses = {} as Record<Listener, number>;
  for (const listener of LISTENERS) {
    const response = await envoy.request(request.path ?? "/", {
      listener,
      method: request.method ?? "GET",
      headers: Object.fromEntries(request.headers ?? []),
      body: request.body,
    });
    statuses[listener] = response.status;
  }
  return statuses;
}

function parseRequest(values: { method?: string; path?: string; header?: string[]; body?: string }): LoadRequest {
  const method = values.method ?? "GET";
  if (!TOKEN.test(method))
    throw new CliError(`--method must be an HTTP method such as GET or OPTIONS (got "${method}")`, { exitCode: 2 });
  const path = values.path ?? "/";
  if (!path.startsWith("/") || /\s/.test(path))
    throw new CliError(`--path must start with / and contain no spaces (got "${path}")`, { exitCode: 2 });
  const headers = (values.header ?? []).map((text): [string, string] => {
    const colon = text.indexOf(":");
    const name = colon > 0 ? text.slice(0, colon).trim() : "";
    if (!TOKEN.test(name) || /[\r\n]/.test(text))
      throw new CliError(`--header must be 'name: value' (got "${text}")`, {
        hint: "e.g. --header 'origin: https://a.example' (repeat --header for more headers)",
        exitCode: 2,
      });
    return [name.toLowerCase(), text.slice(colon + 1).trim()];
  });
  let body: string | Uint8Array | undefined = values.body;
  if (body?.startsWith("@")) {
    const file = body.slice(1);
    try {
      body = readFileSync(file);
    } catch (cause) {
      throw new CliError(`cannot read --body file ${file}: ${(cause as Error).message}`, {
        hint: "pass --body @path/to/file or the body text itself",
        cause,
      });
    }
  }
  if (body !== undefined && (typeof body === "string" ? Buffer.byteLength(body) : body.length) > MAX_BODY_BYTES)
    throw new CliError(`--body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`, { exitCode: 2 });
  return { method, path, headers, ...(body !== undefined ? { body } : {}) };
}

function boundedInteger(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new CliError(`${flag} must be an integer from ${min} to ${max} (got "${text}")`, { exitCode: 2 });
  return value;
}

function oneOf(flag: string, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value))
    throw new CliError(`${flag} must be one of ${allowed.join(", ")} (got "${value}")`, { exitCode: 2 });
  return value;
}
