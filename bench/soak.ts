// Soak benchmark (not a test): N requests (default 1,000,000) through jwt-auth, rate-limit with a new client key on
// every request, and body-redact, in one real Envoy (process runner, --concurrency 1), driven by three wrk
// processes with Lua scripts. Every few seconds it prints the requests done, Envoy's RSS, tcmalloc's allocated
// bytes (admin /memory) and the Wasm linear memory of every VM (size and resident part, from /proc/<pid>/smaps),
// then says whether each plateaued: growth over the second half of the run below a threshold.
//   npm run bench:soak                       1,000,000 requests
//   npm run bench:soak -- --requests 60000   a short run
//   npm run bench:soak -- --only rate-limit  one filter alone (comma-separated), to attribute a growth
// The listeners answer without an upstream (Envoy's direct response), so only Envoy and the filters are measured.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { httpWasm, startEnvoy, type Envoy } from "@proxy-wasm-as/harness";
import { listEnvoyProcesses } from "@proxy-wasm-as/harness/envoy";
import { signJwt } from "../filters/jwt-auth/jwt-tokens.ts";
import { filterWasm } from "../filters/test-support/helpers.ts";
import { processRssBytes, wasmMemories } from "./memory.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "1000000" },
    "sample-seconds": { type: "string", default: "5" },
    connections: { type: "string", default: "4" },
    only: { type: "string" },
  },
});
const TOTAL = Number(values.requests);
const SAMPLE_MS = Number(values["sample-seconds"]) * 1000;
const CONNECTIONS = Number(values.connections);
if (!Number.isInteger(TOTAL) || TOTAL < 3000) {
  console.error(`--requests must be an integer ≥ 3000, got ${JSON.stringify(values.requests)}`);
  process.exit(2);
}
/** Growth over the second half of the run, relative to its value at half-time, still called a plateau. */
const PLATEAU_GROWTH = 0.05;
/** …or in absolute terms (a process's RSS moves by a few pages without meaning anything)… */
const PLATEAU_SLACK_BYTES = 2 * 1024 * 1024;
/** …which for Wasm linear memory (a few MiB in all) must be finer: four 64 KiB pages. */
const WASM_PLATEAU_SLACK_BYTES = 4 * 64 * 1024;

const SECRET = "soak-secret-0123456789abcdef0123456789";
const token = signJwt({ sub: "soak", exp: Math.floor(Date.now() / 1000) + 86_400 }, SECRET);
const ALL_LISTENERS = ["jwt-auth", "rate-limit", "body-redact"] as const;
/** `--only rate-limit` (comma-separated) soaks some filters alone: to tell which one a growth belongs to. */
const LISTENERS = values.only ? ALL_LISTENERS.filter((l) => values.only!.split(",").includes(l)) : ALL_LISTENERS;
if (LISTENERS.length === 0) {
  console.error(`--only: no such filter in ${JSON.stringify(values.only)}; choose from ${ALL_LISTENERS.join(", ")}`);
  process.exit(2);
}

/** wrk Lua scripts: each thread stops after its share of requests; rate-limit sends a new x-client-id every time. */
function luaScript(listener: (typeof ALL_LISTENERS)[number], perThread: number): string {
  const stop = `local done = 0\nfunction response(status, headers, body)\n  done = done + 1\n  if done >= ${perThread} then wrk.thread:stop() end\nend\n`;
  switch (listener) {
    case "jwt-auth":
      return `wrk.headers["authorization"] = "Bearer ${token}"\n${stop}`;
    case "rate-limit":
      // A key per request: the worst case for a filter that keeps per-client state.
      return `local n = 0\nlocal id = tostring(math.random(1, 1e9))\nrequest = function()\n  n = n + 1\n  return wrk.format("GET", "/r", { ["x-client-id"] = "client-" .. id .. "-" .. n })\nend\n${stop}`;
    case "body-redact":
      return `wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.body = '{"user":"u","password":"hunter2","items":[{"card":"4111"},{"ssn":"1"}]}'\n${stop}`;
  }
}

interface Sample {
  seconds: number;
  requests: number;
  rssBytes: number;
  allocatedBytes: number;
  wasmBytes: number;
  wasmRssBytes: number;
}

async function sample(envoy: Envoy, pid: number, started: number): Promise<Sample> {
  const stats = await envoy.stats("downstream_rq_total");
  let requests = 0;
  for (const listener of LISTENERS) requests += stats.get(`http.${listener}.downstream_rq_total`) ?? 0;
  const memory = JSON.parse(await envoy.admin.get("/memory")) as { allocated: string };
  const wasm = wasmMemories(pid);
  return {
    seconds: (performance.now() - started) / 1000,
    requests,
    rssBytes: processRssBytes(pid),
    allocatedBytes: Number(memory.allocated),
    wasmBytes: wasm.reduce((sum, m) => sum + m.bytes, 0),
    wasmRssBytes: wasm.reduce((sum, m) => sum + m.rssBytes, 0),
  };
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1).padStart(7);

function plateau(samples: Sample[], key: keyof Sample, slackBytes = PLATEAU_SLACK_BYTES): string {
  const half = samples.find((s) => s.requests >= samples.at(-1)!.requests / 2) ?? samples[0]!;
  const last = samples.at(-1)!;
  const growth = last[key] - half[key];
  const relative = half[key] > 0 ? growth / half[key] : 0;
  const flat = growth <= slackBytes || relative <= PLATEAU_GROWTH;
  return `${flat ? "plateaus" : "GROWS"}: ${mib(half[key]).trim()} MiB at ${half.requests.toLocaleString("en")} requests → ${mib(last[key]).trim()} MiB at ${last.requests.toLocaleString("en")} (${(relative * 100).toFixed(1)} %)`;
}

const envoy = await startEnvoy({
  runner: "process",
  concurrency: 1,
  wasmLogLevel: "warning",
  listeners: [
    {
      name: "jwt-auth",
      protocol: "http" as const,
      filters: [httpWasm(filterWasm("jwt-auth"), { name: "jwt-auth", config: { secret: SECRET } })],
    },
    {
      name: "rate-limit",
      protocol: "http" as const,
      filters: [
        httpWasm(filterWasm("rate-limit"), {
          name: "rate-limit",
          config: { capacity: 100, refillPerSecond: 100, keyHeader: "x-client-id" },
        }),
      ],
    },
    {
      name: "body-redact",
      protocol: "http" as const,
      filters: [
        httpWasm(filterWasm("body-redact"), { name: "body-redact", config: { fields: ["password", "card", "ssn"] } }),
      ],
    },
  ].filter((l) => (LISTENERS as readonly string[]).includes(l.name)),
});
const scripts = mkdtempSync(join(tmpdir(), "soak-lua-"));
try {
  const pid = listEnvoyProcesses(process.pid).find((p) => p.alive)!.envoyPid;
  const perListener = Math.ceil(TOTAL / LISTENERS.length);
  console.log(
    `soak: ${TOTAL.toLocaleString("en")} requests (${perListener.toLocaleString("en")} per filter: ${LISTENERS.join(", ")}), Envoy ${envoy.version} pid ${pid}, --concurrency 1, wrk ${CONNECTIONS} connections each; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  const started = performance.now();
  const samples: Sample[] = [await sample(envoy, pid, started)];
  const header = "   time   requests   req/s   Envoy RSS  tcmalloc alloc  Wasm memory (resident)";
  const line = (s: Sample, previous?: Sample) =>
    `${s.seconds.toFixed(0).padStart(6)}s ${String(s.requests).padStart(10)} ${String(previous ? Math.round((s.requests - previous.requests) / (s.seconds - previous.seconds)) : 0).padStart(7)}  ${mib(s.rssBytes)} MiB  ${mib(s.allocatedBytes)} MiB     ${mib(s.wasmBytes)} MiB (${mib(s.wasmRssBytes).trim()} MiB)`;
  console.log(header);
  console.log(line(samples[0]!));
  const loads = LISTENERS.map((listener) => {
    const path = join(scripts, `${listener}.lua`);
    // One wrk thread per listener; each stops after its share (a response() counter; wrk has no request count).
    writeFileSync(path, luaScript(listener, perListener));
    const wrk = spawn("wrk", ["-t1", `-c${CONNECTIONS}`, "-d3600s", "-s", path, `${envoy.origin(listener)}/`], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    wrk.stdout.on("data", (c: Buffer) => (output += c));
    wrk.stderr.on("data", (c: Buffer) => (output += c));
    return { listener, wrk, output: new Promise<string>((resolve) => wrk.once("close", () => resolve(output))) };
  });
  let finished = false;
  const all = Promise.all(loads.map((l) => l.output)).finally(() => (finished = true));
  while (!finished) {
    await Promise.race([all, new Promise((r) => setTimeout(r, SAMPLE_MS))]);
    const next = await sample(envoy, pid, started);
    console.log(line(next, samples.at(-1)));
    samples.push(next);
    // wrk's thread:stop() ends the sending but wrk itself waits for -d: SIGINT (wrk's own "stop now") once Envoy
    // has counted the listener's share.
    const counts = await envoy.stats("downstream_rq_total");
    for (const load of loads) {
      if ((counts.get(`http.${load.listener}.downstream_rq_total`) ?? 0) >= perListener && load.wrk.exitCode === null)
        load.wrk.kill("SIGINT");
    }
  }
  const outputs = await all;
  const statuses = await envoy.stats("rq_[2-5]xx");
  console.log("\nresponses by listener:");
  for (const listener of LISTENERS) {
    const classes = ["2xx", "4xx", "5xx"].map(
      (c) => `${c} ${(statuses.get(`http.${listener}.downstream_rq_${c}`) ?? 0).toLocaleString("en")}`,
    );
    console.log(`  ${listener.padEnd(12)} ${classes.join("  ")}`);
  }
  const errors = outputs.map((o) => /Socket errors: .*/.exec(o)?.[0]).filter(Boolean);
  if (errors.length) console.log(`wrk: ${errors.join("; ")}`);
  console.log(`\nEnvoy RSS:          ${plateau(samples, "rssBytes")}`);
  console.log(`tcmalloc allocated: ${plateau(samples, "allocatedBytes")}`);
  console.log(`Wasm linear memory: ${plateau(samples, "wasmBytes", WASM_PLATEAU_SLACK_BYTES)}`);
  console.log(`  resident:         ${plateau(samples, "wasmRssBytes", WASM_PLATEAU_SLACK_BYTES)}`);
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} (2 cores shared; rates are not comparable between runs)`,
  );
} finally {
  rmSync(scripts, { recursive: true, force: true });
  await envoy.stop();
}
