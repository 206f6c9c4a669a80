// The error every CLI command throws for bad input, and how any harness error becomes what the user reads.
import { HarnessError, type HarnessErrorOptions, messageWithoutHint } from "../errors.ts";

/** A usage or input error of a `proxy-wasm-as` command: printed as one line plus its `hint`, exit code 1 (2 for usage). */
export class CliError extends HarnessError {
  /** The process exit code: 2 for usage errors, 1 otherwise. */
  readonly exitCode: number;

  constructor(message: string, options: HarnessErrorOptions & { exitCode?: number } = {}) {
    super(message, options);
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Every {@link HarnessError} carries a `hint`; other libraries' errors may too. */
function hintOf(error: Error): string | undefined {
  const hint = (error as { hint?: unknown }).hint;
  return typeof hint === "string" ? hint : undefined;
}

/**
 * What the user reads for `error`: the message (harness errors already end with their "Fix: …" line), or
 * `error: <message>` plus `hint: <hint>` for CLI errors. Unexpected errors keep their stack so they can be reported.
 */
export function describeError(error: unknown): string {
  if (error instanceof CliError)
    return `error: ${messageWithoutHint(error)}${error.hint ? `\nhint: ${error.hint}` : ""}`;
  if (error instanceof Error && hintOf(error) !== undefined) return `error: ${error.message}`;
  if (error instanceof Error) return `error: ${error.stack ?? error.message}`;
  return `error: ${String(error)}`;
}
