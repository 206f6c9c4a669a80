// Plain AssemblyScript in a filter: `Date` and `performance`, wired in by the shared asconfig
// (`"use": ["Date=proxy_wasm_as_Date", "performance=proxy_wasm_as_performance"]`): the clocks through WASI
// clock_time_get, which Envoy provides (realtime and monotonic, even during _initialize), declared by
// @assemblyscript/wasi-shim. The SDK reads them itself rather than through the shim's Date.now/performance.now,
// whose failure path names the errno with a table of every WASI errno (about 3.4 KB in every module that reads a
// clock) for a call that cannot fail in Envoy; and it adds what the shim lacks: `new Date()` without an argument.
import { clock_time_get, clockid } from "@assemblyscript/wasi-shim/assembly/bindings/wasi_snapshot_preview1";
import { wasi_Date } from "@assemblyscript/wasi-shim/assembly/wasi_date";

// @ts-ignore: decorator
@inline const NANOS_PER_MILLI: u64 = 1_000_000;
/** Precision asked of clock_time_get (ns); Envoy ignores it. */
// @ts-ignore: decorator
@inline const PRECISION_NS: u64 = 1_000;

/** Nanoseconds on `clock` (Envoy: realtime or monotonic). */
export function clockNanoseconds(clock: clockid): u64 {
  const slot = memory.data(8, 8);
  if (clock_time_get(clock, PRECISION_NS, slot) != 0) throw new Error("WASI clock_time_get failed");
  return load<u64>(slot);
}

/** `Date` for Envoy filters (global; selected with `--use Date=proxy_wasm_as_Date`): `Date.now()` and `new Date()` read Envoy's wall clock. */
// @ts-ignore: decorator
@global export class proxy_wasm_as_Date extends wasi_Date {
  /** Milliseconds since 1970-01-01 UTC on Envoy's wall clock. */
  static now(): i64 {
    return <i64>(clockNanoseconds(clockid.REALTIME) / NANOS_PER_MILLI);
  }

  /** A date at `epochMillis` (milliseconds since 1970-01-01 UTC), or now when omitted. */
  constructor(epochMillis: i64 = proxy_wasm_as_Date.now()) {
    super(epochMillis);
  }
}

/** `performance` for Envoy filters (global; selected with `--use performance=proxy_wasm_as_performance`). */
// @ts-ignore: decorator
@global export namespace proxy_wasm_as_performance {
  /** Milliseconds (fractional) on Envoy's monotonic clock. */
  export function now(): f64 {
    return <f64>clockNanoseconds(clockid.MONOTONIC) / <f64>NANOS_PER_MILLI;
  }
}
