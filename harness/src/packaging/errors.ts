// Errors the packaging layer throws. Every one says what went wrong and what to do about it.
import { HarnessError, type HarnessErrorOptions } from "../errors.ts";

/**
 * An actionable packaging error: `message` says what failed and `hint` what to do. Thrown by every
 * function of the packaging layer (image building, registry push/pull, Istio checks, WasmPlugin
 * generation and validation); safe to catch and inspect.
 */
export class PackagingError extends HarnessError {
  constructor(message: string, options: HarnessErrorOptions = {}) {
    super(message, options);
  }
}
