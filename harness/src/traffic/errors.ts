// Errors of the traffic layer. It knows nothing about Envoy: a timeout here says only that the server did not
// answer; the envoy layer (envoy.request) turns it into a diagnosis (a stuck worker, a paused stream).
import { HarnessError, type HarnessErrorOptions } from "../errors.ts";

/** An HTTP exchange got no (complete) response in time. Thrown by `httpRequest` instead of a bare `TimeoutError`. */
export class HttpTimeoutError extends HarnessError {
  override readonly name = "HttpTimeoutError";
  /** The request's method, e.g. "GET". */
  readonly method: string;
  /** The request's path, e.g. "/items?x=1". */
  readonly path: string;
  /** The origin the request went to, e.g. "http://127.0.0.1:10000". */
  readonly origin: string;
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number;

  constructor(
    request: { method: string; path: string; origin: string; timeoutMs: number },
    options: HarnessErrorOptions,
  ) {
    super(`${request.method} ${request.path} to ${request.origin} got no response within ${request.timeoutMs} ms`, {
      hint: "the server did not answer in time; if it is legitimately slow, raise `timeoutMs`. Through Envoy, send it with `envoy.request(…)`: the harness then tells a stuck filter from a slow upstream",
      ...options,
    });
    this.method = request.method;
    this.path = request.path;
    this.origin = request.origin;
    this.timeoutMs = request.timeoutMs;
  }
}

const UNDICI_TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** True when `error` is how undici, fetch or node:http report an expired timeout (or AbortSignal.timeout). */
export function isTimeout(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown; cause?: { name?: unknown } } | null;
  if (!e || typeof e !== "object") return false;
  if (e.name === "TimeoutError" || e.cause?.name === "TimeoutError") return true;
  return typeof e.code === "string" && UNDICI_TIMEOUT_CODES.has(e.code);
}
