// The error the build layer throws.
import { HarnessError, type HarnessErrorOptions } from "../errors.ts";

/**
 * A failed build: `message` carries asc's diagnostics (file:line:column) or what is wrong with the project, and
 * `hint` what to do. Thrown by every function of the build layer.
 */
export class BuildError extends HarnessError {
  constructor(message: string, options: HarnessErrorOptions = {}) {
    super(message, options);
  }
}
