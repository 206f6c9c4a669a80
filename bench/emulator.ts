// Emulator throughput: request-header callbacks per second through a small filter.
// Run: node bench/emulator.ts   (or npm run bench:emulator). Prints figures; never asserts.
// `npm run bench:emulator -- --baseline <git-ref>`: instead, what this checkout's emulator costs against the emulator
// of <git-ref> (its harness/src extracted with `git archive` into a temporary folder), both in this one process on
// the same modules, in interleaved rounds: the throughput ratio with its bootstrap interval, and the same ratio of
// this emulator against itself (two instances) as the control that shows the noise.
// Module: the AssemblyScript `headers` filter if built (build/**/headers*.wasm), else the Go fixture filter.
// Also the cost of coverage, in the same run: the headers filter's coverage build with its counters against the
// same build without them (the instrumentation alone), and against the optimized module tests run without
// coverage (what `vitest --coverage` costs an emulator test: unoptimized code plus counters).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Emulator } from "@proxy-wasm-as/harness/emulator";
import { formatRatio, ratioOverRounds, ratioWarnings, roundOrder } from "@proxy-wasm-as/harness/bench";
import { coverageBuildPath } from "@proxy-wasm-as/harness/coverage";
import { buildAll } from "../scripts/build.ts";
import { buildGoFilter } from "../test/fixtures/go-filter/build.ts";

const TARGET = 200_000;
const root = fileURLToPath(new URL("..", import.meta.url));

function findHeadersFilter(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name.startsWith(".") || name === "coverage") continue; // build/coverage/: coverage builds, measured below
    if (statSync(p).isDirectory()) {
      const found = findHeadersFilter(p);
      if (found) return found;
    } else if (
      /^headers(\.release)?\.wasm$/.test(name) ||
      (p.includes("/headers/") && name.endsWith(".wasm") && !name.includes("debug"))
    ) {
      return p;
    }
  }
  return undefined;
}

const asFilter = findHeadersFilter(join(root, "build"));
let wasm = asFilter;
if (!wasm) {
  const go = buildGoFilter();
  if (!go.path) {
    console.error(
      `no module to benchmark: the AS headers filter is not built and the Go fixture cannot be built (${go.skip})`,
    );
    process.exit(1);
  }
  wasm = go.path;
}

/**
 * A minimal raw-ABI module (one header read, one header add per request) compiled on the fly: its figure is the
 * emulator's own ceiling, separating the emulator's cost from the benchmarked filter's (the Go runtime is heavy).
 */
const MINIMAL_FILTER = `
@external("env", "proxy_get_header_map_value") declare function get(t: i32, kp: usize, ks: usize, rp: usize, rs: usize): i32;
@external("env", "proxy_add_header_map_value") declare function add(t: i32, kp: usize, ks: usize, vp: usize, vs: usize): i32;
export function proxy_abi_version_0_2_1(): void {}
export function malloc(size: i32): usize { return heap.alloc(<usize>size); }
const out = memory.data(8);
const KEY = memory.data<u8>([120, 45, 105, 100]); // "x-id"
const VALUE = memory.data<u8>([111, 107]); // "ok"
export function proxy_on_context_create(c: i32, p: i32): void {}
export function proxy_on_request_headers(c: i32, n: i32, e: i32): i32 {
  get(0, KEY, 4, out, out + 4);
  add(0, KEY, 4, VALUE, 2);
  return 0;
}
export function proxy_on_done(c: i32): i32 { return 1; }
`;

async function compileMinimal(): Promise<Uint8Array> {
  const asc = await import("assemblyscript/asc");
  let binary: Uint8Array | undefined;
  const { error, stderr } = await asc.main(
    ["minimal.ts", "--outFile", "minimal.wasm", "--runtime", "stub", "--use", "abort=", "-O3"],
    {
      readFile: (name: string) => (name === "minimal.ts" ? MINIMAL_FILTER : null),
      writeFile: (name: string, contents: string | Uint8Array) => {
        if (name.endsWith(".wasm") && contents instanceof Uint8Array) binary = contents;
      },
      listFiles: () => [],
    },
  );
  if (error || !binary) throw new Error(`compiling the minimal filter failed: ${error?.message}\n${stderr.toString()}`);
  return binary;
}

const headers: Array<[string, string]> = [
  [":method", "GET"],
  [":path", "/bench"],
  [":authority", "example.com"],
  [":scheme", "http"],
  ["user-agent", "bench"],
  ["accept", "*/*"],
  ["x-request-id", "0123456789abcdef"],
];

function run(iterations: number, emu: Emulator): { headerNs: number; totalNs: number } {
  let headerNs = 0n;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const s = emu.httpStream();
    const t0 = process.hrtime.bigint();
    s.requestHeaders(headers, { endOfStream: true });
    headerNs += process.hrtime.bigint() - t0;
    s.responseHeaders([[":status", "200"]], { endOfStream: true });
    s.complete();
  }
  return { headerNs: Number(headerNs), totalNs: Number(process.hrtime.bigint() - start) };
}

const N = 100_000;
const ROUNDS = 5;
const fmt = (n: number) => n.toLocaleString("en-US");
const minimalBytes = await compileMinimal();
const moduleBytes = readFileSync(wasm);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Request-header callbacks/s and full streams/s of one round. */
function measure(emu: Emulator): { perSecond: number; streamsPerSecond: number; meanUs: number } {
  const { headerNs, totalNs } = run(N, emu);
  return {
    perSecond: Math.round(N / (headerNs / 1e9)),
    streamsPerSecond: Math.round(N / (totalNs / 1e9)),
    meanUs: headerNs / N / 1000,
  };
}

/**
 * Throughput of `other` against `base` in the same run. Rounds alternate (base, other, base, …) so a change in
 * machine load hits both; the ratio is the median of the per-round ratios (other / base).
 */
function compareEmulators(
  baseEmu: Emulator,
  otherEmu: Emulator,
): { base: ReturnType<typeof measure>; other: ReturnType<typeof measure>; ratio: number } {
  run(5_000, baseEmu); // warm-up (JIT, guest heap)
  run(5_000, otherEmu);
  const base: ReturnType<typeof measure>[] = [];
  const other: ReturnType<typeof measure>[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    base.push(measure(baseEmu));
    other.push(measure(otherEmu));
  }
  const pick = (xs: ReturnType<typeof measure>[]) =>
    xs.find((x) => x.perSecond === median(xs.map((y) => y.perSecond)))!;
  return { base: pick(base), other: pick(other), ratio: median(other.map((o, i) => o.perSecond / base[i]!.perSecond)) };
}

/**
 * The watchdog (per-callback deadline + memory ceiling) instruments the module; the same run measures the module
 * as given (watchdog: false) as the baseline.
 */
function compare(bytes: Uint8Array): {
  plain: ReturnType<typeof measure>;
  guarded: ReturnType<typeof measure>;
  ratio: number;
} {
  const { base, other, ratio } = compareEmulators(
    Emulator.fromBytes(bytes, { logLevel: "error", watchdog: false }),
    Emulator.fromBytes(bytes, { logLevel: "error" }),
  );
  return { plain: base, guarded: other, ratio };
}

/** The emulator module of another commit: its harness/src, extracted into a temporary folder, imported from there. */
async function baselineEmulator(ref: string): Promise<{ Emulator: typeof Emulator; dir: string; commit: string }> {
  const commit = execFileSync("git", ["rev-parse", "--short", `${ref}^{commit}`], {
    cwd: root,
    encoding: "utf8",
  }).trim();
  const dir = mkdtempSync(join(tmpdir(), `emulator-baseline-${commit}-`));
  const tar = execFileSync("git", ["archive", "--format=tar", commit, "harness/src", "harness/package.json"], {
    cwd: root,
    maxBuffer: 1 << 30,
  });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  // Its own imports are relative; its dependencies (source maps, istanbul) resolve from this checkout's.
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  const entry = pathToFileURL(join(dir, "harness/src/emulator/index.ts")).href;
  const module = (await import(entry)) as { Emulator: typeof Emulator };
  return { Emulator: module.Emulator, dir, commit };
}

/**
 * Full streams/s (httpStream(), context create, request + response headers, on_log/on_done/on_delete: every step
 * the handle and its engine take) of each emulator in `emulators`, in `rounds` rounds whose order is balanced
 * (roundOrder); returns the figures per emulator and round.
 */
function interleaved(emulators: readonly Emulator[], rounds: number, perRound: number): number[][] {
  for (const emu of emulators) run(5_000, emu); // warm-up (JIT, guest heap)
  const figures = emulators.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const i of roundOrder(emulators.length, r)) {
      const { totalNs } = run(perRound, emulators[i]!);
      figures[i]!.push(perRound / (totalNs / 1e9));
    }
  }
  return figures;
}

const { values: flags } = parseArgs({
  options: {
    baseline: { type: "string" },
    rounds: { type: "string", default: "20" },
    streams: { type: "string", default: "50000" },
  },
  strict: true,
});

if (flags.baseline !== undefined) {
  const rounds = Number(flags.rounds);
  const perRound = Number(flags.streams);
  const baseline = await baselineEmulator(flags.baseline);
  const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  const dirty = execFileSync("git", ["status", "--porcelain", "--", "harness/src"], { cwd: root, encoding: "utf8" });
  console.log(
    `emulator cost: this checkout (${head}${dirty ? ", with uncommitted changes" : ""}) against ${flags.baseline} (${baseline.commit}), same process, same modules, ${rounds} interleaved rounds of ${fmt(perRound)} streams (--rounds, --streams)`,
  );
  const warnings = new Set<string>();
  try {
    for (const [name, bytes] of [
      [wasm.slice(root.length), moduleBytes],
      ["minimal raw-ABI filter (the emulator's own cost)", minimalBytes],
    ] as const) {
      const options = { logLevel: "error" as const };
      // [baseline, this checkout, this checkout again]: the last pair is the control (no difference but noise).
      const [base, current, control] = interleaved(
        [
          baseline.Emulator.fromBytes(bytes, options),
          Emulator.fromBytes(bytes, options),
          Emulator.fromBytes(bytes, options),
        ],
        rounds,
        perRound,
      ) as [number[], number[], number[]];
      const ratio = ratioOverRounds(current, base)!;
      const noise = ratioOverRounds(control, current)!;
      console.log(
        `  ${name}: ${fmt(Math.round(median(current)))} vs ${fmt(Math.round(median(base)))} full streams/s (medians)`,
      );
      console.log(`    this checkout ÷ ${baseline.commit}: ${formatRatio(ratio)} (1.000 = no cost; above 1 = faster)`);
      console.log(`    control, this checkout ÷ itself: ${formatRatio(noise)} (what noise alone gives)`);
      for (const w of ratioWarnings(ratio, { what: "throughput", more: "more --rounds or --streams" })) warnings.add(w);
    }
  } finally {
    rmSync(baseline.dir, { recursive: true, force: true });
  }
  for (const w of warnings) console.log(`  warning: ${w}`);
  process.exit(0);
}

const instrumentStart = performance.now();
Emulator.fromBytes(moduleBytes, { logLevel: "error", label: "guarded" });
const instrumentMs = performance.now() - instrumentStart;
const filter = compare(moduleBytes);
const minimal = compare(minimalBytes);
const withWatchdog = filter.guarded;
const perSecond = withWatchdog.perSecond;

console.log(
  `module: ${wasm.slice(root.length)}${asFilter ? "" : " (AS headers filter not built yet; using the Go fixture, whose runtime dominates)"}`,
);
console.log(
  `request-header callbacks/s: ${fmt(perSecond)} (target >= ${fmt(TARGET)}) ${perSecond >= TARGET ? "MET" : "NOT MET"}`,
);
console.log(
  `full streams/s (context create, request + response headers, on_log/on_done/on_delete): ${fmt(withWatchdog.streamsPerSecond)}`,
);
console.log(
  `mean request-header step: ${withWatchdog.meanUs.toFixed(2)} µs over ${fmt(N)} streams (median round of ${ROUNDS})`,
);
console.log(
  `emulator ceiling (minimal raw-ABI filter: 1 header get + 1 add): ${fmt(minimal.guarded.perSecond)} request-header callbacks/s`,
);
if (asFilter) {
  // Coverage: the coverage build (unoptimized, source map) is what the emulator runs and measures with coverage on.
  await buildAll({ only: ["headers"], coverage: true, quiet: true });
  const coverageBytes = readFileSync(coverageBuildPath(asFilter));
  const counted = await Emulator.load(asFilter, { logLevel: "error", coverage: true });
  const probes = compareEmulators(Emulator.fromBytes(coverageBytes, { logLevel: "error", coverage: false }), counted);
  const mode = compareEmulators(Emulator.fromBytes(moduleBytes, { logLevel: "error" }), counted);
  console.log(
    `coverage cost: counters ${fmt(probes.other.perSecond)} vs ${fmt(probes.base.perSecond)} without (same unoptimized coverage build) = ${probes.ratio.toFixed(3)}×; ` +
      `coverage mode (coverage build + counters) vs the optimized module: ${fmt(mode.other.perSecond)} vs ${fmt(mode.base.perSecond)} = ${mode.ratio.toFixed(3)}× ` +
      `(request-header callbacks/s, median of ${ROUNDS} alternating rounds, 1.000 = free)`,
  );
}
console.log(
  `watchdog cost: headers filter ${fmt(filter.guarded.perSecond)} vs ${fmt(filter.plain.perSecond)} without = ${filter.ratio.toFixed(3)}×; ` +
    `minimal filter ${fmt(minimal.guarded.perSecond)} vs ${fmt(minimal.plain.perSecond)} = ${minimal.ratio.toFixed(3)}× ` +
    `(median of ${ROUNDS} alternating rounds, throughput ratio, 1.000 = free); instrumenting the ${fmt(moduleBytes.length)}-byte module took ${instrumentMs.toFixed(1)} ms once`,
);
