// Long fuzz campaign over every sample filter (harness/src/fuzz): 100,000 generated requests per filter by default,
// printing runs, failures (per violated invariant) and the shrunk counterexamples.
//   npm run fuzz                                 all filters, 100,000 requests each
//   npm run fuzz -- --runs 5000 --only jwt-auth  a shorter run of chosen filters (comma-separated)
//   npm run fuzz -- --seed 42                    reproducible campaign
// Exit code 1 when any filter failed. The same targets run in CI with a bounded number of runs
// (filters/<name>/<name>.fuzz.test.ts); tcp-guard (a network filter) is fuzzed by its own test only.
import { parseArgs } from "node:util";
import { runFuzz } from "@proxy-wasm-as/harness/fuzz";
import { FUZZ_TARGETS } from "../filters/test-support/fuzz-targets.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "100000" },
    only: { type: "string" },
    seed: { type: "string" },
    examples: { type: "string", default: "3" },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs must be a positive integer, got ${JSON.stringify(values.runs)}`);
  process.exit(2);
}
const only = values.only?.split(",").map((s) => s.trim());
const unknown = (only ?? []).filter((name) => !(name in FUZZ_TARGETS));
if (unknown.length > 0) {
  console.error(`unknown filter(s): ${unknown.join(", ")}; fuzz targets: ${Object.keys(FUZZ_TARGETS).join(", ")}`);
  process.exit(2);
}
const seedBase = values.seed === undefined ? Math.floor(Math.random() * 0x7fffffff) : Number(values.seed);
console.log(`fuzz: ${runs.toLocaleString("en")} generated requests per filter, seed ${seedBase}`);

const summary: { filter: string; runs: number; failures: number; seconds: number }[] = [];
for (const [index, [name, target]] of Object.entries(FUZZ_TARGETS).entries()) {
  if (only && !only.includes(name)) continue;
  const started = performance.now();
  const report = runFuzz(target(), {
    runs,
    seed: seedBase + index,
    maxCounterexamples: Number(values.examples),
    progressEvery: Math.max(1000, Math.floor(runs / 10)),
    onProgress: (done, failures) =>
      process.stderr.write(
        `  ${name}: ${done.toLocaleString("en")}/${runs.toLocaleString("en")} requests, ${failures} failure(s)\n`,
      ),
  });
  const seconds = (performance.now() - started) / 1000;
  summary.push({ filter: name, runs: report.runs, failures: report.failures, seconds });
  console.log(
    `\n${name}: ${report.runs.toLocaleString("en")} runs, ${report.failures} failure(s) in ${seconds.toFixed(1)} s (seed ${seedBase + index})`,
  );
  for (const [invariant, count] of Object.entries(report.failuresByInvariant)) console.log(`  ${count} × ${invariant}`);
  for (const [i, example] of report.counterexamples.entries()) {
    console.log(`  counterexample ${i + 1} (shrunk; replay: seed ${example.seed}, path "${example.path}"):`);
    console.log(example.text.replace(/^/gm, "    "));
  }
}
console.log("\nfilter            runs      failures  seconds");
for (const row of summary)
  console.log(
    `${row.filter.padEnd(16)}  ${String(row.runs).padStart(8)}  ${String(row.failures).padStart(8)}  ${row.seconds.toFixed(1).padStart(7)}`,
  );
const failed = summary.filter((row) => row.failures > 0);
console.log(failed.length === 0 ? "all filters: 0 failures" : `failing: ${failed.map((row) => row.filter).join(", ")}`);
process.exitCode = failed.length === 0 ? 0 : 1;
