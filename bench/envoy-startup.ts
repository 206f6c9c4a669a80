// Benchmark: how long real Envoy takes from start to ready (Wasm loaded, listener bound), per runner, and how
// fast a broken filter fails the start. Prints figures; asserts nothing.
//   npm run bench:envoy-startup            (both runners, 5 runs each)
//   BENCH_RUNS=10 BENCH_RUNNERS=process npm run bench:envoy-startup
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { httpWasm, type RunnerKind, startEnvoy } from "@proxy-wasm-as/harness";
import { prepareRunner } from "@proxy-wasm-as/harness/envoy";
import { writeFixtureModule } from "../test/envoy/fixtures/wat-modules.ts";

const runs = Number(process.env.BENCH_RUNS ?? 5);
const runners = (process.env.BENCH_RUNNERS ?? "container,process").split(",") as RunnerKind[];
const dir = mkdtempSync(join(tmpdir(), "bench-envoy-"));
const ok = writeFixtureModule("ok", dir);
const SDK_HEADERS = "build/headers.wasm";
const broken = {
  "missing-import": writeFixtureModule("missing-import", dir),
  "configure-false": writeFixtureModule("configure-false", dir),
};

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${median.toFixed(0)} ms  min ${sorted[0]!.toFixed(0)} ms  max ${sorted.at(-1)!.toFixed(0)} ms  (n=${values.length})`;
}

for (const runner of runners) {
  const prepStart = performance.now();
  const prepared = await prepareRunner({ runner }); // provisioning (binary download / image build) on first use
  console.log(
    `\n${runner} runner: ${prepared.source} (Envoy ${prepared.envoyVersion}); preparation ${(performance.now() - prepStart).toFixed(0)} ms`,
  );
  const launchToReady: number[] = [];
  const callToReady: number[] = [];
  const stopTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const envoy = await startEnvoy({ runner, filters: [httpWasm(ok, { config: "bench" })] });
    callToReady.push(performance.now() - t0);
    launchToReady.push(envoy.startupMs);
    const s0 = performance.now();
    await envoy.stop();
    stopTimes.push(performance.now() - s0);
  }
  console.log(`  start → ready (launch of ${runner} → Wasm ready):  ${summary(launchToReady)}`);
  console.log(`  startEnvoy() call → ready (incl. config render):   ${summary(callToReady)}`);
  console.log(`  stop:                                               ${summary(stopTimes)}`);
  if (existsSync(SDK_HEADERS)) {
    const sdk: number[] = [];
    for (let i = 0; i < runs; i++) {
      const envoy = await startEnvoy({
        runner,
        filters: [httpWasm(SDK_HEADERS, { config: { response: { set: { "x-bench": "1" } } } })],
      });
      sdk.push(envoy.startupMs);
      await envoy.stop();
    }
    console.log(`  start → ready with SDK build/headers.wasm:           ${summary(sdk)}`);
  }
  for (const [kind, wasm] of Object.entries(broken)) {
    const times: number[] = [];
    for (let i = 0; i < Math.min(runs, 3); i++) {
      const t0 = performance.now();
      await startEnvoy({ runner, filters: [httpWasm(wasm)] }).then(
        () => {
          throw new Error(`${kind} unexpectedly started`);
        },
        () => undefined,
      );
      times.push(performance.now() - t0);
    }
    console.log(
      `  broken filter (${kind}) → start fails:${" ".repeat(Math.max(1, 16 - kind.length))}${summary(times)}`,
    );
  }
}
