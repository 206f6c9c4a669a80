// The invocation core HttpStream's engine and TcpConnection share: a call into the VM for one stream context that
// holds the stream's deferred actions while the callback runs (deferred-actions.ts carries them out after), and a
// trap handed to the stream's failure handler instead of thrown.
import { DeferredActions, type DeferredHandlers } from "./deferred-actions.ts";
import { WasmTrapError } from "./errors.ts";
import type { WasmVm } from "./vm.ts";
import type { ContextState } from "./vm-types.ts";

/** Calls into the VM for one stream or connection, with its deferred actions and its trap handler. */
export class StreamCalls {
  /** The stream's deferred actions (what host calls request during its callbacks). */
  readonly actions: DeferredActions;
  readonly #vm: WasmVm;
  readonly #onTrap: (error: WasmTrapError) => void;

  /**
   * `onTrap` runs inside the failed call (while the callback still counts as running), so the actions it takes
   * are not deferred twice; `handlers` say what the stream's deferred actions do.
   */
  constructor(vm: WasmVm, onTrap: (error: WasmTrapError) => void, handlers: DeferredHandlers) {
    this.#vm = vm;
    this.#onTrap = onTrap;
    this.actions = new DeferredActions(vm.deferredWork, handlers);
  }

  /** Calls export `name` on `ctx`; returns its result, or null when it is absent or trapped. */
  invoke(ctx: ContextState, name: string, ...args: number[]): number | null {
    const actions = this.actions;
    actions.callbackRunning = true;
    try {
      return this.#vm.call(ctx, name, ...args) ?? null;
    } catch (e) {
      if (!(e instanceof WasmTrapError)) throw e;
      this.#onTrap(e);
      return null;
    } finally {
      actions.callbackRunning = false;
    }
  }
}
