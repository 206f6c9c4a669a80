// Plain AssemblyScript in a filter: `Date` and `performance`, wired in by the shared asconfig
// (`"use": ["Date=proxy_wasm_as_Date", "performance=proxy_wasm_as_performance"]`). @assemblyscript/wasi-shim reads
// the clocks through WASI clock_time_get, which Envoy provides (realtime and monotonic, even during _initialize).
// The SDK adds what the shim lacks: `new Date()` without an argument is "now", as in JavaScript.
import { wasi_Date } from "@assemblyscript/wasi-shim/assembly/wasi_date";
import { wasi_performance } from "@assemblyscript/wasi-shim/assembly/wasi_performance";

/** `Date` for Envoy filters (global; selected with `--use Date=proxy_wasm_as_Date`): `Date.now()` and `new Date()` read Envoy's wall clock. */
// @ts-ignore: decorator
@global export class proxy_wasm_as_Date extends wasi_Date {
  /** A date at `epochMillis` (milliseconds since 1970-01-01 UTC), or now when omitted. */
  constructor(epochMillis: i64 = wasi_Date.now()) {
    super(epochMillis);
  }
}

/** `performance` for Envoy filters (global; selected with `--use performance=proxy_wasm_as_performance`). */
// @ts-ignore: decorator
@global export namespace proxy_wasm_as_performance {
  /** Milliseconds (fractional, microsecond precision) on Envoy's monotonic clock. */
  export function now(): f64 { return wasi_performance.now(); }
}
