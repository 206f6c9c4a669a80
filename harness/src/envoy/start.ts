// startEnvoy: build the config, launch Envoy with the chosen runner, wait until it is really ready (Wasm
// loaded and configured, listeners bound) or fail at once with Envoy's own words, and hand back a handle
// for traffic and observation.
import { existsSync } from "node:fs";
import {
  httpRequest,
  tcpExchange,
  type HttpRequestOptions,
  type HttpResponse,
  type TcpExchangeOptions,
  type UpstreamEndpoint,
} from "../traffic/index.ts";
import { EnvoyAdmin, diffStats, type StatsSnapshot } from "./admin.ts";
import {
  cluster,
  type ClusterSpec,
  type EnvoyConfigSpec,
  type ListenerSpec,
  type RouteSpec,
  type WasmFilter,
  type WasmServiceSpec,
  renderBootstrapYaml,
  wasmFilesOf,
} from "./config.ts";
import { prepareContainerRunner } from "./container-runner.ts";
import { EnvoyHarnessError, progress } from "./errors.ts";
import { EnvoyLog, isFailureLine, type WasmLogLine } from "./log.ts";
import { prepareProcessRunner } from "./process-runner.ts";
import {
  requestDiagnosingTimeouts,
  type EnvoyRequestTimeoutError,
  type EnvoyWorkerStuckError,
  WORKER_WATCHDOG_STATS,
} from "./request-timeout.ts";
import { startFailure } from "./start-failure.ts";
import type { LaunchedEnvoy, PreparedRunner, RunnerOptions } from "./runner.ts";
import { type RunnerKind, runnerKind } from "./settings.ts";
import { showLogIfTestFails } from "./test-integration.ts";
import { envoyTraps, formatEnvoyTrap, withFunctionNamesForEnvoy, type EnvoyTrap } from "./traps.ts";
import { DEFAULT_CLUSTER } from "../defaults.ts";

/** The listener name used by the `filters` shorthand. */
export const DEFAULT_LISTENER = "ingress";
export { DEFAULT_CLUSTER };

/** Options of {@link startEnvoy}. Use either the shorthand (`filters` + `upstream`) or full `listeners`, or both. */
export interface StartEnvoyOptions extends RunnerOptions {
  /** "process" or "container"; default `$ENVOY_RUNNER`, else "process" (see `runnerKind`). */
  runner?: RunnerKind;
  /** Shorthand: a listener named "ingress" with these filters (all HTTP ⇒ HTTP listener; all network ⇒ TCP listener). */
  filters?: WasmFilter[];
  /** Shorthand: the upstream the "ingress" listener routes to (cluster "upstream"). HTTP listeners without one answer 200 themselves. */
  upstream?: UpstreamEndpoint;
  /** Shorthand: routes of the "ingress" listener tried before the one to `upstream`, e.g. to a canary cluster in `clusters`. */
  routes?: RouteSpec[];
  /** More listeners (full control). */
  listeners?: ListenerSpec[];
  /** Extra clusters, e.g. callout targets: `cluster("auth", authUpstream)` (h2c/gRPC upstreams get HTTP/2). */
  clusters?: ClusterSpec[];
  /** Wasm services (bootstrap extensions). */
  services?: WasmServiceSpec[];
  /** Give up waiting for readiness after this long; default 30 s (a Wasm failure ends the wait at once). */
  readyTimeoutMs?: number;
  /** Do not fail `stop()` when Wasm error/critical lines were logged (for tests that provoke them). */
  allowWasmErrors?: boolean;
  /**
   * Give Envoy the function names the build keeps beside a release module (`build/x.wasm.map`), appended after its
   * code (Envoy runs the same code bytes), so that Envoy prints a trap's in-VM backtrace and the harness tells it
   * in source lines ({@link Envoy.traps}, errors, matcher messages). Default true.
   */
  symbols?: boolean;
}

/** A response from {@link Envoy.request}: the HTTP response, and the traps Envoy's Wasm modules logged so far. */
export interface EnvoyResponse extends HttpResponse {
  /**
   * Traps logged by this Envoy up to now, in source lines (a trapped VM fails every later request without a new
   * line). Not enumerable: comparing responses ignores it.
   */
  readonly wasmTraps: readonly EnvoyTrap[];
}

/** A running, ready Envoy. Stop it with `stop()` or `await using`. */
export interface Envoy extends AsyncDisposable {
  /** Which runner runs it, and from what (binary path or image). */
  readonly runner: RunnerKind;
  readonly source: string;
  /** Version of the running Envoy. */
  readonly version: string;
  /** The bootstrap YAML Envoy was started with. */
  readonly configYaml: string;
  readonly admin: EnvoyAdmin;
  /** Envoy's log so far (grows while it runs). */
  readonly log: EnvoyLog;
  /** Milliseconds from launch to ready. */
  readonly startupMs: number;
  /** Process runner only: Envoy's process id (for its CPU time and memory in /proc); undefined for containers. */
  readonly pid?: number;
  /** Port bound by `listener` (default "ingress"). */
  port(listener?: string): number;
  /** "http://127.0.0.1:<port>" of `listener`. */
  origin(listener?: string): string;
  /**
   * Sends an HTTP request through `listener` (default "ingress"). When a Wasm module trapped, the response's
   * `wasmTraps` tells where in source lines; a request that fails outright throws with the trap in the message.
   * No response within `timeoutMs` (default 10 s) rejects with an {@link EnvoyRequestTimeoutError}; when a worker
   * is stuck in a filter, an {@link EnvoyWorkerStuckError} naming the callback (found by replaying the request on
   * the emulator).
   */
  request(path: string, options?: HttpRequestOptions & { listener?: string }): Promise<EnvoyResponse>;
  /** Writes bytes through a TCP `listener` and returns what came back. */
  tcp(data: string | Uint8Array, options?: TcpExchangeOptions & { listener?: string }): Promise<Buffer>;
  /** Counters and gauges now (`filter`: RE2 regex). */
  stats(filter?: string): Promise<StatsSnapshot>;
  /** Runs `action` and returns how stats changed meanwhile (name → delta). */
  statsDelta(action: () => Promise<unknown>, filter?: string): Promise<Map<string, number>>;
  /** Lines Wasm modules logged (`proxy_log`). */
  wasmLogs(): WasmLogLine[];
  /** Traps of Wasm modules so far, from Envoy's log, with their in-VM backtrace in source lines. */
  traps(): EnvoyTrap[];
  /** Resolves with the first Wasm log line matching `pattern`, waiting up to `timeoutMs` (default 5 s). */
  waitForWasmLog(pattern: RegExp | string, timeoutMs?: number): Promise<WasmLogLine>;
  /** Throws an {@link EnvoyHarnessError} listing Wasm error/critical lines, if any were logged. */
  assertNoWasmErrors(): void;
  /** Stops Envoy; then, unless `allowWasmErrors`, throws if Wasm errors were logged. Idempotent. */
  stop(): Promise<void>;
}

/** Builds the {@link EnvoyConfigSpec} that {@link startEnvoy} would run for `options`. */
export function specFromOptions(options: StartEnvoyOptions): EnvoyConfigSpec {
  const listeners = [...(options.listeners ?? [])];
  const clusters = [...(options.clusters ?? [])];
  if (options.upstream) {
    clusters.unshift(cluster(DEFAULT_CLUSTER, options.upstream));
  }
  if (options.filters || options.upstream) {
    const filters = options.filters ?? [];
    const tcp =
      options.upstream?.protocol === "tcp" || (filters.length > 0 && filters.every((f) => f.kind === "network"));
    listeners.unshift({
      name: DEFAULT_LISTENER,
      protocol: tcp ? "tcp" : "http",
      filters,
      cluster: options.upstream ? DEFAULT_CLUSTER : undefined,
      routes: options.routes,
    });
  }
  if (listeners.length === 0) throw new EnvoyHarnessError("startEnvoy needs `filters`, `upstream` or `listeners`");
  return { listeners, clusters, services: options.services };
}

/** Prepares the runner `options` select (provisioning binary, Docker, image as needed). */
export function prepareRunner(options: StartEnvoyOptions = {}): Promise<PreparedRunner> {
  return runnerKind(options.runner) === "process" ? prepareProcessRunner(options) : prepareContainerRunner(options);
}

/**
 * Starts Envoy for `options` and resolves once it is ready: admin `/ready` LIVE, every listener bound, and
 * the Wasm VMs counted active. A Wasm load/configure failure or an Envoy exit rejects at once with Envoy's
 * relevant log lines ({@link EnvoyHarnessError}); nothing is left running after a failed start.
 */
export async function startEnvoy(options: StartEnvoyOptions): Promise<Envoy> {
  const spec = specFromOptions(options);
  for (const file of wasmFilesOf(spec)) {
    if (!existsSync(file)) {
      throw new EnvoyHarnessError(`Wasm module ${file} does not exist`, {
        hint: `build it first (\`npx proxy-wasm-as build\`) or fix the path (a relative path starts at ${process.cwd()})`,
      });
    }
  }
  const runner = await prepareRunner(options);
  const modules = wasmFilesOf(spec);
  const named = options.symbols === false ? { spec, cleanup: async () => {} } : await withFunctionNamesForEnvoy(spec);
  const configYaml = renderBootstrapYaml(named.spec, {
    envoyVersion: runner.envoyVersion,
    wasmPath: runner.wasmPath,
  });
  const log = new EnvoyLog();
  const launchedAt = performance.now();
  let launched: LaunchedEnvoy;
  let ready: { admin: EnvoyAdmin; ports: Map<string, number> };
  try {
    launched = await runner.launch(configYaml, wasmFilesOf(named.spec), log);
  } catch (err) {
    await named.cleanup();
    throw err;
  }
  try {
    ready = await waitUntilReady(spec, launched, log, options.readyTimeoutMs ?? 30_000, modules);
  } catch (err) {
    await launched.stop();
    await named.cleanup();
    throw err;
  }
  const startupMs = performance.now() - launchedAt;
  await showLogIfTestFails(launched.description, log, () =>
    envoyTraps(log.lines, modules).flatMap((t) => formatEnvoyTrap(t)),
  );
  const stopAndClean: LaunchedEnvoy = { ...launched, stop: () => launched.stop().finally(named.cleanup) };
  // Baseline of the workers' watchdogs: a request that times out later is a stuck worker if they grew.
  const watchdogBaseline = await ready.admin.stats(WORKER_WATCHDOG_STATS).catch(() => new Map<string, number>());
  const observed = { ...ready, spec, watchdogBaseline };
  return makeEnvoy(runner, stopAndClean, log, configYaml, observed, startupMs, options, modules);
}

/** After Envoy's first failure line: how long to wait for the rest of its explanation if it does not exit first. */
const FAILURE_LOG_GRACE_MS = 1500;

async function waitUntilReady(
  spec: EnvoyConfigSpec,
  launched: LaunchedEnvoy,
  log: EnvoyLog,
  timeoutMs: number,
  modules: readonly string[],
) {
  const runtimes = new Set(
    [...spec.listeners.flatMap((l) => l.filters), ...(spec.services ?? [])].map(
      (p) => p.runtime ?? "envoy.wasm.runtime.v8",
    ),
  );
  let settled = false;
  let failureSeen = false;
  const cleanups: (() => void)[] = [];
  const failed = new Promise<never>((_, reject) => {
    // 1. Envoy reports a Wasm (or fatal) failure. Its conclusion ("critical … Plugin X failed to load") follows, and
    // a loaded machine or a container's log stream can delay it: report once a critical line is in, Envoy exited,
    // or FAILURE_LOG_GRACE_MS passed, whichever comes first.
    let reported = false;
    const report = () => {
      if (reported) return;
      reported = true;
      const wasm = log.lines.some((l) => isFailureLine(l) && l.logger === "wasm");
      reject(startFailure(launched, log, wasm ? "wasm" : "fatal", { modules }));
    };
    const unsubscribe = log.onLine((line) => {
      if (!isFailureLine(line)) return;
      if (line.level === "critical") setTimeout(report, 20);
      if (failureSeen) return;
      failureSeen = true;
      void Promise.race([launched.exited.then(() => sleep(50)), sleep(FAILURE_LOG_GRACE_MS)]).then(report);
    });
    cleanups.push(unsubscribe);
    // 2. Envoy exits.
    void launched.exited.then((code) => {
      if (!settled && !failureSeen)
        setTimeout(() => reject(startFailure(launched, log, "exit", { exitCode: code, modules })), 20);
    });
    // 3. Time runs out.
    const timer = setTimeout(() => reject(startFailure(launched, log, "timeout", { timeoutMs, modules })), timeoutMs);
    cleanups.push(() => clearTimeout(timer));
  });
  const poll = (async () => {
    const address = await adminAddress(log, () => settled);
    const admin = new EnvoyAdmin(address);
    const wanted = spec.listeners.map((l) => l.name);
    let nextReport = Date.now() + 5000;
    for (;;) {
      if (settled) throw new Error("cancelled");
      const live = await admin.isLive();
      const ports = live
        ? await admin.listenerPorts().catch(() => new Map<string, number>())
        : new Map<string, number>();
      const missing = wanted.filter((n) => !ports.has(n));
      const vms = live && missing.length === 0 && (await wasmVmsActive(admin, runtimes));
      if (vms && !failureSeen) return { admin, ports };
      if (Date.now() > nextReport) {
        nextReport += 5000;
        progress(
          `still waiting for Envoy (${launched.description}): ${!live ? "/ready is not LIVE" : missing.length ? `listeners not bound: ${missing.join(", ")}` : "Wasm VMs not active"}`,
        );
      }
      await sleep(10);
    }
  })();
  try {
    return await Promise.race([failed, poll]);
  } finally {
    settled = true;
    poll.catch(() => undefined);
    failed.catch(() => undefined);
    for (const c of cleanups) c();
  }
}

async function wasmVmsActive(admin: EnvoyAdmin, runtimes: Set<string>): Promise<boolean> {
  if (runtimes.size === 0) return true;
  const stats = await admin.stats("^wasm\\.").catch(() => new Map<string, number>());
  return [...runtimes].every((r) => (stats.get(`wasm.${r}.active`) ?? 0) > 0);
}

/** Waits for Envoy's "admin address: host:port" log line (the admin port is chosen by the kernel). */
async function adminAddress(log: EnvoyLog, cancelled: () => boolean): Promise<string> {
  const pattern = /admin address: (\S+)/;
  for (;;) {
    for (const line of log.lines) {
      const m = pattern.exec(line.message);
      if (m) return m[1]!;
    }
    if (cancelled()) throw new Error("cancelled");
    await sleep(5);
  }
}

/** How long a request that looks failed by a trap waits for Envoy's trap line (a container's log lags the socket). */
const TRAP_LOG_WAIT_MS = 500;
/** Envoy's answer for a stream whose Wasm VM failed (fail closed): 503 with an empty body (`wasm_fail_stream`). */
const FAILED_VM_STATUS = 503;

/**
 * Sends a request and tells Wasm traps with it: an empty 503 (what Envoy answers for a failed VM) or a failed
 * request waits briefly for Envoy's trap line when none was logged yet; the response carries the traps (`wasmTraps`), a failed request throws
 * with them in its message.
 */
async function requestTellingTraps(
  send: () => Promise<HttpResponse>,
  traps: () => EnvoyTrap[],
): Promise<EnvoyResponse> {
  const awaitTrap = async () => {
    for (const deadline = Date.now() + TRAP_LOG_WAIT_MS; traps().length === 0 && Date.now() < deadline; )
      await sleep(20);
  };
  let response: HttpResponse;
  try {
    response = await send();
  } catch (error) {
    await awaitTrap();
    const told = traps().flatMap((t) => formatEnvoyTrap(t));
    if (told.length === 0) throw error;
    throw new EnvoyHarnessError(`${(error as Error).message}: a Wasm filter trapped in Envoy:\n${told.join("\n")}`, {
      cause: error,
      hint: "fix the code at the first frame of your own source above; Envoy's failure policy decides what the client gets",
    });
  }
  if (response.status === FAILED_VM_STATUS && response.body.length === 0) await awaitTrap();
  return Object.defineProperty(response, "wasmTraps", { get: traps, enumerable: false }) as EnvoyResponse;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function makeEnvoy(
  runner: PreparedRunner,
  launched: LaunchedEnvoy,
  log: EnvoyLog,
  configYaml: string,
  ready: { admin: EnvoyAdmin; ports: Map<string, number>; spec: EnvoyConfigSpec; watchdogBaseline: StatsSnapshot },
  startupMs: number,
  options: StartEnvoyOptions,
  modules: readonly string[],
): Envoy {
  let exited = false;
  void launched.exited.then(() => (exited = true));
  const port = (listener = DEFAULT_LISTENER) => {
    const p = ready.ports.get(listener);
    if (p === undefined)
      throw new EnvoyHarnessError(`no listener named "${listener}"; listeners: ${[...ready.ports.keys()].join(", ")}`);
    return p;
  };
  const origin = (listener?: string) => `http://127.0.0.1:${port(listener)}`;
  const traps = () => envoyTraps(log.lines, modules);
  const assertNoWasmErrors = () => {
    const errors = log.wasmErrors();
    if (errors.length > 0) {
      const told = traps().flatMap((t) => formatEnvoyTrap(t));
      const message = `Envoy logged ${errors.length} Wasm error/critical line(s)${told.length ? `:\n${told.join("\n")}` : ""}`;
      throw new EnvoyHarnessError(message, {
        logLines: errors.map((l) => l.raw),
        hint: "fix the filter, or pass allowWasmErrors: true to startEnvoy if the test provokes them",
      });
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    stopping ??= launched.stop();
    await stopping;
    if (!options.allowWasmErrors) assertNoWasmErrors();
  };
  return {
    runner: runner.kind,
    source: runner.source,
    version: runner.envoyVersion,
    configYaml,
    admin: ready.admin,
    log,
    startupMs,
    pid: launched.pid,
    port,
    origin,
    request: (path, { listener, ...rest } = {}) =>
      requestTellingTraps(
        () =>
          requestDiagnosingTimeouts(
            () => httpRequest(origin(listener), path, rest),
            {
              description: launched.description,
              admin: ready.admin,
              log,
              exited: () => exited,
              listener: ready.spec.listeners.find((l) => l.name === (listener ?? DEFAULT_LISTENER)),
              watchdogBaseline: ready.watchdogBaseline,
            },
            path,
            rest,
          ),
        traps,
      ),
    tcp: (data, { listener, ...rest } = {}) => tcpExchange(port(listener), data, rest),
    stats: (filter) => ready.admin.stats(filter),
    async statsDelta(action, filter) {
      const before = await ready.admin.stats(filter);
      await action();
      return diffStats(before, await ready.admin.stats(filter));
    },
    wasmLogs: () => log.wasmLines(),
    traps,
    async waitForWasmLog(pattern, timeoutMs = 5000) {
      const matches = (l: WasmLogLine) =>
        typeof pattern === "string" ? l.message.includes(pattern) : pattern.test(l.message);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = log.wasmLines().find(matches);
        if (found) return found;
        if (Date.now() > deadline)
          throw new EnvoyHarnessError(`no Wasm log line matching ${pattern} within ${timeoutMs} ms`, {
            logLines: log
              .wasmLines()
              .slice(-10)
              .map((l) => l.raw),
          });
        await sleep(20);
      }
    },
    assertNoWasmErrors,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
