// The properties every generated request is checked against: the built-in ones (no trap, no stall, no
// unexpected 5xx, and the security invariant) and the ones the user states.
import type { FuzzOutcome } from "./drive.ts";
import type { FuzzRequest } from "./request.ts";
import { formatFrame, type SourceFrame } from "../symbols/index.ts";

/**
 * A user invariant: return `false` or a sentence saying what went wrong when it is violated; `true`/nothing when it
 * holds. It may also throw (e.g. a failing `expect`): the message becomes the violation.
 */
export type Invariant = (request: FuzzRequest, outcome: FuzzOutcome) => boolean | string | undefined;

/** What the built-in invariants accept; see {@link checkInvariants}. */
export interface InvariantOptions {
  /**
   * The security invariant: true when `request` carries a valid credential. When given, a request for which it is
   * false must never reach the upstream (its headers must not pass the filter). Leave it out for non-auth filters.
   */
  readonly isAuthorized?: (request: FuzzRequest) => boolean;
  /** 5xx statuses the module may answer on purpose for `request` (default: none; every 5xx is a violation). */
  readonly allow5xx?: (status: number, request: FuzzRequest, outcome: FuzzOutcome) => boolean;
  /** Accept requests the filter pauses and never resumes (default false: a stall is a violation). */
  readonly allowStall?: boolean;
  /** Your invariants, by name (the name is printed with the violation). */
  readonly invariants?: Readonly<Record<string, Invariant>>;
}

/** One violated invariant: its name and what happened. */
export interface Violation {
  /** "no trap", "no stall", "no unexpected 5xx", "no unauthorized upstream request", or the user's name. */
  readonly invariant: string;
  readonly message: string;
}

/** Checks one request's outcome against the built-in invariants and the user's; returns every violation. */
export function checkInvariants(request: FuzzRequest, outcome: FuzzOutcome, options: InvariantOptions): Violation[] {
  const violations: Violation[] = [];
  if (outcome.trap)
    violations.push({
      invariant: "no trap",
      message: `the VM trapped: ${firstLine(outcome.trap.message)}${trapSite(outcome.trap.frames)}`,
    });
  if (outcome.stalled && !options.allowStall)
    violations.push({
      invariant: "no stall",
      message: "the filter paused the request and nothing resumed it within 60 virtual seconds",
    });
  if (
    outcome.status !== null &&
    outcome.status >= 500 &&
    !outcome.trap &&
    !options.allow5xx?.(outcome.status, request, outcome)
  ) {
    const details = outcome.localReply
      ? ` (local reply, details ${JSON.stringify(outcome.localReply.details)})`
      : " (from the response path)";
    violations.push({ invariant: "no unexpected 5xx", message: `the client got ${outcome.status}${details}` });
  }
  if (options.isAuthorized && outcome.reachedUpstream && !options.isAuthorized(request)) {
    violations.push({
      invariant: "no unauthorized upstream request",
      message: "a request without a valid credential reached the upstream",
    });
  }
  for (const [name, invariant] of Object.entries(options.invariants ?? {})) {
    let verdict: boolean | string | undefined;
    try {
      verdict = invariant(request, outcome);
    } catch (err) {
      verdict = (err as Error)?.message ?? String(err);
    }
    if (verdict === false) violations.push({ invariant: name, message: "returned false" });
    else if (typeof verdict === "string") violations.push({ invariant: name, message: verdict });
  }
  return violations;
}

/** Renders what the client and upstream saw, for failure reports. */
export function formatOutcome(outcome: FuzzOutcome): string {
  const parts = [
    `status: ${outcome.status ?? "none (no response)"}`,
    `reached upstream: ${outcome.reachedUpstream ? "yes" : "no"}`,
  ];
  if (outcome.upstream)
    parts.push(
      `upstream got: ${outcome.upstream.bodyBytes.length} body bytes ${JSON.stringify(outcome.upstream.body.slice(0, 200))}`,
    );
  if (outcome.localReply)
    parts.push(
      `local reply: ${outcome.localReply.status} ${JSON.stringify(outcome.localReply.details)} ${JSON.stringify(outcome.localReply.bodyText.slice(0, 200))}`,
    );
  if (outcome.filterReset) parts.push(`filter reset: ${outcome.filterReset}`);
  if (outcome.trap) parts.push(`trap: ${firstLine(outcome.trap.message)}`);
  const logs = outcome.stream.logs
    .filter((l) => l.level === "error" || l.level === "critical" || l.level === "warning")
    .slice(-3);
  for (const l of logs) parts.push(`log [${l.level}] ${firstLine(l.message)}`);
  return parts.join("\n");
}

/** ` at assembly/index.ts:42:7 in MyFilter.onRequestHeaders`: where the trap is in the filter's source, if known. */
function trapSite(frames: readonly SourceFrame[]): string {
  const frame =
    frames.find((f) => f.kind === "user" && f.line !== undefined) ?? frames.find((f) => f.line !== undefined);
  return frame ? ` ${formatFrame(frame)}` : "";
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
