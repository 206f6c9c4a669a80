// Starts one bench Envoy (bench/envoy-config.ts) with the harness's process runner: --concurrency 1, pinned
// to one core with taskset, Wasm logs at "warning" (by default) so nothing is logged per request. Resolves once the
// admin API says LIVE and a request through the proxy listener is answered.
import { EnvoyHarnessError } from "@proxy-wasm-as/harness";
import { EnvoyAdmin, EnvoyLog, prepareRunner } from "@proxy-wasm-as/harness/envoy";
import { freeLoopbackPort } from "@proxy-wasm-as/harness/bench";
import { type BenchFilter, type BenchPorts, renderBenchConfig } from "./envoy-config.ts";

/** A running bench Envoy. */
export interface BenchEnvoy extends AsyncDisposable {
  readonly pid: number;
  readonly ports: BenchPorts;
  readonly admin: EnvoyAdmin;
  readonly log: EnvoyLog;
  /** Version of the Envoy binary (e.g. "1.40.0"). */
  readonly version: string;
  /** Milliseconds from launch to admin /ready LIVE (config loaded: Wasm VMs created and configured). */
  readonly startupMs: number;
  /** "http://127.0.0.1:<proxy port>". */
  readonly origin: string;
  stop(): Promise<void>;
}

/** Options of {@link startBenchEnvoy}. */
export interface BenchEnvoyOptions {
  /** CPUs Envoy may run on (taskset -c), e.g. "0". */
  readonly cpus: string;
  /** Envoy's wasm logger level; default "warning" (nothing logged per request). "trace" logs every call across the VM boundary. */
  readonly wasmLogLevel?: "trace" | "warning";
  /** Give up after this long; default 60 s (Go modules take a while to compile). */
  readonly readyTimeoutMs?: number;
}

/** A loopback port that was free a moment ago (the harness's freeLoopbackPort). */
export const freePort: () => Promise<number> = freeLoopbackPort;

/** Starts Envoy running `filter` and waits until it is ready; throws with Envoy's own lines when it is not. */
export async function startBenchEnvoy(filter: BenchFilter, options: BenchEnvoyOptions): Promise<BenchEnvoy> {
  const runner = await prepareRunner({
    runner: "process",
    concurrency: 1,
    cpus: options.cpus,
    wasmLogLevel: options.wasmLogLevel ?? "warning",
  });
  const ports = { proxy: await freePort(), upstream: await freePort() };
  const log = new EnvoyLog();
  const launchedAt = performance.now();
  const launched = await runner.launch(renderBenchConfig(filter, ports), [], log);
  const fail = async (what: string): Promise<never> => {
    await launched.stop();
    throw new EnvoyHarnessError(
      `bench Envoy (${filter.kind}${filter.kind === "wasm" ? ` ${filter.name}` : ""}) ${what}`,
      { logLines: log.tail(20) },
    );
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let admin: EnvoyAdmin | undefined;
  let startupMs = 0;
  for (;;) {
    if (Date.now() > deadline) return fail("was not ready in time");
    if (log.lines.some((l) => l.level === "critical" || (l.logger === "wasm" && l.level === "error")))
      return fail("failed to start");
    if (!admin) {
      const line = log.lines.find((l) => /admin address: (\S+)/.test(l.message));
      if (line) admin = new EnvoyAdmin(/admin address: (\S+)/.exec(line.message)![1]!);
    } else if (await admin.isLive()) {
      startupMs = performance.now() - launchedAt;
      break;
    }
    if (await Promise.race([launched.exited.then(() => true), sleep(5).then(() => false)]))
      return fail("exited during start");
  }
  const origin = `http://127.0.0.1:${ports.proxy}`;
  const stop = () => launched.stop();
  return {
    pid: launched.pid!,
    ports,
    admin,
    log,
    version: runner.envoyVersion,
    startupMs,
    origin,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
