// The one place where known, accepted differences between the emulator and real Envoy are listed, each with the
// reason and the recorded Envoy trace that shows Envoy's side. A divergence the differential suite finds that is
// not matched here fails the suite. Add an entry only when the difference is understood and cannot (or should
// not) be fixed in the emulator; fix the emulator otherwise.
import type { Divergence } from "./diff.ts";

/** A documented, accepted difference. */
export interface KnownDivergence {
  /** Short id, used in reports. */
  readonly id: string;
  /** Scenario ids it applies to ("*" for all). */
  readonly scenarios: readonly string[] | "*";
  /** The field(s) it explains: an exact dotted field or a pattern (see {@link Divergence.field}). */
  readonly field: string | RegExp;
  /** Envoy versions it applies to (default: every version). */
  readonly versions?: readonly string[];
  /** Why the backends differ, and why that is accepted. */
  readonly reason: string;
  /** The recorded trace that shows Envoy's behaviour: `test/differential/traces/<version>/<scenario>.json`. */
  readonly trace: string;
}

/** Every known divergence. Keep the list short: each entry is a place where emulator tests can lie. */
export const KNOWN_DIVERGENCES: readonly KnownDivergence[] = [
  {
    id: "stale-content-length",
    scenarios: ["h1-rewrite-keeps-content-length"],
    field: /^(client\.(status|body)|upstream\.body|events\[\d+\])$/,
    reason:
      "A filter that changes a body's length without removing content-length in the headers callback: Envoy forwards " +
      "the client's content-length with the new body, so the upstream reads only that many bytes and answers 400 to " +
      "the rest. The emulator hands the whole new body to the upstream and does not model HTTP/1.1 framing. Filters " +
      "must remove content-length before rewriting (scenarios h1-rewrite-request-body, h1-rewrite-response-body).",
    trace: "test/differential/traces/<version>/h1-rewrite-keeps-content-length.json",
  },
  {
    id: "continue-response-inside-pausing-callback",
    scenarios: ["h1-continue-response-in-callback"],
    field: /^(client|events\[\d+\])$/,
    reason:
      "continue_stream(HttpResponse) called inside on_response_headers that then returns Pause: Envoy runs the deferred " +
      "continueEncoding() before the filter manager records the stop, so nothing continues the stop that follows and " +
      "the response stalls (no body callbacks) until the client gives up (after 1 s in the scenario); then on_log, " +
      "on_done, on_delete. On the request side the same pattern continues (h1-continue-in-callback), and the emulator " +
      "continues in both directions. Not modelled: filters should return Continue instead of pausing and continuing " +
      "in one callback.",
    trace: "test/differential/traces/<version>/h1-continue-response-in-callback.json",
  },
];

/** The known divergence explaining `divergence` on Envoy `version`, or undefined when it is unexplained. */
export function explainDivergence(
  divergence: Divergence,
  version: string,
  known: readonly KnownDivergence[] = KNOWN_DIVERGENCES,
): KnownDivergence | undefined {
  return known.find(
    (k) =>
      (k.scenarios === "*" || k.scenarios.includes(divergence.scenario)) &&
      (typeof k.field === "string" ? k.field === divergence.field : k.field.test(divergence.field)) &&
      (k.versions === undefined || k.versions.includes(version)),
  );
}
