// The one error family of the harness. Every layer (abi, emulator, envoy, packaging, scenario, traffic) throws
// subclasses of HarnessError, so a test or a tool can catch the family and always finds a `hint`.

/** Options every harness error accepts. */
export interface HarnessErrorOptions {
  /** What the user can do about it, in terms of their own project. Empty when there is nothing to do. */
  readonly hint?: string;
  readonly cause?: unknown;
}

/**
 * Base class of every error the harness throws on purpose: `message` says what went wrong and `hint` what to
 * do. The hint is appended to the message as a "Fix:" line so it shows in any test report.
 */
export class HarnessError extends Error {
  /** What the user can do to fix it (may be empty). */
  readonly hint: string;

  constructor(message: string, options: HarnessErrorOptions = {}) {
    const hint = options.hint ?? "";
    super(hint ? `${message}\nFix: ${hint}` : message, { cause: options.cause });
    this.name = new.target.name;
    this.hint = hint;
  }
}

/**
 * `error`'s message without the "Fix: …" line {@link HarnessError} appends, for quoting one error inside another
 * that has its own hint. Other errors' messages are returned as they are.
 */
export function messageWithoutHint(error: Error): string {
  const hint = (error as { hint?: unknown }).hint;
  const suffix = typeof hint === "string" && hint ? `\nFix: ${hint}` : "";
  return suffix && error.message.endsWith(suffix) ? error.message.slice(0, -suffix.length) : error.message;
}
