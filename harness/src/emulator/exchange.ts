// One whole request through the emulated Envoy, the same way for `emu.request()` and the scenario backend: the
// client's request through the connection manager and the filter, the router's upstream, the upstream's answer
// back through the filter, then on_log/on_done/on_delete. The rules themselves live in connection-manager.ts
// (codec and connection manager), router.ts (routes) and stream-engine.ts (the filter manager).
import type { ClientRequest, UpstreamAnswer } from "./connection-manager.ts";
import type { HeaderMap } from "./header-map.ts";
import type { HttpStream } from "./http-stream.ts";

/** What the upstream service receives. */
export interface UpstreamRequest {
  /** The cluster the router chose (the emulator's `routes`, else its default cluster "upstream"). */
  readonly cluster: string;
  readonly headers: HeaderMap;
  readonly body: string;
  readonly bodyBytes: Uint8Array;
  readonly trailers: HeaderMap | null;
}

/** The upstream service: answers what reached it; may be async. */
export type UpstreamService = (request: UpstreamRequest) => UpstreamAnswer | Promise<UpstreamAnswer>;

/** How an exchange ended. */
export interface ExchangeOutcome {
  /** What reached the upstream, or null (local reply, reset, or stalled). */
  readonly upstream: UpstreamRequest | null;
  /** True when the filter held the request and nothing resumed it; the stream is then NOT completed. */
  readonly stalled: boolean;
}

/**
 * Runs `request` through stream `s`. `drive(done)` runs timers and callouts on the virtual clock until `done()` or
 * nothing is left. A stalled request (paused, nothing resumes it) returns `stalled: true` without completing the
 * stream, so the caller decides (emu.request() throws, the scenario backend completes it as Envoy would on reset).
 */
export async function runExchange(
  s: HttpStream,
  request: Omit<ClientRequest, "protocol">,
  upstream: UpstreamService,
  drive: (done: () => boolean) => void,
): Promise<ExchangeOutcome> {
  const stopped = () => s.localReply !== null || s.resetReason !== null;
  s.sendClientRequest(request);
  drive(() => stopped() || s.request.ended);
  if (stopped()) {
    s.complete();
    return { upstream: null, stalled: false };
  }
  if (!s.request.ended) return { upstream: null, stalled: true };
  const seen: UpstreamRequest = {
    cluster: s.route ?? "",
    headers: s.request.headers,
    body: s.request.body,
    bodyBytes: s.request.bodyBytes,
    trailers: s.request.trailers,
  };
  const answer = await upstream(seen);
  if (!stopped()) {
    s.sendUpstreamResponse(answer);
    drive(() => s.response.ended || s.resetReason !== null);
  }
  s.complete();
  return { upstream: seen, stalled: false };
}
