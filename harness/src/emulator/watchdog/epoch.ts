// A coarse process-wide clock for the deadline checks: a counter in shared memory that a small worker thread
// increments every EPOCH_MS. The watchdog checks the deadline on every host call and every fuel tick; reading
// this counter costs about a nanosecond, where `performance.now()` costs 30–250 ns (measured on a loaded 2-core
// machine), more than many host calls. The real clock is read only when the counter has moved since the last
// check, so a callback reads it at most once per epoch however many host calls it makes.
//
// Why a thread: the guest runs synchronously on the test's thread, so no timer of that thread can fire while a
// callback runs; only another thread can tell time passed without being asked. The thread is started on first use,
// is unref'd (it never keeps the process alive) and ends with the process or the worker that started it.
import { Worker } from "node:worker_threads";

/** Period of the epoch counter, in milliseconds: a deadline is noticed at most about two epochs late. */
export const EPOCH_MS = 5;

/** Shared state: the epoch counter, and 1 while the ticking thread runs (it sets it once it started). */
const state = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
const EPOCH = 0;
const TICKING = 1;
let started = false;

/** Runs in the worker: says it runs, then increments the shared counter every EPOCH_MS for as long as it lives. */
const TICKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const state = new Int32Array(workerData);
Atomics.store(state, ${TICKING}, 1);
setInterval(() => Atomics.add(state, ${EPOCH}, 1), ${EPOCH_MS});
`;

/**
 * Starts the ticking thread once per process (or worker thread). Until it runs (starting takes tens of
 * milliseconds), and where threads cannot be started, {@link epoch} moves on every read instead, so every check
 * reads the real clock: slower, never wrong.
 */
export function startEpochClock(): void {
  if (started) return;
  started = true;
  try {
    const worker = new Worker(TICKER_SOURCE, { eval: true, workerData: state.buffer });
    worker.unref();
    const stopped = () => Atomics.store(state, TICKING, 0);
    worker.on("error", stopped);
    worker.on("exit", stopped);
  } catch {
    // No thread: every read moves the epoch.
  }
}

/**
 * The current epoch: a number that grows by one every EPOCH_MS (or on every read, without the thread). Plain reads,
 * not Atomics.load: V8 does not inline Atomics on shared memory (about 40 ns a call, measured, against about 1 ns),
 * an aligned 32-bit read cannot tear, and a value a read or two stale only makes a check an epoch late.
 */
export function epoch(): number {
  return state[TICKING] === 1 ? state[EPOCH]! : ++state[EPOCH]!;
}
