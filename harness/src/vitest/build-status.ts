// What the preset's global setup tells every test file about the last build in watch mode (vitest's `provide` /
// `inject`): a kept-watching failed rebuild must fail the tests with asc's diagnostics, not let them run green
// against the previous module. Its own small file because setup.ts, which every test file loads, reads it.

/** Key of the provided context holding the failed build's message ("" when the last build succeeded). */
export const BUILD_ERROR_KEY = "proxyWasmAsBuildError";

declare module "vitest" {
  /** Values the preset's global setup provides to test files. */
  export interface ProvidedContext {
    /** The message of the last failed watch-mode build, or "" when it succeeded. */
    [BUILD_ERROR_KEY]: string;
  }
}
