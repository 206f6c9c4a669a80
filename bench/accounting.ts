// Per-request accounting of a Wasm variant: how often Envoy enters the VM (callbacks, malloc), which host calls
// the module makes, and how many bytes cross the boundary each way. Counted on the harness's emulator with the
// same module and configuration as the bench Envoy (deterministic, no timing), and cross-checked against real
// Envoy's own trace log (the wasm logger at trace level logs every call in both directions).
//
// Bytes module → host: the lengths of the (pointer, length) arguments a host call reads (table below).
// Bytes host → module: every copy into the module goes through its malloc, so the sum of malloc sizes.
import type { TraceEntry } from "@proxy-wasm-as/harness/emulator";
import { Emulator, type HeadersInit, type LogLevelName } from "@proxy-wasm-as/harness/emulator";
import { startBenchEnvoy } from "./bench-envoy.ts";
import type { BenchFilter } from "./envoy-config.ts";
import type { Workload } from "./variants.ts";
import { HEADER_EDITS, JWT_FORWARDED_CLAIM, UPSTREAM_RESPONSE_HEADERS } from "./workloads.ts";

/** The headers the load generator sends with request `n` of a workload (bench/workloads.ts requestHeadersOf). */
export type RequestHeadersOf = (n: number) => Record<string, string>;

/** Requests run before counting (lazy set-up in the module is not per-request cost) and then counted. */
const WARM_REQUESTS = 20;
const COUNTED_REQUESTS = 100;
const VM_ENTRY = "guest.";
/** The module's allocator as Envoy finds it: `malloc`, else `proxy_on_memory_allocate` (the Go SDK's). */
const ALLOCATORS = new Set(["guest.malloc", "guest.proxy_on_memory_allocate"]);

/**
 * Host calls whose arguments include data the host reads from the module: name → indexes of the length
 * arguments (each follows its pointer). From the ABI signatures in harness/src/abi/envoy-imports.ts.
 */
const INPUT_LENGTH_ARGS: Readonly<Record<string, readonly number[]>> = {
  "env.proxy_log": [2],
  "env.proxy_get_header_map_value": [2],
  "env.proxy_add_header_map_value": [2, 4],
  "env.proxy_replace_header_map_value": [2, 4],
  "env.proxy_remove_header_map_value": [2],
  "env.proxy_set_header_map_pairs": [2],
  "env.proxy_get_property": [1],
  "env.proxy_set_property": [1, 3],
  "env.proxy_set_buffer_bytes": [4],
  "env.proxy_send_local_response": [2, 4, 6],
  "env.proxy_http_call": [1, 3, 5, 7],
  "env.proxy_define_metric": [2],
  "env.proxy_get_shared_data": [1],
  "env.proxy_set_shared_data": [1, 3],
  "wasi_snapshot_preview1.fd_write": [],
};

/** What one request costs a variant at the boundary (all figures per request). */
export interface RequestAccounting {
  /** Entries into the VM: callbacks Envoy calls, malloc included. */
  readonly vmEntries: number;
  readonly vmEntriesByName: Readonly<Record<string, number>>;
  readonly hostCalls: number;
  readonly hostCallsByName: Readonly<Record<string, number>>;
  readonly bytesToHost: number;
  readonly bytesToModule: number;
  /** Calls of the module's allocator, malloc or proxy_on_memory_allocate (the host copying data in). */
  readonly mallocs: number;
  /** Host calls whose bytes the table above does not know (counted as 0 bytes). */
  readonly unsized: readonly string[];
  /** Why the emulated request did not end with the workload's edits, if it did not. */
  readonly problem?: string;
  /** The cross-check against Envoy's own trace log (set by the caller). */
  envoy?: EnvoyCrossCheck;
}

/**
 * Envoy's trace log over a few requests next to the emulator's count of the same requests with the wasm logger
 * at the same (trace) level: a module may log more at trace level, so both sides run at that level here.
 */
export type EnvoyCrossCheck =
  | {
      readonly requests: number;
      readonly envoy: CallCounts;
      readonly emulator: CallCounts;
      readonly differences: readonly string[];
    }
  | { readonly skipped: string };

/** Calls per request by name: VM entries ("proxy_on_request_headers", "malloc") and host calls ("proxy_log"). */
export interface CallCounts {
  readonly vmEntries: Readonly<Record<string, number>>;
  readonly hostCalls: Readonly<Record<string, number>>;
}

/** The request Envoy's connection manager hands the filter for a wrk request (pseudo-headers, x-forwarded-proto, x-request-id). */
function downstreamRequest(extra: Record<string, string>, n: number): HeadersInit {
  return {
    ":authority": "127.0.0.1:10000",
    ":path": "/",
    ":method": "GET",
    ":scheme": "http",
    ...extra,
    "x-forwarded-proto": "http",
    "x-request-id": `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  };
}

/** The upstream's answer as the proxy listener's router returns it (body "ok"). */
const UPSTREAM_RESPONSE: HeadersInit = {
  ":status": "200",
  "content-length": "2",
  "content-type": "text/plain",
  ...UPSTREAM_RESPONSE_HEADERS,
  date: "Mon, 30 Nov 2026 12:00:00 GMT",
  server: "envoy",
  "x-envoy-upstream-service-time": "0",
};

/** What the request and response must look like after the variant ran, as [header, wanted value or null for absent]. */
function expectedEdits(workload: Workload): {
  request: Array<[string, string | null]>;
  response: Array<[string, string | null]>;
} {
  if (workload !== "headers") return { request: [[JWT_FORWARDED_CLAIM.header, "user-42"]], response: [] };
  const side = (edits: { set: Record<string, string>; add: Record<string, string>; remove: readonly string[] }) => [
    ...edits.remove.map((name): [string, null] => [name, null]),
    ...Object.entries({ ...edits.set, ...edits.add }),
  ];
  return { request: side(HEADER_EDITS.request), response: side(HEADER_EDITS.response) };
}

function tally(entries: readonly TraceEntry[], requests: number): Omit<RequestAccounting, "problem" | "envoy"> {
  const entriesByName: Record<string, number> = {};
  const callsByName: Record<string, number> = {};
  let bytesToHost = 0;
  let bytesToModule = 0;
  const unsized = new Set<string>();
  for (const e of entries) {
    if (e.call.startsWith(VM_ENTRY)) {
      const name = e.call.slice(VM_ENTRY.length);
      entriesByName[name] = (entriesByName[name] ?? 0) + 1;
      if (ALLOCATORS.has(e.call)) bytesToModule += Number(e.args[0] ?? 0);
      continue;
    }
    const name = e.call.replace(/^env\./, "");
    callsByName[name] = (callsByName[name] ?? 0) + 1;
    const lengths = INPUT_LENGTH_ARGS[e.call];
    if (!lengths) unsized.add(e.call);
    for (const i of lengths ?? []) bytesToHost += Number(e.args[i] ?? 0);
  }
  const perRequest = (counts: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(counts)
        .sort()
        .map(([k, v]) => [k, v / requests]),
    );
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0) / requests;
  return {
    vmEntries: sum(entriesByName),
    vmEntriesByName: perRequest(entriesByName),
    hostCalls: sum(callsByName),
    hostCallsByName: perRequest(callsByName),
    bytesToHost: bytesToHost / requests,
    bytesToModule: bytesToModule / requests,
    mallocs: ((entriesByName.malloc ?? 0) + (entriesByName.proxy_on_memory_allocate ?? 0)) / requests,
    unsized: [...unsized],
  };
}

/**
 * Runs the variant's module in the emulator with the bench Envoy's configuration, WARM_REQUESTS requests, then
 * COUNTED_REQUESTS counted ones (request headers at end of stream, response headers, a 2-byte body and an empty
 * end of stream, stream end),
 * and returns the per-request counts, with a problem if a request did not end with the workload's edits.
 */
export async function emulatorAccounting(
  filter: Extract<BenchFilter, { kind: "wasm" }>,
  workload: Workload,
  requestHeaders: RequestHeadersOf,
  options: { logLevel?: LogLevelName; warmRequests?: number; countedRequests?: number } = {},
): Promise<RequestAccounting> {
  const warm = options.warmRequests ?? WARM_REQUESTS;
  const countedRequests = options.countedRequests ?? COUNTED_REQUESTS;
  const emu = await Emulator.load(filter.wasm, {
    pluginConfig:
      filter.config === undefined
        ? ""
        : typeof filter.config === "string"
          ? filter.config
          : JSON.stringify(filter.config),
    rootId: filter.rootId ?? "",
    pluginName: filter.name,
    // The bench Envoy's wasm logger level ("warning").
    logLevel: options.logLevel ?? "warn",
    trace: true,
  });
  const expected = expectedEdits(workload);
  let problem: string | undefined;
  let start = 0;
  for (let n = 0; n < warm + countedRequests; n++) {
    if (n === warm) start = emu.trace.length;
    const s = emu.httpStream();
    s.requestHeaders(downstreamRequest(requestHeaders(n), n), { endOfStream: true });
    s.responseHeaders(UPSTREAM_RESPONSE);
    // As Envoy's HTTP/1.1 codec delivers the upstream's content-length body: the data, then an empty end of stream.
    s.responseBody("ok");
    s.responseBody("", { endOfStream: true });
    s.complete();
    if (problem) continue;
    const wrong = [
      ...expected.request
        .filter(([k, v]) => (s.request.headers.get(k) ?? null) !== v)
        .map(([k, v]) => `request ${k}: wanted ${v ?? "(absent)"}, got ${s.request.headers.get(k) ?? "(absent)"}`),
      ...expected.response
        .filter(([k, v]) => (s.response.headers.get(k) ?? null) !== v)
        .map(([k, v]) => `response ${k}: wanted ${v ?? "(absent)"}, got ${s.response.headers.get(k) ?? "(absent)"}`),
    ];
    if (s.error) problem = `request ${n} trapped: ${s.error.message.split("\n")[0]}`;
    else if (wrong.length) problem = `request ${n}: ${wrong.join("; ")}`;
  }
  const counted = emu.trace.slice(start).filter((e) => e.contextId !== emu.rootContextId());
  const rootCalls = emu.trace.slice(start).length - counted.length;
  const result = tally(counted, countedRequests);
  emu.shutdown();
  return {
    ...result,
    ...(problem
      ? { problem }
      : rootCalls
        ? { problem: `${rootCalls} calls on the root context during the counted requests (not counted above)` }
        : {}),
  };
}

/** One line of Envoy's wasm trace log that records a call across the boundary. */
const ENVOY_VM_ENTRY = /^\[host->vm\] (\S+?)\(/;
const ENVOY_HOST_CALL = /^\[vm->host\] (\S+?)\(/;

/** Root callbacks on a timer: not part of any request (a module may read the clock or flush counters there). */
const ENVOY_TICK = "proxy_on_tick";
/** The thread of a raw Envoy log line (default format `[time][thread][level][logger] ...`). */
const THREAD = /^\[[^\]]+\]\[(\d+)\]\[\w+\]\[[\w.-]+\] (?:\[[^\]]+:\d+\] )?/;

/**
 * Counts, per request and by name, the calls Envoy's trace log shows over `requests` requests: `lines` are the
 * wasm logger's lines logged while they ran (raw, with their thread; or just the messages, all of one thread). A tick (`proxy_on_tick`) and the host calls its thread makes until
 * its next VM entry are left out and counted apart (`ticks`): they come from a timer, not from the requests.
 */
export function countEnvoyTrace(lines: readonly string[], requests: number): CallCounts & { ticks: number } {
  const vmEntries: Record<string, number> = {};
  const hostCalls: Record<string, number> = {};
  const inTick = new Map<string, boolean>();
  let ticks = 0;
  for (const raw of lines) {
    const prefix = THREAD.exec(raw);
    const thread = prefix?.[1] ?? "";
    const message = prefix ? raw.slice(prefix[0].length) : raw;
    const entry = ENVOY_VM_ENTRY.exec(message);
    const call = entry ? undefined : ENVOY_HOST_CALL.exec(message);
    if (entry) {
      const name = entry[1]!;
      if (!ALLOCATORS.has(`guest.${name}`)) inTick.set(thread, name === ENVOY_TICK);
      if (name === ENVOY_TICK) ticks++;
      if (inTick.get(thread)) continue;
      vmEntries[name] = (vmEntries[name] ?? 0) + 1 / requests;
    } else if (call && !inTick.get(thread)) {
      const name = call[1]!.replace(/^env\./, "");
      hostCalls[name] = (hostCalls[name] ?? 0) + 1 / requests;
    }
  }
  return { vmEntries, hostCalls, ticks };
}

/** "on_response_body: Envoy 2, emulator 1" for every name whose count differs. */
function differences(envoy: CallCounts, emulator: CallCounts): string[] {
  const out: string[] = [];
  for (const kind of ["vmEntries", "hostCalls"] as const) {
    for (const name of new Set([...Object.keys(envoy[kind]), ...Object.keys(emulator[kind])])) {
      const a = envoy[kind][name] ?? 0;
      const b = emulator[kind][name] ?? 0;
      if (Math.abs(a - b) > 1e-9) out.push(`${name.replace(/^proxy_/, "")}: Envoy ${fmt(a)}, emulator ${fmt(b)}`);
    }
  }
  return out;
}

/** Requests checked in Envoy's trace log (after one uncounted request). */
const ENVOY_TRACE_REQUESTS = 3;
/** Envoy writes a stream's last trace lines (on_log/on_done/on_delete) just after the response: wait for them. */
const ENVOY_TRACE_SETTLE_MS = 300;

/**
 * Starts a bench Envoy running `filter` with the wasm logger at trace level, sends one uncounted request and then
 * ENVOY_TRACE_REQUESTS counted ones with `requestHeaders`, and counts the calls its trace log shows per request.
 */
export async function envoyTraceAccounting(
  filter: Extract<BenchFilter, { kind: "wasm" }>,
  workload: Workload,
  requestHeaders: RequestHeadersOf,
  cpus: string,
): Promise<EnvoyCrossCheck> {
  const settle = () => new Promise((resolve) => setTimeout(resolve, ENVOY_TRACE_SETTLE_MS));
  let envoy: Awaited<ReturnType<typeof startBenchEnvoy>> | undefined;
  try {
    envoy = await startBenchEnvoy(filter, { cpus, wasmLogLevel: "trace" });
    const send = async (n: number) =>
      void (await (await fetch(`${envoy!.origin}/`, { headers: requestHeaders(n) })).arrayBuffer());
    await send(0);
    await settle();
    const from = envoy.log.lines.length;
    for (let i = 1; i <= ENVOY_TRACE_REQUESTS; i++) await send(i);
    await settle();
    const lines = envoy.log.lines
      .slice(from)
      .filter((l) => l.logger === "wasm")
      .map((l) => l.raw);
    const { ticks: _ticks, ...seen } = countEnvoyTrace(lines, ENVOY_TRACE_REQUESTS);
    const emulated = await emulatorAccounting(filter, workload, requestHeaders, {
      logLevel: "trace",
      warmRequests: 1,
      countedRequests: ENVOY_TRACE_REQUESTS,
    });
    const emulator = { vmEntries: emulated.vmEntriesByName, hostCalls: emulated.hostCallsByName };
    return { requests: ENVOY_TRACE_REQUESTS, envoy: seen, emulator, differences: differences(seen, emulator) };
  } catch (err) {
    return { skipped: (err as Error).message.split("\n")[0]! };
  } finally {
    await envoy?.stop();
  }
}

const fmt = (n: number) => {
  const rounded = Math.round(n * 100) / 100;
  return Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(2);
};

/** The accounting table: one row per Wasm variant, emulator figures with Envoy's trace in brackets. */
export function accountingTable(
  rows: ReadonlyArray<{ workload: string; label: string; accounting: RequestAccounting }>,
): string {
  const lines = [
    "| workload | variant | VM entries / request | host calls / request | bytes module → host | bytes host → module | malloc calls | Envoy trace log (wasm at trace level): entries / host calls / mallocs | VM entries by name | host calls by name |",
    "|---|---|---:|---:|---:|---:|---:|---|---|---|",
  ];
  for (const { workload, label, accounting: a } of rows) {
    const byName = (counts: Readonly<Record<string, number>>) =>
      Object.entries(counts)
        .map(([k, v]) => `${k.replace(/^proxy_/, "")} ${fmt(v)}`)
        .join(", ");
    const total = (counts: Readonly<Record<string, number>>) => fmt(Object.values(counts).reduce((x, y) => x + y, 0));
    const envoy = !a.envoy
      ? "—"
      : "skipped" in a.envoy
        ? `not checked: ${a.envoy.skipped}`
        : `${total(a.envoy.envoy.vmEntries)} / ${total(a.envoy.envoy.hostCalls)} / ${fmt((a.envoy.envoy.vmEntries.malloc ?? 0) + (a.envoy.envoy.vmEntries.proxy_on_memory_allocate ?? 0))} over ${a.envoy.requests} requests: ${a.envoy.differences.length ? `**differs** from the emulator (${a.envoy.differences.join("; ")})` : "same as the emulator"}`;
    lines.push(
      `| ${workload} | ${label}${a.problem ? ` (${a.problem.replace(/\|/g, "\\|")})` : ""} | ${fmt(a.vmEntries)} | ${fmt(a.hostCalls)} | ${fmt(a.bytesToHost)} | ${fmt(a.bytesToModule)} | ${fmt(a.mallocs)} | ${envoy} | ${byName(a.vmEntriesByName)} | ${byName(a.hostCallsByName)} |`,
    );
  }
  return lines.join("\n");
}
