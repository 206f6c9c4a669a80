// Errors the envoy layer throws. Every one says what went wrong and what to do about it.

/**
 * An actionable harness error: `message` says what failed, `hint` what to do, and `logLines` carry the
 * relevant Envoy log lines when Envoy itself reported the failure. Thrown by every function of the
 * envoy layer; safe to catch and inspect in tests.
 */
export class EnvoyHarnessError extends Error {
  /** What the user can do to fix it (may be empty). */
  readonly hint: string;
  /** Envoy log lines that explain the failure (may be empty). */
  readonly logLines: readonly string[];

  constructor(message: string, options: { hint?: string; logLines?: readonly string[]; cause?: unknown } = {}) {
    const hint = options.hint ?? "";
    const logLines = options.logLines ?? [];
    const parts = [message];
    if (logLines.length > 0) parts.push("Envoy said:\n  " + logLines.join("\n  "));
    if (hint) parts.push("Fix: " + hint);
    super(parts.join("\n"), { cause: options.cause });
    this.name = "EnvoyHarnessError";
    this.hint = hint;
    this.logLines = logLines;
  }
}

/** Writes one progress line for a long step (download, image build, Docker install) to stderr. */
export function progress(message: string): void {
  if (process.env.ENVOY_HARNESS_QUIET === "1") return;
  process.stderr.write(`[envoy-harness] ${message}\n`);
}
