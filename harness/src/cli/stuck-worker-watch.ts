// `proxy-wasm-as run`: while the user sends requests with curl, say so when an Envoy worker gets stuck in the
// filter (a callback that never returns). Envoy itself logs nothing then; its guard dog counts the stall in the
// worker's watchdog counters, which this polls through the admin API (the main thread still answers).
import type { Envoy } from "../envoy/index.ts";
import { WORKER_WATCHDOG_STATS } from "../envoy/request-timeout.ts";
import { PROGRAM } from "./command.ts";

/** How often the watchdog counters are read. */
const POLL_MS = 1000;
/** Only stalls of over a second count (Envoy's "mega miss"): shorter ones happen on a loaded machine. */
const MEGA_MISS = /\.watchdog_mega_miss$/;

/**
 * Polls `envoy`'s worker watchdogs and calls `report` with one line for each new stall of a worker, naming the
 * counter and how to find the callback (`check` with the same request). Returns a function that stops polling.
 */
export function watchForStuckWorkers(envoy: Envoy, wasm: string, report: (line: string) => void): () => void {
  let seen: Map<string, number> | undefined;
  let polling = false;
  const timer = setInterval(async () => {
    if (polling) return;
    polling = true;
    try {
      const now = await envoy.stats(WORKER_WATCHDOG_STATS);
      for (const [name, value] of now) {
        const before = seen?.get(name);
        if (before === undefined || value <= before || !MEGA_MISS.test(name)) continue;
        report(
          `envoy: a worker is stuck in the filter (${name} ${before} → ${value}): a callback has not returned for over 1 s, and the worker serves no other request. Find the callback without Envoy: ${PROGRAM} check ${wasm} --path <path> --header '<name: value>' (the request that hung)`,
        );
      }
      seen = now;
    } catch {
      // Envoy is stopping: nothing to report.
    } finally {
      polling = false;
    }
  }, POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
