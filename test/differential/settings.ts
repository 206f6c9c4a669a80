// Settings shared by the differential tests, the recorder and the trace replay (no vitest import: record.ts runs
// outside vitest).
import { resolve } from "node:path";
import { DEFAULT_ENVOY_VERSION, OLDEST_SUPPORTED_ENVOY_VERSION } from "@proxy-wasm-as/harness/envoy";

/** The probe module every scenario configures (built from test/fixtures/diff-probe). */
export const PROBE_WASM = resolve("build/diff-probe.wasm");

/** Recorded Envoy traces: `<version>/<scenario>.json` (written by record.ts, replayed by traces.test.ts). */
export const TRACES_DIR = resolve("test/differential/traces");

/**
 * Envoy versions of the matrix: `$ENVOY_DIFF_VERSIONS` (comma separated), else the pinned version and the oldest
 * supported one.
 */
export const DIFF_VERSIONS: string[] = (
  process.env.ENVOY_DIFF_VERSIONS ?? `${DEFAULT_ENVOY_VERSION},${OLDEST_SUPPORTED_ENVOY_VERSION}`
)
  .split(",")
  .map((v) => v.trim())
  .filter(Boolean);
