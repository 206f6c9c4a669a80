// Turns a bench run into its outputs: Markdown tables, a target list (target vs measured, met/missed), an SVG
// bar chart drawn by this code, and the README's performance section. Pure apart from the file writers.
import { readFileSync, writeFileSync } from "node:fs";
import type { Workload } from "./variants.ts";

/** Everything measured for one variant. */
export interface VariantResult {
  readonly id: string;
  readonly workload: Workload;
  readonly label: string;
  /** Why it did not run, if it did not. */
  readonly skipped?: string;
  /** Medians over rounds (absolute), and medians of per-round ratios to the same round's baseline. */
  readonly requestsPerSecond?: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly throughputRatio?: number;
  readonly p50Ratio?: number;
  readonly p99Ratio?: number;
  /** Envoy CPU time per request (median over rounds), and its median per-round ratio to the baseline. */
  readonly cpuMicrosPerRequest?: number;
  readonly cpuRatio?: number;
  /** Envoy's CPU time over wall time during the measurements (median): near 1 when Envoy was the bottleneck. */
  readonly envoyBusyShare?: number;
  /** Rounds it was measured in (the base rounds, plus extra rounds for open targets). */
  readonly rounds?: number;
  /** Per-round throughput and Envoy CPU µs per request by round index (null: not in that round), for the record. */
  readonly roundsRps?: readonly (number | null)[];
  readonly roundsCpuMicros?: readonly (number | null)[];
  /** Load-generator errors (non-2xx/3xx, socket errors) over all rounds. */
  readonly errors?: number;
  readonly moduleRawBytes?: number;
  readonly moduleGzipBytes?: number;
  /** Median launch → ready, and its difference to the baseline's (what loading the filter costs). */
  readonly startupMs?: number;
  readonly startupDeltaMs?: number;
  /** Wasm linear memory summed over the VMs (main thread + worker), after warm-up and at the end. */
  readonly wasmMemoryAfterWarmupBytes?: number;
  readonly wasmMemoryEndBytes?: number;
  readonly wasmResidentEndBytes?: number;
  readonly wasmVms?: number;
  readonly envoyRssEndBytes?: number;
  /** Requests this variant's Envoy served when the end figures were taken. */
  readonly requestsServed?: number;
}

/** One target of the issue, with what was measured. */
export interface TargetResult {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  /** undefined: not measured, or (with `undecided`) the confidence interval contains the target. */
  readonly met: boolean | undefined;
  /** The interval straddles the target even after the extra rounds the budget allowed. */
  readonly undecided?: boolean;
  /** How many rounds the decision took, or why it is still open ("decided after 15 rounds (look 2 of 5)"). */
  readonly rounds?: string;
  /** A row kept for information: no target to meet. */
  readonly info?: boolean;
  readonly why?: string;
}

/** A whole run. */
export interface BenchReport {
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly mode: string;
  readonly machine: string;
  readonly method: string;
  /** How targets are decided (looks, confidence, budget) and what this run's decisions took. */
  readonly decisions?: string;
  readonly results: readonly VariantResult[];
  readonly targets: readonly TargetResult[];
  readonly minimalModule: { readonly rawBytes: number; readonly gzipBytes: number };
  /** The per-request accounting table (bench/accounting.ts), Markdown. */
  readonly accounting?: string;
  readonly emulator?: string;
  readonly notes: readonly string[];
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined ? "—" : n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (n: number | undefined) => (n === undefined ? "—" : `${n.toFixed(2)}×`);
const kib = (n: number | undefined) =>
  n === undefined
    ? "—"
    : n < 10 * 1024
      ? `${(n / 1024).toFixed(1)} KiB`
      : n < 10 * 1024 * 1024
        ? `${Math.round(n / 1024)} KiB`
        : `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** The throughput/latency table of one workload. */
export function loadTable(results: readonly VariantResult[], workload: Workload): string {
  const rows = results.filter((r) => r.workload === workload);
  const lines = [
    "| variant | req/s | × baseline | p50 ms | p50 × | p99 ms | p99 × | Envoy CPU µs/req | CPU × | Envoy busy | module (gzip) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    if (r.skipped) {
      lines.push(`| ${r.label} | skipped: ${r.skipped.replace(/\|/g, "\\|").split("\n")[0]} | | | | | | | | | |`);
      continue;
    }
    const size = r.moduleRawBytes === undefined ? "native" : `${kib(r.moduleRawBytes)} (${kib(r.moduleGzipBytes)})`;
    lines.push(
      `| ${r.label} | ${fmt(r.requestsPerSecond)} | ${ratio(r.throughputRatio)} | ${fmt(r.p50Ms, 2)} | ${ratio(r.p50Ratio)} | ${fmt(r.p99Ms, 2)} | ${ratio(r.p99Ratio)} | ${fmt(r.cpuMicrosPerRequest)} | ${ratio(r.cpuRatio)} | ${r.envoyBusyShare === undefined ? "—" : `${Math.round(r.envoyBusyShare * 100)} %`} | ${size} |`,
    );
  }
  return lines.join("\n");
}

/** Module size, start cost and memory of every variant that ran, with the cold start and memory per VM next to the floor's. */
export function resourceTable(results: readonly VariantResult[]): string {
  const lines = [
    "| workload | variant | module raw | gzip | start → ready ms (Δ vs none) | Δ start vs floor ms | Wasm linear memory after warm-up → end (VMs) | per VM at end | per VM vs floor | resident | Envoy RSS at end | requests served |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const floor = results.find((r) => r.workload === "headers" && r.id === "floor" && !r.skipped);
  const perVm = (r: VariantResult | undefined) =>
    r?.wasmVms && r.wasmMemoryEndBytes !== undefined ? r.wasmMemoryEndBytes / r.wasmVms : undefined;
  const signed = (n: number) => `${n >= 0 ? "+" : ""}${fmt(n)}`;
  for (const r of results) {
    if (r.skipped) continue;
    const memory = r.wasmVms
      ? `${kib(r.wasmMemoryAfterWarmupBytes)} → ${kib(r.wasmMemoryEndBytes)} (${r.wasmVms})`
      : "—";
    const delta = r.startupDeltaMs === undefined || r.id === "none" ? "" : ` (${signed(r.startupDeltaMs)})`;
    const wasm = r.moduleRawBytes !== undefined;
    const startVsFloor =
      wasm && floor?.startupMs !== undefined && r.startupMs !== undefined && r !== floor
        ? signed(r.startupMs - floor.startupMs)
        : "—";
    const memoryVsFloor =
      wasm && perVm(floor) && perVm(r) !== undefined && r !== floor
        ? `${(perVm(r)! / perVm(floor)!).toFixed(1)}× (${signed((perVm(r)! - perVm(floor)!) / 1024)} KiB)`
        : "—";
    lines.push(
      `| ${r.workload} | ${r.label} | ${r.moduleRawBytes === undefined ? "—" : fmt(r.moduleRawBytes)} | ${r.moduleGzipBytes === undefined ? "—" : fmt(r.moduleGzipBytes)} | ${fmt(r.startupMs)}${delta} | ${startVsFloor} | ${memory} | ${perVm(r) === undefined ? "—" : kib(perVm(r))} | ${memoryVsFloor} | ${r.wasmVms ? kib(r.wasmResidentEndBytes) : "—"} | ${kib(r.envoyRssEndBytes)} | ${fmt(r.requestsServed)} |`,
    );
  }
  return lines.join("\n");
}

/** The targets as a table: target vs measured, met/missed, and why when missed. */
export function targetTable(targets: readonly TargetResult[]): string {
  const lines = ["| target | wanted | measured | result | rounds |", "|---|---|---|---|---|"];
  for (const t of targets) {
    const result = t.info
      ? `information${t.why ? `: ${t.why}` : ""}`
      : t.undecided
        ? `undecided${t.why ? `: ${t.why}` : ""}`
        : t.met === undefined
          ? `not measured${t.why ? `: ${t.why}` : ""}`
          : t.met
            ? "met"
            : `**missed**${t.why ? `: ${t.why}` : ""}`;
    lines.push(`| ${t.name} | ${t.target} | ${t.measured} | ${result} | ${t.rounds ?? "—"} |`);
  }
  return lines.join("\n");
}

const ACCOUNTING_LEGEND =
  "Counted on the harness's emulator with the same module and configuration (100 requests after 20 uncounted: request headers at end of stream, response headers, the 2-byte body and then an empty end of stream as Envoy's HTTP/1.1 codec delivers it, stream end), and checked against Envoy's own trace log (wasm logger at trace level) over 3 requests. VM entries include malloc (the host copying data in); bytes module → host are the (pointer, length) data host calls read; bytes host → module are the sizes malloc was asked for.";

/** The full Markdown report of a run. */
export function renderMarkdown(report: BenchReport): string {
  return [
    `# Benchmark results`,
    "",
    `Run ${report.startedAt} (${report.mode}), ${Math.round(report.durationSeconds)} s in all. Generated by \`npm run bench\`; method in [bench/README.md](../README.md).`,
    "",
    `Machine: ${report.machine}`,
    "",
    report.method,
    "",
    `## Header edits (the same work done every way)`,
    "",
    loadTable(report.results, "headers"),
    "",
    `## JWT verification, the same token on every request (token caches hit)`,
    "",
    loadTable(report.results, "jwt"),
    "",
    `## JWT verification, a different token on every request (no cache can stand in for verification)`,
    "",
    loadTable(report.results, "jwt-distinct"),
    "",
    `## Targets`,
    "",
    ...(report.decisions ? [report.decisions, ""] : []),
    targetTable(report.targets),
    "",
    ...(report.accounting
      ? [`## Per-request accounting (Wasm variants)`, "", ACCOUNTING_LEGEND, "", report.accounting, ""]
      : []),
    `## Size, start and memory`,
    "",
    resourceTable(report.results),
    "",
    `Minimal module (test/fixtures/add-header, one response header): ${fmt(report.minimalModule.rawBytes)} bytes raw, ${fmt(report.minimalModule.gzipBytes)} gzip.`,
    "",
    ...(report.emulator ? [`## Emulator`, "", report.emulator, ""] : []),
    ...(report.notes.length ? [`## Notes`, "", ...report.notes.map((n) => `- ${n}`), ""] : []),
    `![throughput relative to no filter](throughput.svg)`,
    "",
  ].join("\n");
}

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A horizontal bar chart of throughput relative to the same run's baseline, one group per workload. */
export function renderChart(results: readonly VariantResult[]): string {
  const rows = results.filter((r) => !r.skipped && r.throughputRatio !== undefined);
  const labelWidth = 330;
  const barWidth = 420;
  const rowHeight = 24;
  const top = 40;
  const groups: Workload[] = ["headers", "jwt", "jwt-distinct"];
  let y = top;
  const parts: string[] = [];
  const max = Math.max(1.1, ...rows.map((r) => r.throughputRatio!));
  const floorRatio = rows.find((r) => r.workload === "headers" && r.id === "floor")?.throughputRatio;
  const x = (v: number) => labelWidth + (v / max) * barWidth;
  for (const group of groups) {
    parts.push(
      `<text x="10" y="${y + 14}" font-weight="bold">${group === "headers" ? "header edits" : group === "jwt" ? "JWT verification, same token" : "JWT verification, distinct tokens"}</text>`,
    );
    y += rowHeight;
    for (const r of rows.filter((row) => row.workload === group)) {
      const ours = r.id === "as";
      parts.push(`<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeXml(r.label)}</text>`);
      parts.push(
        `<rect x="${labelWidth}" y="${y + 3}" width="${(x(r.throughputRatio!) - labelWidth).toFixed(1)}" height="${rowHeight - 8}" fill="${ours ? "#2b7bb9" : r.id === "none" ? "#999" : "#c8c8c8"}"/>`,
      );
      parts.push(
        `<text x="${(x(r.throughputRatio!) + 6).toFixed(1)}" y="${y + 15}">${r.throughputRatio!.toFixed(2)}× (${fmt(r.requestsPerSecond)} req/s)</text>`,
      );
      y += rowHeight;
    }
    y += rowHeight / 2;
  }
  const height = y + 20;
  const width = labelWidth + barWidth + 170;
  // The two reference lines (the floor, no filter) sit close together: label one to the left of its line, the other to the right.
  const line = (v: number, label: string, anchor: "end" | "start") =>
    `<line x1="${x(v).toFixed(1)}" y1="${top - 6}" x2="${x(v).toFixed(1)}" y2="${y}" stroke="#d33" stroke-dasharray="4 3"/><text x="${(x(v) + (anchor === "end" ? -3 : 3)).toFixed(1)}" y="${top - 10}" text-anchor="${anchor}" fill="#d33">${label}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="16" font-weight="bold">Throughput relative to no filter, same run (Envoy --concurrency 1)</text>`,
    ...(floorRatio !== undefined ? [line(floorRatio, "floor", "end")] : []),
    line(1, "1.0", "start"),
    ...parts,
    `</svg>`,
    "",
  ].join("\n");
}

const README_BEGIN = "<!-- bench:begin (written by npm run bench) -->";
const README_END = "<!-- bench:end -->";

/** Replaces the generated part of the README's "Performance" section with the latest tables. */
export function updateReadme(readmePath: string, report: BenchReport): void {
  const text = readFileSync(readmePath, "utf8");
  const begin = text.indexOf(README_BEGIN);
  const end = text.indexOf(README_END);
  if (begin < 0 || end < begin) {
    console.log(`  ${readmePath} has no ${README_BEGIN} … ${README_END} markers; not updated`);
    return;
  }
  const body = [
    README_BEGIN,
    `Latest run: ${report.startedAt}, ${report.mode}. Machine: ${report.machine}`,
    "",
    loadTable(report.results, "headers"),
    "",
    ...(report.decisions ? [report.decisions, ""] : []),
    targetTable(report.targets),
    "",
    ...(report.accounting
      ? ["Per request, at the VM boundary (emulator, checked against Envoy's trace log):", "", report.accounting, ""]
      : []),
  ].join("\n");
  writeFileSync(readmePath, text.slice(0, begin) + body + text.slice(end));
}
