// Every variant of the bench and how to build it. A variant that cannot be built here (toolchain or SDK
// missing, registry unreachable) is skipped with a printed reason; it never fails the suite.
//
//   headers workload: none · native (route header mutation) · AssemblyScript (ours) · floor (WebAssembly text) · Go SDK ·
//                     proxy-runtime (solo-io, AssemblyScript) · Rust SDK · Lua
//   jwt, jwt-distinct: none · native (jwt_authn, its token cache on) · AssemblyScript (ours, jwt-auth) ·
//                     boundary floor (WebAssembly text: the work's host calls without verification) · Go SDK
//
// Modules are copied to .cache/bench/modules/ so that a rebuild of build/ during the run cannot change them.
import { execFile } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { buildAll } from "../scripts/build.ts";
import type { BenchFilter } from "./envoy-config.ts";
import { HEADER_EDITS, JWT_FILTER_CONFIG } from "./workloads.ts";

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const VARIANTS_DIR = join(ROOT, "bench/variants");
/** Everything the bench builds or installs lives here (never in the project's package.json or build/). */
export const BENCH_CACHE = join(ROOT, ".cache/bench");
const MODULES_DIR = join(BENCH_CACHE, "modules");
/** solo-io's AssemblyScript SDK and the AssemblyScript release it was written for (its devDependency ^0.14.9). */
const PROXY_RUNTIME_PACKAGES = { "@solo-io/proxy-runtime": "0.1.8", assemblyscript: "0.14.13" };
/** The WebAssembly Binary Toolkit (wat2wasm), for the floor variant. */
const WABT_PACKAGES = { wabt: "1.0.39" };
const GO_SDK_MODULE = "github.com/proxy-wasm/proxy-wasm-go-sdk";

/**
 * The workloads: header edits (the same work seven ways), and JWT verification (real work per request) with the
 * same token on every request (`jwt`: token caches hit) and with a different token on every request
 * (`jwt-distinct`: no cache can stand in for verification).
 */
export type Workload = "headers" | "jwt" | "jwt-distinct";

/** Size of a variant's .wasm module. */
export interface ModuleSize {
  readonly path: string;
  readonly rawBytes: number;
  readonly gzipBytes: number;
}

/** A variant ready to run: what Envoy runs, and its module if it is Wasm. */
export interface BuiltVariant {
  readonly filter: BenchFilter;
  readonly module?: ModuleSize;
}

/** One way of doing a workload's work. */
export interface Variant {
  /** Short id, e.g. "go"; unique within a workload. */
  readonly id: string;
  readonly workload: Workload;
  /** What the table shows, e.g. "Go SDK (proxy-wasm-go-sdk, wasip1)". */
  readonly label: string;
  /** Builds the variant; returns the reason it cannot run here instead of throwing for a missing toolchain. */
  build(): Promise<BuiltVariant | { readonly skip: string }>;
}

/** Raw and gzip size of `path`. */
export function moduleSize(path: string): ModuleSize {
  const bytes = readFileSync(path);
  return { path, rawBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
}

function stage(source: string, name: string): ModuleSize {
  mkdirSync(MODULES_DIR, { recursive: true });
  const target = join(MODULES_DIR, name);
  copyFileSync(source, target);
  return moduleSize(target);
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function upToDate(output: string, sourceDir: string): boolean {
  return existsSync(output) && statSync(output).mtimeMs >= newestSource(sourceDir);
}

async function commandWorks(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args);
    return true;
  } catch {
    return false;
  }
}

let ourModules: Promise<Map<string, string>> | undefined;

/** Builds our AssemblyScript modules (incremental, the project's own build) once per run. */
function buildOurModules(): Promise<Map<string, string>> {
  ourModules ??= buildAll({ only: ["headers", "jwt-auth", "add-header"], quiet: true }).then(
    (built) => new Map(built.map((m) => [m.name, m.release])),
  );
  return ourModules;
}

async function ourVariant(name: string, config: unknown): Promise<BuiltVariant> {
  const release = (await buildOurModules()).get(name);
  if (!release) throw new Error(`the project build produced no ${name} module`);
  const module = stage(release, `as-${name}.wasm`);
  return { filter: { kind: "wasm", wasm: module.path, name: `as-${name}`, config }, module };
}

function goBinary(): string {
  return existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : "go";
}

/** Builds bench/variants/<name> (a Go module) with the SDK from $PROXY_WASM_GO_SDK_DIR. */
async function goVariant(name: string, config?: unknown): Promise<BuiltVariant | { skip: string }> {
  const go = goBinary();
  if (!(await commandWorks(go, ["version"]))) return { skip: "Go is not installed (need Go >= 1.24 with GOOS=wasip1)" };
  const sdk = process.env.PROXY_WASM_GO_SDK_DIR;
  if (!sdk || !existsSync(join(sdk, "proxywasm"))) {
    return {
      skip: `PROXY_WASM_GO_SDK_DIR is ${sdk ? `"${sdk}", which has no proxywasm/ folder` : "not set"}: the Go module proxy does not serve ${GO_SDK_MODULE}, so point it at a checkout of the SDK`,
    };
  }
  const source = join(VARIANTS_DIR, name);
  const work = join(BENCH_CACHE, "go", name);
  const output = join(BENCH_CACHE, "go", `${name}.wasm`);
  if (!upToDate(output, source) || !upToDate(output, join(sdk, "proxywasm"))) {
    rmSync(work, { recursive: true, force: true });
    cpSync(source, work, { recursive: true });
    await run(go, ["mod", "edit", `-replace=${GO_SDK_MODULE}=${resolve(sdk)}`], { cwd: work });
    try {
      await run(go, ["build", "-buildmode=c-shared", "-ldflags=-s -w", "-o", output, "."], {
        cwd: work,
        env: { ...process.env, GOOS: "wasip1", GOARCH: "wasm", GOFLAGS: "-mod=mod" },
      });
    } catch (err) {
      return {
        skip: `go build of bench/variants/${name} failed: ${(err as { stderr?: string }).stderr?.trim() ?? err}`,
      };
    }
  }
  const module = stage(output, `${name}.wasm`);
  return { filter: { kind: "wasm", wasm: module.path, name, config }, module };
}

/**
 * Installs `packages` (exact versions) from the npm registry into `dir` (under .cache/bench, never the project's
 * own node_modules) unless they are already there; returns the reason when npm fails.
 */
async function installNpmPackages(
  dir: string,
  packages: Record<string, string>,
): Promise<{ skip: string } | undefined> {
  const manifest = JSON.stringify({ name: `bench-${basename(dir)}`, private: true, dependencies: packages }, null, 2);
  mkdirSync(dir, { recursive: true });
  const installed =
    Object.keys(packages).every((name) => existsSync(join(dir, "node_modules", name))) &&
    existsSync(join(dir, "package.json")) &&
    readFileSync(join(dir, "package.json"), "utf8") === manifest;
  if (installed) return undefined;
  writeFileSync(join(dir, "package.json"), manifest);
  const names = Object.entries(packages)
    .map(([n, v]) => `${n}@${v}`)
    .join(" + ");
  console.log(`  installing ${names} from the npm registry into ${dir} …`);
  try {
    const { stdout } = await run(
      "npm",
      ["install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"],
      { cwd: dir },
    );
    if (stdout.trim()) console.log(`  ${stdout.trim().split("\n").join("\n  ")}`);
    return undefined;
  } catch (err) {
    return { skip: `npm install of ${names} failed: ${(err as { stderr?: string }).stderr?.trim() ?? err}` };
  }
}

/** Installs @solo-io/proxy-runtime and its AssemblyScript into .cache/bench/proxy-runtime, then compiles the variant. */
async function proxyRuntimeVariant(): Promise<BuiltVariant | { skip: string }> {
  const dir = join(BENCH_CACHE, "proxy-runtime");
  const source = join(VARIANTS_DIR, "proxy-runtime-headers");
  const output = join(dir, "proxy-runtime-headers.wasm");
  const failed = await installNpmPackages(dir, PROXY_RUNTIME_PACKAGES);
  if (failed) return failed;
  if (!upToDate(output, source)) {
    cpSync(join(source, "assembly"), join(dir, "assembly"), { recursive: true });
    // The same optimization settings as our release builds (sdk/asconfig.json), and the SDK's own abort handler.
    const args = [
      "assembly/index.ts",
      "-b",
      output,
      "--use",
      "abort=abort_proc_exit",
      "-O3",
      "--shrinkLevel",
      "2",
      "--converge",
      "--noAssert",
    ];
    try {
      await run(process.execPath, [join(dir, "node_modules/assemblyscript/bin/asc"), ...args], { cwd: dir });
    } catch (err) {
      return {
        skip: `compiling the proxy-runtime variant failed: ${(err as { stderr?: string }).stderr?.trim() ?? err}`,
      };
    }
  }
  const module = stage(output, "proxy-runtime-headers.wasm");
  // proxy-runtime 0.1.8 traps (out-of-bounds read in proxy_on_configure) when the configuration is empty, so
  // it gets a placeholder it ignores.
  return {
    filter: {
      kind: "wasm",
      wasm: module.path,
      name: "proxy-runtime-headers",
      rootId: "bench_headers",
      config: "unused",
    },
    module,
  };
}

/**
 * The floor: bench/variants/floor-headers/floor.wat (the header edits by hand in WebAssembly text) compiled with
 * wat2wasm from the npm `wabt` package, installed into .cache/bench/wabt.
 */
function floorVariant(): Promise<BuiltVariant | { skip: string }> {
  return watVariant("floor-headers");
}

/** bench/variants/<folder>/floor.wat compiled with wat2wasm (npm `wabt`, installed into .cache/bench/wabt). */
async function watVariant(folder: string): Promise<BuiltVariant | { skip: string }> {
  const dir = join(BENCH_CACHE, "wabt");
  const source = join(VARIANTS_DIR, folder);
  const output = join(dir, `${folder}.wasm`);
  const failed = await installNpmPackages(dir, WABT_PACKAGES);
  if (failed) return failed;
  if (!upToDate(output, source)) {
    try {
      await run(process.execPath, [
        join(dir, "node_modules/wabt/bin/wat2wasm"),
        join(source, "floor.wat"),
        "-o",
        output,
      ]);
    } catch (err) {
      return {
        skip: `wat2wasm of bench/variants/${folder}/floor.wat failed: ${(err as { stderr?: string }).stderr?.trim() ?? err}`,
      };
    }
  }
  const module = stage(output, `${folder}.wasm`);
  return { filter: { kind: "wasm", wasm: module.path, name: folder }, module };
}

/** Builds bench/variants/rust-headers with cargo for wasm32-wasip1 (adding the target through rustup if needed). */
async function rustVariant(): Promise<BuiltVariant | { skip: string }> {
  if (!(await commandWorks("cargo", ["--version"])))
    return { skip: "cargo is not installed (install Rust with rustup)" };
  const source = join(VARIANTS_DIR, "rust-headers");
  const targetDir = join(BENCH_CACHE, "cargo-target");
  const output = join(targetDir, "wasm32-wasip1/release/rust_headers.wasm");
  if (!upToDate(output, source)) {
    const installed = await run("rustup", ["target", "list", "--installed"]).then(
      (r) => r.stdout,
      () => "",
    );
    if (!installed.includes("wasm32-wasip1")) {
      console.log("  adding the wasm32-wasip1 Rust target (rustup target add wasm32-wasip1) …");
      if (!(await commandWorks("rustup", ["target", "add", "wasm32-wasip1"])))
        return { skip: "the wasm32-wasip1 target is missing and `rustup target add wasm32-wasip1` failed" };
    }
    try {
      await run("cargo", ["build", "--release", "--target", "wasm32-wasip1", "--target-dir", targetDir], {
        cwd: source,
      });
    } catch (err) {
      return {
        skip: `cargo build of bench/variants/rust-headers failed: ${(err as { stderr?: string }).stderr?.trim() ?? err}`,
      };
    }
  }
  const module = stage(output, "rust-headers.wasm");
  return { filter: { kind: "wasm", wasm: module.path, name: "rust-headers" }, module };
}

/** Every variant, in table order (the first of each workload is its baseline). */
export const VARIANTS: readonly Variant[] = [
  { id: "none", workload: "headers", label: "no filter (baseline)", build: async () => ({ filter: { kind: "none" } }) },
  {
    id: "native",
    workload: "headers",
    label: "Envoy native header mutation",
    build: async () => ({ filter: { kind: "native-headers" } }),
  },
  {
    id: "as",
    workload: "headers",
    label: "AssemblyScript, proxy-wasm-as (ours)",
    build: () => ourVariant("headers", HEADER_EDITS),
  },
  { id: "floor", workload: "headers", label: "floor: hand-written WebAssembly text", build: floorVariant },
  { id: "go", workload: "headers", label: "Go, proxy-wasm-go-sdk", build: () => goVariant("go-headers") },
  {
    id: "proxy-runtime",
    workload: "headers",
    label: "AssemblyScript, solo-io proxy-runtime",
    build: proxyRuntimeVariant,
  },
  { id: "rust", workload: "headers", label: "Rust, proxy-wasm (crates.io)", build: rustVariant },
  {
    id: "lua",
    workload: "headers",
    label: "Envoy Lua filter",
    build: async () => ({
      filter: { kind: "lua", source: readFileSync(join(VARIANTS_DIR, "lua-headers/filter.lua"), "utf8") },
    }),
  },
  ...(["jwt", "jwt-distinct"] as const).flatMap((workload): Variant[] => [
    { id: "none", workload, label: "no filter (baseline)", build: async () => ({ filter: { kind: "none" } }) },
    {
      id: "native",
      workload,
      label: "Envoy native jwt_authn",
      build: async () => ({ filter: { kind: "native-jwt" } }),
    },
    {
      id: "as",
      workload,
      label: "AssemblyScript, proxy-wasm-as jwt-auth (ours)",
      build: () => ourVariant("jwt-auth", JWT_FILTER_CONFIG),
    },
    {
      id: "floor",
      workload,
      label: "boundary floor: the work's host calls, no verification (WebAssembly text)",
      build: () => watVariant("floor-jwt"),
    },
    {
      id: "go",
      workload,
      label: "Go, proxy-wasm-go-sdk",
      build: () => goVariant("go-jwt-auth", JWT_FILTER_CONFIG),
    },
  ]),
];

/** Our smallest module (test/fixtures/add-header: one response header), the SDK's size floor. */
export async function minimalModule(): Promise<ModuleSize> {
  const release = (await buildOurModules()).get("add-header");
  if (!release) throw new Error("the project build produced no add-header module");
  return stage(release, "as-add-header.wasm");
}
