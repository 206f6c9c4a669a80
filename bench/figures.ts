// Figures per variant after the rounds: medians over the rounds each variant ran, and ratios to the no-filter
// baseline of the same round (base rounds only: extra rounds skip the baseline).
import { SATURATED_BUSY_SHARE } from "@proxy-wasm-as/harness/bench";
import { processRssBytes, wasmMemoryTotal } from "./memory.ts";
import type { VariantResult } from "./report.ts";
import type { RoundResult, Running } from "./rounds.ts";
import type { BuiltVariant, Variant } from "./variants.ts";

/** The median of the defined values (NaN when there are none). */
export const median = (values: readonly (number | undefined)[]): number => {
  const sorted = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * One result row per built variant (a skipped row for those that did not run), read while the Envoys still run
 * (memory figures come from their processes), and the notes the figures call for (load-generator errors, an Envoy
 * that was not the bottleneck).
 */
export function variantFigures(
  built: ReadonlyArray<{ variant: Variant; built?: BuiltVariant; skip?: string }>,
  running: readonly Running[],
): { results: VariantResult[]; notes: string[] } {
  const results: VariantResult[] = [];
  const notes: string[] = [];
  /** Variants whose Envoy was not kept busy (see SATURATED_BUSY_SHARE), "headers/none 42 %". */
  const idle: string[] = [];
  const baselineOf = (workload: string) =>
    running.find((r) => r.variant.workload === workload && r.variant.id === "none");
  for (const entry of built) {
    const r = running.find((x) => x.variant === entry.variant);
    if (!r) {
      results.push({
        id: entry.variant.id,
        workload: entry.variant.workload,
        label: entry.variant.label,
        skipped: entry.skip ?? "did not run",
      });
      continue;
    }
    const base = baselineOf(r.variant.workload);
    // Ratios to the baseline over the rounds that measured both (the base rounds: extra rounds skip the baseline).
    const perRound = (pick: (x: RoundResult) => number) => {
      if (!base) return undefined;
      const ratios = r.rounds.map((x, i) => (x && base.rounds[i] ? pick(x) / pick(base.rounds[i]!) : undefined));
      return ratios.some((x) => x !== undefined) ? median(ratios) : undefined;
    };
    const rounded = (pick: (x: RoundResult) => number) => r.rounds.map((x) => (x ? Math.round(pick(x)) : null));
    const measured = r.rounds.filter((x): x is RoundResult => x !== undefined);
    const memory = wasmMemoryTotal(r.envoy.pid);
    results.push({
      id: r.variant.id,
      workload: r.variant.workload,
      label: r.variant.label,
      requestsPerSecond: median(measured.map((x) => x.requestsPerSecond)),
      p50Ms: median(measured.map((x) => x.p50Ms)),
      p99Ms: median(measured.map((x) => x.p99Ms)),
      throughputRatio: perRound((x) => x.requestsPerSecond),
      p50Ratio: perRound((x) => x.p50Ms),
      p99Ratio: perRound((x) => x.p99Ms),
      cpuMicrosPerRequest: median(measured.map((x) => x.cpuMicrosPerRequest)),
      cpuRatio: perRound((x) => x.cpuMicrosPerRequest),
      envoyBusyShare: median(measured.map((x) => x.envoyBusyShare)),
      rounds: measured.length,
      roundsRps: rounded((x) => x.requestsPerSecond),
      roundsCpuMicros: rounded((x) => x.cpuMicrosPerRequest),
      errors: measured.reduce((a, x) => a + x.errors, 0),
      moduleRawBytes: r.built.module?.rawBytes,
      moduleGzipBytes: r.built.module?.gzipBytes,
      startupMs: median(r.startups),
      startupDeltaMs: base ? median(r.startups) - median(base.startups) : undefined,
      wasmMemoryAfterWarmupBytes: r.wasmMemoryAfterWarmup,
      wasmMemoryEndBytes: memory.bytes,
      wasmResidentEndBytes: memory.rssBytes,
      wasmVms: memory.vms,
      envoyRssEndBytes: processRssBytes(r.envoy.pid),
      requestsServed: r.requestsServed,
    });
    const busy = median(measured.map((x) => x.envoyBusyShare));
    if (busy < SATURATED_BUSY_SHARE) idle.push(`${r.variant.workload}/${r.variant.id} ${Math.round(busy * 100)} %`);
    if (measured.some((x) => x.errors > 0))
      notes.push(
        `${r.variant.workload}/${r.variant.id}: the load generator saw errors (${measured.map((x) => x.errors).join(", ")} per round); its figures are suspect.`,
      );
  }
  if (idle.length)
    notes.push(
      `Envoy was busy less than ${Math.round(SATURATED_BUSY_SHARE * 100)} % of the measured time (median over rounds) for ${idle.join(", ")}: it was not the bottleneck (another process shared its core, or wrk was too slow), so those req/s show the machine's scheduling more than the work, and a variant doing more work can even look faster. Trust CPU per request more there, and rerun on a quieter machine.`,
    );
  return { results, notes };
}
