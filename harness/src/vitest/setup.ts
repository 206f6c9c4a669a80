// Setup file of the preset (vitest `setupFiles`): registers the filter matchers in every test file, and in watch
// mode fails the file at once when the last rebuild failed (the module in build/ is the previous one).
import { expect, inject } from "vitest";
import { BUILD_ERROR_KEY } from "./build-status.ts";
import { filterMatchers } from "./matchers.ts";

expect.extend(filterMatchers);

const buildError = inject(BUILD_ERROR_KEY);
if (buildError) {
  const error = new Error(buildError);
  error.stack = `Error: ${buildError}`; // asc's diagnostics point at the filter's lines; a stack into the preset would not
  throw error;
}
