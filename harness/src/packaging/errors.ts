// Errors the packaging layer throws. Every one says what went wrong and what to do about it.

/**
 * An actionable packaging error: `message` says what failed and `hint` what to do. Thrown by every
 * function of the packaging layer (image building, registry push/pull, Istio checks, WasmPlugin
 * generation and validation); safe to catch and inspect.
 */
export class PackagingError extends Error {
  /** What the user can do to fix it (may be empty). */
  readonly hint: string;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    const hint = options.hint ?? "";
    super(hint ? `${message}\nFix: ${hint}` : message, { cause: options.cause });
    this.name = "PackagingError";
    this.hint = hint;
  }
}
