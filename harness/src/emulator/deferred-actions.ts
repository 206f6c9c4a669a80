// Deferred actions: what a host call asks of a stream that Envoy carries out only after the running callback
// returns. The one owner of their life cycle:
//   1. requested: proxy_continue_stream, proxy_close_stream and proxy_send_local_response (hostcalls/stream.ts) call
//      the stream's DeferredActions, from the stream's own callback or from a root callback acting for it
//      (proxy_set_effective_context); the first local reply of a callback wins (trace h1-local-reply-twice);
//   2. held: nothing happens while a callback of the stream runs;
//   3. carried out: when the stream's callback returns, the stream runs them (a local reply first, and it overrides
//      the callback's return code: localReplyReturnCode); after a root callback (callout response, tick, queue),
//      the VM's DeferredWork runs those of every stream touched, then tears down the roots that called proxy_done.
// What an action MEANS for a stream (resume a direction, reset, answer locally) is the stream's own: it passes its
// handlers in (stream-engine.ts, tcp-connection.ts).
import { Action } from "../abi/index.ts";
import type { ContextState, LocalReply, StreamActionRequests } from "./vm-types.ts";

/** Envoy's FilterHeadersStatus::StopAllIterationAndWatermark, beyond the ABI's Action values. */
const HEADERS_STOP_ALL_AND_WATERMARK = 4;

/** The callback a return code came from. */
export type CallbackPhase = "headers" | "body" | "trailers";

/** A deferred continue or close, with its proxy_continue_stream/proxy_close_stream stream type. */
type QueuedAction = readonly ["continue" | "close", number];

/** How a stream carries out its deferred actions (the HTTP stream engine implements it itself: no closures per stream). */
export interface DeferredHandlers {
  /** Sends the local reply; returns false when the stream can no longer answer (then it is dropped). */
  sendDeferredReply(reply: LocalReply): boolean;
  /** proxy_continue_stream(type). */
  continueStream(type: number): void;
  /** proxy_close_stream(type). */
  closeStream(type: number): void;
}

/** The deferred actions of one stream or connection. */
export class DeferredActions implements StreamActionRequests {
  /** True while a callback of this stream runs: requests are held until it returns. */
  callbackRunning = false;
  #queue: QueuedAction[] = [];
  #reply: LocalReply | null = null;
  readonly #work: DeferredWork;
  readonly #handlers: DeferredHandlers;

  constructor(work: DeferredWork, handlers: DeferredHandlers) {
    this.#work = work;
    this.#handlers = handlers;
  }

  // ---------------------------------------------------------------- requested by host calls

  /** proxy_continue_stream(type) (or the 0.1.0 proxy_continue_request/response). */
  requestContinue(type: number): void {
    this.#queue.push(["continue", type]);
    this.#work.mark(this);
  }

  /** proxy_close_stream(type). */
  requestClose(type: number): void {
    this.#queue.push(["close", type]);
    this.#work.mark(this);
  }

  /** proxy_send_local_response: the first one of a callback wins (trace h1-local-reply-twice). */
  requestLocalReply(reply: LocalReply): void {
    this.#reply ??= reply;
    this.#work.mark(this);
  }

  // ---------------------------------------------------------------- read by the stream

  /** True when a local reply waits. */
  get replyPending(): boolean {
    return this.#reply !== null;
  }

  /**
   * Takes the local reply requested during the `at` callback that just returned, with the code Envoy reports for
   * that callback instead of the module's (the reply overrides it); null when none waits.
   */
  takeReplyOverride(at: CallbackPhase): { readonly reply: LocalReply; readonly returnCode: number } | null {
    const reply = this.#reply;
    if (reply === null) return null;
    this.#reply = null;
    return { reply, returnCode: localReplyReturnCode(at) };
  }

  /** True when a request of `action` for one of `types` waits. */
  pending(action: QueuedAction[0], types: readonly number[]): boolean {
    return this.#queue.some(([a, t]) => a === action && types.includes(t));
  }

  /** Forgets every waiting request (the stream failed). */
  clear(): void {
    this.#queue = [];
    this.#reply = null;
  }

  // ---------------------------------------------------------------- carried out

  /** Carries out what waits, unless a callback of the stream still runs: a local reply first (it cancels the rest), then continue/close in order. */
  run(): void {
    if (this.callbackRunning) return;
    const reply = this.#reply;
    if (reply !== null) {
      this.#reply = null;
      if (this.#handlers.sendDeferredReply(reply)) this.#queue = [];
    }
    for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
      if (next[0] === "continue") this.#handlers.continueStream(next[1]);
      else this.#handlers.closeStream(next[1]);
    }
  }
}

/**
 * The deferred work of one VM: the streams whose actions wait for the running VM call to return, and the roots
 * that returned false from on_done and wait for proxy_done. `run()` after every VM call that is not a stream's own
 * callback (root callbacks, ticks, queue notifications, plugin start and shutdown).
 */
export class DeferredWork {
  readonly #streams = new Set<DeferredActions>();
  readonly #rootsAwaitingDone = new Set<ContextState>();
  readonly #deleteRoot: (root: ContextState) => void;

  /** `deleteRoot` runs on_delete and forgets a root once it called proxy_done. */
  constructor(deleteRoot: (root: ContextState) => void) {
    this.#deleteRoot = deleteRoot;
  }

  /** Notes that `actions` has requests waiting. */
  mark(actions: DeferredActions): void {
    this.#streams.add(actions);
  }

  /** A root returned false from on_done: on_delete waits for its proxy_done. */
  awaitDone(root: ContextState): void {
    root.awaitingDone = true;
    this.#rootsAwaitingDone.add(root);
  }

  /** Carries out every stream's waiting actions, then deletes the roots that called proxy_done since. */
  run(): void {
    for (const actions of [...this.#streams]) {
      this.#streams.delete(actions);
      actions.run();
    }
    for (const root of [...this.#rootsAwaitingDone]) {
      if (root.awaitingDone) continue;
      this.#rootsAwaitingDone.delete(root);
      this.#deleteRoot(root);
    }
  }
}

/**
 * The return code Envoy reports for the `at` callback when the filter sent a local reply during it (the reply
 * overrides whatever the module returned): StopIterationNoBuffer for a body, StopAllIterationAndWatermark for
 * headers, StopIteration for trailers.
 */
export function localReplyReturnCode(at: CallbackPhase): number {
  return at === "body" ? Action.StopAllAndBuffer : at === "headers" ? HEADERS_STOP_ALL_AND_WATERMARK : Action.Pause;
}
