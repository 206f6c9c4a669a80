// Envoy's HTTP connection manager around the filter, as the harness configures it (harness/src/envoy/config.ts):
// what the codecs and the connection manager make of a client's request before the first filter sees it, what
// the upstream's answer looks like when it reaches the filter's response callbacks, and the local replies Envoy
// writes itself. `emu.request()`, `HttpStream.sendClientRequest()` and the scenario backend all use these rules,
// and only these. Each rule names the recorded Envoy trace that shows it (test/differential/traces/<version>/).
import { HeaderMap, type HeadersInit } from "./header-map.ts";
import type { LocalReply } from "./vm-types.ts";

/** The downstream protocol the client speaks (Envoy's `request.protocol`). */
export type HttpProtocol = "HTTP/1.1" | "HTTP/2";

/** A request as a client (undici, HTTP/1.1 or HTTP/2 prior knowledge) sends it to Envoy. */
export interface ClientRequest {
  /** Default "GET". */
  readonly method?: string;
  /** Default "/". */
  readonly path?: string;
  /** Default "example.com". */
  readonly authority?: string;
  /** Default "http" (also the x-forwarded-proto the connection manager adds). */
  readonly scheme?: string;
  /** The client's headers (lower-cased), after the pseudo-headers in this order. */
  readonly headers?: HeadersInit;
  /** A whole body (sent with content-length), or chunks (HTTP/1.1 chunked encoding, or one DATA frame each). */
  readonly body?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Trailers; they end the request (the body is then sent without content-length). */
  readonly trailers?: HeadersInit;
  /** Default "HTTP/1.1". */
  readonly protocol?: HttpProtocol;
}

/** An upstream's answer, as the suite's recording upstream (node's HTTP/1.1 server) writes it. */
export interface UpstreamAnswer {
  /** Default 200. */
  readonly status?: number;
  readonly headers?: HeadersInit;
  readonly body?: string | Uint8Array;
  readonly trailers?: HeadersInit;
}

/** One piece of a message after its headers: a body chunk or the trailers. */
export type MessageFrame =
  | { readonly kind: "data"; readonly bytes: Uint8Array; readonly endOfStream: boolean }
  | { readonly kind: "trailers"; readonly trailers: readonly [string, string][] };

/** A message as Envoy's codec hands it to the filter chain: headers, then frames in order. */
export interface DecodedMessage {
  readonly headers: readonly [string, string][];
  /** True when the headers end the message (no body, no trailers). */
  readonly headersEndStream: boolean;
  readonly frames: readonly MessageFrame[];
}

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
const bytesOf = (v: string | Uint8Array): Uint8Array => (typeof v === "string" ? encoder.encode(v) : v);

/**
 * What the first filter receives for `request` (traces h1-get, h2-get, h1-post-body, h2-post-body,
 * h1-chunked-request, h2-chunked-request, h1-log-everything, h2-log-everything, h1-client-forwarded-headers):
 * - pseudo-headers: HTTP/1.1 in the codec's order `:authority :path :method :scheme`; HTTP/2 in the client's
 *   order, which Envoy keeps: undici sends `:authority :method :path :scheme`, and node:http2 (the harness's client
 *   for requests with trailers, which undici cannot send) `:method :path :authority :scheme`;
 * - then the client's headers in order;
 * - framing: a whole non-empty body adds `content-length` (both protocols); HTTP/1.1 trailers add the client's
 *   `trailer` announcement (Envoy keeps it and drops `transfer-encoding: chunked`);
 * - then the connection manager's own headers: `x-forwarded-proto` (the scheme) and `x-request-id` (a fresh
 *   UUID), each only when the client sent none (a loopback client is internal, so Envoy keeps its values); a
 *   client's x-forwarded-proto also becomes `:scheme`;
 * - body frames: HTTP/1.1 delivers each chunk without end of stream, then an empty end-of-stream chunk; HTTP/2
 *   delivers a whole body as one end-of-stream DATA frame and chunks like HTTP/1.1; trailers end the request instead.
 */
export function decodeClientRequest(request: ClientRequest, requestId: string): DecodedMessage {
  const http2 = request.protocol === "HTTP/2";
  const authority = request.authority ?? "example.com";
  const path = request.path ?? "/";
  const method = request.method ?? "GET";
  const client = new HeaderMap(request.headers);
  const scheme = client.get("x-forwarded-proto") ?? request.scheme ?? "http";
  const headers = new HeaderMap(
    !http2
      ? [
          [":authority", authority],
          [":path", path],
          [":method", method],
          [":scheme", scheme],
        ]
      : request.trailers
        ? [
            [":method", method],
            [":path", path],
            [":authority", authority],
            [":scheme", scheme],
          ]
        : [
            [":authority", authority],
            [":method", method],
            [":path", path],
            [":scheme", scheme],
          ],
  );
  for (const [name, value] of client.entries()) headers.add(name, value);
  const whole = request.body === undefined || typeof request.body === "string" || request.body instanceof Uint8Array;
  const chunks =
    request.body === undefined
      ? []
      : whole
        ? [bytesOf(request.body as string | Uint8Array)]
        : (request.body as readonly (string | Uint8Array)[]).map(bytesOf);
  const body = chunks.filter((c) => c.length > 0);
  const trailers = request.trailers ? new HeaderMap(request.trailers).entries() : null;
  if (whole && body.length > 0 && !trailers && !headers.has("content-length"))
    headers.add("content-length", String(body[0]!.length));
  if (trailers && !http2) headers.add("trailer", [...new Set(trailers.map(([name]) => name))].join(", "));
  if (!headers.has("x-forwarded-proto")) headers.add("x-forwarded-proto", scheme);
  if (!headers.has("x-request-id")) headers.add("x-request-id", requestId);
  const frames: MessageFrame[] = [];
  if (http2 && whole && body.length === 1 && !trailers)
    frames.push({ kind: "data", bytes: body[0]!, endOfStream: true });
  else {
    for (const chunk of body) frames.push({ kind: "data", bytes: chunk, endOfStream: false });
    if (trailers) frames.push({ kind: "trailers", trailers });
    else if (body.length > 0) frames.push({ kind: "data", bytes: EMPTY, endOfStream: true });
  }
  return { headers: headers.entries(), headersEndStream: frames.length === 0, frames };
}

/** Where {@link deliverMessage} hands a decoded message: one direction of a stream. */
export interface MessageSink<A> {
  headers(headers: readonly [string, string][], options: { endOfStream: boolean }): A;
  body(bytes: Uint8Array, options: { endOfStream: boolean }): A;
  trailers(trailers: readonly [string, string][]): A;
  /** True once nothing more passes (local reply, reset, failure): the rest of the message is not delivered. */
  stopped(): boolean;
}

/** Delivers `message` frame by frame until the stream stops; returns the last step's result. */
export function deliverMessage<A>(message: DecodedMessage, sink: MessageSink<A>): A {
  let result = sink.headers(message.headers, { endOfStream: message.headersEndStream });
  for (const frame of message.frames) {
    if (sink.stopped()) break;
    result = frame.kind === "data" ? sink.body(frame.bytes, frame) : sink.trailers(frame.trailers);
  }
  return result;
}

/** Statuses node's HTTP server answers without content-length (trace h1-empty-response). */
const BODYLESS_STATUSES: ReadonlySet<number> = new Set([204, 304]);

/** What {@link decodeUpstreamResponse} needs besides the answer. */
export interface ResponseContext {
  /** The upstream's `date` (HTTP date text). */
  readonly date: string;
  /** Milliseconds between the request leaving the router and the response headers (x-envoy-upstream-service-time). */
  readonly serviceTimeMs: number;
}

/**
 * What the filter's response callbacks receive for `answer` (traces h1-get, h1-header-edits, h1-response-trailers,
 * h1-empty-response, h1-empty-200, h1-upstream-own-date):
 * - the upstream writes `:status`, `connection: keep-alive` (the suite's upstream sets it first so node adds no
 *   keep-alive header), its headers in order, `trailer` when trailers follow, `date` (unless it sent one), then
 *   `transfer-encoding: chunked` with trailers, else `content-length` (none for 204 and 304);
 * - the router appends `x-envoy-upstream-service-time`;
 * - a body arrives as one chunk without end of stream, then an empty end-of-stream chunk or the trailers; an empty
 *   body without trailers ends the stream with the headers.
 */
export function decodeUpstreamResponse(answer: UpstreamAnswer, context: ResponseContext): DecodedMessage {
  const status = answer.status ?? 200;
  const body = answer.body === undefined ? EMPTY : bytesOf(answer.body);
  const trailers = answer.trailers ? new HeaderMap(answer.trailers).entries() : null;
  const own = new HeaderMap(answer.headers);
  const headers = new HeaderMap([
    [":status", String(status)],
    ["connection", own.get("connection") ?? "keep-alive"],
  ]);
  for (const [name, value] of own.entries()) if (name !== "connection") headers.add(name, value);
  if (trailers) headers.add("trailer", [...new Set(trailers.map(([name]) => name))].join(", "));
  if (!headers.has("date")) headers.add("date", context.date);
  if (trailers) headers.add("transfer-encoding", "chunked");
  else if (!BODYLESS_STATUSES.has(status) && !headers.has("content-length"))
    headers.add("content-length", String(body.length));
  headers.add("x-envoy-upstream-service-time", String(Math.max(0, Math.round(context.serviceTimeMs))));
  const frames: MessageFrame[] = [];
  if (body.length > 0) frames.push({ kind: "data", bytes: body, endOfStream: false });
  if (trailers) frames.push({ kind: "trailers", trailers });
  else if (body.length > 0) frames.push({ kind: "data", bytes: EMPTY, endOfStream: true });
  return { headers: headers.entries(), headersEndStream: frames.length === 0, frames };
}

/** An HTTP date for virtual time `ms` (the emulator's clock starts at 2026-01-01T00:00:00Z). */
export function httpDate(ms: number): string {
  return new Date(Date.UTC(2026, 0, 1) + ms).toUTCString();
}

/** A request id as Envoy's UUID generator shapes it (version 4), numbered so runs are reproducible. */
export function requestIdFor(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

/** Local replies Envoy itself sends around a Wasm filter. */
export const LOCAL_REPLIES = {
  /** The VM failed (trap, or fail closed before the stream): 503 `wasm_fail_stream`, gRPC UNAVAILABLE (trace h1-trap-fail-closed). */
  wasmFailed: { status: 503, details: "wasm_fail_stream", body: EMPTY, headers: [], grpcStatus: 14 },
  /** A held request body over the buffer limit. */
  requestTooLarge: {
    status: 413,
    details: "request_payload_too_large",
    body: encoder.encode("Payload Too Large"),
    headers: [],
    grpcStatus: null,
  },
  /** A held response body over the buffer limit, before response headers went out. */
  responseTooLarge: {
    status: 500,
    details: "response_payload_too_large",
    body: encoder.encode("Internal Server Error"),
    headers: [],
    grpcStatus: null,
  },
  /** The router found no route (traces h1-set-all, h2-remove-forwarded-proto). */
  routeNotFound: { status: 404, details: "route_not_found", body: EMPTY, headers: [], grpcStatus: null },
} as const satisfies Record<string, LocalReply>;

/**
 * The response Envoy's sendLocalReply writes (traces h1-local-reply-headers, h1-local-reply-grpc,
 * h1-local-reply-grpc-mapped): `:status`, the filter's headers, then content-length before content-type
 * (text/plain unless given). A gRPC request (content-type application/grpc…) gets a gRPC answer instead: :status
 * 200, content-type application/grpc, grpc-status (given, else mapped from the HTTP status), the body as
 * grpc-message, and no body.
 */
export function localReplyResponse(reply: LocalReply, grpcRequest: boolean): { headers: HeaderMap; body: Uint8Array } {
  const headers = new HeaderMap([[":status", String(grpcRequest ? 200 : reply.status)]]);
  for (const [k, v] of reply.headers) headers.add(k, v);
  if (grpcRequest) {
    headers.set("content-type", "application/grpc");
    headers.set("grpc-status", String(reply.grpcStatus ?? grpcStatusForHttp(reply.status)));
    if (reply.body.length > 0) headers.set("grpc-message", grpcPercentEncode(new TextDecoder().decode(reply.body)));
    return { headers, body: EMPTY };
  }
  if (reply.body.length > 0) {
    headers.set("content-length", String(reply.body.length));
    if (!headers.has("content-type")) headers.add("content-type", "text/plain");
  }
  return { headers, body: reply.body };
}

/** gRPC's percent-encoding of grpc-message (as Envoy's PercentEncoding::encode): only '%' and bytes outside 0x20–0x7e. */
function grpcPercentEncode(text: string): string {
  let out = "";
  for (const byte of encoder.encode(text)) {
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
        : String.fromCharCode(byte);
  }
  return out;
}

/** Envoy's Grpc::Utility::httpToGrpcStatus: the grpc-status of a gRPC local reply that names none. */
function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;
    default:
      return 2;
  }
}
