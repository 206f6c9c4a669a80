// What `proxy-wasm-as bench` prints: how it measured, the medians of both listeners, the filtered/baseline ratios
// with their 95 % intervals, and the warnings that keep noise from passing for a result. Pure (no I/O).
import {
  DEFAULT_CONFIDENCE,
  type LoadRequest,
  type LoadSample,
  MIN_ROUNDS_FOR_INTERVAL,
  type RatioEstimate,
  SATURATED_BUSY_SHARE,
  formatPercent,
  formatRatio,
  ratioOverRounds,
  ratioWarnings,
} from "../bench/index.ts";

/** One measurement of one listener: what the load generator saw, and Envoy's CPU per request (process runner). */
export interface BenchSample extends LoadSample {
  readonly cpuMicrosPerRequest?: number;
  /** Envoy's CPU time over the measurement's wall time (1 = one core busy all the time; process runner). */
  readonly envoyBusyShare?: number;
}

/** How the run was set up, for the report's header. */
export interface BenchSetup {
  readonly module: string;
  readonly rounds: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  readonly tool: "wrk" | "undici";
  /** undici was a fallback (the note explaining it was printed before the run). */
  readonly fallback: boolean;
  readonly request: LoadRequest;
  readonly envoyVersion: string;
  readonly runner: string;
  /** CPUs Envoy and the load generator were pinned to, if they were. */
  readonly envoyCpu?: string;
  readonly loadCpu?: string;
  /** The status each listener answered the request with, before the rounds. */
  readonly statuses: { readonly baseline: number; readonly filtered: number };
}

/** What the warnings suggest at least (a little above the minimum an interval needs). */
const SUGGESTED_ROUNDS = MIN_ROUNDS_FOR_INTERVAL + 2;

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const number = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "—";

function describeRequest(request: LoadRequest): string {
  const headers = request.headers ?? [];
  const body =
    request.body === undefined
      ? 0
      : typeof request.body === "string"
        ? Buffer.byteLength(request.body)
        : request.body.length;
  return `${request.method ?? "GET"} ${request.path ?? "/"}${headers.length ? ` with ${headers.map(([name]) => name).join(", ")}` : ""}${body ? `, a ${body}-byte body` : ""}`;
}

/** The whole report: setup, medians, ratios with intervals, and warnings (each line starting "warning:"). */
export function formatBench(
  setup: BenchSetup,
  samples: Record<"baseline" | "filtered", readonly BenchSample[]>,
): string {
  const { baseline, filtered } = samples;
  const pick = (list: readonly BenchSample[], f: (s: BenchSample) => number | undefined) => list.map(f);
  const cpuKnown = baseline.every((s) => s.cpuMicrosPerRequest !== undefined);
  const lines = [
    `${setup.module} against no filter, measured in one Envoy ${setup.envoyVersion} (${setup.runner} runner, one worker${setup.envoyCpu ? `, pinned to CPU ${setup.envoyCpu}` : ""})`,
    `  request: ${describeRequest(setup.request)}; answered ${setup.statuses.filtered} with the filter, ${setup.statuses.baseline} without`,
    `  load: ${setup.tool}${setup.fallback ? " (fallback, see the note above)" : ""}${setup.loadCpu ? ` pinned to CPU ${setup.loadCpu}` : ""}, ${setup.connections} keep-alive connections; ${setup.rounds} round${setup.rounds === 1 ? "" : "s"} of ${setup.warmupSeconds ? `${setup.warmupSeconds} s warm-up + ` : ""}${setup.seconds} s per listener, order balanced across rounds; upstream: a direct response from the same Envoy`,
    "",
    `${"listener".padEnd(10)} ${"req/s".padStart(10)} ${"p50 ms".padStart(9)} ${"p99 ms".padStart(9)} ${"Envoy CPU µs/request".padStart(21)} ${"Envoy busy".padStart(11)}   (medians over rounds)`,
  ];
  const busy = (list: readonly BenchSample[]) =>
    median(list.flatMap((s) => (s.envoyBusyShare === undefined ? [] : [s.envoyBusyShare])));
  for (const [name, list] of [
    ["baseline", baseline],
    ["filtered", filtered],
  ] as const) {
    const cpu = median(list.flatMap((s) => (s.cpuMicrosPerRequest === undefined ? [] : [s.cpuMicrosPerRequest])));
    lines.push(
      `${name.padEnd(10)} ${number(median(pick(list, (s) => s.requestsPerSecond) as number[])).padStart(10)} ${number(median(pick(list, (s) => s.p50Ms) as number[]), 3).padStart(9)} ${number(median(pick(list, (s) => s.p99Ms) as number[]), 3).padStart(9)} ${number(cpu, 1).padStart(21)} ${(Number.isFinite(busy(list)) ? `${Math.round(busy(list) * 100)} %` : "—").padStart(11)}`,
    );
  }
  const ratios: Array<[string, RatioEstimate | undefined]> = [
    [
      "throughput",
      ratioOverRounds(
        pick(filtered, (s) => s.requestsPerSecond),
        pick(baseline, (s) => s.requestsPerSecond),
      ),
    ],
    [
      "Envoy CPU per request",
      cpuKnown
        ? ratioOverRounds(
            pick(filtered, (s) => s.cpuMicrosPerRequest),
            pick(baseline, (s) => s.cpuMicrosPerRequest),
          )
        : undefined,
    ],
    [
      "p50 latency",
      ratioOverRounds(
        pick(filtered, (s) => s.p50Ms),
        pick(baseline, (s) => s.p50Ms),
      ),
    ],
    [
      "p99 latency",
      ratioOverRounds(
        pick(filtered, (s) => s.p99Ms),
        pick(baseline, (s) => s.p99Ms),
      ),
    ],
  ];
  lines.push(
    "",
    `filtered / baseline (geometric mean of the per-round ratios, ${formatPercent(DEFAULT_CONFIDENCE)} bootstrap interval over rounds):`,
  );
  const width = Math.max(...ratios.map(([name]) => name.length));
  for (const [name, ratio] of ratios)
    lines.push(
      `  ${name.padEnd(width)}  ${ratio ? formatRatio(ratio) : name.startsWith("Envoy CPU") ? "— (needs the process runner on Linux)" : "—"}`,
    );
  lines.push(
    "  (throughput below 1× and CPU or latency above 1× are the filter's cost; an interval that contains 1× means this run cannot tell the filter from no filter)",
  );
  const warnings = new Set<string>();
  const more = `--rounds ${Math.max(SUGGESTED_ROUNDS, setup.rounds * 2)} or more`;
  for (const [name, ratio] of ratios.slice(0, 2))
    if (ratio) for (const warning of ratioWarnings(ratio, { what: name, more })) warnings.add(warning);
  const idle = (["baseline", "filtered"] as const).filter((name) => busy(samples[name]) < SATURATED_BUSY_SHARE);
  if (idle.length)
    warnings.add(
      `Envoy was busy only ${idle.map((name) => `${Math.round(busy(samples[name]) * 100)} % (${name})`).join(" and ")} of the measured time: it was not the bottleneck (other processes share its CPU, or the load generator is too slow), so req/s shows how the machine scheduled Envoy more than what the filter costs, and a filter can even look faster; trust Envoy CPU per request more, and measure on a quieter machine`,
    );
  if (setup.fallback)
    warnings.add(
      "the load came from undici (see the note above): the throughput ratio understates the filter's cost; trust Envoy CPU per request more",
    );
  const errors = (list: readonly BenchSample[]) => list.reduce((sum, s) => sum + s.errors, 0);
  if (errors(filtered) + errors(baseline) > 0)
    warnings.add(
      `${errors(filtered)} filtered and ${errors(baseline)} baseline responses were errors (non-2xx/3xx or connection errors)${setup.statuses.filtered >= 400 ? `: the filter answers ${setup.statuses.filtered}, so this measures its rejection path` : ""}`,
    );
  if (setup.statuses.filtered !== setup.statuses.baseline && setup.statuses.filtered < 400)
    warnings.add(
      `the filter answers ${setup.statuses.filtered} where no filter answers ${setup.statuses.baseline}: this measures the filter's own reply, not a request passed upstream`,
    );
  if (warnings.size) lines.push("", ...[...warnings].map((w) => `warning: ${w}`));
  return lines.join("\n");
}
