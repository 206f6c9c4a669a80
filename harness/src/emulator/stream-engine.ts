// The private engine behind one HttpStream: Envoy's filter manager for one stream. The public handle
// (http-stream.ts) drives it step by step; host calls reach it through its HostStream view (stream-host-view.ts),
// and their deferred requests come back through deferred-actions.ts. It owns: stop-all on headers, body buffering,
// resuming after continue, the route once the headers leave the filter, local replies through the encoder path
// (local-reply-path.ts), the failure policy after a trap, and on_log/on_done/on_delete at completion.
// (Per-direction state is in http-direction.ts, what a return code means in filter-return.ts.)
import { LOCAL_REPLIES, type HttpProtocol } from "./connection-manager.ts";
import { StreamType } from "../abi/index.ts";
import { concat } from "./bytes.ts";
import type { CallbackPhase, DeferredActions, DeferredHandlers } from "./deferred-actions.ts";
import type { LogEntry, WasmTrapError } from "./errors.ts";
import { HeaderMap, type HeadersInit } from "./header-map.ts";
import { Direction, type HttpAction } from "./http-direction.ts";
import { buffersBody, dropsBody, interpretReturn } from "./filter-return.ts";
import {
  enforceBufferLimit,
  sendLocalReply,
  type LocalReplyTarget,
  type RecordedLocalReply,
} from "./local-reply-path.ts";
import type { PropertyValue } from "./properties.ts";
import type { Router } from "./router.ts";
import { StreamCalls } from "./stream-calls.ts";
import { HttpHostView } from "./stream-host-view.ts";
import { checkBodyStep, checkHeadersStep, checkTrailersStep, type StreamSide } from "./stream-usage.ts";
import type { UpstreamAddresses } from "./upstream-properties.ts";
import type { WasmVm } from "./vm.ts";
import type { ContextState, LocalReply } from "./vm-types.ts";

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

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
  /** The route table the request meets after the filter chain. */
  readonly router: Router;
  /** The downstream protocol (`request.protocol`). */
  readonly protocol: HttpProtocol;
  /** The x-request-id the connection manager gives a request without one. */
  readonly requestId: string;
  /** The virtual clock (ms), for the upstream's date and the router's service time. */
  readonly now: () => number;
  /** The address of each upstream cluster's endpoint and of Envoy's side of the connection to it (upstream.*). */
  readonly upstreamEndpoint: (cluster: string) => UpstreamAddresses;
}

/** One HTTP stream's filter-manager state and logic. Internal: tests hold the HttpStream handle. */
export class HttpStreamEngine implements DeferredHandlers {
  readonly deps: HttpStreamDeps;
  readonly req = new Direction();
  readonly resp = new Direction();
  /** The local reply sent by the filter (or the failure policy), or null. */
  localReply: RecordedLocalReply | null = null;
  /** Set when the stream was reset (proxy_close_stream: wasm_close_stream; or too late for a local reply). */
  resetReason: string | null = null;
  /** The trap that failed this stream's VM during this stream, if any. */
  error: WasmTrapError | null = null;
  /** Raw return code of the last callback (after Envoy's local-reply override), or null if none ran. */
  lastReturnCode: number | null = null;
  /** The cluster the router chose once the request headers left the filter chain. */
  route: string | null = null;
  /** True while on_log runs: maps read-only, request trailers gone. */
  logPhase = false;
  /** The request arrived with x-forwarded-proto (added by Envoy's connection manager); see #forwardHeaders. */
  forwardedProtoAtStart = false;
  /** Virtual time the request headers left the filter chain (x-envoy-upstream-service-time). */
  routedAtMs = 0;
  /** proxy_set_property values (filter state), by property path. */
  readonly filterState = new Map<string, Uint8Array>();

  #mode: FilterMode;
  #ctx: ContextState | null = null;
  #completed = false;
  readonly #calls: StreamCalls;
  readonly #actions: DeferredActions;
  readonly #hostView: HttpHostView;
  /** What a local reply goes through (local-reply-path.ts). */
  readonly #replyTarget: LocalReplyTarget = {
    request: this.req,
    response: this.resp,
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
    this.deps = deps;
    this.#mode = deps.mode;
    this.#calls = new StreamCalls(deps.vm, (e) => this.#handleTrap(e), this);
    this.#actions = this.#calls.actions;
    this.#hostView = new HttpHostView(this, this.#actions);
  }

  /** Context id of this stream in the VM (0 until the first callback). */
  get contextId(): number {
    return this.#ctx?.id ?? 0;
  }

  /** Log lines the module wrote while acting on this stream. */
  get logs(): readonly LogEntry[] {
    return this.#ctx?.logs ?? [];
  }

  /** True once complete() ran. */
  get completed(): boolean {
    return this.#completed;
  }

  /** True when the stream is answered locally, reset or failed: nothing more passes the filter. */
  stopped(): boolean {
    return this.localReply !== null || this.resetReason !== null || this.#mode === "failed";
  }

  // ------------------------------------------------------------------ the steps the handle drives

  /** Headers arrive on `side` (on_request_headers / on_response_headers). */
  headers(side: StreamSide, init: HeadersInit, eos: boolean): HttpAction {
    const dir = this.#direction(side);
    checkHeadersStep(side, dir, {
      localReply: this.localReply,
      completed: this.#completed,
      requestStarted: this.req.started,
    });
    dir.started = true;
    dir.out.headers = new HeaderMap(init);
    dir.eosReceived = eos;
    if (side === "request") this.forwardedProtoAtStart = dir.out.headers.has("x-forwarded-proto");
    if (this.#mode === "failed" && !this.localReply) {
      // The VM failed before this stream (fail closed / reload backoff): Envoy answers 503 without the filter.
      sendLocalReply(this.#replyTarget, LOCAL_REPLIES.wasmFailed, false);
    }
    if (this.stopped()) return "pause";
    if (this.#mode !== "filter") {
      this.#forwardHeaders(dir);
      if (eos) dir.out.ended = true;
      return "continue";
    }
    this.#ensureContext();
    dir.headersActive = true;
    const code = this.#invoke(`proxy_on_${side}_headers`, this.#ctx!.id, dir.out.headers.size, eos ? 1 : 0);
    if (this.#afterCallback(dir, code, "headers")) this.#resume(dir);
    this.#actions.run();
    return this.#passing(dir) ? "continue" : "pause";
  }

  /** A body chunk arrives on `side` (on_*_body, or held while the filter stopped on headers). */
  body(side: StreamSide, chunk: string | Uint8Array, eos: boolean): HttpAction {
    const dir = this.#direction(side);
    checkBodyStep(side, dir);
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    dir.eosReceived = eos;
    if (this.stopped()) return "pause";
    if (this.#mode !== "filter") {
      dir.out.forwardBody(bytes);
      if (eos) dir.out.ended = true;
      return "continue";
    }
    if (dir.stop === "headers") {
      dir.held.push(bytes);
      enforceBufferLimit(this.#replyTarget, dir, side, this.deps.bufferLimitBytes);
      return "pause";
    }
    dir.buffer = concat(dir.buffer, bytes);
    if (dir.stop === "body" && enforceBufferLimit(this.#replyTarget, dir, side, this.deps.bufferLimitBytes))
      return "pause";
    this.#deliverBody(dir, side, eos);
    this.#actions.run();
    return this.#passing(dir) ? "continue" : "pause";
  }

  /** Trailers arrive on `side` (on_*_trailers); they end the direction. */
  trailers(side: StreamSide, init: HeadersInit): HttpAction {
    const dir = this.#direction(side);
    checkTrailersStep(side, dir);
    dir.eosReceived = true;
    dir.out.trailers = new HeaderMap(init);
    if (this.stopped()) return "pause";
    if (this.#mode !== "filter") {
      dir.out.ended = true;
      return "continue";
    }
    if (dir.stop === "headers") {
      dir.trailersPending = true;
      return "pause";
    }
    this.#deliverTrailers(dir, side);
    this.#actions.run();
    return this.#passing(dir) ? "continue" : "pause";
  }

  /** Ends the stream as Envoy does: on_log (maps readable), then on_done and on_delete. Idempotent. */
  complete(): void {
    if (this.#completed) return;
    this.#completed = true;
    const ctx = this.#ctx;
    if (!ctx || this.#mode !== "filter") return;
    this.req.headersActive = false;
    this.resp.headersActive = false;
    this.logPhase = true;
    this.#invoke("proxy_on_log", ctx.id);
    this.logPhase = false;
    if (this.#mode === "filter") this.#invoke("proxy_on_done", ctx.id);
    if (this.#mode === "filter") this.#invoke("proxy_on_delete", ctx.id);
    this.deps.vm.dropContext(ctx);
  }

  // ------------------------------------------------------------------ filter-manager logic

  #direction(side: StreamSide): Direction {
    return side === "request" ? this.req : this.resp;
  }

  /** True when data in `dir` flows past the filter right now. */
  #passing(dir: Direction): boolean {
    return dir.stop === null && !dir.headersHeld && !this.stopped();
  }

  #deliverBody(dir: Direction, side: StreamSide, eos: boolean): void {
    dir.inBodyCallback = true;
    dir.bodyCallbackEos = eos;
    const code = this.#invoke(`proxy_on_${side}_body`, this.#ctx!.id, dir.buffer.length, eos ? 1 : 0);
    dir.inBodyCallback = false;
    dir.buffering = buffersBody(code) && !this.#actions.replyPending;
    if (this.#afterCallback(dir, code, "body")) {
      if (!dir.out.headersForwarded) this.#forwardHeaders(dir); // headers held by StopIteration go first
      dir.out.forwardBody(dir.buffer);
      dir.buffer = EMPTY;
      if (eos) dir.end();
    } else if (dropsBody(code)) dir.buffer = EMPTY; // StopIterationNoBuffer: the chunk is not kept
  }

  #deliverTrailers(dir: Direction, side: StreamSide): void {
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
    if (this.#mode === "failed" || this.stopped()) return false;
    const override = this.#actions.takeReplyOverride(at);
    if (override) {
      this.lastReturnCode = override.returnCode;
      dir.stop = at;
      sendLocalReply(this.#replyTarget, override.reply, true);
      return false;
    }
    this.lastReturnCode = code;
    const decision = interpretReturn(code, at, this.deps.allowHeadersStopIteration);
    dir.stop = decision.stop;
    if (decision.headersHeld) dir.headersHeld = true;
    return decision.proceed;
  }

  /** Moves `dir` past wherever it stopped, delivering held data as Envoy does after continue. */
  #resume(dir: Direction): void {
    const side = dir === this.req ? "request" : "response";
    if (this.stopped() || dir.done) return;
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
      if (dir.stop !== null || this.stopped()) return;
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
    if (dir !== this.req || this.stopped()) return;
    // The route comes from the headers as they leave the filter chain (router.ts).
    const decision = this.deps.router.route(dir.out.headers, this.forwardedProtoAtStart);
    if (decision.kind === "no-route") {
      sendLocalReply(this.#replyTarget, LOCAL_REPLIES.routeNotFound, true);
      return;
    }
    this.route = decision.cluster;
    this.routedAtMs = this.deps.now();
  }

  #ensureContext(): void {
    if (this.#ctx) return;
    const { vm, root } = this.deps;
    this.#ctx = vm.newContext(root.plugin, root);
    this.#ctx.stream = this.#hostView;
    this.#invoke("proxy_on_context_create", this.#ctx.id, root.id);
  }

  /** Calls a stream callback; a trap applies the failure policy. Returns the callback's result (null if absent). */
  #invoke(name: string, ...args: number[]): number | null {
    return this.#mode === "filter" ? this.#calls.invoke(this.#ctx!, name, ...args) : null;
  }

  #handleTrap(error: WasmTrapError): void {
    this.error = error;
    this.#actions.clear();
    // The failure policy decides for later streams only: the stream whose callback trapped is failed with a 503
    // under every policy, fail open included (trace h1-trap-fail-open, Envoy 1.36 and 1.40).
    this.deps.onTrap(error);
    this.#mode = "failed";
    sendLocalReply(this.#replyTarget, LOCAL_REPLIES.wasmFailed, false);
  }

  // ------------------------------------------------------------------ deferred actions, carried out (deferred-actions.ts)

  /** A local reply requested from a root callback acting for this stream (its own callbacks' go through #afterCallback). */
  sendDeferredReply(reply: LocalReply): boolean {
    if (this.#mode !== "filter" || this.stopped()) return false;
    sendLocalReply(this.#replyTarget, reply, true);
    return true;
  }

  /** proxy_continue_stream: resumes the direction of `type`. */
  continueStream(type: number): void {
    if (type === StreamType.HttpRequest) this.#resume(this.req);
    else if (type === StreamType.HttpResponse) this.#resume(this.resp);
  }

  /** proxy_close_stream: resets the stream (details wasm_close_stream). */
  closeStream(type: number): void {
    if ((type === StreamType.HttpRequest || type === StreamType.HttpResponse) && !this.stopped()) {
      this.resetReason = "wasm_close_stream";
      this.req.headersActive = false;
      this.resp.headersActive = false;
    }
  }
}
