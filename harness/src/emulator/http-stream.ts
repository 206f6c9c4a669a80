// The public handle of one HTTP stream: what a test (and the scenario layer) drives and reads. It holds no
// filter-manager state of its own: every step goes to the stream's private engine (stream-engine.ts), which host
// calls reach through their own view of it (stream-host-view.ts), never through this handle.
import {
  decodeClientRequest,
  decodeUpstreamResponse,
  deliverMessage,
  httpDate,
  type ClientRequest,
  type DecodedMessage,
  type UpstreamAnswer,
} from "./connection-manager.ts";
import type { LogEntry, WasmTrapError } from "./errors.ts";
import type { HeadersInit } from "./header-map.ts";
import type { HttpAction, HttpMessage, StepOptions } from "./http-direction.ts";
import type { RecordedLocalReply } from "./local-reply-path.ts";
import { HttpStreamEngine, type HttpStreamDeps } from "./stream-engine.ts";
import { checkUpstreamResponseStep, type StreamSide } from "./stream-usage.ts";

export type { HttpAction, StepOptions } from "./http-direction.ts";
export type { FilterMode, HttpStreamDeps } from "./stream-engine.ts";

/** An HTTP stream. Create with `emulator.httpStream()`. */
export class HttpStream {
  /** Always "http": tells an HTTP stream from a TCP connection (`TcpConnection.kind` is "tcp"). */
  readonly kind = "http" as const;
  /** What went to the upstream: request headers/body/trailers after the filter. */
  readonly request: HttpMessage;
  /** What the client received: response after the filter (or the local reply). */
  readonly response: HttpMessage;
  readonly #engine: HttpStreamEngine;

  /** Builds the stream's engine; the emulator calls it (`emulator.httpStream()`), tests do not. */
  constructor(deps: HttpStreamDeps) {
    this.#engine = new HttpStreamEngine(deps);
    this.request = this.#engine.req.out;
    this.response = this.#engine.resp.out;
  }

  /** The local reply sent by the filter (or the failure policy), or null. */
  get localReply(): RecordedLocalReply | null {
    return this.#engine.localReply;
  }

  /** Set when the filter reset the stream with proxy_close_stream (details wasm_close_stream). */
  get resetReason(): string | null {
    return this.#engine.resetReason;
  }

  /** The trap that failed this stream's VM during this stream, if any. */
  get error(): WasmTrapError | null {
    return this.#engine.error;
  }

  /** Raw return code of the last callback (after Envoy's local-reply override), or null if none ran. */
  get lastReturnCode(): number | null {
    return this.#engine.lastReturnCode;
  }

  /** The cluster the router chose once the request headers left the filter chain (null before, or without a route). */
  get route(): string | null {
    return this.#engine.route;
  }

  /** Context id of this stream in the VM (0 until the first callback). */
  get contextId(): number {
    return this.#engine.contextId;
  }

  /** Log lines the module wrote while acting on this stream. */
  get logs(): readonly LogEntry[] {
    return this.#engine.logs;
  }

  /** True once the stream is finished (completed, reset, or answered locally and completed). */
  get completed(): boolean {
    return this.#engine.completed;
  }

  // ------------------------------------------------------------------ driving API

  /** Request headers arrive from the client (on_request_headers). */
  requestHeaders(headers: HeadersInit, options: StepOptions = {}): HttpAction {
    return this.#engine.headers("request", headers, options.endOfStream ?? false);
  }

  /** A request body chunk arrives (on_request_body, or held while the filter stopped on headers). */
  requestBody(chunk: string | Uint8Array, options: StepOptions = {}): HttpAction {
    return this.#engine.body("request", chunk, options.endOfStream ?? false);
  }

  /** Request trailers arrive (on_request_trailers); they end the request. */
  requestTrailers(trailers: HeadersInit): HttpAction {
    return this.#engine.trailers("request", trailers);
  }

  /** Response headers arrive from the upstream (on_response_headers). */
  responseHeaders(headers: HeadersInit, options: StepOptions = {}): HttpAction {
    return this.#engine.headers("response", headers, options.endOfStream ?? false);
  }

  /** A response body chunk arrives (on_response_body). */
  responseBody(chunk: string | Uint8Array, options: StepOptions = {}): HttpAction {
    return this.#engine.body("response", chunk, options.endOfStream ?? false);
  }

  /** Response trailers arrive (on_response_trailers). */
  responseTrailers(trailers: HeadersInit): HttpAction {
    return this.#engine.trailers("response", trailers);
  }

  /** A client's request arrives through Envoy's codec and connection manager (connection-manager.ts); returns the last step's action. */
  sendClientRequest(request: Omit<ClientRequest, "protocol"> = {}): HttpAction {
    const { protocol, requestId } = this.#engine.deps;
    return this.#deliver(decodeClientRequest({ ...request, protocol }, requestId), "request");
  }

  /** The upstream's answer arrives as Envoy's router hands it over (connection-manager.ts), once the request reached it. */
  sendUpstreamResponse(answer: UpstreamAnswer = {}): HttpAction {
    const engine = this.#engine;
    checkUpstreamResponseStep(engine.localReply !== null || engine.resetReason !== null);
    const now = engine.deps.now();
    const decoded = decodeUpstreamResponse(answer, { date: httpDate(now), serviceTimeMs: now - engine.routedAtMs });
    return this.#deliver(decoded, "response");
  }

  /** Ends the stream as Envoy does: on_log (maps readable), then on_done and on_delete. Idempotent. */
  complete(): void {
    this.#engine.complete();
  }

  #deliver(message: DecodedMessage, side: StreamSide): HttpAction {
    const engine = this.#engine;
    return deliverMessage(message, {
      headers: (h, o) => engine.headers(side, h, o?.endOfStream ?? false),
      body: (b, o) => engine.body(side, b, o?.endOfStream ?? false),
      trailers: (t) => engine.trailers(side, t),
      stopped: () => engine.stopped(),
    });
  }
}
