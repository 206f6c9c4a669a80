// A loopback HTTP upstream (HTTP/1.1 or h2c) that records every request it receives and answers with a
// programmable response (default: echo the body back), so a test can assert what a filter did to the request.
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { type HeaderValues, headerValuesFromRaw, listenOnLoopback, type UpstreamEndpoint } from "./endpoint.ts";

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
  /** The latest request; throws a clear error when none arrived. */
  last(): RecordedRequest;
  /** Replaces the response logic for the following requests. */
  respondWith(responder: Responder): void;
  /** Forgets recorded requests. */
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

/** Starts a recording HTTP upstream on 127.0.0.1 with a kernel-chosen port. */
export async function startHttpUpstream(options: HttpUpstreamOptions = {}): Promise<HttpUpstream> {
  const protocol = options.protocol ?? "http1";
  let responder = options.respond ?? echoResponder;
  const requests: RecordedRequest[] = [];

  const handle = async (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
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

  const server =
    protocol === "h2c"
      ? createHttp2Server((req, res) => void handle(req, res))
      : createHttp1Server((req, res) => void handle(req, res));
  const { port, close } = await listenOnLoopback(server);
  return {
    host: "127.0.0.1",
    port,
    protocol,
    requests,
    last() {
      const r = requests.at(-1);
      if (!r) throw new Error(`the upstream on 127.0.0.1:${port} has received no request`);
      return r;
    },
    respondWith(next) {
      responder = next;
    },
    reset() {
      requests.length = 0;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
