// Matchers for what filter tests assert, on emulator results and real-Envoy responses alike. Registered by the
// preset's setup file (setup.ts); typed through vitest's `Matchers` interface (see the declaration at the end).
import { formatTrap } from "../symbols/index.ts";
import {
  describeSubject,
  headerValues,
  isEmulator,
  isEmulatorResult,
  isEnvoy,
  isHttpResponse,
  isRecordingUpstream,
  trapsOf,
  type EmulatorLike,
  type HeaderSource,
  type EnvoyLike,
} from "./subjects.ts";

/** Envoy's router adds this header to responses that came from an upstream; local replies lack it. */
const UPSTREAM_SERVICE_TIME = "x-envoy-upstream-service-time";

/** A header value expectation: exact text or a pattern. */
export type HeaderExpectation = string | RegExp;

interface MatcherResult {
  pass: boolean;
  message: () => string;
  actual?: unknown;
  expected?: unknown;
}

/** What a failure message adds when the filter trapped: the trap in the filter's source lines. */
function trapNote(received: unknown): string {
  const traps = trapsOf(received);
  if (traps.length === 0) return "";
  const told = traps.flatMap((t) => formatTrap(t.headline, t.frames, t.note).map((line) => `  ${line}`));
  return `\nThe filter trapped:\n${told.join("\n")}`;
}

function unsupported(matcher: string, received: unknown, accepts: string): MatcherResult {
  return { pass: false, message: () => `${matcher} expects ${accepts}, got ${describeSubject(received)}` };
}

function withTrapNote(result: MatcherResult, received: unknown): MatcherResult {
  const note = trapNote(received);
  if (!note) return result;
  const message = result.message;
  return { ...result, message: () => `${message()}${note}` };
}

function matchesValue(values: readonly string[], expected: HeaderExpectation | undefined): boolean {
  if (expected === undefined) return values.length > 0;
  return values.some((v) => (typeof expected === "string" ? v === expected : expected.test(v)));
}

function headerResult(
  where: string,
  name: string,
  values: string[],
  expected: HeaderExpectation | undefined,
  isNot: boolean,
): MatcherResult {
  const pass = matchesValue(values, expected);
  const want = expected === undefined ? "" : ` = ${String(expected)}`;
  const seen = values.length ? `it has ${values.map((v) => JSON.stringify(v)).join(", ")}` : "it is absent";
  return {
    pass,
    message: () => `expected ${where} ${isNot ? "not " : ""}to have header ${name}${want}, but ${seen}`,
    actual: values,
    expected,
  };
}

/** Levels as both emulators and Envoy spell them. */
function levelMatches(level: string, wanted: string | undefined): boolean {
  if (!wanted) return true;
  const normal = (l: string) => (l === "warning" ? "warn" : l);
  return normal(level) === normal(wanted);
}

async function readMetric(source: EmulatorLike | EnvoyLike, name: string): Promise<number> {
  if (isEmulator(source)) return source.metric(name) ?? 0;
  // Envoy names a module's metrics `wasmcustom.<name>` (the SDK's metrics say so); accept both spellings.
  const stats = await (source as EnvoyLike).stats();
  return stats.get(name) ?? stats.get(`wasmcustom.${name}`) ?? 0;
}

/** The matchers, as `expect.extend` takes them. */
export const filterMatchers = {
  /** `expect(result|response).toHaveStatus(403)`: the status the client got. */
  toHaveStatus(this: { isNot: boolean }, received: unknown, status: number): MatcherResult {
    if (!isEmulatorResult(received) && !isHttpResponse(received))
      return unsupported("toHaveStatus", received, "an emulator result or an HTTP response");
    return {
      pass: received.status === status,
      message: () =>
        `expected status ${this.isNot ? "not " : ""}${status}, got ${received.status}${trapNote(received)}`,
      actual: received.status,
      expected: status,
    };
  },

  /** `expect(result|response).toHaveHeader(name, value?)`: the client got the header (with that value / matching). */
  toHaveHeader(this: { isNot: boolean }, received: unknown, name: string, expected?: HeaderExpectation): MatcherResult {
    if (!isEmulatorResult(received) && !isHttpResponse(received))
      return unsupported("toHaveHeader", received, "an emulator result or an HTTP response");
    return withTrapNote(
      headerResult("the response", name, headerValues(received.headers, name), expected, this.isNot),
      received,
    );
  },

  /**
   * `expect(result|upstream).toHaveUpstreamHeader(name, value?)`: what the upstream saw. On an emulator result, the
   * request the upstream handler received; on a recording upstream, its latest request. Fails when nothing arrived.
   */
  toHaveUpstreamHeader(
    this: { isNot: boolean },
    received: unknown,
    name: string,
    expected?: HeaderExpectation,
  ): MatcherResult {
    let headers: HeaderSource | undefined;
    if (isEmulatorResult(received)) headers = received.upstream?.headers;
    else if (isRecordingUpstream(received)) headers = received.requests.at(-1)?.headers;
    else return unsupported("toHaveUpstreamHeader", received, "an emulator result or a recording upstream");
    if (!headers)
      return {
        pass: false,
        message: () => `no request reached the upstream (the filter answered or stopped it)${trapNote(received)}`,
      };
    return headerResult("the upstream request", name, headerValues(headers, name), expected, this.isNot);
  },

  /** `expect(result|upstream).toHaveReachedUpstream()`: the request got past the filter to the upstream. */
  toHaveReachedUpstream(this: { isNot: boolean }, received: unknown): MatcherResult {
    let reached: boolean;
    if (isEmulatorResult(received)) reached = received.upstream !== null;
    else if (isRecordingUpstream(received)) reached = received.requests.length > 0;
    else return unsupported("toHaveReachedUpstream", received, "an emulator result or a recording upstream");
    return {
      pass: reached,
      message: () =>
        reached
          ? "expected no request to reach the upstream, but one did"
          : `expected the request to reach the upstream, but none did${trapNote(received)}`,
    };
  },

  /**
   * `expect(result|response).toBeLocalReply(status?)`: the filter (or Envoy) answered without the upstream. On an
   * emulator result: `localReply` is set. On a real response: Envoy's router did not add x-envoy-upstream-service-time.
   */
  toBeLocalReply(this: { isNot: boolean }, received: unknown, status?: number): MatcherResult {
    let local: boolean;
    if (isEmulatorResult(received)) local = received.localReply !== null;
    else if (isHttpResponse(received)) local = headerValues(received.headers, UPSTREAM_SERVICE_TIME).length === 0;
    else return unsupported("toBeLocalReply", received, "an emulator result or an HTTP response");
    const statusOk = status === undefined || received.status === status;
    const want = `a local reply${status === undefined ? "" : ` with status ${status}`}`;
    return {
      pass: local && statusOk,
      message: () =>
        `expected ${this.isNot ? "not " : ""}${want}, got ${local ? "a local reply" : "a response from the upstream"} with status ${received.status}${trapNote(received)}`,
    };
  },

  /** `expect(emulator|envoy).toHaveLogged(/pattern/|"text", level?)`: the module logged a matching line (at that level). */
  toHaveLogged(this: { isNot: boolean }, received: unknown, pattern: string | RegExp, level?: string): MatcherResult {
    let lines: { level: string; message: string }[];
    if (isEmulator(received)) lines = [...received.logs];
    else if (isEnvoy(received)) lines = received.wasmLogs();
    else return unsupported("toHaveLogged", received, "an Emulator or a running Envoy");
    const hit = lines.find(
      (l) =>
        levelMatches(l.level, level) &&
        (typeof pattern === "string" ? l.message.includes(pattern) : pattern.test(l.message)),
    );
    const shown =
      lines
        .slice(-20)
        .map((l) => `  ${l.level} ${l.message}`)
        .join("\n") || "  (nothing logged)";
    return {
      pass: hit !== undefined,
      message: () =>
        hit
          ? `expected no log line matching ${String(pattern)}, but got: ${hit.level} ${hit.message}`
          : `expected a${level ? ` ${level}` : ""} log line matching ${String(pattern)}; the module logged:\n${shown}`,
    };
  },

  /**
   * `await expect(async () => { … }).toChangeMetric(emulator|envoy, name, delta)`: running the action changed the
   * module's metric `name` by exactly `delta`. On Envoy, `name` may omit the `wasmcustom.` prefix.
   */
  async toChangeMetric(
    this: { isNot: boolean },
    received: unknown,
    source: unknown,
    name: string,
    delta: number,
  ): Promise<MatcherResult> {
    if (typeof received !== "function")
      return { pass: false, message: () => `toChangeMetric expects a function to run, got ${typeof received}` };
    if (!isEmulator(source) && !isEnvoy(source))
      return unsupported("toChangeMetric", source, "an Emulator or a running Envoy as its first argument");
    const before = await readMetric(source, name);
    await (received as () => unknown)();
    const after = await readMetric(source, name);
    return {
      pass: after - before === delta,
      message: () =>
        `expected metric ${name} ${this.isNot ? "not " : ""}to change by ${delta}, it changed by ${after - before} (${before} → ${after})`,
      actual: after - before,
      expected: delta,
    };
  },
};

/** The matchers' signatures, as they appear on `expect(...)`. */
export interface FilterMatchers<R = unknown> {
  /** The status the client got (emulator result or real HTTP response). */
  toHaveStatus(status: number): R;
  /** The client got header `name` (with value `expected`, or one matching it). Use `.not` for "absent". */
  toHaveHeader(name: string, expected?: HeaderExpectation): R;
  /** The upstream received header `name` (emulator result, or a recording upstream's latest request). */
  toHaveUpstreamHeader(name: string, expected?: HeaderExpectation): R;
  /** The request reached the upstream (emulator result or recording upstream). */
  toHaveReachedUpstream(): R;
  /** The reply was made locally (by the filter or Envoy), optionally with `status`. */
  toBeLocalReply(status?: number): R;
  /** The module logged a line matching `pattern` (optionally at `level`): on an Emulator or a running Envoy. */
  toHaveLogged(pattern: string | RegExp, level?: string): R;
  /** Running the received function changed metric `name` of `source` by `delta`. Await it. */
  toChangeMetric(source: object, name: string, delta: number): Promise<void>;
}

declare module "vitest" {
  // Declaration merging with vitest's own interface: the names of its type parameters must be kept.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown> extends FilterMatchers<R> {}
}
