// Execution limits of one VM: the deadline of each callback and the ceiling of its linear memory. The module is
// instrumented (instrument.ts) to call `tick` each time its fuel runs out (function entries, loop iterations and
// the length of bulk memory and table operations use it up) and `memoryGrow` instead of memory.grow; the VM calls
// `check` at the start of every host call. All three run here and throw a WasmLimitError that unwinds the guest
// back to the emulator. Time is read from the epoch clock (epoch.ts), the real clock only when it moved.
import {
  type WasmLimitError,
  WasmMemoryLimitError,
  WasmTimeoutError,
  WasmTrapError,
  WasmVmDeadError,
  type LogEntry,
  type TrapFrames,
} from "../errors.ts";
import { epoch, startEpochClock } from "./epoch.ts";

/** Default deadline of one callback. Far above any real filter callback, far below a test timeout. */
export const DEFAULT_CALLBACK_TIMEOUT_MS = 5_000;
/** Default ceiling of a VM's linear memory (Envoy itself lets V8 grow a module to about 4 GiB). */
export const DEFAULT_MEMORY_LIMIT_BYTES = 256 * 2 ** 20;
/**
 * Fuel units between two host checks of the deadline. A function entry or a loop iteration uses one unit; a bulk
 * memory operation one per {@link BULK_BYTES_PER_FUEL} bytes, a bulk table operation one per
 * {@link BULK_ELEMENTS_PER_FUEL} elements. At about a nanosecond per unit a slice lasts around a millisecond.
 */
export const FUEL_SLICE = 1 << 20;
/**
 * Bytes of memory.fill/copy/init per fuel unit. A unit stands for about a nanosecond and these run at a few GB/s,
 * so a unit per 4 bytes errs on the side of checking the clock too often (a check costs a few nanoseconds) rather
 * than too late: a 32 MiB fill uses eight slices.
 */
export const BULK_BYTES_PER_FUEL = 4;
/** Elements of table.fill/copy/init/grow per fuel unit (an element is a pointer-sized write or more). */
export const BULK_ELEMENTS_PER_FUEL = 1;
/** Size of a Wasm page. */
export const WASM_PAGE_BYTES = 65_536;
/** What memory.grow returns when it fails. */
const GROW_FAILED = -1;

/** Execution limits of a VM. */
export interface ExecutionLimits {
  /** Deadline of one callback, in wall-clock milliseconds; 0 disables it. */
  readonly callbackTimeoutMs: number;
  /** Ceiling of the linear memory, in bytes. */
  readonly memoryLimitBytes: number;
}

/** What the watchdog needs to know about the VM it guards. */
export interface GuardedVm {
  /** The VM's memory, once instantiated. */
  readonly guestMemory: WebAssembly.Memory | undefined;
  /** The module's logs so far (copied into the error). */
  readonly logs: readonly LogEntry[];
  /** The module's frames in a V8 stack taken inside a host call (where the limit hit), in source terms. */
  frames(stack: string | undefined): TrapFrames;
}

/** Enforces {@link ExecutionLimits} for one VM. The VM updates the public fields around every callback. */
export class Watchdog {
  readonly limits: ExecutionLimits;
  /** Incremented by {@link begin} when a callback starts: a new callback gets a new deadline. */
  callbacks = 0;
  /** The running export, for the error message. */
  exportName = "";
  /** The context the running export was called for. */
  contextId = 0;
  readonly #vm: GuardedVm;
  /** The callback whose deadline the fields below track (a value of {@link callbacks}). */
  #deadlineOf = -1;
  /** The real-clock deadline of that callback; NaN until its clock started. */
  #deadline = Number.NaN;
  /** The epoch from which the next check reads the real clock. */
  #clockAt = 0;
  #refusal: {
    callback: number;
    exportName: string;
    contextId: number;
    requested: number;
    stack: string | undefined;
  } | null = null;

  constructor(limits: ExecutionLimits, vm: GuardedVm) {
    this.limits = limits;
    this.#vm = vm;
    if (limits.callbackTimeoutMs > 0) startEpochClock();
  }

  /** Notes that the VM calls export `exportName` for `contextId`; returns the callback's number ({@link callbacks}). */
  begin(exportName: string, contextId: number): number {
    this.exportName = exportName;
    this.contextId = contextId;
    return ++this.callbacks;
  }

  /**
   * Checks the running callback's deadline; throws WasmTimeoutError once it has passed. Called at the start of
   * every host call and by {@link tick}. Costs an epoch read (about a nanosecond) unless the epoch moved since the
   * last check: the first check after a callback's first epoch change starts its deadline from the real clock
   * (so a deadline never expires early, and starts at most an epoch late), later ones compare with it.
   */
  readonly check = (): void => {
    const timeoutMs = this.limits.callbackTimeoutMs;
    if (timeoutMs <= 0) return;
    const now = epoch();
    if (this.#deadlineOf !== this.callbacks) {
      this.#deadlineOf = this.callbacks;
      this.#deadline = Number.NaN;
      this.#clockAt = now + 1;
      return;
    }
    if (now < this.#clockAt) return;
    this.#clockAt = now + 1;
    const clock = performance.now();
    if (Number.isNaN(this.#deadline)) {
      this.#deadline = clock + timeoutMs;
    } else if (clock > this.#deadline) {
      // The stack of this host call holds the guest's frames: where the loop is.
      const trap = this.#vm.frames(new Error().stack);
      throw new WasmTimeoutError(this.exportName, this.contextId, timeoutMs, [...this.#vm.logs], trap);
    }
  };

  /** Host side of the fuel check, called when the guest's fuel runs out: checks the deadline, returns the next slice. */
  readonly tick = (): number => {
    this.check();
    return FUEL_SLICE;
  };

  /**
   * Replaces memory.grow on memory 0. Growth past the ceiling fails as memory.grow fails at a declared maximum
   * (-1): allocators often retry with less (AssemblyScript's first asks for double), and a module that copes
   * goes on. The refusal is remembered: if the callback then traps, the VM reports WasmMemoryLimitError
   * ({@link refusalSince}) instead of the bare trap.
   */
  readonly memoryGrow = (pages: number): number => {
    this.check(); // growing (zeroing pages) takes time too
    const memory = this.#vm.guestMemory;
    if (!memory) return GROW_FAILED; // a start section runs before the instance (and its memory) exists
    const requested = memory.buffer.byteLength + (pages >>> 0) * WASM_PAGE_BYTES;
    if (requested > this.limits.memoryLimitBytes) {
      // Where the module asked for the memory: its frames are below this host call.
      const stack = new Error().stack;
      this.#refusal = {
        callback: this.callbacks,
        exportName: this.exportName,
        contextId: this.contextId,
        requested,
        stack,
      };
      return GROW_FAILED;
    }
    try {
      return memory.grow(pages >>> 0);
    } catch {
      return GROW_FAILED; // past the module's declared maximum: the guest sees what memory.grow would return
    }
  };

  /**
   * The memory-limit error for a trap of the callback numbered `callback` (the value of {@link callbacks} when it
   * started): set when that callback, or one it called, was refused growth past the ceiling; else null.
   */
  refusalSince(callback: number): WasmMemoryLimitError | null {
    const refusal = this.#refusal;
    if (!refusal || refusal.callback < callback) return null;
    this.#refusal = null;
    const { exportName, contextId, requested, stack } = refusal;
    const limit = this.limits.memoryLimitBytes;
    return new WasmMemoryLimitError(
      exportName,
      contextId,
      limit,
      requested,
      [...this.#vm.logs],
      this.#vm.frames(stack),
    );
  }
}

/**
 * The error of a call into a failed VM: after one of the emulator's execution limits, WasmVmDeadError naming it;
 * else the failure again (a trap: the stream then fails per the failure policy, as in Envoy; an
 * EnvoyWouldAbortError: Envoy's process is gone). `refused` says what was not run, e.g. "proxy_on_log (context 4)".
 */
export function errorOfFailedVm(failure: WasmTrapError | WasmLimitError, refused: string): Error {
  return failure instanceof WasmTimeoutError || failure instanceof WasmMemoryLimitError
    ? new WasmVmDeadError(failure, refused)
    : failure;
}

/** True for an error a nested call already reported (a trap, a dead VM): it passes through the outer call as it is. */
export function alreadyReported(error: unknown): boolean {
  return error instanceof WasmTrapError || error instanceof WasmVmDeadError;
}
