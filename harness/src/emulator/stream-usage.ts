// Misuse of HttpStream's driving API (steps out of order, twice, after the end or after a local reply): an
// EmulatorUsageError that says what to call instead.
import { EmulatorUsageError } from "./errors.ts";
import type { Direction } from "./http-direction.ts";
import type { LocalReply } from "./vm-types.ts";

/** Which direction of the stream a step drives. */
export type StreamSide = "request" | "response";

/** Throws an EmulatorUsageError with `message` when `misuse` holds. */
export function usage(misuse: boolean, message: string): void {
  if (misuse) throw new EmulatorUsageError(message);
}

/** A headers step: once per direction, before complete(), the response after the request and without a local reply. */
export function checkHeadersStep(
  side: StreamSide,
  dir: Direction,
  stream: { readonly localReply: LocalReply | null; readonly completed: boolean; readonly requestStarted: boolean },
): void {
  usage(
    side === "response" && stream.localReply !== null,
    `responseHeaders() after the filter answered locally (status ${stream.localReply?.status}, details "${stream.localReply?.details}"): the upstream response never comes; read stream.response instead.`,
  );
  usage(dir.started, `${side}Headers() called twice on one stream; create a new stream with emulator.httpStream().`);
  usage(stream.completed, `${side}Headers() after complete(); create a new stream.`);
  usage(
    side === "response" && !stream.requestStarted,
    "responseHeaders() before requestHeaders(): send the request first.",
  );
}

/** A body step: after the headers, before the end of the direction. */
export function checkBodyStep(side: StreamSide, dir: Direction): void {
  usage(!dir.started, `${side}Body() before ${side}Headers().`);
  usage(dir.eosReceived, `${side}Body() after the end of the ${side} stream (endOfStream was already true).`);
}

/** A trailers step: after the headers, before the end of the direction. */
export function checkTrailersStep(side: StreamSide, dir: Direction): void {
  usage(!dir.started, `${side}Trailers() before ${side}Headers().`);
  usage(dir.eosReceived, `${side}Trailers() after the end of the ${side} stream.`);
}

/** An upstream response (sendUpstreamResponse): only while the filter has neither answered locally nor reset the stream (`answeredOrReset`). */
export function checkUpstreamResponseStep(answeredOrReset: boolean): void {
  usage(
    answeredOrReset,
    "sendUpstreamResponse() after the filter answered locally or reset the stream: no upstream response comes.",
  );
}
