// Runs one generated request through a module on the emulator, step by step as Envoy would deliver it (headers,
// each body chunk, trailers, a client reset), and reports what the client, the upstream and the VM saw.
import { type Emulator, HeaderMap, type UpstreamRequest, type UpstreamResponse } from "../emulator/index.ts";
import type { HttpStream } from "../emulator/index.ts";
import type { WasmTrapError } from "../emulator/index.ts";
import type { FuzzRequest } from "./request.ts";
import { DEFAULT_CLUSTER } from "../defaults.ts";

/** The upstream service of a fuzz run; synchronous, so a run needs no event-loop turn. Default {@link okUpstream}. */
export type FuzzUpstream = (request: UpstreamRequest) => UpstreamResponse;

/** Default upstream: 200 with a small JSON body. */
export const okUpstream: FuzzUpstream = () => ({
  status: 200,
  headers: { "content-type": "application/json" },
  body: '{"ok":true}',
});

/** What happened to one generated request. */
export interface FuzzOutcome {
  /** Status the client received, or null when the exchange ended without a response (reset). */
  readonly status: number | null;
  /**
   * The response headers the client received (after the filter, or the local reply's), `:status` included; null
   * when no response reached the client. A copy: `get(name)`, `getAll(name)`, `entries()`, `toObject()`.
   */
  readonly responseHeaders: HeaderMap | null;
  /** True when the request headers went past the filter towards the upstream (even if the client reset later). */
  readonly reachedUpstream: boolean;
  /** The whole request as the upstream received it, when it arrived complete; else null. */
  readonly upstream: UpstreamRequest | null;
  /** The filter's (or the failure policy's) local reply, if any. */
  readonly localReply: HttpStream["localReply"];
  /** Set when the filter reset the stream itself (e.g. proxy_close_stream, or a reply too late). */
  readonly filterReset: string | null;
  /** The trap that failed the VM during this request, if any. */
  readonly trap: WasmTrapError | null;
  /** True when the filter paused the request and nothing resumed it (Envoy would hold it until a timeout). */
  readonly stalled: boolean;
  /** The stream, for anything else (logs, bodies, trailers). */
  readonly stream: HttpStream;
}

/** Virtual time a paused request may wait for callouts and timers before it counts as stalled. */
const MAX_WAIT_MS = 60_000;

const encoder = new TextEncoder();

/** Sends `request` through `emu` (one new HTTP stream), answers with `upstream`, and completes the stream. */
export function driveRequest(emu: Emulator, request: FuzzRequest, upstream: FuzzUpstream = okUpstream): FuzzOutcome {
  const failuresBefore = emu.failures.length;
  const s = emu.httpStream();
  const finished = () => s.localReply !== null || s.resetReason !== null;
  const outcome = (stalled = false): FuzzOutcome => {
    s.complete();
    const trap = s.error ?? emu.failures[failuresBefore] ?? null;
    const answered = s.response.headersForwarded || s.localReply !== null;
    const statusHeader = answered ? s.response.headers.get(":status") : undefined;
    return {
      status: s.localReply?.status ?? (statusHeader === undefined ? null : Number(statusHeader)),
      responseHeaders: answered ? new HeaderMap(s.response.headers.entries()) : null,
      reachedUpstream: s.request.headersForwarded,
      upstream: upstreamSeen,
      localReply: s.localReply,
      filterReset: s.resetReason,
      trap,
      stalled,
      stream: s,
    };
  };
  let upstreamSeen: UpstreamRequest | null = null;

  const hasBody = request.body.length > 0;
  const headers: [string, string][] = [
    [":method", request.method],
    [":path", request.path],
    [":authority", request.authority],
    [":scheme", "http"],
    ...request.headers.map(([k, v]) => [k, v] as [string, string]),
  ];
  s.requestHeaders(headers, { endOfStream: !hasBody && !request.trailers });
  if (request.reset === "after-headers" || finished()) return outcome();
  let offset = 0;
  const resetAt = request.reset === "mid-body" ? Math.floor(request.chunks.length / 2) : -1;
  for (let i = 0; i < request.chunks.length; i++) {
    if (i === resetAt) return outcome();
    const size = request.chunks[i]!;
    s.requestBody(request.body.subarray(offset, offset + size), {
      endOfStream: i === request.chunks.length - 1 && !request.trailers,
    });
    offset += size;
    if (finished()) return outcome();
  }
  if (request.reset === "mid-body") return outcome(); // no body chunk to cut: reset before the end of stream
  if (request.trailers) s.requestTrailers(request.trailers);
  driveUntil(emu, () => finished() || s.request.ended);
  if (finished()) return outcome();
  if (!s.request.ended) return outcome(true);

  // The fuzzer drives the filter without a route table: everything goes to the emulator's default cluster.
  const seen: UpstreamRequest = {
    cluster: DEFAULT_CLUSTER,
    headers: s.request.headers,
    body: s.request.body,
    bodyBytes: s.request.bodyBytes,
    trailers: s.request.trailers,
  };
  upstreamSeen = seen;
  if (request.reset === "before-response") return outcome();
  const answer = upstream(seen);
  const responseHeaders: [string, string][] = [
    [":status", String(answer.status ?? 200)],
    ...Object.entries(answer.headers ?? {}).flatMap(([k, v]) =>
      typeof v === "string" ? [[k, v] as [string, string]] : (v as string[]).map((x) => [k, x] as [string, string]),
    ),
  ];
  const body =
    answer.body === undefined
      ? new Uint8Array(0)
      : typeof answer.body === "string"
        ? encoder.encode(answer.body)
        : answer.body;
  if (body.length > 0 && !responseHeaders.some(([k]) => k.toLowerCase() === "content-length"))
    responseHeaders.push(["content-length", String(body.length)]);
  s.responseHeaders(responseHeaders, { endOfStream: body.length === 0 && !answer.trailers });
  if (request.reset === "mid-response" || finished()) return outcome();
  if (body.length > 0) s.responseBody(body, { endOfStream: !answer.trailers });
  if (answer.trailers && !finished()) s.responseTrailers(answer.trailers);
  driveUntil(emu, () => finished() || s.response.ended);
  return outcome(!finished() && !s.response.ended);
}

/** Runs due callouts and timers on the virtual clock until `done()` or nothing is left within {@link MAX_WAIT_MS}. */
function driveUntil(emu: Emulator, done: () => boolean): void {
  const deadline = emu.host.nowMs + MAX_WAIT_MS;
  emu.flush();
  while (!done()) {
    const at = emu.host.nextTaskAt();
    if (at === undefined || at > deadline) return;
    emu.advance(Math.max(0, at - emu.host.nowMs));
  }
}
