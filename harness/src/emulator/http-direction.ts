// The two directions of an HTTP stream as the filter manager tracks them: what left the filter (HttpMessage) and
// where the direction stopped, what it holds and which maps are in the filter's window (Direction).
import { HeaderMap } from "./header-map.ts";
import { concat } from "./bytes.ts";
import type { BufferRef, MapAccess } from "./vm-types.ts";

/** Outcome of a step: did the data go past the filter ("continue") or is the stream held ("pause")? */
export type HttpAction = "continue" | "pause";

/** Options of a headers/body step. */
export interface StepOptions {
  /** True when nothing follows (no body after headers, last body chunk). Default false. */
  readonly endOfStream?: boolean;
}

const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** Data as it left the filter in one direction (what upstream or the client receives). */
export class HttpMessage {
  /** The header map. The filter edits this same map while it is available to it. */
  headers = new HeaderMap();
  /** Trailers, if any were received or added. */
  trailers: HeaderMap | null = null;
  #forwarded: Uint8Array[] = [];
  /** True once the headers went past the filter. */
  headersForwarded = false;
  /** True once the end of stream went past the filter. */
  ended = false;

  /** Body bytes forwarded so far. */
  get bodyBytes(): Uint8Array {
    return concat(...this.#forwarded, EMPTY);
  }

  /** Body forwarded so far, as UTF-8. */
  get body(): string {
    return decoder.decode(this.bodyBytes);
  }

  /** Appends forwarded body bytes (host side). */
  forwardBody(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#forwarded.push(bytes);
  }

  /** Replaces everything (used when a local reply replaces the response). */
  reset(): void {
    this.headers = new HeaderMap();
    this.trailers = null;
    this.#forwarded = [];
    this.headersForwarded = false;
    this.ended = false;
  }
}

/** Where a direction stopped: on headers, body or trailers (null: flowing). */
export type Stop = null | "headers" | "body" | "trailers";

/** Per-direction filter-manager state (internal to the stream engine, stream-engine.ts). */
export class Direction {
  readonly out = new HttpMessage();
  started = false;
  /** Headers are in the filter's window: in the callback or paused from it. */
  headersActive = false;
  inBodyCallback = false;
  inTrailersCallback = false;
  bodyCallbackEos = false;
  stop: Stop = null;
  /** Headers held by a genuine StopIteration (allow_on_headers_stop_iteration): body callbacks still run. */
  headersHeld = false;
  /** The body as the filter sees it in a body callback (accumulated while buffering). */
  buffer: Uint8Array = EMPTY;
  /**
   * The last body callback returned StopIterationAndBuffer (E-CTX `buffering_request_body_`): the trailers callback
   * then sees (and may rewrite) the whole buffered body, which goes out before the trailers.
   */
  buffering = false;
  /** Body received while stopped from headers (stop-all): delivered at once on continue. */
  held: Uint8Array[] = [];
  eosReceived = false;
  trailersPending = false;
  done = false;

  /**
   * The header or trailer map of this direction as hostcalls may use it now (E-CTX getMap): headers in their window,
   * trailers in their callback or created from the last body chunk; in on_log everything read-only except the
   * request trailers (`requestTrailers`), which Envoy no longer has.
   */
  mapAccess(trailers: boolean, requestTrailers: boolean, logPhase: boolean): MapAccess {
    if (logPhase) {
      if (trailers) {
        const map = requestTrailers ? null : this.out.trailers;
        return { map, readable: map !== null, writable: false, unavailableStatus: 1 };
      }
      return {
        map: this.started ? this.out.headers : null,
        readable: this.started,
        writable: false,
        unavailableStatus: 1,
      };
    }
    if (!trailers) return { map: this.out.headers, readable: this.headersActive, writable: this.headersActive };
    const active = (this.inTrailersCallback || this.stop === "trailers") && this.out.trailers !== null;
    if (active) return { map: this.out.trailers, readable: true, writable: true };
    if (this.inBodyCallback && this.bodyCallbackEos && !this.out.trailers) {
      this.out.trailers = new HeaderMap();
      return { map: this.out.trailers, readable: true, writable: true };
    }
    return { map: null, readable: false, writable: false };
  }

  /** The whole direction went past the filter. */
  end(): void {
    this.out.ended = true;
    this.done = true;
  }

  /** Replaces whatever this (response) direction had by a local reply's `headers`; returns whether it had started. */
  replaceWith(headers: HeaderMap): boolean {
    const wasStarted = this.started;
    this.out.reset();
    this.started = true;
    this.out.headers = headers;
    this.eosReceived = true;
    this.stop = null;
    return wasStarted;
  }

  /**
   * The body buffer as hostcalls see it: the current (or accumulated) body inside body callbacks, and in the trailers
   * callback the body held by StopIterationAndBuffer (Envoy's modifyDecodingBuffer/modifyEncodingBuffer); else empty.
   */
  bodyBuffer(): BufferRef {
    if (!this.inBodyCallback && !(this.inTrailersCallback && this.buffering))
      return { bytes: EMPTY, mutable: false, replace() {} };
    return { bytes: this.buffer, mutable: true, replace: (b) => (this.buffer = b) };
  }
}
