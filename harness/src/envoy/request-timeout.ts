// What `envoy.request()` says when Envoy sends no response in time. A bare `TimeoutError` tells nothing; this
// file finds out which of three things happened:
//  - Envoy exited (or its admin is dead too): Envoy's log says why.
//  - A worker is stuck: Envoy's admin (main thread) answers, and a worker's watchdog counted a stall since the
//    start (`server.worker_<n>.watchdog_miss`: Envoy's guard dog counts a worker that did not come back to its
//    event loop within 200 ms; a proxy-wasm callback that loops forever never does). Envoy itself cannot say
//    which callback (V8 is stuck inside it), so the same request is replayed on the emulator with the same
//    module and configuration: its watchdog stops the callback and names it (WasmTimeoutError, with the
//    module's source lines when the build carries them).
//  - Nothing is stuck: the filter paused the request and never resumed it, or the upstream was slow.
import { messageWithoutHint } from "../errors.ts";
import { frameLocation, type SourceFrame } from "../symbols/index.ts";
import type { Emulator as EmulatorClass, EmulatorOptions, FailurePolicy } from "../emulator/index.ts";
import { type HttpRequestOptions, type HttpResponse, HttpTimeoutError } from "../traffic/index.ts";
import type { EnvoyAdmin, StatsSnapshot } from "./admin.ts";
import {
  configurationText,
  type EnvoyFailurePolicy,
  type HttpWasmFilter,
  type ListenerSpec,
  pluginName,
} from "./config.ts";
import { EnvoyHarnessError } from "./errors.ts";
import type { EnvoyLog } from "./log.ts";

/** Admin stats filter (RE2) selecting every worker's watchdog counters. */
export const WORKER_WATCHDOG_STATS = "^server\\.worker_[0-9]+\\.watchdog_(mega_)?miss$";
/** The emulator's deadline for each callback of a replay: far beyond any sane filter callback. */
export const REPLAY_CALLBACK_TIMEOUT_MS = 2_000;
/**
 * Time from sending the request until the watchdog counters are read: Envoy's guard dog checks every 200 ms and
 * counts a miss after 200 ms and a mega miss after 1 s without the worker touching it.
 */
const WATCHDOG_SETTLE_MS = 1_200;

/** What the caller knows about the Envoy and the request that timed out. */
export interface TimeoutContext {
  /** "process 1234" or "container …". */
  readonly description: string;
  readonly admin: EnvoyAdmin;
  readonly log: EnvoyLog;
  /** True once Envoy has exited. */
  readonly exited: () => boolean;
  /** The listener the request went through (its HTTP Wasm filters are replayed). */
  readonly listener: ListenerSpec | undefined;
  /** Worker watchdog counters when Envoy became ready ({@link WORKER_WATCHDOG_STATS}). */
  readonly watchdogBaseline: StatsSnapshot;
  /** `performance.now()` when the request was sent. */
  readonly sentAt: number;
}

/**
 * `envoy.request()` got no response in time. `workerStuck` says whether an Envoy worker was stuck (then the
 * error is an {@link EnvoyWorkerStuckError}); otherwise Envoy was responsive and the request was held elsewhere.
 */
export class EnvoyRequestTimeoutError extends EnvoyHarnessError {
  override readonly name: string = "EnvoyRequestTimeoutError";
  /** e.g. "GET". */
  readonly method: string;
  /** e.g. "/items". */
  readonly path: string;
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number;
  /** True when a worker's watchdog counted a stall: a callback of a filter never returned. */
  readonly workerStuck: boolean;

  constructor(
    message: string,
    request: { method: string; path: string; timeoutMs: number; workerStuck: boolean },
    options: ConstructorParameters<typeof EnvoyHarnessError>[1],
  ) {
    super(message, options);
    this.method = request.method;
    this.path = request.path;
    this.timeoutMs = request.timeoutMs;
    this.workerStuck = request.workerStuck;
  }
}

/**
 * An Envoy worker is stuck in a Wasm filter: a request timed out while Envoy's admin answered and the worker's
 * watchdog counted a stall. `callback` and `replayError` come from replaying the request on the emulator (its
 * WasmTimeoutError names the callback, and the source line when the build has a source map).
 */
export class EnvoyWorkerStuckError extends EnvoyRequestTimeoutError {
  override readonly name = "EnvoyWorkerStuckError";
  /** The plugin whose callback never returned in the replay, e.g. "item-counter". */
  readonly plugin: string | undefined;
  /** The callback that never returned in the replay, e.g. "proxy_on_request_headers". */
  readonly callback: string | undefined;
  /** The emulator's error from the replay (a WasmTimeoutError), when the replay reproduced the hang. */
  readonly replayError: Error | undefined;
  /** Watchdog counters that grew, e.g. ["server.worker_0.watchdog_miss"]. */
  readonly stalledCounters: readonly string[];

  constructor(
    message: string,
    request: { method: string; path: string; timeoutMs: number },
    found: { plugin?: string; callback?: string; replayError?: Error; stalledCounters: readonly string[] },
    options: ConstructorParameters<typeof EnvoyHarnessError>[1],
  ) {
    super(message, { ...request, workerStuck: true }, options);
    this.plugin = found.plugin;
    this.callback = found.callback;
    this.replayError = found.replayError;
    this.stalledCounters = found.stalledCounters;
  }
}

/**
 * Sends one request with `send` (e.g. `httpRequest` to the listener of `context`); a timeout becomes the error
 * {@link diagnoseRequestTimeout} finds (a stuck worker, a held request, a dead Envoy). Other errors pass through.
 */
export async function requestDiagnosingTimeouts(
  send: () => Promise<HttpResponse>,
  context: Omit<TimeoutContext, "sentAt">,
  path: string,
  options: HttpRequestOptions,
): Promise<HttpResponse> {
  const sentAt = performance.now();
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof HttpTimeoutError)) throw error;
    throw await diagnoseRequestTimeout({ ...context, sentAt }, path, options, error);
  }
}

/** The error `envoy.request(path, options)` throws for `timeout`: see the file comment. */
export async function diagnoseRequestTimeout(
  context: TimeoutContext,
  path: string,
  options: HttpRequestOptions,
  timeout: HttpTimeoutError,
): Promise<Error> {
  const request = { method: timeout.method, path, timeoutMs: timeout.timeoutMs };
  const what = `${request.method} ${path} through Envoy (${context.description}) got no response within ${request.timeoutMs} ms`;
  if (context.exited() || !(await context.admin.isLive())) {
    return new EnvoyRequestTimeoutError(
      `${what}, and Envoy ${context.exited() ? "has exited" : "no longer answers on its admin port either"}`,
      { ...request, workerStuck: false },
      {
        logLines: context.log.tail(25),
        hint: "read Envoy's last lines above (a crash, or an overloaded machine)",
        cause: timeout,
      },
    );
  }
  const stalled = await stalledWatchdogCounters(context);
  if (stalled.length === 0) {
    return new EnvoyRequestTimeoutError(
      `${what}; Envoy answers and no worker is stuck (its watchdog counted no stall)`,
      { ...request, workerStuck: false },
      {
        hint: "the request was held, not lost: the filter paused it and never resumed it (a callout that never answered, a missing continue), or the upstream did not answer. Raise timeoutMs if it is legitimately slow",
        cause: timeout,
      },
    );
  }
  const filters = (context.listener?.filters ?? []).filter((f): f is HttpWasmFilter => f.kind === "http");
  const replay = await replayOnEmulator(filters, path, options, timeout);
  const counters = stalled.map((s) => `${s.name} ${s.before} → ${s.after}`).join(", ");
  const head = `Envoy's worker is stuck in a Wasm filter: ${what}, while Envoy's admin still answers and the worker's watchdog counted a stall (${counters})`;
  const found = { stalledCounters: stalled.map((s) => s.name) };
  if (replay.kind === "hang") {
    const { plugin, error } = replay;
    return new EnvoyWorkerStuckError(
      `${head}.\nReplayed on the emulator with plugin "${plugin}" (same module, configuration and request), ${error.exportName} never returned:\n  ${messageWithoutHint(error).split("\n").join("\n  ")}`,
      request,
      { ...found, plugin, callback: error.exportName, replayError: error },
      {
        hint: `find the loop that never ends in ${error.exportName} of "${plugin}" (${userCodeOf(error) ?? "the replay above shows where"}); a stuck worker serves no other request until Envoy restarts`,
        cause: timeout,
      },
    );
  }
  return new EnvoyWorkerStuckError(
    `${head}.\nThe emulator's replay of the same request ${replay.reason}.`,
    request,
    found,
    {
      hint: 'the hang depends on something the replay does not reproduce (state left by earlier requests, shared data, callout answers, the upstream\'s response); run with wasmLogLevel: "trace" to see the last host call before the worker stopped',
      cause: timeout,
    },
  );
}

interface StalledCounter {
  name: string;
  before: number;
  after: number;
}

/** Worker watchdog counters that grew since the start, read once the guard dog had time to count this request's stall. */
async function stalledWatchdogCounters(context: TimeoutContext): Promise<StalledCounter[]> {
  const wait = context.sentAt + WATCHDOG_SETTLE_MS - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const now = await context.admin.stats(WORKER_WATCHDOG_STATS).catch(() => new Map<string, number>());
  return [...now]
    .map(([name, after]) => ({ name, before: context.watchdogBaseline.get(name) ?? 0, after }))
    .filter((c) => c.after > c.before);
}

/**
 * `file:line:column in function` of the innermost frame in the user's own code that an emulator error (trap,
 * timeout) carries, when the module's source map has it.
 */
export function userCodeOf(error: { frames?: readonly SourceFrame[] }): string | undefined {
  const mine = error.frames?.find((f) => f.kind === "user" && f.line !== undefined);
  return mine && `${frameLocation(mine)} in ${mine.function}`;
}

type ReplayOutcome =
  | { kind: "hang"; plugin: string; error: Error & { exportName: string; frames?: readonly SourceFrame[] } }
  | { kind: "no-hang"; reason: string };

const FAILURE_POLICIES: Record<EnvoyFailurePolicy, FailurePolicy> = {
  FAIL_CLOSED: "fail-closed",
  FAIL_OPEN: "fail-open",
  FAIL_RELOAD: "fail-reload",
};

/** The emulator options that load `filter` as Envoy does. */
export function emulatorOptionsFor(filter: HttpWasmFilter, callbackTimeoutMs: number): EmulatorOptions {
  return {
    label: filter.wasm,
    pluginName: pluginName(filter),
    rootId: filter.rootId,
    vmId: filter.vmId,
    pluginConfig: filter.config === undefined ? undefined : configurationText(filter.config),
    vmConfig: filter.vmConfig === undefined ? undefined : configurationText(filter.vmConfig),
    env: filter.env,
    failurePolicy: filter.failurePolicy ? FAILURE_POLICIES[filter.failurePolicy] : undefined,
    allowOnHeadersStopIteration: filter.allowOnHeadersStopIteration,
    callbackTimeoutMs,
  };
}

/**
 * Sends the request that timed out through each HTTP Wasm filter of the listener, one at a time, on the
 * emulator (its upstream answers 200); the first callback that runs past {@link REPLAY_CALLBACK_TIMEOUT_MS} is
 * the stuck one.
 */
async function replayOnEmulator(
  filters: readonly HttpWasmFilter[],
  path: string,
  options: HttpRequestOptions,
  timeout: HttpTimeoutError,
): Promise<ReplayOutcome> {
  if (filters.length === 0) return { kind: "no-hang", reason: "was not made: the listener has no HTTP Wasm filter" };
  const body = replayableBody(options.body);
  if (body === null)
    return { kind: "no-hang", reason: "was not made: the request body was streamed and cannot be sent again" };
  const { Emulator, WasmTimeoutError } = await import("../emulator/index.ts");
  const outcomes: string[] = [];
  for (const filter of filters) {
    const plugin = pluginName(filter);
    let emulator: EmulatorClass;
    try {
      emulator = await Emulator.load(filter.wasm, emulatorOptionsFor(filter, REPLAY_CALLBACK_TIMEOUT_MS));
    } catch (error) {
      outcomes.push(`plugin "${plugin}" did not load on the emulator (${(error as Error).message.split("\n")[0]})`);
      continue;
    }
    try {
      const result = await emulator.request({
        method: timeout.method,
        path,
        authority: new URL(timeout.origin).host,
        headers: options.headers,
        body,
        trailers: options.trailers,
        protocol: options.http2 ? "HTTP/2" : "HTTP/1.1",
      });
      outcomes.push(`plugin "${plugin}" answered ${result.status}`);
    } catch (error) {
      if (error instanceof WasmTimeoutError) return { kind: "hang", plugin, error };
      outcomes.push(`plugin "${plugin}" failed differently: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  return { kind: "no-hang", reason: `did not hang: ${outcomes.join("; ")}` };
}

/** The body again for the replay, or null when it was a stream (already consumed). */
function replayableBody(
  body: HttpRequestOptions["body"],
): string | Uint8Array | (string | Uint8Array)[] | undefined | null {
  if (body === undefined || typeof body === "string" || body instanceof Uint8Array) return body;
  if (Array.isArray(body)) return body as (string | Uint8Array)[];
  return null;
}
