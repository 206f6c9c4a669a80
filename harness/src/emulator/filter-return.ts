// What a stream callback's return code means to Envoy's filter manager (FilterHeadersStatus / FilterDataStatus /
// FilterTrailersStatus as proxy-wasm-cpp-host maps the ABI's Action). The code Envoy reports instead when the filter
// sent a local reply during the callback belongs to the deferred actions (deferred-actions.ts).
import { Action } from "../abi/index.ts";
import type { CallbackPhase } from "./deferred-actions.ts";

/** How the stream goes on after a callback returned. */
export interface ReturnDecision {
  /** True when the direction proceeds past this point. */
  readonly proceed: boolean;
  /** Where the direction stopped (null when it proceeds, or only the headers are held). */
  readonly stop: CallbackPhase | null;
  /** True when only the headers are held (`allow_on_headers_stop_iteration`): later data still reaches the filter. */
  readonly headersHeld: boolean;
}

/**
 * Interprets `code` (null: the callback is absent or trapped) returned by the `at` callback. With
 * `allowHeadersStopIteration` (Envoy ≥ 1.35), a headers Pause holds only the headers; otherwise it stops all.
 */
export function interpretReturn(
  code: number | null,
  at: CallbackPhase,
  allowHeadersStopIteration: boolean,
): ReturnDecision {
  if (at === "headers" && code === Action.Pause && allowHeadersStopIteration)
    return { proceed: false, stop: null, headersHeld: true };
  // Headers PauseAndWatermark (ContinueAndDontEndStream in Envoy's mapping) lets the headers go on.
  const proceed = code === null || code === Action.Continue || (at === "headers" && code === Action.PauseAndWatermark);
  return { proceed, stop: proceed ? null : at, headersHeld: false };
}

/** True when a body callback's `code` keeps the chunk buffered (StopIterationAndBuffer). */
export function buffersBody(code: number | null): boolean {
  return code === Action.Pause;
}

/** True when a body callback's `code` drops the chunk (StopIterationNoBuffer and beyond). */
export function dropsBody(code: number | null): boolean {
  return code !== null && code >= Action.StopAllAndBuffer;
}
