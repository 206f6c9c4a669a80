// The error every CLI command throws for bad input, and how any harness error becomes what the user reads.

/** A usage or input error of a `proxy-wasm-as` command: printed as one line plus its `hint`, exit code 1 (2 for usage). */
export class CliError extends Error {
  override name = "CliError";
  /** What the user can do about it (may be empty). */
  readonly hint: string;
  /** The process exit code: 2 for usage errors, 1 otherwise. */
  readonly exitCode: number;

  constructor(message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.hint = options.hint ?? "";
    this.exitCode = options.exitCode ?? 1;
  }
}

/** The harness's error families (EnvoyHarnessError, PackagingError, BuildError, CliError) all carry a `hint`. */
function hintOf(error: Error): string | undefined {
  const hint = (error as { hint?: unknown }).hint;
  return typeof hint === "string" ? hint : undefined;
}

/**
 * What the user reads for `error`: the message (harness errors already end with their "Fix: …" line), or
 * `error: <message>` plus `hint: <hint>` for CLI errors. Unexpected errors keep their stack so they can be reported.
 */
export function describeError(error: unknown): string {
  if (error instanceof CliError) return `error: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ""}`;
  if (error instanceof Error && hintOf(error) !== undefined) return `error: ${error.message}`;
  if (error instanceof Error) return `error: ${error.stack ?? error.message}`;
  return `error: ${String(error)}`;
}
