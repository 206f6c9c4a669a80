// Vitest integration through @fast-check/vitest: one call declares a fuzz test with fast-check's runner, shrinking
// and replay (the report prints the shrunk request readably, plus the seed and path that replay it).
import { test } from "@fast-check/vitest";
import { FuzzFailure, type FuzzOptions, FuzzTarget, formatFailure, requestsOf } from "./check.ts";
import { setting } from "../settings.ts";

/** Options of {@link fuzzTest}: what to fuzz, plus fast-check's run settings. */
export interface FuzzTestOptions extends FuzzOptions {
  /** Generated requests; default 200, or `$FUZZ_RUNS` when set (to run a CI test longer locally). */
  readonly numRuns?: number;
  /** fast-check seed to replay a reported failure (with `path`). */
  readonly seed?: number;
  readonly path?: string;
  /** Vitest timeout of the test; default 60 s. */
  readonly timeoutMs?: number;
}

/**
 * Declares a vitest test (call it where you would call `test`) that sends `numRuns` generated requests through the
 * module and fails with the shrunk, readable counterexample when one breaks an invariant.
 */
export function fuzzTest(name: string, options: FuzzTestOptions): void {
  let target: FuzzTarget | undefined;
  const numRuns = Number(setting("FUZZ_RUNS")) || options.numRuns || 200;
  test.prop([requestsOf(options)], { numRuns, seed: options.seed, path: options.path })(
    name,
    (request) => {
      target ??= new FuzzTarget(options); // on first run, so the module is read when the test runs
      const run = target.run(request);
      if (run.violations.length > 0)
        throw new FuzzFailure(
          formatFailure(request, run),
          "fix the module, or state the intended behaviour with `allow5xx`, `allowStall` or an invariant; replay with the seed and path fast-check printed",
        );
    },
    options.timeoutMs ?? 60_000,
  );
}
