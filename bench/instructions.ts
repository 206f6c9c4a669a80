// Instructions per request, counted by valgrind's callgrind in a bench Envoy: a deterministic measure of what a
// variant costs, for development on a shared or noisy machine where throughput and CPU time are not repeatable.
//
//   npm run bench:instructions                                 the jwt workloads (same token, distinct tokens)
//   npm run bench:instructions -- --workloads headers,jwt --requests 400 --warmup 300 --variants none,as
//   npm run bench:instructions -- --extra before=old/jwt-auth.wasm   another build next to ours (before/after)
//
// Each variant runs in its own Envoy (--concurrency 1) under `valgrind --tool=callgrind --separate-threads=yes`,
// started all at once (valgrind is slow: a start takes minutes on a busy machine). Each gets `--warmup` requests
// (V8 compiles and tiers up the module meanwhile), then its counters are zeroed (callgrind_control -z), it serves
// `--requests` requests one after another on one keep-alive connection, and the counters are dumped. The figure
// is the instructions of Envoy's worker thread (the busiest thread of the dump: every request runs there)
// divided by the requests; the main thread's timers (stats flush) are left out. Instructions are not time (cache
// misses, branch mispredictions and the kernel's share are not in them), but they are repeatable to well under
// 1 % and they see every instruction the module, V8 and Envoy execute for a request.
//
// The work is the suite's: bench/workloads.ts (tokens, header edits) and bench/variants.ts (the variants).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { ensureDebianTools, ensureEnvoyBinary } from "@proxy-wasm-as/harness/envoy";
import { freePort } from "./bench-envoy.ts";
import { renderBenchConfig } from "./envoy-config.ts";
import { BENCH_CACHE, type BuiltVariant, VARIANTS, type Workload } from "./variants.ts";
import { JWT_FILTER_CONFIG, requestHeadersOf } from "./workloads.ts";

const run = promisify(execFile);
/** Envoys under valgrind at once. */
const PARALLEL = 2;
/** This run's configurations and callgrind dumps (kept for callgrind_annotate; each run has its own folder). */
const OUT_DIR = join(BENCH_CACHE, "callgrind", new Date().toISOString().replace(/[:.]/g, "-"));
const { values: options } = parseArgs({
  options: {
    workloads: { type: "string", default: "jwt,jwt-distinct" },
    variants: { type: "string" },
    requests: { type: "string", default: "500" },
    warmup: { type: "string", default: "300" },
    "ready-timeout-s": { type: "string", default: "1800" },
    /**
     * More Wasm modules for the chosen jwt workloads, `name=path.wasm`, comma-separated (e.g. jwt-auth before a
     * change): each runs with jwt-auth's bench configuration, next to ours.
     */
    extra: { type: "string" },
  },
});
const workloads = options.workloads.split(",") as Workload[];
const wanted = options.variants?.split(",");
const requests = Number(options.requests);
const warmup = Number(options.warmup);

/** One Envoy under callgrind, serving one variant. */
interface Counted {
  readonly workload: Workload;
  readonly id: string;
  readonly label: string;
  readonly pid: number;
  readonly port: number;
  readonly outPrefix: string;
  readonly exited: Promise<void>;
}

/** Every valgrind started here, stopped when this process exits however it exits. */
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `headersFor(i)` requests one after another on one keep-alive connection; returns the status counts. */
async function sendSequentially(
  port: number,
  count: number,
  headersFor: (i: number) => Record<string, string>,
): Promise<Record<number, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const statuses: Record<number, number> = {};
  try {
    for (let i = 0; i < count; i++) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path: "/", agent, headers: headersFor(i) }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end();
      });
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  } finally {
    agent.destroy();
  }
  return statuses;
}

async function startUnderCallgrind(
  envoy: string,
  workload: Workload,
  id: string,
  label: string,
  built: BuiltVariant,
): Promise<Counted> {
  const ports = { proxy: await freePort(), upstream: await freePort() };
  const config = join(OUT_DIR, `${workload}-${id}.yaml`);
  writeFileSync(config, renderBenchConfig(built.filter, ports));
  const outPrefix = join(OUT_DIR, `${workload}-${id}.cg`);
  const args = [
    "--tool=callgrind",
    "--separate-threads=yes",
    "--dump-instr=no",
    `--callgrind-out-file=${outPrefix}.%p`,
    envoy,
    "-c",
    config,
    "--concurrency",
    "1",
    "-l",
    "warning",
    "--base-id",
    String(ports.proxy),
  ];
  const child = spawn("valgrind", args, { stdio: ["ignore", "ignore", "pipe"] });
  children.add(child);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const deadline = Date.now() + Number(options["ready-timeout-s"]) * 1000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${workload}/${id}: Envoy under valgrind exited:\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${workload}/${id}: not ready in time:\n${stderr}`);
    }
    try {
      await sendSequentially(ports.proxy, 1, () => ({}));
      break;
    } catch {
      await sleep(2000);
    }
  }
  return { workload, id, label, pid: child.pid!, port: ports.proxy, outPrefix, exited };
}

/** Instructions of every thread in the dump files callgrind wrote for `prefix` (one per thread). */
function dumpedThreads(prefix: string, pid: number): number[] {
  const dir = OUT_DIR;
  const base = `${prefix.slice(dir.length + 1)}.${pid}.`;
  const totals: number[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(base)) continue;
    const text = readFileSync(join(dir, name), "utf8");
    const summary = /^summary:\s+(\d+)/m.exec(text);
    if (summary) totals.push(Number(summary[1]));
  }
  return totals;
}

async function measure(counted: Counted): Promise<{ worker: number; all: number; statuses: Record<number, number> }> {
  const headersFor = (i: number) => requestHeadersOf(counted.workload, i);
  await sendSequentially(counted.port, warmup, headersFor);
  await run("callgrind_control", ["-z", String(counted.pid)]);
  const statuses = await sendSequentially(counted.port, requests, (i) => headersFor(warmup + i));
  await run("callgrind_control", ["-d", String(counted.pid)]);
  const threads = dumpedThreads(counted.outPrefix, counted.pid);
  if (threads.length === 0) throw new Error(`${counted.workload}/${counted.id}: callgrind wrote no dump`);
  return {
    worker: Math.max(...threads) / requests,
    all: threads.reduce((a, b) => a + b, 0) / requests,
    statuses,
  };
}

async function main() {
  ensureDebianTools([{ command: "valgrind", package: "valgrind" }], "npm run bench:instructions");
  mkdirSync(OUT_DIR, { recursive: true });
  console.log(`callgrind dumps in ${OUT_DIR}`);
  const envoy = await ensureEnvoyBinary();
  const chosen = VARIANTS.filter((v) => workloads.includes(v.workload) && (!wanted || wanted.includes(v.id)));
  for (const spec of options.extra?.split(",") ?? []) {
    const [name, path] = spec.split("=");
    if (!name || !path) throw new Error(`--extra wants name=path.wasm, got "${spec}"`);
    const wasm = resolve(path);
    for (const workload of workloads.filter((w) => w !== "headers")) {
      chosen.push({
        id: name,
        workload,
        label: `${name} (${path})`,
        build: async () => ({ filter: { kind: "wasm", wasm, name, config: JWT_FILTER_CONFIG } }),
      });
    }
  }
  const todo: Array<{ variant: (typeof chosen)[number]; built: BuiltVariant }> = [];
  for (const variant of chosen) {
    const built = await variant.build();
    if ("skip" in built) console.log(`${variant.workload}/${variant.id}: skipped (${built.skip})`);
    else todo.push({ variant, built });
  }
  const rows: string[] = [];
  const baseline = new Map<Workload, number>();
  // Two at a time (valgrind runs a process on one core; more would only slow every start down).
  for (let i = 0; i < todo.length; i += PARALLEL) {
    const batch = todo.slice(i, i + PARALLEL);
    console.log(`starting ${batch.map((t) => `${t.variant.workload}/${t.variant.id}`).join(", ")} under callgrind …`);
    const started = await Promise.allSettled(
      batch.map((t) => startUnderCallgrind(envoy, t.variant.workload, t.variant.id, t.variant.label, t.built)),
    );
    for (const [k, outcome] of started.entries()) {
      const { variant } = batch[k]!;
      if (outcome.status === "rejected") {
        rows.push(
          `| ${variant.workload} | ${variant.label} | failed: ${(outcome.reason as Error).message.split("\n")[0]} | | | |`,
        );
        console.log(rows.at(-1));
        continue;
      }
      const counted = outcome.value;
      try {
        const result = await measure(counted);
        if (counted.id === "none") baseline.set(counted.workload, result.worker);
        const base = baseline.get(counted.workload);
        const delta = base === undefined || counted.id === "none" ? "" : `+${Math.round(result.worker - base)}`;
        rows.push(
          `| ${counted.workload} | ${counted.label} | ${Math.round(result.worker)} | ${delta} | ${Math.round(result.all)} | ${JSON.stringify(result.statuses)} |`,
        );
        console.log(rows.at(-1));
      } catch (err) {
        rows.push(
          `| ${counted.workload} | ${counted.label} | failed: ${(err as Error).message.split("\n")[0]} | | | |`,
        );
        console.log(rows.at(-1));
      } finally {
        process.kill(counted.pid, "SIGKILL"); // the counts are dumped; its exit dump is not needed
        await counted.exited;
      }
    }
  }
  console.log(
    `\nInstructions per request (callgrind, ${requests} requests after ${warmup} warm-up, one keep-alive connection):\n`,
  );
  console.log("| workload | variant | worker thread | Δ vs no filter | all threads | statuses |");
  console.log("|---|---|---:|---:|---:|---|");
  for (const row of rows) console.log(row);
}

await main();
