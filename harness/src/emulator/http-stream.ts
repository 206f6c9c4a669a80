// One HTTP stream through the filter, driven step by step by a test, with Envoy's filter-manager behaviour:
// map/buffer availability windows, stop-all on headers, body buffering, deferred continue/local reply,
// local replies through the encoder path, failure policies, and on_log/on_done/on_delete at completion.
import { EmulatorUsageError, WasmTrapError, type LogEntry } from "./errors.ts";
import { HeaderMap, type HeadersInit } from "./header-map.ts";
import { encodePairs } from "./pairs.ts";
import { encodePropertyValue, propertyKey, type PropertyValue } from "./properties.ts";
import { concat, findProperty, type BufferRef, type ContextState, type HostStream, type LocalReply, type MapAccess, type WasmVm } from "./vm.ts";

/** Outcome of a step: did the data go past the filter ("continue") or is the stream held ("pause")? */
export type HttpAction = "continue" | "pause";

/** Options of a headers/body step. */
export interface StepOptions {
  /** True when nothing follows (no body after headers, last body chunk). Default false. */
  readonly endOfStream?: boolean;
}

/** How the filter behaves for this stream: normal, skipped (fail open after a trap), or failed closed. */
export type FilterMode = "filter" | "bypass" | "failed";

/** What the stream needs from the emulator. */
export interface HttpStreamDeps {
  readonly vm: WasmVm;
  readonly root: ContextState;
  readonly mode: FilterMode;
  readonly properties: Readonly<Record<string, PropertyValue>>;
  readonly connectionId: number;
  /** Called when a callback of this stream trapped (the VM is failed); the stream itself then fails closed under every policy. */
  readonly onTrap: (error: WasmTrapError) => "bypass" | "fail-closed";
  /** Envoy ≥ 1.35 `allow_on_headers_stop_iteration`: headers Pause (1) is a real StopIteration, not stop-all. */
  readonly allowHeadersStopIteration: boolean;
  /** Envoy's stream buffer limit (per_connection_buffer_limit_bytes, default 1 MiB) for bodies the filter holds. */
  readonly bufferLimitBytes: number;
}

const encoder = new TextEncoder();
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

type Stop = null | "headers" | "body" | "trailers";

/** Per-direction filter-manager state. */
class Direction {
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
  /** Body received while stopped from headers (stop-all): delivered at once on continue. */
  held: Uint8Array[] = [];
  eosReceived = false;
  trailersPending = false;
  done = false;
}

/** An HTTP stream. Create with `emulator.httpStream()`. */
export class HttpStream {
  readonly kind = "http" as const;
  /** What went to the upstream: request headers/body/trailers after the filter. */
  readonly request: HttpMessage;
  /** What the client received: response after the filter (or the local reply). */
  readonly response: HttpMessage;
  /** The local reply sent by the filter (or the failure policy), or null. */
  localReply: (LocalReply & { readonly bodyText: string }) | null = null;
  /** Set when the filter reset the stream with proxy_close_stream (details wasm_close_stream). */
  resetReason: string | null = null;
  /** The trap that failed this stream's VM during this stream, if any. */
  error: WasmTrapError | null = null;
  /** Raw return code of the last callback (after Envoy's local-reply override), or null if none ran. */
  lastReturnCode: number | null = null;

  readonly #deps: HttpStreamDeps;
  #mode: FilterMode;
  #ctx: ContextState | null = null;
  readonly #req = new Direction();
  readonly #resp = new Direction();
  #deferred: Array<["continue" | "close", number]> = [];
  #pendingReply: LocalReply | null = null;
  #inCallback = false;
  #logPhase = false;
  #completed = false;
  /** The request arrived with x-forwarded-proto (added by Envoy's connection manager); see #forwardHeaders. */
  #forwardedProtoAtStart = false;
  readonly #filterState = new Map<string, Uint8Array>();

  constructor(deps: HttpStreamDeps) {
    this.#deps = deps;
    this.#mode = deps.mode;
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

  #usage(cond: boolean, message: string): void {
    if (cond) throw new EmulatorUsageError(message);
  }

  #callbackName(side: "request" | "response", what: "headers" | "body" | "trailers"): string {
    return `proxy_on_${side}_${what}`;
  }

  #headers(dir: Direction, init: HeadersInit, eos: boolean, side: "request" | "response"): HttpAction {
    this.#usage(side === "response" && this.localReply !== null,
      `responseHeaders() after the filter answered locally (status ${this.localReply?.status}, details "${this.localReply?.details}"): the upstream response never comes; read stream.response instead.`);
    this.#usage(dir.started, `${side}Headers() called twice on one stream; create a new stream with emulator.httpStream().`);
    this.#usage(this.#completed, `${side}Headers() after complete(); create a new stream.`);
    this.#usage(side === "response" && !this.#req.started, "responseHeaders() before requestHeaders(): send the request first.");
    dir.started = true;
    dir.out.headers = new HeaderMap(init);
    dir.eosReceived = eos;
    if (side === "request") this.#forwardedProtoAtStart = dir.out.headers.has("x-forwarded-proto");
    if (this.#mode === "failed" && !this.localReply) {
      // The VM failed before this stream (fail closed / reload backoff): Envoy answers 503 without the filter.
      this.#sendLocalReply({ status: 503, details: "wasm_fail_stream", body: EMPTY, headers: [], grpcStatus: 14 }, false);
    }
    if (this.#stopped()) return "pause";
    if (this.#mode !== "filter") {
      this.#forwardHeaders(dir);
      if (eos) dir.out.ended = true;
      return "continue";
    }
    this.#ensureContext();
    dir.headersActive = true;
    const code = this.#invoke(this.#callbackName(side, "headers"), this.#ctx!.id, dir.out.headers.size, eos ? 1 : 0);
    if (this.#afterCallback(dir, code, "headers")) this.#resume(dir);
    this.#applyDeferred();
    return this.#passing(dir) ? "continue" : "pause";
  }

  #body(dir: Direction, chunk: string | Uint8Array, eos: boolean, side: "request" | "response"): HttpAction {
    this.#usage(!dir.started, `${side}Body() before ${side}Headers().`);
    this.#usage(dir.eosReceived, `${side}Body() after the end of the ${side} stream (endOfStream was already true).`);
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
      this.#overLimit(dir, side);
      return "pause";
    }
    dir.buffer = concat(dir.buffer, bytes);
    if (dir.stop === "body" && this.#overLimit(dir, side)) return "pause";
    this.#deliverBody(dir, side, eos);
    this.#applyDeferred();
    return this.#passing(dir) ? "continue" : "pause";
  }

  /**
   * Envoy's buffer limit for a body the filter holds (stopped on headers, or StopIterationAndBuffer): over it, the
   * request gets a local 413, the response a local 500 (or a reset once response headers went out).
   */
  #overLimit(dir: Direction, side: "request" | "response"): boolean {
    const held = dir.buffer.length + dir.held.reduce((n, b) => n + b.length, 0);
    if (held <= this.#deps.bufferLimitBytes) return false;
    if (side === "request") {
      this.#sendLocalReply({ status: 413, details: "request_payload_too_large", body: encoder.encode("Payload Too Large"), headers: [], grpcStatus: null }, true);
    } else if (this.#resp.out.headersForwarded) {
      this.resetReason = "response_payload_too_large";
    } else {
      this.#sendLocalReply({ status: 500, details: "response_payload_too_large", body: encoder.encode("Internal Server Error"), headers: [], grpcStatus: null }, false);
    }
    return true;
  }

  #trailers(dir: Direction, init: HeadersInit, side: "request" | "response"): HttpAction {
    this.#usage(!dir.started, `${side}Trailers() before ${side}Headers().`);
    this.#usage(dir.eosReceived, `${side}Trailers() after the end of the ${side} stream.`);
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
    const code = this.#invoke(this.#callbackName(side, "body"), this.#ctx!.id, dir.buffer.length, eos ? 1 : 0);
    dir.inBodyCallback = false;
    if (this.#afterCallback(dir, code, "body")) {
      if (!dir.out.headersForwarded) this.#forwardHeaders(dir); // headers held by StopIteration go first
      dir.out.forwardBody(dir.buffer);
      dir.buffer = EMPTY;
      if (eos) this.#endDirection(dir);
    } else if (code !== null && code >= 3) {
      dir.buffer = EMPTY; // StopIterationNoBuffer: the chunk is not kept
    }
  }

  #deliverTrailers(dir: Direction, side: "request" | "response"): void {
    dir.inTrailersCallback = true;
    const code = this.#invoke(this.#callbackName(side, "trailers"), this.#ctx!.id, dir.out.trailers!.size);
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
  #afterCallback(dir: Direction, code: number | null, at: "headers" | "body" | "trailers"): boolean {
    if (this.#mode === "bypass") {
      dir.stop = null;
      return true;
    }
    if (this.#mode === "failed" || this.#stopped()) return false;
    if (this.#pendingReply) {
      this.lastReturnCode = at === "body" ? 3 : at === "headers" ? 4 : 1;
      const reply = this.#pendingReply;
      this.#pendingReply = null;
      dir.stop = at;
      this.#sendLocalReply(reply, true);
      return false;
    }
    this.lastReturnCode = code;
    if (at === "headers" && code === 1 && this.#deps.allowHeadersStopIteration) {
      dir.stop = null;
      dir.headersHeld = true;
      return false;
    }
    const proceed = code === null || code === 0 || (at === "headers" && code === 2);
    dir.stop = proceed ? null : at;
    return proceed;
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
      } else if (dir.eosReceived && !dir.out.trailers) this.#endDirection(dir);
      return;
    }
    if (dir.stop === "trailers") {
      dir.stop = null;
      dir.out.forwardBody(dir.buffer); // a body held with StopIterationAndBuffer goes out before the trailers
      dir.buffer = EMPTY;
      this.#endDirection(dir);
      return;
    }
    dir.stop = null;
    if (!dir.out.headersForwarded) {
      this.#forwardHeaders(dir);
      if (dir.eosReceived && dir.held.length === 0 && !dir.out.trailers) {
        this.#endDirection(dir);
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
    // Envoy's router finds no route for a request without x-forwarded-proto (the connection manager adds it; a
    // filter that removes it gets a 404 "route_not_found" through its own response path; trace h1-set-all).
    if (dir === this.#req && this.#forwardedProtoAtStart && !dir.out.headers.has("x-forwarded-proto") && !this.#stopped()) {
      this.#sendLocalReply({ status: 404, details: "route_not_found", body: EMPTY, headers: [], grpcStatus: null }, true);
    }
  }

  #endDirection(dir: Direction): void {
    dir.out.ended = true;
    dir.done = true;
  }

  /** True when the stream is answered locally, reset or failed: nothing more passes the filter. */
  #stopped(): boolean {
    return this.localReply !== null || this.resetReason !== null || this.#mode === "failed";
  }

  #sendLocalReply(reply: LocalReply, throughFilter: boolean): void {
    if (this.#resp.out.headersForwarded) {
      // Too late for a reply: Envoy resets the stream instead.
      this.resetReason = "local_reply_after_response_headers";
      return;
    }
    // Envoy's sendLocalReply (traces h1-local-reply-headers, h1-local-reply-grpc*): the filter's headers, then
    // content-length before content-type. A gRPC request gets a gRPC answer instead: :status 200, content-type
    // application/grpc, grpc-status (given, else mapped from the HTTP status), the body as grpc-message, no body.
    const grpcRequest = (this.#req.out.headers.get("content-type") ?? "").startsWith("application/grpc");
    const headers = new HeaderMap([[":status", String(grpcRequest ? 200 : reply.status)]]);
    for (const [k, v] of reply.headers) headers.add(k, v);
    if (grpcRequest) {
      headers.set("content-type", "application/grpc");
      headers.set("grpc-status", String(reply.grpcStatus ?? grpcStatusForHttp(reply.status)));
      if (reply.body.length > 0) headers.set("grpc-message", grpcPercentEncode(decoder.decode(reply.body)));
      reply = { ...reply, body: EMPTY };
    } else if (reply.body.length > 0) {
      headers.set("content-length", String(reply.body.length));
      if (!headers.has("content-type")) headers.add("content-type", "text/plain");
    }
    this.localReply = { ...reply, bodyText: decoder.decode(reply.body) };
    this.#req.headersActive = false;
    const resp = this.#resp;
    const wasMidResponse = resp.started;
    resp.out.reset();
    resp.started = true;
    resp.out.headers = headers;
    resp.eosReceived = true;
    resp.stop = null;
    if (!throughFilter || this.#mode !== "filter" || wasMidResponse || !this.#ctx) {
      resp.out.headersForwarded = true;
      resp.out.forwardBody(reply.body);
      this.#endDirection(resp);
      return;
    }
    // Envoy sends the local reply through the encoder filters, this one included.
    resp.headersActive = true;
    const code = this.#invoke("proxy_on_response_headers", this.#ctx.id, headers.size, reply.body.length === 0 ? 1 : 0);
    resp.headersActive = false;
    resp.out.headersForwarded = true;
    if (reply.body.length > 0 && this.#mode === "filter" && (code === 0 || code === null)) {
      resp.buffer = reply.body;
      resp.inBodyCallback = true;
      this.#invoke("proxy_on_response_body", this.#ctx.id, reply.body.length, 1);
      resp.inBodyCallback = false;
      resp.out.forwardBody(resp.buffer);
      resp.buffer = EMPTY;
    } else {
      resp.out.forwardBody(reply.body);
    }
    this.#endDirection(resp);
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
    if (this.#mode !== "filter") return null;
    this.#inCallback = true;
    try {
      return this.#deps.vm.call(this.#ctx!, name, ...args) ?? null;
    } catch (e) {
      if (!(e instanceof WasmTrapError)) throw e;
      this.#handleTrap(e);
      return null;
    } finally {
      this.#inCallback = false;
    }
  }

  #handleTrap(error: WasmTrapError): void {
    this.error = error;
    this.#deferred = [];
    this.#pendingReply = null;
    // The failure policy decides for later streams only: the stream whose callback trapped is failed with a 503
    // under every policy, fail open included (trace h1-trap-fail-open, Envoy 1.36 and 1.40).
    this.#deps.onTrap(error);
    this.#mode = "failed";
    this.#sendLocalReply({ status: 503, details: "wasm_fail_stream", body: EMPTY, headers: [], grpcStatus: 14 }, false);
  }

  /** Called by the VM after a callback that requested continue/close/local reply on this stream. */
  applyDeferred(): void {
    if (this.#inCallback) return;
    this.#applyDeferred();
  }

  #applyDeferred(): void {
    if (this.#pendingReply && this.#mode === "filter" && !this.#stopped()) {
      const reply = this.#pendingReply;
      this.#pendingReply = null;
      this.#deferred = [];
      this.#sendLocalReply(reply, true);
    }
    while (this.#deferred.length > 0) {
      const [action, type] = this.#deferred.shift()!;
      if (action === "close") {
        if (type <= 1 && !this.#stopped()) {
          this.resetReason = "wasm_close_stream";
          this.#req.headersActive = false;
          this.#resp.headersActive = false;
        }
        continue;
      }
      if (type === 0) this.#resume(this.#req);
      else if (type === 1) this.#resume(this.#resp);
    }
  }

  // ------------------------------------------------------------------ HostStream (called by hostcalls)

  /** @internal Map availability for hostcalls. */
  headerMap(type: number): MapAccess {
    const dir = type === 0 || type === 1 ? this.#req : this.#resp;
    const isTrailers = type === 1 || type === 3;
    if (this.#logPhase) {
      if (isTrailers) {
        const map = type === 1 ? null : dir.out.trailers;
        return { map, readable: map !== null, writable: false, unavailableStatus: 1 };
      }
      return { map: dir.started ? dir.out.headers : null, readable: dir.started, writable: false, unavailableStatus: 1 };
    }
    if (!isTrailers) {
      return { map: dir.out.headers, readable: dir.headersActive, writable: dir.headersActive };
    }
    const active = (dir.inTrailersCallback || dir.stop === "trailers") && dir.out.trailers !== null;
    if (active) return { map: dir.out.trailers, readable: true, writable: true };
    if (dir.inBodyCallback && dir.bodyCallbackEos && !dir.out.trailers) {
      dir.out.trailers = new HeaderMap();
      return { map: dir.out.trailers, readable: true, writable: true };
    }
    return { map: null, readable: false, writable: false };
  }

  /** @internal Body buffers for hostcalls: the current (or accumulated) body inside body callbacks. */
  buffer(type: number): BufferRef | null {
    if (type !== 0 && type !== 1) return null;
    const dir = type === 0 ? this.#req : this.#resp;
    if (!dir.inBodyCallback) return { bytes: EMPTY, mutable: false, replace() {} };
    return { bytes: dir.buffer, mutable: true, replace: (b) => (dir.buffer = b) };
  }

  /** @internal Stream-derived properties (request.*, response.*, filter state, connection.id). */
  property(key: string): Uint8Array | undefined {
    const state = this.#filterState.get(key) ?? this.#filterState.get(key.replace(/^filter_state\0/, ""));
    if (state) return state;
    const seeded = findProperty(this.#deps.properties, key);
    if (seeded !== undefined) return encodePropertyValue(seeded);
    const [head, field, ...rest] = key.split("\0");
    if (head === "connection" && field === "id") return encodePropertyValue({ uint: this.#deps.connectionId });
    if (head === "connection_id") return encodePropertyValue({ uint: this.#deps.connectionId });
    if (head === "request") return this.#requestProperty(field ?? "", rest);
    // The response code is known from the response headers on (trace h1-log-properties); the rest in on_log.
    if (head === "response" && field === "code" && this.#resp.started) return encodePropertyValue(Number(this.#resp.out.headers.get(":status") ?? 0));
    if (head === "response" && this.#logPhase && this.#resp.started) {
      const h = this.#resp.out.headers;
      if (field === "code") return encodePropertyValue(Number(h.get(":status") ?? 0));
      if (field === "code_details") return encoder.encode(this.localReply?.details ?? "via_upstream");
      if (field === "headers") return rest.length ? str(h.get(rest[0]!)) : encodePairs(h.entries().filter(([k]) => !k.startsWith(":")));
      if (field === "size") return encodePropertyValue(this.#resp.out.bodyBytes.length);
    }
    return undefined;
  }

  #requestProperty(field: string, rest: string[]): Uint8Array | undefined {
    if (field === "protocol") return encoder.encode("HTTP/1.1");
    const dir = this.#req;
    const readable = dir.started && ((dir.headersActive && !this.#stopped()) || this.#logPhase);
    if (!readable) return undefined;
    const h = dir.out.headers;
    const path = h.get(":path") ?? "";
    const q = path.indexOf("?");
    switch (field) {
      case "path": return str(h.get(":path"));
      case "url_path": return encoder.encode(q < 0 ? path : path.slice(0, q));
      case "query": return encoder.encode(q < 0 ? "" : path.slice(q + 1));
      case "host": return str(h.get(":authority"));
      case "scheme": return str(h.get(":scheme") ?? "http");
      case "method": return str(h.get(":method"));
      case "referer": return str(h.get("referer"));
      case "useragent": return str(h.get("user-agent"));
      case "id": return str(h.get("x-request-id"));
      case "headers":
        if (rest.length) {
          const all = h.getAll(rest[0]!);
          return all.length ? encoder.encode(all.join(",")) : undefined;
        }
        return encodePairs(Object.entries(h.toObject()));
      case "size": return this.#logPhase ? encodePropertyValue(dir.out.bodyBytes.length) : undefined;
      default: return undefined;
    }
  }

  /** @internal proxy_set_property: stored as filter state, readable back by path. */
  setProperty(key: string, value: Uint8Array): void {
    this.#filterState.set(propertyKey(key), value);
  }

  /** @internal Deferred proxy_continue_stream. */
  deferContinue(type: number): number {
    this.#deferred.push(["continue", type]);
    return 0;
  }

  /** @internal Deferred proxy_close_stream. */
  deferClose(type: number): void {
    this.#deferred.push(["close", type]);
  }

  /** @internal Deferred proxy_send_local_response: the first one of a callback wins (trace h1-local-reply-twice). */
  deferLocalReply(reply: LocalReply): void {
    this.#pendingReply ??= reply;
  }
}

/** gRPC's percent-encoding of grpc-message (as Envoy's PercentEncoding::encode): only '%' and bytes outside 0x20–0x7e. */
function grpcPercentEncode(text: string): string {
  let out = "";
  for (const byte of encoder.encode(text)) {
    out += byte < 0x20 || byte > 0x7e || byte === 0x25 ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}` : String.fromCharCode(byte);
  }
  return out;
}

/** Envoy's Grpc::Utility::httpToGrpcStatus: the grpc-status of a gRPC local reply that names none. */
function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
  }
}

function str(v: string | undefined): Uint8Array | undefined {
  return v === undefined ? undefined : encoder.encode(v);
}

// HttpStream is a HostStream (the VM's hostcalls reach it through that interface). Checked with this type instead of
// `implements`: the HostStream methods are @internal and left out of the published declarations, where an
// `implements` clause would then fail to type-check in users' projects.
type MustBeHostStream<T extends HostStream> = T;
type HttpStreamAsHostStream = MustBeHostStream<HttpStream>;
