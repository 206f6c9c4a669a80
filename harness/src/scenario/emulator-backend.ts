// Runs a scenario on the emulator. The emulator is the filter's host and also plays what surrounds the filter in
// the Envoy backend: the client's request goes through the emulator's connection manager and router
// (harness/src/emulator/connection-manager.ts, router.ts: the same rules emu.request() uses, each naming the
// recorded Envoy trace that shows it), and the upstream answers like the suite's recording upstream.
import {
  type CalloutRequest,
  type ClientRequest,
  Emulator,
  EnvoyWouldAbortError,
  type FailurePolicy,
  type GrpcRequest,
  type GrpcServerStream,
  type HttpStream,
  type LogEntry,
  runExchange,
} from "../emulator/index.ts";
import {
  CALLOUT_TRANSPORT_HEADERS,
  CLIENT_TRANSPORT_HEADERS,
  UPSTREAM_TRANSPORT_HEADERS,
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
  upstreamAnswerOf,
  vmConfigOf,
} from "./plugin.ts";
import type { ExchangeObservation, Scenario, ScenarioAbort, ScenarioObservation, ScenarioRequest } from "./types.ts";

export { DEFAULT_UPSTREAM_BODY, probeConfig } from "./plugin.ts";

/** The authority the emulated client sends (normalised to 127.0.0.1:<port> like Envoy's). */
const AUTHORITY = "127.0.0.1:10000";

/** Options of {@link runOnEmulator}. */
export interface EmulatorRunOptions {
  /** The module: the probe (build/diff-probe.wasm) for probe scenarios, or your own `.wasm` for `plugin` scenarios. */
  readonly wasm: string;
}

/** Runs `scenario` on a fresh emulator and returns what it observed. */
export async function runOnEmulator(scenario: Scenario, options: EmulatorRunOptions): Promise<ScenarioObservation> {
  const policy: FailurePolicy = scenario.failurePolicy === "FAIL_OPEN" ? "fail-open" : "fail-closed";
  const upstreams = Object.fromEntries(
    Object.entries(scenario.callouts ?? {}).map(([name, answer]) => [
      name,
      (request: CalloutRequest) => {
        const reply =
          typeof answer === "function"
            ? answer({
                cluster: name,
                method: request.headers.get(":method") ?? "",
                path: request.headers.get(":path") ?? "",
                headers: headerRecord(request.headers.entries(), CALLOUT_TRANSPORT_HEADERS),
                body: request.text(),
              })
            : answer;
        return {
          status: reply.status ?? 200,
          headers: reply.headers ?? {},
          body: reply.body ?? "",
          delayMs: reply.delayMs,
        };
      },
    ]),
  );
  const grpcServices = Object.fromEntries(
    Object.entries(scenario.grpc ?? {}).map(([name, service]) => [
      name,
      typeof service === "function"
        ? (request: GrpcRequest) => {
            const answer = service({
              cluster: name,
              service: request.serviceName,
              method: request.method,
              message: request.message,
            });
            return answer.status
              ? { status: answer.status, statusMessage: answer.statusMessage ?? "" }
              : { message: answer.message ?? new Uint8Array(0) };
          }
        : {
            unary: (request: GrpcRequest) =>
              service.status !== undefined
                ? { status: service.status, statusMessage: service.statusMessage ?? "" }
                : { message: service.reply ?? `pong:${new TextDecoder().decode(request.message)}` },
            // A stream is answered like the Envoy backend's server answers it once the module half-closes: initial
            // metadata, the reply to the first message (or nothing for an error), trailing metadata, close.
            stream: (server: GrpcServerStream) => {
              let first: Uint8Array | null = null;
              server.onMessage = (message) => {
                first ??= message;
              };
              server.onClose = (how) => {
                if (how !== "half-close") return;
                server.sendInitialMetadata({ "content-type": "application/grpc" });
                if (service.status === undefined)
                  server.send(service.reply ?? `pong:${new TextDecoder().decode(first ?? new Uint8Array(0))}`);
                server.close(service.status ?? 0, service.statusMessage ?? "", {
                  "grpc-status": String(service.status ?? 0),
                });
              };
            },
          },
    ]),
  );
  const emu = await Emulator.load(options.wasm, {
    pluginName: scenario.id,
    vmId: scenario.id,
    pluginConfig: probeConfig(scenario),
    failurePolicy: policy,
    rootId: rootIdOf(scenario),
    vmConfig: vmConfigOf(scenario),
    routes: routesOf(scenario),
    defaultCluster: MAIN_UPSTREAM,
    logLevel: "debug",
    canary: true, // start-up as Envoy does it (canary, main-thread and worker VMs): start-up counters and logs agree
    upstreams,
    grpcServices,
    label: `${scenario.id} (${scenario.probe ? "diff-probe" : options.wasm})`,
  });
  const exchanges: ExchangeObservation[] = [];
  let abort: ScenarioAbort | undefined;
  try {
    if ((scenario.kind ?? "http") === "tcp") {
      for (const connection of scenario.connections ?? [])
        exchanges.push(tcpExchange(emu, scenario, connection.send, connection.expectBytes));
    } else {
      for (const request of scenario.requests ?? [{}]) exchanges.push(await httpExchange(emu, scenario, request));
    }
  } catch (error) {
    // Envoy would abort here: the scenario ends, as it does on Envoy (whose process is gone).
    if (!(error instanceof EnvoyWouldAbortError)) throw error;
    abort = { panic: error.envoyPanic, exchange: exchanges.length, detail: error.hostCall };
  }
  const metrics: Record<string, number | undefined> = {};
  if (!abort) for (const name of scenario.metrics ?? []) metrics[name] = emu.metric(name);
  return { scenario: scenario.id, backend: "emulator", exchanges, metrics, ...(abort ? { abort } : {}) };
}

/** The module's log lines since `from`; the emulator's own hints ("emulator: …", not something Envoy logs) are left out. */
function eventsSince(emu: Emulator, from: number, scenario: Scenario): string[] {
  return emu.logs
    .slice(from)
    .filter((entry: LogEntry) => !entry.message.startsWith("emulator: "))
    .map((entry: LogEntry) => normaliseEvent(entry.message, scenario.id).split("\n")[0]!);
}

/** Drives timers and callouts on the virtual clock until `done()` or nothing is left to run (60 virtual s at most). */
function drive(emu: Emulator, done: () => boolean): void {
  const deadline = emu.host.nowMs + 60_000;
  emu.flush();
  while (!done()) {
    const at = emu.host.nextTaskAt();
    if (at === undefined || at > deadline) return;
    emu.advance(Math.max(0, at - emu.host.nowMs));
  }
}

/** The scenario's request as the client sends it (undici, or node:http/node:http2 with trailers). */
export function clientRequestOf(request: ScenarioRequest): ClientRequest {
  return {
    method: request.method ?? (request.body !== undefined ? "POST" : "GET"),
    path: request.path ?? "/",
    authority: request.authority ?? AUTHORITY,
    headers: request.headers,
    body: request.body,
    trailers: request.trailers,
    protocol: request.http2 ? "HTTP/2" : "HTTP/1.1",
  };
}

async function httpExchange(emu: Emulator, scenario: Scenario, request: ScenarioRequest): Promise<ExchangeObservation> {
  const from = emu.logs.length;
  const client = clientRequestOf(request);
  const s = emu.httpStream({ protocol: client.protocol });
  const outcome = await runExchange(
    s,
    client,
    (seen) => {
      const answer = upstreamAnswerOf(scenario, seen.cluster);
      return { ...answer, body: answer.body ?? DEFAULT_UPSTREAM_BODY };
    },
    (done) => drive(emu, done),
  );
  if (outcome.stalled) s.complete();
  const seen = outcome.upstream;
  const upstream: ExchangeObservation["upstream"] = seen && {
    method: seen.headers.get(":method") ?? "",
    path: seen.headers.get(":path") ?? "",
    headers: headerRecord(seen.headers.entries(), UPSTREAM_TRANSPORT_HEADERS),
    body: seen.body,
    trailers: seen.trailers ? headerRecord(seen.trailers.entries(), new Set()) : {},
  };
  return { protocol: client.protocol!, client: clientView(s), upstream, events: eventsSince(emu, from, scenario) };
}

function clientView(s: HttpStream): ExchangeObservation["client"] {
  if (s.resetReason) return null;
  const status = Number(s.response.headers.get(":status") ?? 0);
  return {
    status,
    headers: headerRecord(s.response.headers.entries(), CLIENT_TRANSPORT_HEADERS),
    body: normaliseText(s.response.body),
    trailers: s.response.trailers ? headerRecord(s.response.trailers.entries(), new Set()) : {},
  };
}

/**
 * One TCP connection (traces tcp-echo, tcp-rewrite): the client's bytes reach the filter as one downstream chunk;
 * the echo upstream writes back whatever reaches it, which arrives as one upstream chunk. The client reads what it
 * expects, then closes its side: Envoy reports it as an empty end-of-stream downstream chunk and half-closes the
 * upstream, whose echo server closes too (an empty end-of-stream upstream chunk, then on_upstream_connection_close),
 * and Envoy then closes the client connection itself (local close).
 */
function tcpExchange(emu: Emulator, scenario: Scenario, send: string, _expectBytes: number): ExchangeObservation {
  const from = emu.logs.length;
  const c = emu.tcpConnection();
  let echoed = 0;
  const echo = () => {
    drive(emu, () => false);
    const fresh = c.toUpstream.bytes.subarray(echoed);
    echoed += fresh.length;
    if (fresh.length > 0 && !c.closedBy) c.upstreamData(fresh);
    drive(emu, () => false);
  };
  c.downstreamData(send);
  echo();
  const received = c.toDownstream.text;
  if (!c.closedBy) {
    c.downstreamData("", { endOfStream: true });
    echo();
  }
  if (!c.closedBy) c.upstreamData("", { endOfStream: true });
  if (!c.closedBy) c.close("local");
  return {
    protocol: "TCP",
    client: null,
    upstream: null,
    events: eventsSince(emu, from, scenario),
    tcp: { received, upstreamReceived: c.toUpstream.text },
  };
}
