// One HTTP stream through the filter, driven step by step by a test, with Envoy's filter-manager behaviour:
// map/buffer availability windows, stop-all on headers, body buffering, deferred continue/local reply,
// local replies through the encoder path, failure policies, and on_log/on_done/on_delete at completion.
// (Its per-direction state and types are in http-direction.ts, its request/response attributes in stream-properties.ts.)
import {
  LOCAL_REPLIES,
  decodeClientRequest,
  decodeUpstreamResponse,
  deliverMessage,
  httpDate,
  type ClientRequest,
  type DecodedMessage,
  type UpstreamAnswer,
} from "./connection-manager.ts";
import { BufferType, MapType, Status, StreamType } from "../abi/index.ts";
import type { LogEntry, WasmTrapError } from "./errors.ts";
import { HeaderMap, type HeadersInit } from "./header-map.ts";
import {
  Direction,
  type FilterMode,
  type HttpAction,
  type HttpMessage,
  type HttpStreamDeps,
  type StepOptions,
} from "./http-direction.ts";
import { buffersBody, dropsBody, interpretReturn, localReplyReturnCode, type CallbackPhase } from "./filter-return.ts";
import {
  enforceBufferLimit,
  sendLocalReply,
  type LocalReplyTarget,
  type RecordedLocalReply,
} from "./local-reply-path.ts";
import { checkBodyStep, checkHeadersStep, checkTrailersStep, checkUpstreamResponseStep } from "./stream-usage.ts";
import { StreamCalls } from "./stream-calls.ts";
import { httpStreamProperty } from "./stream-properties.ts";
import { propertyKey } from "./properties.ts";
import { concat, type BufferRef, type ContextState, type HostStream, type LocalReply, type MapAccess } from "./vm.ts";

export type { FilterMode, HttpAction, HttpStreamDeps, StepOptions } from "./http-direction.ts";

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** An HTTP stream. Create with `emulator.httpStream()`. */
export class HttpStream {
  readonly kind = "http" as const;
  /** What went to the upstream: request headers/body/trailers after the filter. */
  readonly request: HttpMessage;
  /** What the client received: response after the filter (or the local reply). */
  readonly response: HttpMessage;
  /** The local reply sent by the filter (or the failure policy), or null. */
  localReply: RecordedLocalReply | null = null;
  /** Set when the filter reset the stream with proxy_close_stream (details wasm_close_stream). */
  resetReason: string | null = null;
  /** The trap that failed this stream's VM during this stream, if any. */
  error: WasmTrapError | null = null;
  /** Raw return code of the last callback (after Envoy's local-reply override), or null if none ran. */
  lastReturnCode: number | null = null;
  /** The cluster the router chose once the request headers left the filter chain (null before, or without a route). */
  route: string | null = null;

  readonly #deps: HttpStreamDeps;
  #mode: FilterMode;
  #ctx: ContextState | null = null;
  readonly #req = new Direction();
  readonly #resp = new Direction();
  readonly #calls: StreamCalls;
  #pendingReply: LocalReply | null = null;
  #logPhase = false;
  #completed = false;
  /** The request arrived with x-forwarded-proto (added by Envoy's connection manager); see #forwardHeaders. */
  #forwardedProtoAtStart = false;
  /** Virtual time the request headers left the filter chain (x-envoy-upstream-service-time). */
  #routedAtMs = 0;
  readonly #filterState = new Map<string, Uint8Array>();
  /** What a local reply goes through (local-reply-path.ts). */
  readonly #replyTarget: LocalReplyTarget = {
    request: this.#req,
    response: this.#resp,
    filterContextId: () => (this.#mode === "filter" && this.#ctx ? this.#ctx.id : null),
    invoke: (name, ...args) => this.#invoke(name, ...args),
    record: (reply) => {
      this.localReply = reply;
    },
    reset: (reason) => {
      this.resetReason = reason;
    },
  };

  constructor(deps: HttpStreamDeps) {
    this.#deps = deps;
    this.#mode = deps.mode;
    this.#calls = new StreamCalls(deps.vm, (e) => this.#handleTrap(e));
    this.request = this.#req.out;
    this.response = this.#resp.out;
  }

  /** Context id of this stream in the VM (0 until the first callback). */
  get contextId(): number {
    return this.#ctx?.id ?? 0;
  }

  /** Log lines the module wrote while acting on this stream. */
  get logs(): readonly LogEntry[] {
    return this.#ctx?.logs ?? [];
  }

  /** True once the stream is finished (completed, reset, or answered locally and completed). */
  get completed(): boolean {
    return this.#completed;
  }

  // ------------------------------------------------------------------ driving API

  /** Request headers arrive from the client (on_request_headers). */
  requestHeaders(headers: HeadersInit, options: StepOptions = {}): HttpAction {
    return this.#headers(this.#req, headers, options.endOfStream ?? false, "request");
  }

  /** A request body chunk arrives (on_request_body, or held while the filter stopped on headers). */
  requestBody(chunk: string | Uint8Array, options: StepOptions = {}): HttpAction {
    return this.#body(this.#req, chunk, options.endOfStream ?? false, "request");
  }

  /** Request trailers arrive (on_request_trailers); they end the request. */
  requestTrailers(trailers: HeadersInit): HttpAction {
    return this.#trailers(this.#req, trailers, "request");
  }

  /** Response headers arrive from the upstream (on_response_headers). */
  responseHeaders(headers: HeadersInit, options: StepOptions = {}): HttpAction {
    return this.#headers(this.#resp, headers, options.endOfStream ?? false, "response");
  }

  /** A response body chunk arrives (on_response_body). */
  responseBody(chunk: string | Uint8Array, options: StepOptions = {}): HttpAction {
    return this.#body(this.#resp, chunk, options.endOfStream ?? false, "response");
  }

  /** Response trailers arrive (on_response_trailers). */
  responseTrailers(trailers: HeadersInit): HttpAction {
    return this.#trailers(this.#resp, trailers, "response");
  }

  /** A client's request arrives through Envoy's codec and connection manager (connection-manager.ts); returns the last step's action. */
  sendClientRequest(request: Omit<ClientRequest, "protocol"> = {}): HttpAction {
    return this.#deliver(
      decodeClientRequest({ ...request, protocol: this.#deps.protocol }, this.#deps.requestId),
      "request",
    );
  }

  /** The upstream's answer arrives as Envoy's router hands it over (connection-manager.ts), once the request reached it. */
  sendUpstreamResponse(answer: UpstreamAnswer = {}): HttpAction {
    checkUpstreamResponseStep(this.localReply !== null || this.resetReason !== null);
    const decoded = decodeUpstreamResponse(answer, {
      date: httpDate(this.#deps.now()),
      serviceTimeMs: this.#deps.now() - this.#routedAtMs,
    });
    return this.#deliver(decoded, "response");
  }

  #deliver(message: DecodedMessage, side: "request" | "response"): HttpAction {
    const r = side === "request";
    return deliverMessage(message, {
      headers: (h, o) => (r ? this.requestHeaders(h, o) : this.responseHeaders(h, o)),
      body: (b, o) => (r ? this.requestBody(b, o) : this.responseBody(b, o)),
      trailers: (t) => (r ? this.requestTrailers(t) : this.responseTrailers(t)),
      stopped: () => this.#stopped(),
    });
  }

  /** Ends the stream as Envoy does: on_log (maps readable), then on_done and on_delete. Idempotent. */
  complete(): void {
    if (this.#completed) return;
    this.#completed = true;
    const ctx = this.#ctx;
    if (!ctx || this.#mode !== "filter") return;
    this.#req.headersActive = false;
    this.#resp.headersActive = false;
    this.#logPhase = true;
    this.#invoke("proxy_on_log", ctx.id);
    this.#logPhase = false;
    if (this.#mode === "filter") this.#invoke("proxy_on_done", ctx.id);
    if (this.#mode === "filter") this.#invoke("proxy_on_delete", ctx.id);
    this.#deps.vm.dropContext(ctx);
  }

  // ------------------------------------------------------------------ filter-manager logic

  #headers(dir: Direction, init: HeadersInit, eos: boolean, side: "request" | "response"): HttpAction {
    checkHeadersStep(side, dir, {
      localReply: this.localReply,
      completed: this.#completed,
      requestStarted: this.#req.started,
    });
    dir.started = true;
    dir.out.headers = new HeaderMap(init);
    dir.eosReceived = eos;
    if (side === "request") this.#forwardedProtoAtStart = dir.out.headers.has("x-forwarded-proto");
    if (this.#mode === "failed" && !this.localReply) {
      // The VM failed before this stream (fail closed / reload backoff): Envoy answers 503 without the filter.
      sendLocalReply(this.#replyTarget, LOCAL_REPLIES.wasmFailed, false);
    }
    if (this.#stopped()) return "pause";
    if (this.#mode !== "filter") {
      this.#forwardHeaders(dir);
      if (eos) dir.out.ended = true;
      return "continue";
    }
    this.#ensureContext();
    dir.headersActive = true;
    const code = this.#invoke(`proxy_on_${side}_headers`, this.#ctx!.id, dir.out.headers.size, eos ? 1 : 0);
    if (this.#afterCallback(dir, code, "headers")) this.#resume(dir);
    this.#applyDeferred();
    return this.#passing(dir) ? "continue" : "pause";
  }

  #body(dir: Direction, chunk: string | Uint8Array, eos: boolean, side: "request" | "response"): HttpAction {
    checkBodyStep(side, dir);
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    dir.eosReceived = eos;
    if (this.#stopped()) return "pause";
    if (this.#mode !== "filter") {
      dir.out.forwardBody(bytes);
      if (eos) dir.out.ended = true;
      return "continue";
    }
    if (dir.stop === "headers") {
      dir.held.push(bytes);
      enforceBufferLimit(this.#replyTarget, dir, side, this.#deps.bufferLimitBytes);
      return "pause";
    }
    dir.buffer = concat(dir.buffer, bytes);
    if (dir.stop === "body" && enforceBufferLimit(this.#replyTarget, dir, side, this.#deps.bufferLimitBytes))
      return "pause";
    this.#deliverBody(dir, side, eos);
    this.#applyDeferred();
    return this.#passing(dir) ? "continue" : "pause";
  }

  #trailers(dir: Direction, init: HeadersInit, side: "request" | "response"): HttpAction {
    checkTrailersStep(side, dir);
    dir.eosReceived = true;
    dir.out.trailers = new HeaderMap(init);
    if (this.#stopped()) return "pause";
    if (this.#mode !== "filter") {
      dir.out.ended = true;
      return "continue";
    }
    if (dir.stop === "headers") {
      dir.trailersPending = true;
      return "pause";
    }
    this.#deliverTrailers(dir, side);
    this.#applyDeferred();
    return this.#passing(dir) ? "continue" : "pause";
  }

  /** True when data in `dir` flows past the filter right now. */
  #passing(dir: Direction): boolean {
    return dir.stop === null && !dir.headersHeld && !this.#stopped();
  }

  #deliverBody(dir: Direction, side: "request" | "response", eos: boolean): void {
    dir.inBodyCallback = true;
    dir.bodyCallbackEos = eos;
    const code = this.#invoke(`proxy_on_${side}_body`, this.#ctx!.id, dir.buffer.length, eos ? 1 : 0);
    dir.inBodyCallback = false;
    dir.buffering = buffersBody(code) && this.#pendingReply === null;
    if (this.#afterCallback(dir, code, "body")) {
      if (!dir.out.headersForwarded) this.#forwardHeaders(dir); // headers held by StopIteration go first
      dir.out.forwardBody(dir.buffer);
      dir.buffer = EMPTY;
      if (eos) dir.end();
    } else if (dropsBody(code)) dir.buffer = EMPTY; // StopIterationNoBuffer: the chunk is not kept
  }

  #deliverTrailers(dir: Direction, side: "request" | "response"): void {
    dir.inTrailersCallback = true;
    const code = this.#invoke(`proxy_on_${side}_trailers`, this.#ctx!.id, dir.out.trailers!.size);
    dir.inTrailersCallback = false;
    if (this.#afterCallback(dir, code, "trailers")) {
      dir.stop = "trailers";
      this.#resume(dir);
    }
  }

  /**
   * Interprets a callback's return code (with the local-reply override and failure policy).
   * Returns true when the stream should proceed past this point; otherwise records where it stopped.
   */
  #afterCallback(dir: Direction, code: number | null, at: CallbackPhase): boolean {
    if (this.#mode === "bypass") {
      dir.stop = null;
      return true;
    }
    if (this.#mode === "failed" || this.#stopped()) return false;
    if (this.#pendingReply) {
      this.lastReturnCode = localReplyReturnCode(at);
      const reply = this.#pendingReply;
      this.#pendingReply = null;
      dir.stop = at;
      sendLocalReply(this.#replyTarget, reply, true);
      return false;
    }
    this.lastReturnCode = code;
    const decision = interpretReturn(code, at, this.#deps.allowHeadersStopIteration);
    dir.stop = decision.stop;
    if (decision.headersHeld) dir.headersHeld = true;
    return decision.proceed;
  }

  /** Moves `dir` past wherever it stopped, delivering held data as Envoy does after continue. */
  #resume(dir: Direction): void {
    const side = dir === this.#req ? "request" : "response";
    if (this.#stopped() || dir.done) return;
    if (!dir.out.headersForwarded && dir.stop !== "headers" && dir.stop !== null) this.#forwardHeaders(dir);
    if (dir.stop === "body") {
      dir.stop = null;
      dir.out.forwardBody(dir.buffer);
      dir.buffer = EMPTY;
      if (dir.trailersPending) {
        dir.trailersPending = false;
        this.#deliverTrailers(dir, side);
      } else if (dir.eosReceived && !dir.out.trailers) dir.end();
      return;
    }
    if (dir.stop === "trailers") {
      dir.stop = null;
      dir.out.forwardBody(dir.buffer); // a body held with StopIterationAndBuffer goes out before the trailers
      dir.buffer = EMPTY;
      dir.end();
      return;
    }
    dir.stop = null;
    if (!dir.out.headersForwarded) {
      this.#forwardHeaders(dir);
      if (dir.eosReceived && dir.held.length === 0 && !dir.out.trailers) {
        dir.end();
        return;
      }
    }
    if (dir.held.length > 0) {
      dir.buffer = concat(dir.buffer, ...dir.held);
      dir.held = [];
      this.#deliverBody(dir, side, dir.eosReceived && !dir.out.trailers);
      if (dir.stop !== null || this.#stopped()) return;
    }
    if (dir.trailersPending) {
      dir.trailersPending = false;
      this.#deliverTrailers(dir, side);
    }
  }

  #forwardHeaders(dir: Direction): void {
    dir.headersHeld = false;
    dir.headersActive = false;
    dir.out.headersForwarded = true;
    if (dir !== this.#req || this.#stopped()) return;
    // The route comes from the headers as they leave the filter chain (router.ts).
    const decision = this.#deps.router.route(dir.out.headers, this.#forwardedProtoAtStart);
    if (decision.kind === "no-route") {
      sendLocalReply(this.#replyTarget, LOCAL_REPLIES.routeNotFound, true);
      return;
    }
    this.route = decision.cluster;
    this.#routedAtMs = this.#deps.now();
  }

  /** True when the stream is answered locally, reset or failed: nothing more passes the filter. */
  #stopped(): boolean {
    return this.localReply !== null || this.resetReason !== null || this.#mode === "failed";
  }

  #ensureContext(): void {
    if (this.#ctx) return;
    const { vm, root } = this.#deps;
    this.#ctx = vm.newContext(root.plugin, root);
    this.#ctx.stream = this;
    this.#invoke("proxy_on_context_create", this.#ctx.id, root.id);
  }

  /** Calls a stream callback; a trap applies the failure policy. Returns the callback's result (null if absent). */
  #invoke(name: string, ...args: number[]): number | null {
    return this.#mode === "filter" ? this.#calls.invoke(this.#ctx!, name, ...args) : null;
  }

  #handleTrap(error: WasmTrapError): void {
    this.error = error;
    this.#calls.clear();
    this.#pendingReply = null;
    // The failure policy decides for later streams only: the stream whose callback trapped is failed with a 503
    // under every policy, fail open included (trace h1-trap-fail-open, Envoy 1.36 and 1.40).
    this.#deps.onTrap(error);
    this.#mode = "failed";
    sendLocalReply(this.#replyTarget, LOCAL_REPLIES.wasmFailed, false);
  }

  /** Called by the VM after a callback that requested continue/close/local reply on this stream. */
  applyDeferred(): void {
    if (this.#calls.inCallback) return;
    this.#applyDeferred();
  }

  #applyDeferred(): void {
    if (this.#pendingReply && this.#mode === "filter" && !this.#stopped()) {
      const reply = this.#pendingReply;
      this.#pendingReply = null;
      this.#calls.clear();
      sendLocalReply(this.#replyTarget, reply, true);
    }
    for (let next = this.#calls.next(); next; next = this.#calls.next()) {
      const [action, type] = next;
      if (action === "close") {
        if ((type === StreamType.HttpRequest || type === StreamType.HttpResponse) && !this.#stopped()) {
          this.resetReason = "wasm_close_stream";
          this.#req.headersActive = false;
          this.#resp.headersActive = false;
        }
        continue;
      }
      if (type === StreamType.HttpRequest) this.#resume(this.#req);
      else if (type === StreamType.HttpResponse) this.#resume(this.#resp);
    }
  }

  // ------------------------------------------------------------------ HostStream (called by hostcalls)

  /** @internal Map availability for hostcalls. */
  headerMap(type: number): MapAccess {
    const request = type === MapType.HttpRequestHeaders || type === MapType.HttpRequestTrailers;
    const trailers = type === MapType.HttpRequestTrailers || type === MapType.HttpResponseTrailers;
    return (request ? this.#req : this.#resp).mapAccess(trailers, type === MapType.HttpRequestTrailers, this.#logPhase);
  }

  /** @internal Body buffers for hostcalls: the current (or accumulated) body inside body callbacks. */
  buffer(type: number): BufferRef | null {
    if (type !== BufferType.HttpRequestBody && type !== BufferType.HttpResponseBody) return null;
    return (type === BufferType.HttpRequestBody ? this.#req : this.#resp).bodyBuffer();
  }

  /** @internal Stream-derived properties (request.*, response.*, upstream.*, filter state, connection.id). */
  property(key: string): Uint8Array | number | undefined {
    const [req, resp, deps] = [this.#req, this.#resp, this.#deps];
    return httpStreamProperty(key, {
      filterState: this.#filterState,
      seeded: deps.properties,
      connectionId: deps.connectionId,
      request: () => ({
        headers: req.started && ((req.headersActive && !this.#stopped()) || this.#logPhase) ? req.out.headers : null,
        allHeaders: req.out.headers,
        bodySize: req.out.bodyBytes.length,
        logPhase: this.#logPhase,
        protocol: deps.protocol,
      }),
      response: () =>
        resp.started
          ? {
              headers: resp.out.headers,
              trailers: resp.out.trailers,
              bodySize: resp.out.bodyBytes.length,
              logPhase: this.#logPhase,
              details: this.localReply?.details ?? "via_upstream",
            }
          : null,
      cluster: () => this.route ?? deps.router.route(req.out.headers, this.#forwardedProtoAtStart),
      routed: () => this.route !== null,
      deps,
    });
  }

  /** @internal proxy_set_property: stored as filter state, readable back by path. */
  setProperty(key: string, value: Uint8Array): void {
    this.#filterState.set(propertyKey(key), value);
  }

  /** @internal Deferred proxy_continue_stream. */
  deferContinue(type: number): number {
    this.#calls.defer("continue", type);
    return Status.Ok;
  }

  /** @internal Deferred proxy_close_stream. */
  deferClose(type: number): void {
    this.#calls.defer("close", type);
  }

  /** @internal Deferred proxy_send_local_response: the first one of a callback wins (trace h1-local-reply-twice). */
  deferLocalReply(reply: LocalReply): void {
    this.#pendingReply ??= reply;
  }
}

// HttpStream is a HostStream (the VM's hostcalls reach it through that interface). Checked with this type instead of
// `implements`: the HostStream methods are @internal and left out of the published declarations, where an
// `implements` clause would then fail to type-check in users' projects.
type MustBeHostStream<T extends HostStream> = T;
// biome-ignore lint/correctness/noUnusedVariables: a compile-time check, used by nothing else
type HttpStreamAsHostStream = MustBeHostStream<HttpStream>;
