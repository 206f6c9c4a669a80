// The invocation core HttpStream and TcpConnection share: a call into the VM for one stream context that notes
// when a callback runs (continue/close/local-reply requests wait until it returns, as Envoy defers them), the
// queue of those requests, and a trap handed to the stream's failure handler instead of thrown.
import { WasmTrapError } from "./errors.ts";
import type { ContextState, WasmVm } from "./vm.ts";

/** A deferred proxy_continue_stream / proxy_close_stream request and its stream type. */
export type DeferredAction = readonly ["continue" | "close", number];

/** Calls, deferred actions and traps of one stream or connection. */
export class StreamCalls {
  /** True while a callback of this stream runs. */
  inCallback = false;
  #deferred: DeferredAction[] = [];
  readonly #vm: WasmVm;
  readonly #onTrap: (error: WasmTrapError) => void;

  /** `onTrap` runs inside the failed call (before `inCallback` clears), so its own actions are not deferred twice. */
  constructor(vm: WasmVm, onTrap: (error: WasmTrapError) => void) {
    this.#vm = vm;
    this.#onTrap = onTrap;
  }

  /** Calls export `name` on `ctx`; returns its result, or null when it is absent or trapped. */
  invoke(ctx: ContextState, name: string, ...args: number[]): number | null {
    this.inCallback = true;
    try {
      return this.#vm.call(ctx, name, ...args) ?? null;
    } catch (e) {
      if (!(e instanceof WasmTrapError)) throw e;
      this.#onTrap(e);
      return null;
    } finally {
      this.inCallback = false;
    }
  }

  /** Queues a continue/close request made during a callback. */
  defer(action: DeferredAction[0], type: number): void {
    this.#deferred.push([action, type]);
  }

  /** True when a request of `action` for one of `types` is queued. */
  pending(action: DeferredAction[0], types: readonly number[]): boolean {
    return this.#deferred.some(([a, t]) => a === action && types.includes(t));
  }

  /** The next queued request, removed from the queue. */
  next(): DeferredAction | undefined {
    return this.#deferred.shift();
  }

  /** Forgets every queued request (the stream failed). */
  clear(): void {
    this.#deferred = [];
  }
}
