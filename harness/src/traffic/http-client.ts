// HTTP requests from a test to Envoy with undici: HTTP/1.1 or HTTP/2 cleartext (prior knowledge, undici
// `h2Options.useH2c`), string/bytes bodies or bodies streamed in explicit chunks. Requests with trailers
// use node:http / node:http2, because undici cannot send request trailers.
import { request as http1Request } from "node:http";
import { connect as http2Connect, constants as h2 } from "node:http2";
import { Readable } from "node:stream";
import { Client } from "undici";
import { HttpTimeoutError, isTimeout } from "./errors.ts";

/** A request body: whole, or a sequence of chunks sent one by one (use an async generator to pace them). */
export type RequestBody = string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

/** Options of {@link httpRequest}. */
export interface HttpRequestOptions {
  /** Default GET, or POST when a body is given. */
  method?: string;
  /** Request headers; an array value sends the header several times. */
  headers?: Record<string, string | string[]>;
  body?: RequestBody;
  /** Request trailers (the body is then sent chunked on HTTP/1.1). */
  trailers?: Record<string, string>;
  /** Use HTTP/2 cleartext with prior knowledge instead of HTTP/1.1. */
  http2?: boolean;
  /** Whole-exchange timeout; default 10 s. */
  timeoutMs?: number;
}

/** A complete response as the client saw it. */
export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers come as arrays. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Response trailers (empty when there were none). */
  trailers: Record<string, string | string[] | undefined>;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON. */
  json<T = unknown>(): T;
}

/** The whole-exchange timeout of {@link httpRequest} when the caller gives none. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/**
 * Sends one request to `origin` (e.g. "http://127.0.0.1:10000") and reads the whole response. A response that
 * does not complete within `timeoutMs` rejects with {@link HttpTimeoutError}.
 */
export async function httpRequest(
  origin: string,
  path: string,
  options: HttpRequestOptions = {},
): Promise<HttpResponse> {
  const method = options.method ?? (options.body !== undefined ? "POST" : "GET");
  const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  try {
    return await (options.trailers
      ? nodeRequestWithTrailers(origin, path, method, options, timeoutMs)
      : undiciRequest(origin, path, method, options, timeoutMs));
  } catch (error) {
    if (isTimeout(error)) throw new HttpTimeoutError({ method, path, origin, timeoutMs }, { cause: error });
    throw error;
  }
}

async function undiciRequest(
  origin: string,
  path: string,
  method: string,
  options: HttpRequestOptions,
  timeoutMs: number,
): Promise<HttpResponse> {
  const client = new Client(origin, {
    allowH2: options.http2 === true,
    h2Options: options.http2 ? { useH2c: true } : undefined,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  try {
    const res = await client.request({
      path,
      method,
      headers: options.headers,
      body: toUndiciBody(options.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    return makeResponse(res.statusCode, res.headers, body, { ...res.trailers });
  } finally {
    await client.close().catch(() => undefined);
  }
}

function toUndiciBody(body: RequestBody | undefined) {
  if (body === undefined || typeof body === "string" || body instanceof Uint8Array) return body;
  return Readable.from(chunksOf(body), { objectMode: false });
}

async function* chunksOf(body: RequestBody | undefined): AsyncGenerator<Uint8Array> {
  if (body === undefined) return;
  if (typeof body === "string" || body instanceof Uint8Array) {
    yield typeof body === "string" ? Buffer.from(body) : body;
    return;
  }
  for await (const chunk of body as AsyncIterable<string | Uint8Array>)
    yield typeof chunk === "string" ? Buffer.from(chunk) : chunk;
}

function makeResponse(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  trailers: Record<string, string | string[] | undefined>,
): HttpResponse {
  return {
    status,
    headers,
    body,
    trailers,
    text: () => body.toString("utf8"),
    json: <T>() => JSON.parse(body.toString("utf8")) as T,
  };
}

async function nodeRequestWithTrailers(
  origin: string,
  path: string,
  method: string,
  options: HttpRequestOptions,
  timeoutMs: number,
): Promise<HttpResponse> {
  const url = new URL(origin);
  const signal = AbortSignal.timeout(timeoutMs);
  if (options.http2) {
    const session = http2Connect(origin);
    // A session the server resets (Envoy refusing a request mid-body) reaches the caller through the stream's
    // rejection below; without a listener the session's own 'error' event would crash the process.
    session.on("error", () => undefined);
    try {
      const stream = session.request(
        { [h2.HTTP2_HEADER_METHOD]: method, [h2.HTTP2_HEADER_PATH]: path, ...options.headers },
        { waitForTrailers: true, signal },
      );
      stream.on("wantTrailers", () => stream.sendTrailers(options.trailers!));
      const response = new Promise<HttpResponse>((resolve, reject) => {
        let status = 0;
        let headers: Record<string, string | string[] | undefined> = {};
        let trailers: Record<string, string | string[] | undefined> = {};
        const chunks: Buffer[] = [];
        stream.on("response", (h) => {
          status = Number(h[":status"]);
          headers = Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith(":")));
        });
        stream.on("trailers", (t) => (trailers = { ...t }));
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => resolve(makeResponse(status, headers, Buffer.concat(chunks), trailers)));
        stream.on("error", reject);
      });
      // The server may answer (or reset) before the body is written; the rejection is awaited below, so mark it
      // handled now instead of leaving it unhandled while the loop writes.
      response.catch(() => undefined);
      for await (const chunk of chunksOf(options.body)) {
        if (stream.destroyed) break;
        stream.write(chunk);
      }
      if (!stream.destroyed) stream.end();
      return await response;
    } finally {
      session.close();
    }
  }
  const req = http1Request({
    host: url.hostname,
    port: url.port,
    path,
    method,
    headers: { ...options.headers, "transfer-encoding": "chunked", trailer: Object.keys(options.trailers!).join(", ") },
    signal,
  });
  const response = new Promise<HttpResponse>((resolve, reject) => {
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve(makeResponse(res.statusCode ?? 0, { ...res.headers }, Buffer.concat(chunks), { ...res.trailers })),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
  });
  response.catch(() => undefined); // awaited by the caller; see the HTTP/2 branch
  for await (const chunk of chunksOf(options.body)) {
    if (req.destroyed) break;
    req.write(chunk);
  }
  if (!req.destroyed) {
    req.addTrailers(options.trailers!);
    req.end();
  }
  return response;
}
