// How a local reply reaches the client, as Envoy's filter manager sends it: through the encoder filters (this one
// included: on_response_headers, then on_response_body with the whole body) while the filter is live, straight to
// the client otherwise, and as a stream reset once response headers already went out.
import { LOCAL_REPLIES, localReplyResponse } from "./connection-manager.ts";
import type { Direction } from "./http-direction.ts";
import { Action } from "../abi/index.ts";
import type { LocalReply } from "./vm-types.ts";

const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** A local reply as the stream records it, with its body decoded. */
export type RecordedLocalReply = LocalReply & { readonly bodyText: string };

/** The parts of an HTTP stream a local reply goes through (implemented by the stream engine, stream-engine.ts). */
export interface LocalReplyTarget {
  readonly request: Direction;
  readonly response: Direction;
  /** The stream context id while the filter runs for this stream (mode "filter"), else null. */
  filterContextId(): number | null;
  /** Calls a stream callback; null when it is absent, trapped, or the filter no longer runs. */
  invoke(name: string, ...args: number[]): number | null;
  /** Records the reply; called before the filter sees it (its callbacks may read it, a trap may replace it). */
  record(reply: RecordedLocalReply): void;
  /** Resets the stream with `reason` (too late for a reply). */
  reset(reason: string): void;
}

/** Sends `reply` to the client; `throughFilter` false skips the filter (it failed, or the VM did). */
export function sendLocalReply(target: LocalReplyTarget, reply: LocalReply, throughFilter: boolean): void {
  const resp = target.response;
  if (resp.out.headersForwarded) {
    // Too late for a reply: Envoy resets the stream instead.
    target.reset("local_reply_after_response_headers");
    return;
  }
  const grpcRequest = (target.request.out.headers.get("content-type") ?? "").startsWith("application/grpc");
  const { headers, body } = localReplyResponse(reply, grpcRequest);
  reply = { ...reply, body };
  target.record({ ...reply, bodyText: decoder.decode(reply.body) });
  target.request.headersActive = false;
  const wasMidResponse = resp.replaceWith(headers);
  const ctxId = target.filterContextId();
  if (!throughFilter || wasMidResponse || ctxId === null) {
    resp.out.headersForwarded = true;
    resp.out.forwardBody(reply.body);
    resp.end();
    return;
  }
  // Envoy sends the local reply through the encoder filters, this one included.
  resp.headersActive = true;
  const code = target.invoke("proxy_on_response_headers", ctxId, headers.size, reply.body.length === 0 ? 1 : 0);
  resp.headersActive = false;
  resp.out.headersForwarded = true;
  if (reply.body.length > 0 && target.filterContextId() !== null && (code === Action.Continue || code === null)) {
    resp.buffer = reply.body;
    resp.inBodyCallback = true;
    target.invoke("proxy_on_response_body", ctxId, reply.body.length, 1);
    resp.inBodyCallback = false;
    resp.out.forwardBody(resp.buffer);
    resp.buffer = EMPTY;
  } else {
    resp.out.forwardBody(reply.body);
  }
  resp.end();
}

/**
 * Envoy's buffer limit for a body the filter holds in `dir` (stopped on headers, or StopIterationAndBuffer): over
 * `limitBytes`, the request gets a local 413, the response a local 500 (or a reset once response headers went out).
 * Returns true when the limit was exceeded.
 */
export function enforceBufferLimit(
  target: LocalReplyTarget,
  dir: Direction,
  side: "request" | "response",
  limitBytes: number,
): boolean {
  if (dir.buffer.length + dir.held.reduce((n, b) => n + b.length, 0) <= limitBytes) return false;
  if (side === "request") {
    sendLocalReply(target, LOCAL_REPLIES.requestTooLarge, true);
  } else if (target.response.out.headersForwarded) {
    target.reset("response_payload_too_large");
  } else {
    sendLocalReply(target, LOCAL_REPLIES.responseTooLarge, false);
  }
  return true;
}
