// Runs a scenario on the emulator. The emulator is the filter's host; this file plays what surrounds the filter in
// the Envoy backend: the client (undici / node:http), Envoy's codecs and connection manager before the filter, the
// router after it, and the recording upstream. Each rule below was read off a recorded Envoy trace
// (test/differential/traces/<version>/*.json, written by the recorder) and names the trace that shows it.
import { Emulator, type FailurePolicy } from "../emulator/emulator.ts";
import type { HttpStream } from "../emulator/http-stream.ts";
import type { LogEntry } from "../emulator/errors.ts";
import type { GrpcRequest, GrpcServerStream } from "../emulator/callouts.ts";
import { CLIENT_TRANSPORT_HEADERS, UPSTREAM_TRANSPORT_HEADERS, headerRecord, normaliseEvent, normaliseText } from "./normalise.ts";
import type { ExchangeObservation, Scenario, ScenarioObservation, ScenarioRequest } from "./types.ts";

/** The authority the emulated client sends (normalised to 127.0.0.1:<port> like Envoy's). */
const AUTHORITY = "127.0.0.1:10000";
/** Default upstream answer, shared with the Envoy backend. */
export const DEFAULT_UPSTREAM_BODY = "upstream-ok";

/** Options of {@link runOnEmulator}. */
export interface EmulatorRunOptions {
  /** The probe module (build/diff-probe.wasm). */
  readonly wasm: string;
}

/** The probe's plugin configuration for `scenario` (the same bytes go to Envoy). */
export function probeConfig(scenario: Scenario): string {
  return JSON.stringify({ tag: scenario.id, ...(scenario.kind === "tcp" ? { tcp: true } : {}), ...scenario.probe });
}

/** Runs `scenario` on a fresh emulator and returns what it observed. */
export async function runOnEmulator(scenario: Scenario, options: EmulatorRunOptions): Promise<ScenarioObservation> {
  const policy: FailurePolicy = scenario.failurePolicy === "FAIL_OPEN" ? "fail-open" : "fail-closed";
  const upstreams = Object.fromEntries(
    Object.entries(scenario.callouts ?? {}).map(([name, answer]) => [name, () => ({ status: answer.status ?? 200, headers: answer.headers ?? {}, body: answer.body ?? "", delayMs: answer.delayMs })]),
  );
  const grpcServices = Object.fromEntries(
    Object.entries(scenario.grpc ?? {}).map(([name, service]) => [name, {
      unary: (request: GrpcRequest) => service.status !== undefined
        ? { status: service.status, statusMessage: service.statusMessage ?? "" }
        : { message: service.reply ?? `pong:${new TextDecoder().decode(request.message)}` },
      // A stream is answered like the Envoy backend's server answers it once the module half-closes: initial
      // metadata, the reply to the first message (or nothing for an error), trailing metadata, close.
      stream: (server: GrpcServerStream) => {
        let first: Uint8Array | null = null;
        server.onMessage = (message) => void (first ??= message);
        server.onClose = (how) => {
          if (how !== "half-close") return;
          server.sendInitialMetadata({ "content-type": "application/grpc" });
          if (service.status === undefined) server.send(service.reply ?? `pong:${new TextDecoder().decode(first ?? new Uint8Array(0))}`);
          server.close(service.status ?? 0, service.statusMessage ?? "", { "grpc-status": String(service.status ?? 0) });
        };
      },
    }]),
  );
  const emu = await Emulator.load(options.wasm, {
    pluginName: scenario.id, vmId: scenario.id, pluginConfig: probeConfig(scenario), failurePolicy: policy,
    logLevel: "debug", upstreams, grpcServices, label: `${scenario.id} (diff-probe)`,
  });
  const exchanges: ExchangeObservation[] = [];
  if ((scenario.kind ?? "http") === "tcp") {
    for (const connection of scenario.connections ?? []) exchanges.push(tcpExchange(emu, scenario, connection.send, connection.expectBytes));
  } else {
    for (const request of scenario.requests ?? [{}]) exchanges.push(httpExchange(emu, scenario, request));
  }
  const metrics: Record<string, number | undefined> = {};
  for (const name of scenario.metrics ?? []) metrics[name] = emu.metric(name);
  return { scenario: scenario.id, backend: "emulator", exchanges, metrics };
}

/** The module's log lines since `from`; the emulator's own hints ("emulator: …", not something Envoy logs) are left out. */
function eventsSince(emu: Emulator, from: number, scenario: Scenario): string[] {
  return emu.logs.slice(from).filter((entry: LogEntry) => !entry.message.startsWith("emulator: "))
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

/**
 * Request headers as Envoy hands them to the first filter (trace h1-basic, h2-basic): pseudo-headers in the
 * codec's order (HTTP/1.1: :authority :path :method :scheme; HTTP/2: :authority :method :path :scheme), the
 * client's headers, the body's framing headers (content-length; `trailer` when trailers follow — Envoy keeps it
 * and drops transfer-encoding), then what the connection manager adds: x-forwarded-proto and x-request-id.
 */
function requestHeaders(request: ScenarioRequest, method: string): [string, string][] {
  const path = request.path ?? "/";
  const pseudo: [string, string][] = request.http2
    ? [[":authority", AUTHORITY], [":method", method], [":path", path], [":scheme", "http"]]
    : [[":authority", AUTHORITY], [":path", path], [":method", method], [":scheme", "http"]];
  const headers: [string, string][] = [...pseudo, ...Object.entries(request.headers ?? {})];
  if (typeof request.body === "string" && request.body.length > 0 && !request.trailers) headers.push(["content-length", String(Buffer.byteLength(request.body))]);
  if (request.trailers && !request.http2) headers.push(["trailer", Object.keys(request.trailers).join(", ")]);
  headers.push(["x-forwarded-proto", "http"], ["x-request-id", "00000000-0000-4000-8000-000000000000"]);
  return headers;
}

function httpExchange(emu: Emulator, scenario: Scenario, request: ScenarioRequest): ExchangeObservation {
  const from = emu.logs.length;
  // request.protocol is what the codec negotiated; the emulator has no codec, so it is seeded per stream.
  const s = emu.httpStream({ properties: { "request.protocol": request.http2 ? "HTTP/2" : "HTTP/1.1" } });
  const chunks = request.body === undefined ? [] : typeof request.body === "string" ? (request.body.length > 0 ? [request.body] : []) : [...request.body];
  const method = request.method ?? (request.body !== undefined ? "POST" : "GET");
  const headersOnly = chunks.length === 0 && !request.trailers;
  s.requestHeaders(requestHeaders(request, method), { endOfStream: headersOnly });
  // The HTTP/1.1 codec delivers each body chunk without end of stream, then an empty end-of-stream chunk (trace
  // h1-post-body); undici's HTTP/2 client sends a whole body as one DATA frame carrying END_STREAM (trace
  // h2-post-body). With trailers, the trailers end the request instead.
  const wholeH2Body = request.http2 && typeof request.body === "string" && chunks.length === 1 && !request.trailers;
  if (wholeH2Body) s.requestBody(chunks[0]!, { endOfStream: true });
  else for (const chunk of chunks) if (!s.localReply && !s.resetReason) s.requestBody(chunk, { endOfStream: false });
  if (!headersOnly && !wholeH2Body && !s.localReply && !s.resetReason) {
    if (request.trailers) s.requestTrailers(Object.entries(request.trailers));
    else s.requestBody("", { endOfStream: true });
  }
  drive(emu, () => s.localReply !== null || s.resetReason !== null || s.request.ended);
  let upstream: ExchangeObservation["upstream"] = null;
  if (!s.localReply && !s.resetReason && s.request.ended) {
    upstream = {
      method: s.request.headers.get(":method") ?? "", path: s.request.headers.get(":path") ?? "",
      headers: headerRecord(s.request.headers.entries(), UPSTREAM_TRANSPORT_HEADERS), body: s.request.body,
      trailers: s.request.trailers ? headerRecord(s.request.trailers.entries(), new Set()) : {},
    };
    respond(s, scenario);
    drive(emu, () => s.response.ended || s.resetReason !== null);
  }
  s.complete();
  return { protocol: request.http2 ? "HTTP/2" : "HTTP/1.1", client: clientView(s), upstream, events: eventsSince(emu, from, scenario) };
}

/**
 * The upstream's response as the filter sees it (trace h1-basic): node's HTTP server writes the scenario's headers
 * (the Envoy backend sets `connection: keep-alive` first so node adds no keep-alive header of its own), then date
 * and the framing header; the router appends x-envoy-upstream-service-time. Bodies arrive as one chunk without end
 * of stream followed by an empty end-of-stream chunk, or by the trailers.
 */
function respond(s: HttpStream, scenario: Scenario): void {
  const answer = scenario.upstream ?? {};
  const body = answer.body ?? DEFAULT_UPSTREAM_BODY;
  const headers: [string, string][] = [[":status", String(answer.status ?? 200)], ["connection", "keep-alive"], ...Object.entries(answer.headers ?? {})];
  if (answer.trailers) headers.push(["trailer", Object.keys(answer.trailers).join(", ")]); // announced by the upstream (trace h1-response-trailers)
  headers.push(["date", "Thu, 01 Jan 2026 00:00:00 GMT"]);
  if (answer.trailers) headers.push(["transfer-encoding", "chunked"]);
  else if (!BODYLESS_STATUSES.has(answer.status ?? 200)) headers.push(["content-length", String(Buffer.byteLength(body))]); // none for 204/304 (trace h1-empty-response)
  headers.push(["x-envoy-upstream-service-time", "1"]);
  const empty = body.length === 0 && !answer.trailers;
  s.responseHeaders(headers, { endOfStream: empty });
  if (empty) return;
  if (body.length > 0 && !s.localReply && !s.resetReason) s.responseBody(body, { endOfStream: false });
  if (s.localReply || s.resetReason) return;
  if (answer.trailers) s.responseTrailers(Object.entries(answer.trailers));
  else s.responseBody("", { endOfStream: true });
}

/** Statuses whose responses node's HTTP server sends without content-length. */
const BODYLESS_STATUSES: ReadonlySet<number> = new Set([204, 304]);

function clientView(s: HttpStream): ExchangeObservation["client"] {
  if (s.resetReason) return null;
  const status = Number(s.response.headers.get(":status") ?? 0);
  return {
    status, headers: headerRecord(s.response.headers.entries(), CLIENT_TRANSPORT_HEADERS), body: normaliseText(s.response.body),
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
    protocol: "TCP", client: null, upstream: null, events: eventsSince(emu, from, scenario),
    tcp: { received, upstreamReceived: c.toUpstream.text },
  };
}
