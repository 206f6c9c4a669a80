// The filter's clock: Envoy's wall clock (proxy_get_current_time_nanoseconds), read on the root's tick and only
// when a time decision needs it. A token's time limits (`exp`, `nbf`, with the skew) make its verdict a step
// function of time: not yet valid, then valid, then expired. So when the verdict is the same at the last reading
// and CLOCK_STALENESS_SECONDS after it, it is the same at every instant in between, and a fresh reading of the
// clock would give it too: the clock is read only when the verdict could change inside that window.
//
// What this assumes (README.md, "Cost per request"): the wall clock does not step backwards, and a worker handles
// a request less than CLOCK_STALENESS_SECONDS after its last reading. The root reads the clock every
// TICK_PERIOD_MS, so only a worker whose event loop stalls for a minute (Envoy's watchdog counts a "mega miss"
// after 1 s) or a clock stepped forward by hours between two ticks could see a verdict a fresh reading would not.
import { currentTimeNanoseconds } from "@proxy-wasm-as/sdk";

/** The root reads the clock (and flushes the batched counter) this often. */
export const TICK_PERIOD_MS: u32 = 1000;
/** How long after a reading of the clock a verdict is taken from it without reading again (see above). */
export const CLOCK_STALENESS_SECONDS: f64 = 60;

/** Envoy's wall clock in whole Unix seconds, with the last reading kept. */
export class TickClock {
  /** Unix seconds at the last reading; NaN before the first. */
  lastReadSeconds: f64 = f64.NaN;

  /** Reads Envoy's clock now (a host call) and keeps the reading. */
  read(): f64 {
    const seconds = <f64>(currentTimeNanoseconds() / 1_000_000_000);
    this.lastReadSeconds = seconds;
    return seconds;
  }
}
