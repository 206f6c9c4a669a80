// `proxy-wasm-as bench <module.wasm>`: the user's filter against no filter, as ratios measured in one run. One Envoy
// serves two listeners to one upstream, "filtered" (the module) and "baseline" (no filter); rounds alternate which
// goes first so drift on a shared machine hits both alike, and the ratios come from the summed rounds.
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { cluster, httpWasm, startEnvoy, type RunnerKind } from "../envoy/index.ts";
import { startHttpUpstream, type HttpUpstream } from "../traffic/index.ts";
import { type Command, parseCommandArgs, PROGRAM } from "./command.ts";
import { CliError } from "./errors.ts";
import { type CliIo, readConfigArgument, step } from "./io.ts";
import { generateLoad, loadTool, type LoadSample } from "./load.ts";

const DEFAULT_ROUNDS = 3;
const DEFAULT_SECONDS_PER_ROUND = 3;
const DEFAULT_CONNECTIONS = 16;
/** Requests sent to each listener before measuring (JIT, connection pools). */
const WARMUP_MS = 1000;
/** Bounds keeping a mistyped flag from starting an hours-long or machine-saturating run. */
const MAX_ROUNDS = 50;
const MAX_SECONDS = 300;
const MAX_CONNECTIONS = 1024;

/** The `bench` command. */
export const benchCommand: Command = {
  help: `Usage: ${PROGRAM} bench <module.wasm> [options]

Starts one Envoy with two listeners to the same upstream, one with your filter and one without, and loads
them in alternating rounds (wrk if installed, else an undici loop). Prints req/s, p50 and p99 of each and
the ratios filtered/baseline, all measured in this run.

Options:
  --config <json|@file>   plugin configuration
  --rounds <n>            rounds per listener (default ${DEFAULT_ROUNDS})
  --seconds <s>           seconds per round (default ${DEFAULT_SECONDS_PER_ROUND})
  --connections <n>       concurrent keep-alive connections (default ${DEFAULT_CONNECTIONS})
  --path <path>           request path (default /)
  --runner <process|container>  (default process)`,
  async run(argv, io) {
    const { positionals, values } = parseCommandArgs("bench", argv, {
      config: { type: "string" },
      rounds: { type: "string" },
      seconds: { type: "string" },
      connections: { type: "string" },
      path: { type: "string" },
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
    const rounds = boundedInteger("--rounds", values.rounds, DEFAULT_ROUNDS, MAX_ROUNDS);
    const seconds = boundedInteger("--seconds", values.seconds, DEFAULT_SECONDS_PER_ROUND, MAX_SECONDS);
    const connections = boundedInteger("--connections", values.connections, DEFAULT_CONNECTIONS, MAX_CONNECTIONS);
    const path = values.path ?? "/";
    if (!path.startsWith("/")) throw new CliError(`--path must start with / (got "${path}")`, { exitCode: 2 });
    const config = await readConfigArgument(values.config);
    const tool = await loadTool();

    // try/finally rather than `await using`: this file also runs as TypeScript source on Node 22, whose
    // type stripping does not transform explicit resource management.
    const upstream = await startHttpUpstream({ respond: () => ({ status: 200, body: "ok" }) });
    try {
      const runner = (values.runner ?? "process") as RunnerKind;
      const { filtered, baseline } = await measure(
        { wasm, config, runner, upstream, tool, rounds, seconds, connections, path },
        io,
      );
      io.print(formatBench(basename(wasm), tool, filtered, baseline));
      const errors = filtered.errors + baseline.errors;
      if (errors > 0)
        io.info(
          `warning: ${errors} request(s) failed (non-2xx/3xx or connection errors); the ratios may not mean much`,
        );
      return 0;
    } finally {
      await upstream.close();
    }
  },
};

interface BenchPlan {
  readonly wasm: string;
  readonly config: string | undefined;
  readonly runner: RunnerKind;
  readonly upstream: HttpUpstream;
  readonly tool: "wrk" | "undici";
  readonly rounds: number;
  readonly seconds: number;
  readonly connections: number;
  readonly path: string;
}

/** Starts the two-listener Envoy, warms both listeners, runs the alternating rounds, stops Envoy. */
async function measure(plan: BenchPlan, io: CliIo): Promise<{ filtered: LoadSample; baseline: LoadSample }> {
  const started = step(io, "starting Envoy with a filtered and a baseline listener");
  const envoy = await startEnvoy({
    runner: plan.runner,
    listeners: [
      {
        name: "filtered",
        protocol: "http",
        filters: [httpWasm(plan.wasm, { config: plan.config, name: basename(plan.wasm, ".wasm") })],
        cluster: "upstream",
      },
      { name: "baseline", protocol: "http", filters: [], cluster: "upstream" },
    ],
    clusters: [cluster("upstream", plan.upstream)],
    allowWasmErrors: true,
  });
  try {
    started(`Envoy ${envoy.version} ready`);
    const url = (listener: string) => `${envoy.origin(listener)}${plan.path}`;
    const load = { connections: plan.connections, durationMs: plan.seconds * 1000 };
    for (const listener of ["baseline", "filtered"])
      await generateLoad(plan.tool, url(listener), { ...load, durationMs: WARMUP_MS });
    const samples: Record<"filtered" | "baseline", LoadSample[]> = { filtered: [], baseline: [] };
    for (let round = 0; round < plan.rounds; round++) {
      const order = round % 2 === 0 ? (["baseline", "filtered"] as const) : (["filtered", "baseline"] as const);
      for (const listener of order) {
        io.info(
          `round ${round + 1}/${plan.rounds}: ${listener} (${plan.tool}, ${plan.connections} connections, ${plan.seconds} s)`,
        );
        samples[listener].push(await generateLoad(plan.tool, url(listener), load));
      }
    }
    return { filtered: summarise(samples.filtered), baseline: summarise(samples.baseline) };
  } finally {
    await envoy.stop();
  }
}

function boundedInteger(flag: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new CliError(`${flag} must be an integer from 1 to ${max} (got "${text}")`, { exitCode: 2 });
  return value;
}

/** Sums requests over rounds; latency percentiles are the median of the rounds' percentiles. */
function summarise(samples: readonly LoadSample[]): LoadSample {
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  const requests = samples.reduce((sum, s) => sum + s.requests, 0);
  const secondsTotal = samples.reduce(
    (sum, s) => sum + (s.requestsPerSecond > 0 ? s.requests / s.requestsPerSecond : 0),
    0,
  );
  return {
    requests,
    requestsPerSecond: secondsTotal > 0 ? requests / secondsTotal : 0,
    p50Ms: median(samples.map((s) => s.p50Ms)),
    p99Ms: median(samples.map((s) => s.p99Ms)),
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
  };
}

/** The result table: both listeners and the filtered/baseline ratios. */
export function formatBench(module: string, tool: string, filtered: LoadSample, baseline: LoadSample): string {
  const row = (name: string, s: LoadSample) =>
    `${name.padEnd(10)} ${s.requestsPerSecond.toFixed(0).padStart(10)} ${s.p50Ms.toFixed(3).padStart(9)} ${s.p99Ms.toFixed(3).padStart(9)}`;
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : "n/a");
  return [
    `${module} against no filter (${tool}; same Envoy, same upstream, interleaved rounds)`,
    `${"listener".padEnd(10)} ${"req/s".padStart(10)} ${"p50 ms".padStart(9)} ${"p99 ms".padStart(9)}`,
    row("baseline", baseline),
    row("filtered", filtered),
    `${"ratio".padEnd(10)} ${ratio(filtered.requestsPerSecond, baseline.requestsPerSecond).padStart(10)} ${ratio(filtered.p50Ms, baseline.p50Ms).padStart(9)} ${ratio(filtered.p99Ms, baseline.p99Ms).padStart(9)}`,
    `(ratio = filtered / baseline: req/s below 1× and latency above 1× are the filter's cost)`,
  ].join("\n");
}
