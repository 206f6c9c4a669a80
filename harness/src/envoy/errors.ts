// Errors the envoy layer throws. Every one says what went wrong and what to do about it.
import { HarnessError, type HarnessErrorOptions } from "../errors.ts";

/**
 * An actionable harness error: `message` says what failed, `hint` what to do, and `logLines` carry the
 * relevant Envoy log lines when Envoy itself reported the failure. Thrown by every function of the
 * envoy layer; safe to catch and inspect in tests.
 */
export class EnvoyHarnessError extends HarnessError {
  /** Envoy log lines that explain the failure (may be empty). */
  readonly logLines: readonly string[];

  constructor(message: string, options: HarnessErrorOptions & { logLines?: readonly string[] } = {}) {
    const logLines = options.logLines ?? [];
    const said = logLines.length > 0 ? `\nEnvoy said:\n  ${logLines.join("\n  ")}` : "";
    super(message + said, options);
    this.logLines = logLines;
  }
}

/** Writes one progress line for a long step (download, image build, Docker install) to stderr. */
export function progress(message: string): void {
  if (process.env.ENVOY_HARNESS_QUIET === "1") return;
  process.stderr.write(`[envoy-harness] ${message}\n`);
}
