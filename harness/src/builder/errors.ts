// The error the build layer throws.

/**
 * A failed build: `message` carries asc's diagnostics (file:line:column) or what is wrong with the project, and
 * `hint` what to do. Thrown by every function of the build layer.
 */
export class BuildError extends Error {
  override name = "BuildError";
  /** What the user can do to fix it (may be empty). */
  readonly hint: string;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(options.hint ? `${message}\nFix: ${options.hint}` : message, { cause: options.cause });
    this.hint = options.hint ?? "";
  }
}
