// The suite's targets that are not ratios over rounds: VM entries per request against the floor, the minimal
// module's size and flat linear memory after warm-up.
import type { RequestAccounting } from "./accounting.ts";
import type { TargetResult, VariantResult } from "./report.ts";
import type { Variant } from "./variants.ts";

/** The minimal module's size budget (bytes). */
export const MINIMAL_MODULE_LIMIT_BYTES = 8 * 1024;

/** Our headers filter's VM entries per request against the floor's (from the accounting of both). */
export function accountingTarget(
  accounting: ReadonlyArray<{ variant: Variant; accounting: RequestAccounting }>,
): TargetResult {
  const oursAccounting = accounting.find((a) => a.variant.workload === "headers" && a.variant.id === "as")?.accounting;
  const floorAccounting = accounting.find(
    (a) => a.variant.workload === "headers" && a.variant.id === "floor",
  )?.accounting;
  return oursAccounting && floorAccounting
    ? {
        name: "our headers filter: VM entries per request vs the floor",
        target: `≤ ${floorAccounting.vmEntries} (the floor's)`,
        measured: `${oursAccounting.vmEntries} (${Object.entries(oursAccounting.vmEntriesByName)
          .map(([k, v]) => `${k} ${v}`)
          .join(
            ", ",
          )}); host calls ${oursAccounting.hostCalls} vs ${floorAccounting.hostCalls}, mallocs ${oursAccounting.mallocs} vs ${floorAccounting.mallocs}`,
        met: oursAccounting.vmEntries <= floorAccounting.vmEntries,
        why:
          oursAccounting.vmEntries <= floorAccounting.vmEntries
            ? undefined
            : `${Object.keys(oursAccounting.vmEntriesByName)
                .filter((k) => !(k in floorAccounting.vmEntriesByName))
                .join(
                  " and ",
                )} are entries the floor does without: the SDK creates and frees one object per stream there (see Notes)`,
      }
    : {
        name: "our headers filter: VM entries per request vs the floor",
        target: "≤ the floor's",
        measured: "—",
        met: undefined,
        why: "the accounting of ours or the floor did not run",
      };
}

/** The minimal module (the SDK's smallest filter) within {@link MINIMAL_MODULE_LIMIT_BYTES}. */
export function minimalModuleTarget(minimal: { rawBytes: number; gzipBytes: number }): TargetResult {
  const met = minimal.rawBytes <= MINIMAL_MODULE_LIMIT_BYTES;
  return {
    name: "minimal module size",
    target: `≤ ${MINIMAL_MODULE_LIMIT_BYTES} bytes`,
    measured: `${minimal.rawBytes} bytes (${minimal.gzipBytes} gzip)`,
    met,
    why: met ? undefined : "the SDK's dispatcher, header marshalling and runtime exceed the budget",
  };
}

/** Our headers filter's linear memory after warm-up and at the end; undefined when it was not read. */
export function memoryFlatTarget(ours: VariantResult | undefined): TargetResult | undefined {
  if (ours?.wasmMemoryAfterWarmupBytes === undefined || ours.wasmMemoryEndBytes === undefined) return undefined;
  const growth = ours.wasmMemoryEndBytes - ours.wasmMemoryAfterWarmupBytes;
  return {
    name: `linear memory flat after warm-up (our headers filter, ${ours.requestsServed!.toLocaleString("en-US")} requests)`,
    target: "no growth",
    measured: `${(ours.wasmMemoryAfterWarmupBytes / 1024).toFixed(0)} KiB → ${(ours.wasmMemoryEndBytes / 1024).toFixed(0)} KiB over ${ours.wasmVms} VMs`,
    met: growth <= 0,
    why:
      growth <= 0
        ? undefined
        : `grew by ${(growth / 1024).toFixed(0)} KiB: something allocated per request is not freed`,
  };
}
