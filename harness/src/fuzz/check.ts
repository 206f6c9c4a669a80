// Fuzzing a module: a target that runs generated requests on the emulator and checks the invariants, a fast-check
// property over it, and campaigns that count failures over many runs and shrink the first few to minimal requests.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { Emulator, type EmulatorOptions } from "../emulator/index.ts";
import { HarnessError } from "../errors.ts";
import { fuzzRequests, type TrafficOptions } from "./arbitraries.ts";
import { driveRequest, type FuzzOutcome, type FuzzUpstream, okUpstream } from "./drive.ts";
import { checkInvariants, formatOutcome, type InvariantOptions, type Violation } from "./invariants.ts";
import { type FuzzRequest, formatRequest } from "./request.ts";

/** What to fuzz and what must hold. Only `module` is required. */
export interface FuzzOptions extends InvariantOptions {
  /** The compiled proxy-wasm module (any SDK): a path or its bytes. */
  readonly module: string | Uint8Array;
  /** Emulator options (plugin configuration, failure policy, host…), or a function giving them for each new VM. */
  readonly emulator?: EmulatorOptions | (() => EmulatorOptions);
  /** Shapes the generated traffic (credentials, header names, body sizes…); see {@link TrafficOptions}. */
  readonly traffic?: TrafficOptions;
  /** Your own request arbitrary, replacing `fuzzRequests(traffic)`. */
  readonly requests?: fc.Arbitrary<FuzzRequest>;
  /** The upstream service; default 200 with a small JSON body. */
  readonly upstream?: FuzzUpstream;
  /**
   * "shared" (default): one VM serves every request, as one Envoy worker does, so state carries over (counters,
   * caches); it is replaced after a trap. "fresh": a new VM per request (slower; no state carried over).
   */
  readonly vm?: "shared" | "fresh";
}

/** One request's result: what happened and which invariants it broke. */
export interface FuzzRun {
  readonly outcome: FuzzOutcome;
  readonly violations: readonly Violation[];
}

/** Thrown by a failing fuzz property or {@link assertFuzz}: the request, what happened, what it broke, and what to do. */
export class FuzzFailure extends HarnessError {
  constructor(message: string, hint: string) {
    super(message, { hint });
  }
}

const REPLAY_HINT =
  "replay the request above with emu.httpStream() (the `request` of the counterexample) and fix the module; if the behaviour is intended, state it with `allow5xx`, `allowStall` or your own invariant";

/** Renders one failing request: the request, what happened, and each violated invariant. */
export function formatFailure(request: FuzzRequest, run: FuzzRun): string {
  const indent = (text: string) => text.replace(/^/gm, "    ");
  return [
    ...run.violations.map((v) => `violated "${v.invariant}": ${v.message}`),
    "  request:",
    indent(formatRequest(request)),
    "  outcome:",
    indent(formatOutcome(run.outcome)),
  ].join("\n");
}

/**
 * Runs generated requests through one module on the emulator. Create once per property; `run` may be called any
 * number of times (each call is one HTTP stream on the current VM).
 */
export class FuzzTarget {
  readonly #options: FuzzOptions;
  readonly #bytes: Uint8Array;
  #emu: Emulator | null = null;
  /** VMs created so far (1 + one per trap in "shared" mode, one per request in "fresh" mode). */
  vmsCreated = 0;

  constructor(options: FuzzOptions) {
    this.#options = options;
    this.#bytes = typeof options.module === "string" ? readFileSync(options.module) : options.module;
  }

  /** The emulator serving the next request (created on first use, replaced after a trap or in "fresh" mode). */
  emulator(): Emulator {
    if (!this.#emu || this.#emu.failed || this.#options.vm === "fresh") {
      const options =
        typeof this.#options.emulator === "function" ? this.#options.emulator() : (this.#options.emulator ?? {});
      const label = options.label ?? (typeof this.#options.module === "string" ? this.#options.module : "module");
      this.#emu = Emulator.fromBytes(this.#bytes, { ...options, label });
      this.vmsCreated++;
    }
    return this.#emu;
  }

  /** Sends `request` through the module and checks every invariant. */
  run(request: FuzzRequest): FuzzRun {
    const outcome = driveRequest(this.emulator(), request, this.#options.upstream ?? okUpstream);
    return { outcome, violations: checkInvariants(request, outcome, this.#options) };
  }
}

/** The request arbitrary of `options`. */
export function requestsOf(options: FuzzOptions): fc.Arbitrary<FuzzRequest> {
  return options.requests ?? fuzzRequests(options.traffic);
}

/** A fast-check property: every generated request satisfies every invariant. Fails with a {@link FuzzFailure}. */
export function fuzzProperty(
  options: FuzzOptions,
  target = new FuzzTarget(options),
): fc.IPropertyWithHooks<[FuzzRequest]> {
  return fc.property(requestsOf(options), (request) => {
    const run = target.run(request);
    if (run.violations.length > 0) throw new FuzzFailure(formatFailure(request, run), REPLAY_HINT);
  });
}

/** A shrunk failing request. */
export interface FuzzCounterexample {
  readonly request: FuzzRequest;
  readonly violations: readonly Violation[];
  /** The readable report (request, outcome, violations). */
  readonly text: string;
  /** fast-check's seed and path: `fc.assert(property, { seed, path })` replays it. */
  readonly seed: number;
  readonly path: string;
}

/** Result of {@link runFuzz}. */
export interface FuzzReport {
  /** Requests generated and checked (shrinking steps not counted). */
  readonly runs: number;
  /** Requests that broke an invariant. */
  readonly failures: number;
  /** The first failures, each shrunk to a minimal request. */
  readonly counterexamples: readonly FuzzCounterexample[];
  /** Failures per violated invariant. */
  readonly failuresByInvariant: Readonly<Record<string, number>>;
}

/** Options of {@link runFuzz}. */
export interface FuzzCampaignOptions {
  /** Requests to generate; default 1000. */
  readonly runs?: number;
  /** fast-check seed (default random); the report's counterexamples carry the seed that replays them. */
  readonly seed?: number;
  /** How many failures to shrink and keep; later failures are only counted. Default 3. */
  readonly maxCounterexamples?: number;
  /** Called after every `progressEvery` runs (default 10,000) with the runs done so far: long campaigns show progress. */
  readonly onProgress?: (runsDone: number, failures: number) => void;
  readonly progressEvery?: number;
}

/**
 * Runs a campaign: `runs` generated requests; each failure is counted, the first `maxCounterexamples` are shrunk
 * to minimal requests, and generation goes on after each failure until `runs` requests were checked.
 */
export function runFuzz(options: FuzzOptions, campaign: FuzzCampaignOptions = {}): FuzzReport {
  const total = campaign.runs ?? 1000;
  const maxExamples = campaign.maxCounterexamples ?? 3;
  const progressEvery = campaign.progressEvery ?? 10_000;
  const target = new FuzzTarget(options);
  const arbitrary = requestsOf(options);
  let runs = 0;
  let failures = 0;
  let nextProgress = progressEvery;
  const counterexamples: FuzzCounterexample[] = [];
  const byInvariant: Record<string, number> = {};
  let seed = campaign.seed ?? Math.floor(Math.random() * 0x7fffffff);
  let lastRun: FuzzRun | null = null;
  const property = fc.property(arbitrary, (request) => {
    lastRun = target.run(request);
    return lastRun.violations.length === 0;
  });
  // Batches of at most `progressEvery` runs, each with its own (reproducible) seed: progress is reported between
  // batches, and a failure ends only its batch.
  while (runs < total) {
    const shrink = counterexamples.length < maxExamples;
    const batch = Math.min(progressEvery, total - runs);
    const details = fc.check(property, { numRuns: batch, seed, endOnFailure: !shrink });
    // numRuns counts the generated requests up to and including the failing one (shrink steps excluded).
    runs += details.failed ? Math.max(1, details.numRuns) : batch;
    if (details.failed) {
      failures++;
      const request = details.counterexample![0];
      // Re-run the (shrunk) request so the report shows its own outcome, not the last shrinking attempt's.
      const run = target.run(request);
      const violations = run.violations.length > 0 ? run.violations : ((lastRun as FuzzRun | null)?.violations ?? []);
      for (const v of new Set(violations.map((x) => x.invariant))) byInvariant[v] = (byInvariant[v] ?? 0) + 1;
      if (shrink)
        counterexamples.push({
          request,
          violations,
          text: formatFailure(request, { outcome: run.outcome, violations }),
          seed,
          path: details.counterexamplePath ?? "",
        });
    }
    if (runs >= nextProgress || runs >= total) {
      campaign.onProgress?.(runs, failures);
      nextProgress = (Math.floor(runs / progressEvery) + 1) * progressEvery;
    }
    seed = (seed * 1103515245 + 12345) & 0x7fffffff; // next batch: a different, still reproducible, seed
  }
  return { runs, failures, counterexamples, failuresByInvariant: byInvariant };
}

/** Runs a campaign (default 200 runs) and throws a {@link FuzzFailure} listing the shrunk counterexamples if any failed. */
export function assertFuzz(options: FuzzOptions, campaign: FuzzCampaignOptions = {}): FuzzReport {
  const report = runFuzz(options, { runs: 200, maxCounterexamples: 1, ...campaign });
  if (report.failures > 0) {
    throw new FuzzFailure(
      `${report.failures} of ${report.runs} generated requests broke an invariant. Shrunk counterexample(s):\n${report.counterexamples.map((c) => `${c.text}\n  (replay: seed ${c.seed}, path "${c.path}")`).join("\n\n")}`,
      REPLAY_HINT,
    );
  }
  return report;
}
