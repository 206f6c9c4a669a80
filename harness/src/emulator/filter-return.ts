// What a stream callback's return code means to Envoy's filter manager (FilterHeadersStatus / FilterDataStatus /
// FilterTrailersStatus as proxy-wasm-cpp-host maps the ABI's Action), and the code Envoy reports instead when the
// filter sent a local reply during the callback.
import { Action } from "../abi/index.ts";

/** Envoy's FilterHeadersStatus::StopAllIterationAndWatermark, beyond the ABI's Action values. */
const HEADERS_STOP_ALL_AND_WATERMARK = 4;

/** The callback a return code came from. */
export type CallbackPhase = "headers" | "body" | "trailers";

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

/**
 * The return code Envoy reports for the `at` callback when the filter sent a local reply during it (the reply
 * overrides whatever the module returned): StopIterationNoBuffer for a body, StopAllIterationAndWatermark for
 * headers, StopIteration for trailers.
 */
export function localReplyReturnCode(at: CallbackPhase): number {
  return at === "body" ? Action.StopAllAndBuffer : at === "headers" ? HEADERS_STOP_ALL_AND_WATERMARK : Action.Pause;
}

/** True when a body callback's `code` keeps the chunk buffered (StopIterationAndBuffer). */
export function buffersBody(code: number | null): boolean {
  return code === Action.Pause;
}

/** True when a body callback's `code` drops the chunk (StopIterationNoBuffer and beyond). */
export function dropsBody(code: number | null): boolean {
  return code !== null && code >= Action.StopAllAndBuffer;
}
