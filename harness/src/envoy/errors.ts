// Errors the envoy layer throws. Every one says what went wrong and what to do about it.
import { HarnessError, type HarnessErrorOptions } from "../errors.ts";
import { settingEnabled } from "../settings.ts";

/** A line the module logged with `proxy_log`, as an error shows it. */
export interface ModuleLogLine {
  /** trace | debug | info | warning | error | critical. */
  readonly level: string;
  /** The module's message. */
  readonly message: string;
  /** The whole Envoy line it came from. */
  readonly raw: string;
}

/** Options of {@link EnvoyHarnessError}. */
export interface EnvoyHarnessErrorOptions extends HarnessErrorOptions {
  /** Envoy log lines that explain the failure, as Envoy printed them (the module's own lines included). */
  readonly logLines?: readonly string[];
  /**
   * The module's own `proxy_log` lines that explain the failure (e.g. the SDK's "no root context registered…"),
   * shown before Envoy's lines as "The module logged:".
   */
  readonly moduleLines?: readonly ModuleLogLine[];
}

/**
 * An actionable harness error: `message` says what failed, `hint` what to do, `moduleLines` what the module
 * itself logged about it, and `logLines` the relevant Envoy log lines when Envoy itself reported the failure.
 * Thrown by every function of the envoy layer; safe to catch and inspect in tests.
 */
export class EnvoyHarnessError extends HarnessError {
  /** Envoy log lines that explain the failure (may be empty); includes the raw lines of `moduleLines`. */
  readonly logLines: readonly string[];
  /** The module's own log lines that explain the failure (may be empty). */
  readonly moduleLines: readonly ModuleLogLine[];

  constructor(message: string, options: EnvoyHarnessErrorOptions = {}) {
    const logLines = options.logLines ?? [];
    const moduleLines = options.moduleLines ?? [];
    const moduleRaw = new Set(moduleLines.map((l) => l.raw));
    const envoyOnly = logLines.filter((l) => !moduleRaw.has(l));
    const logged =
      moduleLines.length > 0
        ? `\nThe module logged:\n  ${moduleLines.map((l) => `[${l.level}] ${l.message}`).join("\n  ")}`
        : "";
    const said = envoyOnly.length > 0 ? `\nEnvoy said:\n  ${envoyOnly.join("\n  ")}` : "";
    super(message + logged + said, options);
    this.logLines = logLines;
    this.moduleLines = moduleLines;
  }
}

/** Writes one progress line for a long step (download, image build, Docker install) to stderr. */
export function progress(message: string): void {
  if (settingEnabled("ENVOY_HARNESS_QUIET")) return;
  process.stderr.write(`[envoy-harness] ${message}\n`);
}
