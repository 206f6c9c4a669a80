// Optional vitest integration: when an Envoy was started inside a test and that test fails, print the tail of
// Envoy's log (and the module's own log lines) next to the failure. Outside vitest, or when Envoy was started
// in a hook, this does nothing.
import type { EnvoyLog } from "./log.ts";
import { setting } from "../settings.ts";

/** Lines of Envoy's log shown when a test fails. */
const TAIL_LINES = 60;
/** Envoy's start-up listings (extensions, header maps), indented by two spaces: noise in a failure report. */
const EXTENSION_LISTING = /^\s{2}/;

/**
 * Registers the "show Envoy's log on failure" hook on the running vitest test, if there is one. `traps` tells the
 * Wasm traps logged so far in source lines (shown after the log).
 */
export async function showLogIfTestFails(
  description: string,
  log: EnvoyLog,
  traps: () => string[] = () => [],
): Promise<void> {
  if (!setting("VITEST")) return;
  try {
    const { onTestFailed } = await import("vitest");
    onTestFailed(() => {
      const wasm = log.wasmLines().map((l) => `  ${l.level} ${l.message}`);
      console.error(
        [
          `── Envoy ${description}: last ${TAIL_LINES} log lines ──`,
          ...log.lines
            .filter((l) => !EXTENSION_LISTING.test(l.message))
            .slice(-TAIL_LINES)
            .map((l) => l.raw),
          `── Wasm module log lines (${wasm.length}) ──`,
          ...wasm.slice(-TAIL_LINES),
          ...traps().flatMap((line, i) => (i === 0 ? ["── Wasm traps, in source lines ──", line] : [line])),
        ].join("\n"),
      );
    });
  } catch {
    // Not inside a running test (e.g. started from beforeAll): nothing to attach to.
  }
}
