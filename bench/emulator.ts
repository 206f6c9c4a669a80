// Emulator throughput: request-header callbacks per second through a small filter.
// Run: node bench/emulator.ts   (or npm run bench:emulator). Prints figures; never asserts.
// Module: the AssemblyScript `headers` filter if built (build/**/headers*.wasm), else the Go fixture filter.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Emulator } from "@proxy-wasm-as/harness/emulator";
import { buildGoFilter } from "../harness/src/emulator/test-support/go-fixture.ts";

const TARGET = 200_000;
const root = fileURLToPath(new URL("..", import.meta.url));

function findHeadersFilter(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name.startsWith(".")) continue;
    if (statSync(p).isDirectory()) {
      const found = findHeadersFilter(p);
      if (found) return found;
    } else if (/^headers(\.release)?\.wasm$/.test(name) || (p.includes("/headers/") && name.endsWith(".wasm") && !name.includes("debug"))) {
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
    console.error(`no module to benchmark: the AS headers filter is not built and the Go fixture cannot be built (${go.skip})`);
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
  const { error, stderr } = await asc.main(["minimal.ts", "--outFile", "minimal.wasm", "--runtime", "stub", "--use", "abort=", "-O3"], {
    readFile: (name: string) => (name === "minimal.ts" ? MINIMAL_FILTER : null),
    writeFile: (name: string, contents: string | Uint8Array) => {
      if (name.endsWith(".wasm") && contents instanceof Uint8Array) binary = contents;
    },
    listFiles: () => [],
  });
  if (error || !binary) throw new Error(`compiling the minimal filter failed: ${error?.message}\n${stderr.toString()}`);
  return binary;
}

const emu = await Emulator.load(wasm, { logLevel: "error" });
const headers: Array<[string, string]> = [
  [":method", "GET"], [":path", "/bench"], [":authority", "example.com"], [":scheme", "http"],
  ["user-agent", "bench"], ["accept", "*/*"], ["x-request-id", "0123456789abcdef"],
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

run(5_000, emu); // warm-up (JIT, guest heap)
const N = 100_000;
const { headerNs, totalNs } = run(N, emu);
const perSecond = Math.round(N / (headerNs / 1e9));
const streamsPerSecond = Math.round(N / (totalNs / 1e9));
const minimal = Emulator.fromBytes(await compileMinimal(), { logLevel: "error" });
run(5_000, minimal);
const floor = run(N, minimal);
const fmt = (n: number) => n.toLocaleString("en-US");
console.log(`module: ${wasm.slice(root.length)}${asFilter ? "" : " (AS headers filter not built yet; using the Go fixture, whose runtime dominates)"}`);
console.log(`request-header callbacks/s: ${fmt(perSecond)} (target >= ${fmt(TARGET)}) ${perSecond >= TARGET ? "MET" : "NOT MET"}`);
console.log(`full streams/s (context create, request + response headers, on_log/on_done/on_delete): ${fmt(streamsPerSecond)}`);
console.log(`mean request-header step: ${(headerNs / N / 1000).toFixed(2)} µs over ${fmt(N)} streams`);
console.log(`emulator ceiling (minimal raw-ABI filter: 1 header get + 1 add): ${fmt(Math.round(N / (floor.headerNs / 1e9)))} request-header callbacks/s`);
