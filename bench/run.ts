// The whole benchmark suite in one command (npm run bench): the same work done every way on one Envoy binary
// with --concurrency 1, measured in one run, reported as ratios to the baseline measured in the same run.
// Method: bench/README.md. Prints figures and targets (met/missed); never asserts.
//
//   npm run bench                  full run (under 15 minutes on 2 cores; most of it is 1 M requests for memory)
//   npm run bench -- --quick       1 short round, 100 k requests for memory: for development
//
// Knobs (environment): BENCH_ROUNDS, BENCH_DURATION_S, BENCH_WARMUP_S, BENCH_CONNECTIONS, BENCH_REQUESTS
// (requests our headers filter serves before its memory is read; default 1 000 000), BENCH_MEMORY_ALL=1 (every
// variant serves BENCH_REQUESTS), BENCH_BUDGET_S (time budget of the whole run, default 840 s: the memory
// phase stops early and says so), BENCH_STARTS (starts per variant for the start time), BENCH_ENVOY_CPU and
// BENCH_LOAD_CPU (cores for Envoy and wrk; default 0 and 1), PROXY_WASM_GO_SDK_DIR (Go variants).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stopAllEnvoys } from "@proxy-wasm-as/harness";
import { type BenchEnvoy, startBenchEnvoy } from "./bench-envoy.ts";
import { generateLoad, type LoadResult } from "./load.ts";
import { processCpuMicros, processRssBytes, wasmMemories } from "./memory.ts";
import { type BenchReport, type TargetResult, type VariantResult, renderChart, renderMarkdown, updateReadme } from "./report.ts";
import { type BuiltVariant, type Variant, VARIANTS, minimalModule } from "./variants.ts";
import { HEADERS_WORKLOAD_REQUEST_HEADERS, JWT_FORWARDED_CLAIM, benchToken } from "./workloads.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const RESULTS_DIR = join(ROOT, "bench/results");
const quick = process.argv.includes("--quick");
const envNumber = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);

/** Settings of this run. */
const settings = {
  rounds: envNumber("BENCH_ROUNDS", quick ? 1 : 6),
  durationSeconds: envNumber("BENCH_DURATION_S", 3),
  warmupSeconds: envNumber("BENCH_WARMUP_S", 1),
  connections: envNumber("BENCH_CONNECTIONS", 16),
  memoryRequests: envNumber("BENCH_REQUESTS", quick ? 100_000 : 1_000_000),
  memoryAll: process.env.BENCH_MEMORY_ALL === "1",
  starts: envNumber("BENCH_STARTS", quick ? 1 : 3),
  /** The memory phase stops early (and says so) when the whole run would exceed this many seconds. */
  budgetSeconds: envNumber("BENCH_BUDGET_S", quick ? 300 : 840),
  envoyCpu: process.env.BENCH_ENVOY_CPU ?? "0",
  loadCpu: process.env.BENCH_LOAD_CPU ?? "1",
};
const MINIMAL_MODULE_LIMIT_BYTES = 8 * 1024;
const startedAt = new Date();
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
const say = (message: string) => console.log(`[bench ${elapsed()}] ${message}`);
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** One measurement: what wrk saw, and the CPU time Envoy spent per request meanwhile. */
interface RoundResult extends LoadResult {
  /** Envoy's CPU time (all threads) per request: independent of how much of its core other work took. */
  readonly cpuMicrosPerRequest: number;
}

/** A variant that built and has an Envoy running it. */
interface Running {
  readonly variant: Variant;
  readonly built: BuiltVariant;
  readonly envoy: BenchEnvoy;
  readonly startups: number[];
  readonly rounds: RoundResult[];
  requestsServed: number;
  wasmMemoryAfterWarmup?: number;
}

function describeMachine(envoyVersion: string): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  const wrk = (() => {
    try {
      return execFileSync("wrk", ["-v"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0]!.trim();
    } catch (err) {
      return String((err as { stdout?: string }).stdout ?? "wrk").split("\n")[0]!.trim();
    }
  })();
  return `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 1024 ** 3)} GiB, Linux ${release()}; Envoy ${envoyVersion} (V8) on core ${settings.envoyCpu}, ${wrk.split(" [")[0]} on core ${settings.loadCpu}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(" ")}`;
}

function requestHeaders(variant: Variant): Record<string, string> {
  return variant.workload === "headers" ? HEADERS_WORKLOAD_REQUEST_HEADERS : { authorization: `Bearer ${token}` };
}

/** Sends one request through `envoy` to /verify and checks the variant did its work; returns a problem or undefined. */
async function verify(variant: Variant, envoy: BenchEnvoy): Promise<string | undefined> {
  const response = await fetch(`${envoy.origin}/verify`, { headers: requestHeaders(variant) });
  await response.arrayBuffer();
  const h = response.headers;
  const expected: Array<[string, string | null]> =
    variant.workload === "jwt"
      ? [[`x-seen-${JWT_FORWARDED_CLAIM.header.replace(/^x-/, "")}`, variant.id === "none" ? null : "user-42"]]
      : variant.id === "none"
        ? [["cache-control", "max-age=60"], ["x-upstream-secret", "s3cret"], ["x-seen-internal", "secret"]]
        : [["cache-control", "no-store"], ["x-bench-filter", "1"], ["x-upstream-secret", null], ["x-seen-internal", null], ["x-seen-bench-env", "prod"], ["x-seen-bench-tag", "filter"]];
  if (response.status !== 200) return `status ${response.status}`;
  const wrong = expected.filter(([name, value]) => h.get(name) !== value).map(([name, value]) => `${name}: wanted ${value ?? "(absent)"}, got ${h.get(name) ?? "(absent)"}`);
  return wrong.length ? wrong.join("; ") : undefined;
}

async function load(running: Running, seconds: number): Promise<RoundResult> {
  const cpuBefore = processCpuMicros(running.envoy.pid);
  const result = await generateLoad(`${running.envoy.origin}/`, {
    cpus: settings.loadCpu,
    connections: settings.connections,
    durationSeconds: seconds,
    headers: requestHeaders(running.variant),
  });
  running.requestsServed += result.requests;
  return { ...result, cpuMicrosPerRequest: (processCpuMicros(running.envoy.pid) - cpuBefore) / Math.max(1, result.requests) };
}

function wasmMemoryTotal(pid: number): { bytes: number; rssBytes: number; vms: number } {
  const memories = wasmMemories(pid);
  return { bytes: memories.reduce((a, m) => a + m.bytes, 0), rssBytes: memories.reduce((a, m) => a + m.rssBytes, 0), vms: memories.length };
}

/** Runs the emulator benchmark (bench/emulator.ts) and returns its figures. */
function emulatorFigures(): Promise<string> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [join(ROOT, "bench/emulator.ts")], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("close", (code) => resolvePromise(code === 0 ? out.trim() : `bench/emulator.ts failed (exit ${code}):\n${out.trim()}`));
  });
}

const token = benchToken();
say(`settings: ${JSON.stringify(settings)}${quick ? " (quick mode)" : ""}`);

// 1. Build every variant.
const built: Array<{ variant: Variant; built?: BuiltVariant; skip?: string }> = [];
for (const variant of VARIANTS) {
  say(`building ${variant.workload}/${variant.id}: ${variant.label}`);
  try {
    const result = await variant.build();
    if ("skip" in result) {
      console.log(`  SKIPPED: ${result.skip}`);
      built.push({ variant, skip: result.skip });
    } else {
      if (result.module) console.log(`  ${result.module.path.slice(ROOT.length + 1)}: ${result.module.rawBytes} bytes, ${result.module.gzipBytes} gzip`);
      built.push({ variant, built: result });
    }
  } catch (err) {
    console.log(`  SKIPPED (build failed): ${(err as Error).message}`);
    built.push({ variant, skip: `build failed: ${(err as Error).message.split("\n")[0]}` });
  }
}
const minimal = await minimalModule();

// 2. Start each variant's Envoy (several times, for the start time), verify it does its work, keep it running.
const running: Running[] = [];
const notes: string[] = [];
let envoyVersion = "?";
try {
  // One discarded start, so that the first variant's start time does not include loading Envoy from disk.
  await (await startBenchEnvoy({ kind: "none" }, { cpus: settings.envoyCpu })).stop();
  for (const entry of built) {
    if (!entry.built) continue;
    const { variant } = entry;
    const startups: number[] = [];
    let envoy: BenchEnvoy | undefined;
    try {
      for (let i = 0; i < settings.starts; i++) {
        await envoy?.stop();
        envoy = await startBenchEnvoy(entry.built.filter, { cpus: settings.envoyCpu });
        startups.push(envoy.startupMs);
      }
      const problem = await verify(variant, envoy!);
      if (problem) throw new Error(`does not do the workload's work: ${problem}`);
    } catch (err) {
      await envoy?.stop();
      const reason = (err as Error).message.split("\n")[0]!;
      console.log(`  ${variant.workload}/${variant.id} SKIPPED: ${reason}`);
      entry.skip = reason;
      continue;
    }
    envoyVersion = envoy!.version;
    say(`${variant.workload}/${variant.id} ready: start → ready median ${median(startups).toFixed(0)} ms over ${startups.length} start(s), verified`);
    running.push({ variant, built: entry.built, envoy: envoy!, startups, rounds: [], requestsServed: 1 });
  }
  const machine = describeMachine(envoyVersion);
  say(`machine: ${machine}`);

  // 3. Rounds: every variant in turn (rotated each round, so drift in the machine's load spreads evenly),
  //    warm-up then measurement.
  for (let round = 0; round < settings.rounds; round++) {
    const order = running.map((_, i) => running[(i + round) % running.length]!);
    for (const r of order) {
      await load(r, settings.warmupSeconds);
      if (r.wasmMemoryAfterWarmup === undefined) r.wasmMemoryAfterWarmup = wasmMemoryTotal(r.envoy.pid).bytes;
      const result = await load(r, settings.durationSeconds);
      r.rounds.push(result);
      say(`round ${round + 1}/${settings.rounds} ${r.variant.workload}/${r.variant.id}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, Envoy CPU ${result.cpuMicrosPerRequest.toFixed(0)} µs/request${result.errors ? `, ${result.errors} ERRORS` : ""}`);
    }
  }

  // 4. Memory after many requests: our headers filter (every variant with BENCH_MEMORY_ALL=1) serves
  //    BENCH_REQUESTS in all, then linear memory and RSS are read.
  for (const r of running) {
    const wanted = settings.memoryAll || (r.variant.workload === "headers" && r.variant.id === "as");
    if (!wanted || r.requestsServed >= settings.memoryRequests) continue;
    const rps = median(r.rounds.map((x) => x.requestsPerSecond)) || 1000;
    say(`${r.variant.workload}/${r.variant.id}: serving up to ${settings.memoryRequests.toLocaleString("en-US")} requests for the memory figures (~${Math.ceil((settings.memoryRequests - r.requestsServed) / rps)} s)`);
    while (r.requestsServed < settings.memoryRequests) {
      // Keep ~40 s for the emulator benchmark and the reports.
      const left = settings.budgetSeconds - 40 - (performance.now() - t0) / 1000;
      if (left < 2) {
        const note = `${r.variant.workload}/${r.variant.id}: the time budget (BENCH_BUDGET_S=${settings.budgetSeconds}) ran out after ${r.requestsServed.toLocaleString("en-US")} of ${settings.memoryRequests.toLocaleString("en-US")} requests; memory figures are at that count.`;
        say(note);
        notes.push(note);
        break;
      }
      const seconds = Math.max(2, Math.min(30, left, Math.ceil((settings.memoryRequests - r.requestsServed) / rps)));
      await load(r, seconds);
      say(`  ${r.requestsServed.toLocaleString("en-US")} requests served, Wasm linear memory ${(wasmMemoryTotal(r.envoy.pid).bytes / 1024).toFixed(0)} KiB`);
    }
  }

  // 5. Figures per variant, ratios against the baseline of the same round.
  const results: VariantResult[] = [];
  const baselineOf = (workload: string) => running.find((r) => r.variant.workload === workload && r.variant.id === "none");
  for (const entry of built) {
    const r = running.find((x) => x.variant === entry.variant);
    if (!r) {
      results.push({ id: entry.variant.id, workload: entry.variant.workload, label: entry.variant.label, skipped: entry.skip ?? "did not run" });
      continue;
    }
    const base = baselineOf(r.variant.workload);
    const perRound = (pick: (x: RoundResult) => number) => (base ? median(r.rounds.map((x, i) => pick(x) / pick(base.rounds[i]!))) : undefined);
    const memory = wasmMemoryTotal(r.envoy.pid);
    results.push({
      id: r.variant.id,
      workload: r.variant.workload,
      label: r.variant.label,
      requestsPerSecond: median(r.rounds.map((x) => x.requestsPerSecond)),
      p50Ms: median(r.rounds.map((x) => x.p50Ms)),
      p99Ms: median(r.rounds.map((x) => x.p99Ms)),
      throughputRatio: perRound((x) => x.requestsPerSecond),
      p50Ratio: perRound((x) => x.p50Ms),
      p99Ratio: perRound((x) => x.p99Ms),
      cpuMicrosPerRequest: median(r.rounds.map((x) => x.cpuMicrosPerRequest)),
      cpuRatio: perRound((x) => x.cpuMicrosPerRequest),
      roundsRps: r.rounds.map((x) => Math.round(x.requestsPerSecond)),
      roundsCpuMicros: r.rounds.map((x) => Math.round(x.cpuMicrosPerRequest)),
      errors: r.rounds.reduce((a, x) => a + x.errors, 0),
      moduleRawBytes: r.built.module?.rawBytes,
      moduleGzipBytes: r.built.module?.gzipBytes,
      startupMs: median(r.startups),
      startupDeltaMs: base ? median(r.startups) - median(base.startups) : undefined,
      wasmMemoryAfterWarmupBytes: r.wasmMemoryAfterWarmup,
      wasmMemoryEndBytes: memory.bytes,
      wasmResidentEndBytes: memory.rssBytes,
      wasmVms: memory.vms,
      envoyRssEndBytes: processRssBytes(r.envoy.pid),
      requestsServed: r.requestsServed,
    });
    if (r.rounds.some((x) => x.errors > 0)) notes.push(`${r.variant.workload}/${r.variant.id}: the load generator saw errors (${r.rounds.map((x) => x.errors).join(", ")} per round); its figures are suspect.`);
  }
  await Promise.all(running.map((r) => r.envoy.stop()));
  running.length = 0;

  // 6. The emulator's callbacks per second (Envoys stopped, so it has a core to itself).
  say("emulator benchmark (bench/emulator.ts) …");
  const emulator = await emulatorFigures();
  console.log(emulator.split("\n").map((l) => `  ${l}`).join("\n"));

  // 7. Targets.
  /** Why a Wasm filter costs what it costs here (from a perf profile of this setup; see bench/README.md). */
  const WASM_HOST_COST_NOTE =
    "Why Wasm targets are missed: every Wasm variant pays Envoy's proxy-wasm host per request (a context created and deleted, five or more calls into V8, one host call per header edit); a perf profile puts the module's own JIT code at ~1–2 % of Envoy's CPU samples, so the SDKs land close together, and against this cheap request path (the upstream is a direct_response in the same Envoy) that fixed cost is large in relative terms. On a shared machine, compare the CPU-per-request figures too.";
  /** Median over rounds of `ours`/`other` in the same round (throughput, and the inverse of CPU per request). */
  const perRoundComparison = (ours: VariantResult, other: VariantResult) => {
    const rps = (ours.roundsRps ?? []).map((v, i) => v / (other.roundsRps?.[i] ?? Number.NaN)).filter((x) => Number.isFinite(x));
    const cpu = (ours.roundsCpuMicros ?? []).map((v, i) => (other.roundsCpuMicros?.[i] ?? Number.NaN) / v).filter((x) => Number.isFinite(x));
    return { throughput: rps.length ? median(rps) : Number.NaN, byCpu: cpu.length ? median(cpu) : Number.NaN, min: Math.min(...rps), max: Math.max(...rps) };
  };
  const find = (workload: string, id: string) => results.find((r) => r.workload === workload && r.id === id && !r.skipped);
  const ours = find("headers", "as");
  let wasmCostExplained = false;
  const compare = (id: string, wanted: number, name: string): TargetResult => {
    const other = find("headers", id);
    if (!ours || !other) return { name, target: `≥ ${wanted.toFixed(2)}×`, measured: "—", met: undefined, why: `${!ours ? "our filter" : id} did not run` };
    const c = perRoundComparison(ours, other);
    const met = c.throughput >= wanted;
    if (!met && (id === "none" || id === "native")) wasmCostExplained = true;
    return {
      name,
      target: `≥ ${wanted.toFixed(2)}× throughput`,
      measured: `${c.throughput.toFixed(3)}× (medians ${ours.requestsPerSecond!.toFixed(0)} vs ${other.requestsPerSecond!.toFixed(0)} req/s); by Envoy CPU per request ${c.byCpu.toFixed(3)}×`,
      met,
      why: met ? undefined : [
        id === "none" || id === "native" ? "the fixed Wasm host cost per request (see Notes in bench/results/latest.md)" : "both SDKs pay the same Envoy host cost; the gap is ours",
        `per-round ratios ${c.min.toFixed(2)}–${c.max.toFixed(2)}${c.max >= wanted ? ", so the target is within this run's noise" : ", below the target in every round"}`,
      ].join("; "),
    };
  };
  const targets: TargetResult[] = [];
  targets.push(compare("none", 0.95, "our headers filter vs no filter"));
  targets.push(compare("go", 1.0, "our headers filter vs Go SDK"));
  targets.push(compare("proxy-runtime", 1.0, "our headers filter vs solo-io proxy-runtime"));
  targets.push(compare("native", 0.9, "our headers filter vs Envoy native header mutation"));
  targets.push({
    name: "minimal module size",
    target: `≤ ${MINIMAL_MODULE_LIMIT_BYTES} bytes`,
    measured: `${minimal.rawBytes} bytes (${minimal.gzipBytes} gzip)`,
    met: minimal.rawBytes <= MINIMAL_MODULE_LIMIT_BYTES,
    why: minimal.rawBytes <= MINIMAL_MODULE_LIMIT_BYTES ? undefined : "the SDK's dispatcher, header marshalling and runtime exceed the budget",
  });
  if (ours?.wasmMemoryAfterWarmupBytes !== undefined && ours.wasmMemoryEndBytes !== undefined) {
    const growth = ours.wasmMemoryEndBytes - ours.wasmMemoryAfterWarmupBytes;
    targets.push({
      name: `linear memory flat after warm-up (our headers filter, ${ours.requestsServed!.toLocaleString("en-US")} requests)`,
      target: "no growth",
      measured: `${(ours.wasmMemoryAfterWarmupBytes / 1024).toFixed(0)} KiB → ${(ours.wasmMemoryEndBytes / 1024).toFixed(0)} KiB over ${ours.wasmVms} VMs`,
      met: growth <= 0,
      why: growth <= 0 ? undefined : `grew by ${(growth / 1024).toFixed(0)} KiB: something allocated per request is not freed`,
    });
  }

  if (wasmCostExplained) notes.unshift(WASM_HOST_COST_NOTE);

  // 8. Outputs.
  const durationSeconds = (performance.now() - t0) / 1000;
  const method = [
    `Method: each variant runs in its own Envoy (one worker, \`--concurrency 1\`, pinned to core ${settings.envoyCpu} with taskset), routing to a direct_response listener in the same Envoy; wrk (1 thread, ${settings.connections} keep-alive connections, pinned to core ${settings.loadCpu}) drives ${settings.rounds} round(s) of ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s measurement per variant, variants interleaved.`,
    `Ratios are medians of per-round ratios to the no-filter baseline of the same round; absolute figures are medians over rounds. Latency ratios above 1 mean slower.`,
  ].join(" ");
  const report: BenchReport = {
    startedAt: startedAt.toISOString().replace(/\.\d+Z$/, "Z"),
    durationSeconds,
    mode: quick ? "quick mode" : "full run",
    machine,
    method,
    results,
    targets,
    minimalModule: { rawBytes: minimal.rawBytes, gzipBytes: minimal.gzipBytes },
    emulator: emulator ? "```\n" + emulator + "\n```" : undefined,
    notes,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, "latest.md"), renderMarkdown(report));
  writeFileSync(join(RESULTS_DIR, "latest.json"), `${JSON.stringify({ settings, ...report }, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, "throughput.svg"), renderChart(results));
  if (!quick) updateReadme(join(ROOT, "README.md"), report);
  console.log(`\n${readFileSync(join(RESULTS_DIR, "latest.md"), "utf8")}`);
  say(`done in ${durationSeconds.toFixed(0)} s: bench/results/latest.md, latest.json, throughput.svg${quick ? " (quick mode: README not updated)" : ", README.md"}`);
} finally {
  await Promise.all(running.map((r) => r.envoy.stop()));
  await stopAllEnvoys();
}
