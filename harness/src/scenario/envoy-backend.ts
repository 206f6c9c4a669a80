// Runs scenarios in real Envoy. One Envoy serves a whole suite: every scenario gets its own listener, its own
// probe plugin (plugin name and vm_id = the scenario id, so each has its own VM, shared data and queues), its own
// recording upstream and its callout clusters. Scenarios then run one after the other, so every log line Envoy
// prints while a scenario runs belongs to it.
import { connect } from "node:net";
import { httpWasm, networkWasm, cluster, type ClusterSpec, type ListenerSpec } from "../envoy/config.ts";
import { startEnvoy, type Envoy } from "../envoy/start.ts";
import type { RunnerKind } from "../envoy/settings.ts";
import { asWasmLogLine } from "../envoy/log.ts";
import { startHttpUpstream, type HttpUpstream } from "../traffic/http-upstream.ts";
import { startTcpUpstream, type TcpUpstream } from "../traffic/tcp.ts";
import { startGrpcUpstream, type GrpcHandler, type RecordedGrpcCall } from "../traffic/grpc-upstream.ts";
import type { HttpResponse } from "../traffic/http-client.ts";
import {
  CLIENT_TRANSPORT_HEADERS,
  UPSTREAM_TRANSPORT_HEADERS,
  entriesOf,
  headerRecord,
  normaliseEvent,
  normaliseText,
} from "./normalise.ts";
import {
  DEFAULT_UPSTREAM_BODY,
  MAIN_UPSTREAM,
  probeConfig,
  rootIdOf,
  routesOf,
  settleOf,
  upstreamAnswerOf,
  vmConfigOf,
} from "./plugin.ts";
import type { ExchangeObservation, Scenario, ScenarioObservation, ScenarioRequest } from "./types.ts";

/** Options of {@link EnvoySuite.start}. */
export interface EnvoySuiteOptions {
  /** The probe module (build/diff-probe.wasm). */
  readonly wasm: string;
  /** Envoy version (default: `$ENVOY_VERSION`, else the pinned one). */
  readonly version?: string;
  /** Runner (default: `$ENVOY_RUNNER`, else process: the suite starts many VMs and wants the fast path). */
  readonly runner?: RunnerKind;
}

/** The one unary method the gRPC clusters of the Envoy backend serve (scenarios call `grpc <cluster> probe.Echo Call …`). */
export const GRPC_UNARY_METHOD = "/probe.Echo/Call";

/** How long to wait for a probe event that ends an exchange before taking what was logged. */
const SETTLE_TIMEOUT_MS = 3000;

/**
 * "The module's logs have settled" (settle "quiet", for modules that log no `on_delete`): no new line of the
 * scenario's plugin for this long after the client has its answer. Envoy runs on_log/on_done/on_delete right after
 * the response is written, within a millisecond or two on a quiet machine; this leaves room for a loaded one.
 */
export const QUIET_MS = 150;

/** One line a scenario's plugin logged in Envoy, with Envoy's level name. */
export interface ScenarioLogLine {
  readonly level: string;
  readonly message: string;
}

/** A running Envoy serving a suite of scenarios. */
export class EnvoySuite implements AsyncDisposable {
  /** The running Envoy (log, admin, version). */
  readonly envoy: Envoy;
  readonly #upstreams: Map<string, HttpUpstream | TcpUpstream>;
  /** Scenario id → its extra upstreams reached through routes. */
  readonly #routeUpstreams: Map<string, HttpUpstream[]>;
  readonly #closers: (() => Promise<void>)[];
  /** Envoy's log length once it was ready: lines before it are start-up lines. */
  readonly #startupLines: number;

  private constructor(
    envoy: Envoy,
    upstreams: Map<string, HttpUpstream | TcpUpstream>,
    routeUpstreams: Map<string, HttpUpstream[]>,
    closers: (() => Promise<void>)[],
  ) {
    this.envoy = envoy;
    this.#upstreams = upstreams;
    this.#routeUpstreams = routeUpstreams;
    this.#closers = closers;
    this.#startupLines = envoy.log.lines.length;
  }

  /** What `scenario`'s plugin logged while Envoy started (on_configure of the canary and worker VMs). */
  startupEvents(scenario: Scenario): string[] {
    return this.#events(scenario, 0, this.#startupLines);
  }

  /** Every line `scenario`'s plugin logged so far (start-up included), with Envoy's level names and the whole message. */
  logLines(scenario: Scenario): ScenarioLogLine[] {
    return this.envoy.log.lines.flatMap((line) => {
      const wasm = asWasmLogLine(line);
      return wasm?.prefix.includes(scenario.id) ? [{ level: wasm.level, message: normaliseText(wasm.message) }] : [];
    });
  }

  /** "envoy-<version>": the backend name in observations and reports. */
  get backend(): string {
    return `envoy-${this.envoy.version}`;
  }

  /** Starts the upstreams and one Envoy for `scenarios` (ids must be unique, callout cluster names too). */
  static async start(scenarios: readonly Scenario[], options: EnvoySuiteOptions): Promise<EnvoySuite> {
    const ids = new Set<string>();
    const calloutNames = new Set<string>();
    const upstreams = new Map<string, HttpUpstream | TcpUpstream>();
    const routeUpstreams = new Map<string, HttpUpstream[]>();
    const closers: (() => Promise<void>)[] = [];
    const listeners: ListenerSpec[] = [];
    const clusters: ClusterSpec[] = [];
    try {
      for (const scenario of scenarios) {
        if (ids.has(scenario.id))
          throw new Error(`two scenarios are named "${scenario.id}"; ids must be unique in a suite`);
        ids.add(scenario.id);
        const tcp = scenario.kind === "tcp";
        const upstream = tcp
          ? await startTcpUpstream()
          : await startHttpUpstream({ respond: () => upstreamAnswer(scenario, MAIN_UPSTREAM) });
        closers.push(() => upstream.close());
        upstreams.set(scenario.id, upstream);
        clusters.push(cluster(`${scenario.id}.${MAIN_UPSTREAM}`, upstream));
        const extras: HttpUpstream[] = [];
        for (const name of Object.keys(scenario.upstreams ?? {})) {
          const extra = await startHttpUpstream({ respond: () => upstreamAnswer(scenario, name) });
          closers.push(() => extra.close());
          extras.push(extra);
          clusters.push(cluster(`${scenario.id}.${name}`, extra));
        }
        routeUpstreams.set(scenario.id, extras);
        for (const [name, answer] of Object.entries(scenario.callouts ?? {})) {
          if (calloutNames.has(name))
            throw new Error(`callout cluster "${name}" is declared by two scenarios; names must be unique in a suite`);
          calloutNames.add(name);
          const target = await startHttpUpstream({
            respond: () => ({
              status: answer.status ?? 200,
              headers: { connection: "keep-alive", ...answer.headers },
              body: answer.body ?? "",
              delayMs: answer.delayMs,
            }),
          });
          closers.push(() => target.close());
          clusters.push(cluster(name, target));
        }
        for (const [name, service] of Object.entries(scenario.grpc ?? {})) {
          if (calloutNames.has(name))
            throw new Error(`callout cluster "${name}" is declared by two scenarios; names must be unique in a suite`);
          calloutNames.add(name);
          const answer: GrpcHandler = (call: RecordedGrpcCall) =>
            service.status !== undefined
              ? { status: service.status, message: service.statusMessage }
              : Buffer.from(service.reply ?? `pong:${call.message.toString()}`);
          const target = await startGrpcUpstream({ [GRPC_UNARY_METHOD]: answer });
          closers.push(() => target.close());
          clusters.push(cluster(name, target));
        }
        const plugin = {
          name: scenario.id,
          vmId: scenario.id,
          config: probeConfig(scenario),
          failurePolicy: scenario.failurePolicy,
          rootId: rootIdOf(scenario),
          ...(scenario.plugin?.vmConfiguration !== undefined ? { vmConfig: vmConfigOf(scenario) } : {}),
        };
        listeners.push({
          name: scenario.id,
          protocol: tcp ? "tcp" : "http",
          cluster: `${scenario.id}.${MAIN_UPSTREAM}`,
          routes: tcp ? undefined : routesOf(scenario, `${scenario.id}.`),
          filters: [tcp ? networkWasm(options.wasm, plugin) : httpWasm(options.wasm, plugin)],
        });
      }
      const envoy = await startEnvoy({
        version: options.version,
        runner: options.runner,
        listeners,
        clusters,
        allowWasmErrors: true,
        readyTimeoutMs: 60_000,
      });
      return new EnvoySuite(envoy, upstreams, routeUpstreams, closers);
    } catch (err) {
      await Promise.all(closers.map((c) => c()));
      throw err;
    }
  }

  /** Runs one scenario (of those the suite was started with) and returns what Envoy's side observed. */
  async run(scenario: Scenario): Promise<ScenarioObservation> {
    const upstream = this.#upstreams.get(scenario.id);
    if (!upstream) throw new Error(`scenario "${scenario.id}" is not part of this suite`);
    // a critical line of Envoy's own (not a module's proxy_log at critical level) means it panicked
    const crash = this.envoy.log.lines.find(
      (l) => l.level === "critical" && l.logger !== "backtrace" && asWasmLogLine(l) === undefined,
    );
    if (crash)
      throw new Error(
        `Envoy ${this.envoy.version} crashed during an earlier scenario of this suite, so "${scenario.id}" cannot run: ${crash.message.split("\n")[0]}`,
      );
    const exchanges: ExchangeObservation[] = [];
    if (scenario.kind === "tcp") {
      for (const c of scenario.connections ?? [])
        exchanges.push(await this.#tcpExchange(scenario, upstream as TcpUpstream, c.send, c.expectBytes));
    } else {
      for (const request of scenario.requests ?? [{}])
        exchanges.push(await this.#httpExchange(scenario, upstream as HttpUpstream, request));
    }
    const metrics: Record<string, number | undefined> = {};
    if (scenario.metrics?.length) {
      const stats = await this.envoy.stats();
      for (const name of scenario.metrics) metrics[name] = stats.get(`wasmcustom.${name}`) ?? stats.get(name);
    }
    return { scenario: scenario.id, backend: this.backend, exchanges, metrics };
  }

  /** Stops Envoy and every upstream. */
  async stop(): Promise<void> {
    await this.envoy.stop();
    await Promise.all(this.#closers.map((c) => c()));
  }

  /** Same as {@link stop} (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /**
   * Lines of `scenario` logged since `from` (up to `to`): its plugin's proxy_log lines, Envoy's Wasm failure lines, and
   * any critical line (a panic ends Envoy: every later scenario of the suite would fail, so the cause must show).
   */
  #events(scenario: Scenario, from: number, to?: number): string[] {
    const events: string[] = [];
    for (const line of this.envoy.log.lines.slice(from, to)) {
      const wasm = asWasmLogLine(line);
      if (wasm) {
        if (wasm.prefix.includes(scenario.id)) events.push(normaliseEvent(wasm.message, scenario.id).split("\n")[0]!);
      } else if (line.logger === "wasm" && line.level === "error" && line.message.startsWith("Function: ")) {
        events.push(normaliseText(line.message.split("\n")[0]!));
      } else if (line.level === "critical" && line.logger !== "backtrace") {
        events.push(`envoy critical: ${normaliseText(line.message.split("\n")[0]!)}`); // e.g. a panic that ends Envoy
      }
    }
    return events;
  }

  /** Waits until `event` was logged `count` times since `from`, or {@link SETTLE_TIMEOUT_MS} passed. */
  async #waitFor(scenario: Scenario, from: number, event: string | RegExp, count: number): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    const matches = (e: string) => (typeof event === "string" ? e === event : event.test(e));
    while (Date.now() < deadline) {
      if (this.#events(scenario, from).filter(matches).length >= count) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Waits until `scenario`'s plugin logged nothing new for {@link QUIET_MS}, or {@link SETTLE_TIMEOUT_MS} passed. */
  async #waitForQuiet(scenario: Scenario, from: number): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    let count = this.#events(scenario, from).length;
    let quietSince = Date.now();
    while (Date.now() < deadline && Date.now() - quietSince < QUIET_MS) {
      await new Promise((r) => setTimeout(r, 10));
      const now = this.#events(scenario, from).length;
      if (now !== count) {
        count = now;
        quietSince = Date.now();
      }
    }
  }

  async #httpExchange(
    scenario: Scenario,
    upstream: HttpUpstream,
    request: ScenarioRequest,
  ): Promise<ExchangeObservation> {
    const from = this.envoy.log.lines.length;
    const targets = [upstream, ...(this.#routeUpstreams.get(scenario.id) ?? [])];
    const seenBefore = targets.map((t) => t.requests.length);
    const suite = this;
    let body: string | AsyncIterable<string> | undefined;
    if (Array.isArray(request.body)) {
      const chunks = request.body as readonly string[];
      // One chunk at a time: the next one leaves only after the filter saw this one, so both backends see the
      // same chunk boundaries. The end of the body then travels alone.
      body = (async function* () {
        for (let i = 0; i < chunks.length; i++) {
          yield chunks[i]!;
          await suite.#waitFor(scenario, from, /^on_request_body /, i + 1);
        }
      })();
    } else body = request.body as string | undefined;
    let response: HttpResponse | null = null;
    try {
      response = await this.envoy.request(request.path ?? "/", {
        listener: scenario.id,
        method: request.method ?? (request.body !== undefined ? "POST" : "GET"),
        headers: request.headers ? { ...request.headers } : undefined,
        body,
        trailers: request.trailers ? { ...request.trailers } : undefined,
        http2: request.http2,
        timeoutMs: request.clientTimeoutMs,
      });
    } catch {
      response = null; // reset by Envoy (the filter closed the stream), or the client gave up waiting
    }
    const settle = settleOf(scenario, request);
    if (settle === "on_delete") await this.#waitFor(scenario, from, "on_delete", 1);
    else if (settle === "trap") await this.#waitFor(scenario, from, /^Function: /, 1);
    else if (settle === "quiet") await this.#waitForQuiet(scenario, from);
    const seen = targets.map((t, i) => t.requests[seenBefore[i]!]).find((r) => r !== undefined);
    return {
      protocol: request.http2 ? "HTTP/2" : "HTTP/1.1",
      client: response && {
        status: response.status,
        headers: headerRecord(entriesOf(response.headers), CLIENT_TRANSPORT_HEADERS),
        body: normaliseText(response.text()),
        trailers: headerRecord(entriesOf(response.trailers), new Set()),
      },
      upstream: seen
        ? {
            method: seen.method,
            path: seen.path,
            headers: headerRecord(entriesOf(seen.headers), UPSTREAM_TRANSPORT_HEADERS),
            body: seen.text(),
            trailers: headerRecord(entriesOf(seen.trailers), new Set()),
          }
        : null,
      events: this.#events(scenario, from),
    };
  }

  async #tcpExchange(
    scenario: Scenario,
    upstream: TcpUpstream,
    send: string,
    expectBytes: number,
  ): Promise<ExchangeObservation> {
    const from = this.envoy.log.lines.length;
    const connectionsBefore = upstream.connections.length;
    const received = await new Promise<string>((resolve) => {
      let data = Buffer.alloc(0);
      const socket = connect({ host: "127.0.0.1", port: this.envoy.port(scenario.id) }, () => socket.write(send));
      const finish = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(data.toString());
      };
      const timer = setTimeout(finish, SETTLE_TIMEOUT_MS);
      socket.on("data", (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        if (data.length >= expectBytes) finish();
      });
      socket.on("end", finish);
      socket.on("error", finish);
    });
    await this.#waitFor(scenario, from, "on_delete", 1);
    const connection = upstream.connections[connectionsBefore];
    return {
      protocol: "TCP",
      client: null,
      upstream: null,
      events: this.#events(scenario, from),
      tcp: { received, upstreamReceived: connection ? connection.received.toString() : "" },
    };
  }
}

/** The answer of `scenario`'s recording upstream `name`: `connection: keep-alive` first, so node adds no keep-alive header. */
function upstreamAnswer(scenario: Scenario, name: string) {
  const answer = upstreamAnswerOf(scenario, name);
  return {
    status: answer.status ?? 200,
    headers: { connection: "keep-alive", ...answer.headers },
    body: answer.body ?? DEFAULT_UPSTREAM_BODY,
    trailers: answer.trailers ? { ...answer.trailers } : undefined,
  };
}
