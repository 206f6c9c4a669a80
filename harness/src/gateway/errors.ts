// The error the gateway layer throws on purpose. Every one says what went wrong and what to do about it.
import { HarnessError, type HarnessErrorOptions } from "../errors.ts";

/**
 * An actionable Envoy Gateway error: `message` says what failed and `hint` what to do. Thrown by every function
 * of the gateway layer (EnvoyExtensionPolicy generation, validation and parsing); safe to catch and inspect.
 */
export class GatewayError extends HarnessError {
  constructor(message: string, options: HarnessErrorOptions = {}) {
    super(message, options);
  }
}
