// What filter matchers are applied to, recognised by shape so the same matcher works on emulator results and on
// real-Envoy responses: duck typing keeps this layer free of runtime imports of the emulator and envoy layers.
import type { SourceFrame } from "../symbols/index.ts";

/** Headers as the emulator holds them (HeaderMap) or as a real response/upstream carries them (plain record). */
/** Header collections the matchers read: a HeaderMap-like object with `getAll`, or a plain record. */
export type HeaderSource = { getAll(name: string): string[] } | Record<string, string | string[] | undefined>;

/** An emulator RequestResult: status, headers, localReply, and what the upstream received. */
export interface EmulatorResultLike {
  readonly status: number;
  readonly headers: { getAll(name: string): string[] };
  readonly localReply: { readonly status: number } | null;
  readonly upstream: { readonly headers: { getAll(name: string): string[] } } | null;
  readonly stream: unknown;
}

/** A real HTTP response (traffic layer's HttpResponse, e.g. from `envoy.request`). */
export interface HttpResponseLike {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  text(): string;
}

/** A recording upstream (traffic layer's HttpUpstream). */
export interface RecordingUpstreamLike {
  readonly requests: readonly { readonly headers: Record<string, string[]> }[];
}

/** An Emulator: its log entries and metrics. */
export interface EmulatorLike {
  readonly logs: readonly { readonly level: string; readonly message: string }[];
  metric(name: string): number | undefined;
}

/** A running real Envoy: its Wasm log lines and stats. */
export interface EnvoyLike {
  wasmLogs(): { readonly level: string; readonly message: string }[];
  stats(filter?: string): Promise<Map<string, number>>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

/** True for an emulator RequestResult. */
export function isEmulatorResult(value: unknown): value is EmulatorResultLike {
  return (
    isObject(value) &&
    "localReply" in value &&
    "stream" in value &&
    isObject(value.headers) &&
    typeof (value.headers as { getAll?: unknown }).getAll === "function"
  );
}

/** True for a real HTTP response. */
export function isHttpResponse(value: unknown): value is HttpResponseLike {
  return (
    isObject(value) && typeof value.status === "number" && isObject(value.headers) && typeof value.text === "function"
  );
}

/** True for a recording upstream. */
export function isRecordingUpstream(value: unknown): value is RecordingUpstreamLike {
  return isObject(value) && Array.isArray(value.requests) && typeof value.respondWith === "function";
}

/** True for an Emulator. */
export function isEmulator(value: unknown): value is EmulatorLike {
  return isObject(value) && Array.isArray(value.logs) && typeof value.metric === "function";
}

/** True for a running Envoy handle. */
export function isEnvoy(value: unknown): value is EnvoyLike {
  return isObject(value) && typeof value.wasmLogs === "function" && typeof value.stats === "function";
}

/** Every value of header `name` in `headers` (empty when absent). */
export function headerValues(headers: HeaderSource, name: string): string[] {
  const key = name.toLowerCase();
  if (typeof (headers as { getAll?: unknown }).getAll === "function")
    return (headers as { getAll(n: string): string[] }).getAll(key);
  const value = (headers as Record<string, string | string[] | undefined>)[key];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** A short description of `value` for failure messages. */
export function describeSubject(value: unknown): string {
  if (isEmulatorResult(value)) return "the emulator result";
  if (isHttpResponse(value)) return "the response";
  if (isRecordingUpstream(value)) return "the upstream";
  if (isEmulator(value)) return "the emulator";
  if (isEnvoy(value)) return "Envoy";
  return typeof value;
}

/** A trap the subject carries: its headline ("Function: … failed: …"), frames in source lines, and why they lack them. */
export interface TrapLike {
  readonly headline: string;
  readonly frames: readonly SourceFrame[];
  readonly note?: string;
}

/**
 * The traps behind `value`: an emulator result whose stream trapped (its WasmTrapError), or a response from
 * `envoy.request` (its `wasmTraps`). Empty for anything else.
 */
export function trapsOf(value: unknown): TrapLike[] {
  if (isEmulatorResult(value)) {
    const error = (value.stream as { error?: unknown } | null)?.error;
    if (isObject(error) && typeof error.message === "string" && Array.isArray(error.frames))
      return [{ headline: error.message.split("\n")[0]!, frames: error.frames as SourceFrame[] }];
    return [];
  }
  const traps = isHttpResponse(value) ? (value as { wasmTraps?: unknown }).wasmTraps : undefined;
  if (!Array.isArray(traps)) return [];
  return traps.map((t: { exportName: string; reason: string; frames: SourceFrame[]; note?: string }) => ({
    headline: `Function: ${t.exportName} failed: ${t.reason}`,
    frames: t.frames,
    note: t.note,
  }));
}
