// The generated request the fuzzer sends through a module, and its readable rendering (used in every failure
// report, so a shrunk counterexample can be read and replayed by hand).
import fc from "fast-check";

/** Where a generated exchange is cut off by a client reset (Envoy then runs on_log/on_done/on_delete only). */
export type FuzzReset =
  /** The client goes away right after the request headers. */
  | "after-headers"
  /** The client goes away halfway through the request body chunks. */
  | "mid-body"
  /** The client goes away once the request is complete, before the response starts. */
  | "before-response"
  /** The client goes away after the response headers, before the response body. */
  | "mid-response";

/** One generated request: what the client sends, how the body is cut into chunks, and whether it resets. */
export interface FuzzRequest {
  readonly method: string;
  /** Path with query string, as sent in `:path`. */
  readonly path: string;
  readonly authority: string;
  /** Regular headers in order (names may repeat; values may hold any character, including invalid ones). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Request body bytes (empty: the headers end the stream unless trailers follow). */
  readonly body: Uint8Array;
  /** Sizes of the consecutive body chunks; they add up to `body.length`. */
  readonly chunks: readonly number[];
  /** Request trailers, or null. */
  readonly trailers: ReadonlyArray<readonly [string, string]> | null;
  /** Where the client resets the exchange, or null for a complete exchange. */
  readonly reset: FuzzReset | null;
}

/** The first value of header `name` (case-insensitive) in a generated request, or undefined. */
export function requestHeader(request: FuzzRequest, name: string): string | undefined {
  const key = name.toLowerCase();
  return request.headers.find(([k]) => k.toLowerCase() === key)?.[1];
}

/** Every value of header `name` (case-insensitive) in a generated request. */
export function requestHeaderValues(request: FuzzRequest, name: string): string[] {
  const key = name.toLowerCase();
  return request.headers.filter(([k]) => k.toLowerCase() === key).map(([, v]) => v);
}

/** Longest stretch of a value printed in full; longer values are shown as head … tail with their length. */
const MAX_PRINTED_CHARS = 160;

/**
 * Quotes `text` so that every character is visible: printable ASCII as is, `"` and `\` escaped, control
 * characters and everything outside ASCII as \xNN / \uNNNN (lone surrogates included), long values shortened.
 */
export function quote(text: string): string {
  const escaped = (part: string) => {
    let out = "";
    for (let i = 0; i < part.length; i++) {
      const code = part.charCodeAt(i);
      if (code === 0x22 || code === 0x5c) out += `\\${part[i]}`;
      else if (code >= 0x20 && code < 0x7f) out += part[i];
      else if (code < 0x100) out += `\\x${code.toString(16).padStart(2, "0")}`;
      else out += `\\u${code.toString(16).padStart(4, "0")}`;
    }
    return out;
  };
  if (text.length <= MAX_PRINTED_CHARS) return `"${escaped(text)}"`;
  const half = MAX_PRINTED_CHARS / 2;
  return `"${escaped(text.slice(0, half))}" …(${text.length} chars)… "${escaped(text.slice(-half))}"`;
}

/** The body as a quoted string: UTF-8 when it decodes cleanly, else byte by byte (latin1, so \xNN shows each byte). */
function quoteBody(body: Uint8Array): string {
  try {
    return quote(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return `bytes ${quote(Buffer.from(body).toString("latin1"))}`;
  }
}

/**
 * Renders a generated request as HTTP-like text, one header per line, every byte visible, e.g.
 *
 *     POST /orders HTTP/1.1  (authority "example.com")
 *     authorization: "Bearer \xff"
 *     body: 3 bytes in chunks [1, 2]: "{\"a"
 *     client reset: mid-body
 */
export function formatRequest(request: FuzzRequest): string {
  const lines = [`${request.method} ${quote(request.path)} (authority ${quote(request.authority)})`];
  for (const [name, value] of request.headers) lines.push(`${quote(name)}: ${quote(value)}`);
  if (request.body.length > 0)
    lines.push(
      `body: ${request.body.length} bytes in chunks [${request.chunks.join(", ")}]: ${quoteBody(request.body)}`,
    );
  else lines.push("body: none");
  if (request.trailers)
    for (const [name, value] of request.trailers) lines.push(`trailer ${quote(name)}: ${quote(value)}`);
  if (request.reset) lines.push(`client reset: ${request.reset}`);
  return lines.join("\n");
}

/** Attaches {@link formatRequest} as fast-check's printer, so fast-check's own reports are readable too. */
export function printable(request: FuzzRequest): FuzzRequest {
  return Object.defineProperty({ ...request }, fc.toStringMethod, {
    value: () => `\n${formatRequest(request)}\n`,
    enumerable: false,
  });
}
