// A loopback HTTP upstream (HTTP/1.1 or h2c) that records every request it receives and answers with a
// programmable response (default: echo the body back), so a test can assert what a filter did to the request.
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { type HeaderValues, headerValuesFromRaw, listenOnLoopback, type UpstreamEndpoint } from "./endpoint.ts";
import { HarnessError } from "../errors.ts";

/** One request as the upstream received it (after Envoy and its filters). */
export interface RecordedRequest {
  method: string;
  /** Path with query string. */
  path: string;
  /** Every header, lower-case names, all values of repeated headers (pseudo-headers excluded). */
  headers: HeaderValues;
  /** Request trailers (empty when none). */
  trailers: HeaderValues;
  body: Buffer;
  /** "1.1" or "2.0": the protocol Envoy used towards the upstream. */
  httpVersion: string;
  /** First value of header `name` (case-insensitive), or undefined. */
  header(name: string): string | undefined;
  /** Body as UTF-8 text. */
  text(): string;
}

/**
 * A request the upstream could not finish because its peer went away: the client (or Envoy, e.g. after a local
 * 413 on a body it was still streaming) reset the stream, or the connection closed while the upstream answered.
 * Recorded instead of raising, so that nothing a peer does can crash the test process.
 */
export interface RecordedReset {
  method: string;
  /** Path with query string. */
  path: string;
  /** "request": the request body was cut off; "response": the peer went away while the upstream answered. */
  phase: "request" | "response";
  /** Request body bytes received before the reset. */
  bodyBytesReceived: number;
  /** The error Node reported, e.g. "aborted" with code ECONNRESET. */
  error: string;
}

/** What the upstream answers. Missing fields: 200, no extra headers, empty body, no trailers. */
export interface HttpUpstreamResponse {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string | Uint8Array;
  trailers?: Record<string, string>;
  /** Wait this long before answering (e.g. to test timeouts). */
  delayMs?: number;
}

/** Computes the response to a recorded request. */
export type Responder = (request: RecordedRequest) => HttpUpstreamResponse | Promise<HttpUpstreamResponse>;

/** Options of {@link startHttpUpstream}. */
export interface HttpUpstreamOptions {
  /** "http1" (default) or "h2c" (HTTP/2 cleartext; Envoy needs the cluster marked http2). */
  protocol?: "http1" | "h2c";
  /** Response logic; default {@link echoResponder}. */
  respond?: Responder;
}

/** A running recording upstream; also an {@link UpstreamEndpoint} to hand to Envoy. */
export interface HttpUpstream extends UpstreamEndpoint, AsyncDisposable {
  readonly protocol: "http1" | "h2c";
  /** Every request received so far, in order. */
  readonly requests: readonly RecordedRequest[];
  /** Requests whose peer reset them before the exchange finished (see {@link RecordedReset}), in order. */
  readonly resets: readonly RecordedReset[];
  /** The latest request; throws a clear error when none arrived. */
  last(): RecordedRequest;
  /** Replaces the response logic for the following requests. */
  respondWith(responder: Responder): void;
  /** Forgets recorded requests and resets. */
  reset(): void;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Default responder: 200 with the request body echoed, `x-upstream: echo` and the request content type. */
export const echoResponder: Responder = (request) => ({
  status: 200,
  headers: { "x-upstream": "echo", "content-type": request.header("content-type") ?? "application/octet-stream" },
  body: request.body,
});

/**
 * Responder for trying a filter by hand (`proxy-wasm-as run --echo`): 200 with the request as this upstream received
 * it, so the client sees what the filter sent on: a pretty-printed JSON object `{ method, path, httpVersion,
 * headers, trailers, body }` (headers and trailers as lower-case name → every value; body as UTF-8 text).
 */
export const jsonEchoResponder: Responder = (request) => ({
  status: 200,
  headers: { "x-upstream": "echo", "content-type": "application/json" },
  body: `${JSON.stringify(
    {
      method: request.method,
      path: request.path,
      httpVersion: request.httpVersion,
      headers: request.headers,
      trailers: request.trailers,
      body: request.text(),
    },
    null,
    2,
  )}\n`,
});

/**
 * Largest request head the upstream accepts: above Envoy's own limit (60 KiB by default), so that whatever Envoy
 * forwards is recorded rather than refused by Node (whose default is 16 KiB).
 */
const MAX_HEADER_BYTES = 128 * 1024;

/** Starts a recording HTTP upstream on 127.0.0.1 with a kernel-chosen port. */
export async function startHttpUpstream(options: HttpUpstreamOptions = {}): Promise<HttpUpstream> {
  const protocol = options.protocol ?? "http1";
  let responder = options.respond ?? echoResponder;
  const requests: RecordedRequest[] = [];

  const resets: RecordedReset[] = [];

  // Hand-written rather than `for await (const chunk of req)`: the async iterator turns a peer reset into a
  // rejection, and a request handler's rejection has nobody to catch it (finding 5 of issue 13).
  const handle = async (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let phase: RecordedReset["phase"] = "request";
    let resetRecorded = false;
    const recordReset = (err: unknown) => {
      if (resetRecorded) return;
      resetRecorded = true;
      const e = err as NodeJS.ErrnoException;
      resets.push({
        method: req.method ?? "",
        path: req.url ?? "",
        phase,
        bodyBytesReceived: received,
        error: e?.code ? `${e.message} (${e.code})` : String(e?.message ?? err),
      });
    };
    res.on("error", recordReset);
    // Closed before the response was finished: the peer went away (for HTTP/2 a reset may even arrive after Node
    // delivered the end of the request).
    res.once("close", () => {
      if (!res.writableFinished)
        recordReset(
          Object.assign(new Error("the peer reset the stream before the response was finished"), {
            code: "ECONNRESET",
          }),
        );
    });
    const complete = await new Promise<boolean>((resolve) => {
      req.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
      });
      req.once("end", () => resolve(true));
      req.once("error", (err) => {
        recordReset(err);
        resolve(false);
      });
      // A reset can also surface only as a close without end (HTTP/2 RST_STREAM, or a socket torn down).
      // (`readableEnded`, not `complete`: an aborted HTTP/2 request counts as complete.)
      req.once("close", () => {
        if (!req.readableEnded) recordReset(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
        resolve(req.readableEnded);
      });
    });
    if (!complete) return;
    phase = "response";
    const headers = headerValuesFromRaw(req.rawHeaders);
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers,
      trailers: headerValuesFromRaw(req.rawTrailers),
      body: Buffer.concat(chunks),
      httpVersion: req.httpVersion,
      header: (name) => headers[name.toLowerCase()]?.[0],
      text: () => Buffer.concat(chunks).toString("utf8"),
    };
    requests.push(recorded);
    let answer: HttpUpstreamResponse;
    try {
      answer = await responder(recorded);
    } catch (err) {
      answer = { status: 500, body: `upstream responder threw: ${(err as Error).message}` };
    }
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    const out = res as ServerResponse;
    if (out.destroyed || out.writableEnded) return recordReset(new Error("the peer went away before the response"));
    out.statusCode = answer.status ?? 200;
    for (const [name, value] of Object.entries(answer.headers ?? {})) out.setHeader(name, value);
    const body = answer.body === undefined ? undefined : Buffer.from(answer.body);
    if (answer.trailers) {
      // Trailers need a chunked (HTTP/1.1) response: announce them and write the body before ending.
      out.setHeader("trailer", Object.keys(answer.trailers).join(", "));
      if (body) out.write(body);
      out.addTrailers(answer.trailers);
      out.end();
    } else {
      out.end(body);
    }
  };
  // Last line of defence: whatever still throws (e.g. writing into a stream the peer just reset) is a reset.
  const serve = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
    handle(req, res).catch((err: unknown) =>
      resets.push({
        method: req.method ?? "",
        path: req.url ?? "",
        phase: "response",
        bodyBytesReceived: 0,
        error: String((err as Error)?.message ?? err),
      }),
    );
  };

  const server =
    protocol === "h2c"
      ? createHttp2Server({ settings: { maxHeaderListSize: MAX_HEADER_BYTES } }, serve)
      : createHttp1Server({ maxHeaderSize: MAX_HEADER_BYTES }, serve);
  // An HTTP/2 session that errors (a peer reset) is not a server failure. (HTTP/1.1 client errors keep Node's
  // default handling: a 400/431 answer, no exception.)
  if (protocol === "h2c") server.on("sessionError", () => undefined);
  const { port, close } = await listenOnLoopback(server);
  return {
    host: "127.0.0.1",
    port,
    protocol,
    requests,
    resets,
    last() {
      const r = requests.at(-1);
      if (!r)
        throw new HarnessError(`the upstream on 127.0.0.1:${port} has received no request`, {
          hint: "check the client got its answer from the upstream (a filter's local reply or a wrong route never reaches it); use upstream.requests to allow none",
        });
      return r;
    },
    respondWith(next) {
      responder = next;
    },
    reset() {
      requests.length = 0;
      resets.length = 0;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
