// Errors the abi layer throws.
import { HarnessError, type HarnessErrorOptions } from "../errors.ts";

/** The bytes are not a WebAssembly binary the checker can read (truncated, not Wasm, or a proposal it does not know). */
export class WasmBinaryError extends HarnessError {
  constructor(message: string, options: HarnessErrorOptions = {}) {
    super(message, {
      hint: "check that the file is the .wasm your build produced (not a text file, a .wat, or a partial download)",
      ...options,
    });
  }
}
