// Builds test/fixtures/go-filter (a proxy-wasm-go-sdk filter) into build/go-filter.wasm when missing or stale.
// The Go module proxy does not serve github.com/proxy-wasm/proxy-wasm-go-sdk, so the SDK source is taken from
// build/.deps/proxy-wasm-go-sdk, filled from $PROXY_WASM_GO_SDK_DIR (a checkout) or `go mod download`.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const FIXTURE = join(root, "test/fixtures/go-filter");
const SDK_DIR = join(root, "build/.deps/proxy-wasm-go-sdk");
/** Pinned SDK commit (proxy-wasm/proxy-wasm-go-sdk main, Go 1.24+). */
export const GO_SDK_COMMIT = "44c7d58477456a40f475d515e29b32a006d5074b";
/** Output path of the Go fixture module. */
export const GO_FILTER_WASM = join(root, "build/go-filter.wasm");

/** Either the module path, or why it cannot be built here (for `it.skipIf`). */
export type GoFixture = { readonly path: string; readonly skip?: undefined } | { readonly path?: undefined; readonly skip: string };

function newest(...files: string[]): number {
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

function ensureSdk(): string | undefined {
  if (existsSync(join(SDK_DIR, "proxywasm"))) return undefined;
  const fromEnv = process.env.PROXY_WASM_GO_SDK_DIR;
  if (fromEnv && existsSync(join(fromEnv, "proxywasm"))) {
    mkdirSync(SDK_DIR, { recursive: true });
    cpSync(join(fromEnv, "proxywasm"), join(SDK_DIR, "proxywasm"), { recursive: true });
    cpSync(join(fromEnv, "go.mod"), join(SDK_DIR, "go.mod"));
    return undefined;
  }
  try {
    const out = execFileSync("go", ["mod", "download", "-json", `github.com/proxy-wasm/proxy-wasm-go-sdk@${GO_SDK_COMMIT}`], { cwd: FIXTURE, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const dir = (JSON.parse(out) as { Dir?: string }).Dir;
    if (dir) {
      cpSync(dir, SDK_DIR, { recursive: true });
      return undefined;
    }
  } catch {
    // fall through to the message below
  }
  return `the Go SDK source is not available: the Go module proxy does not serve github.com/proxy-wasm/proxy-wasm-go-sdk. Set PROXY_WASM_GO_SDK_DIR to a checkout of it (commit ${GO_SDK_COMMIT}) and re-run.`;
}

/** Builds the Go fixture if needed. Never throws for a missing toolchain: returns a skip reason instead. */
export function buildGoFilter(): GoFixture {
  const sources = [join(FIXTURE, "main.go"), join(FIXTURE, "go.mod")];
  if (existsSync(GO_FILTER_WASM) && statSync(GO_FILTER_WASM).mtimeMs >= newest(...sources)) return { path: GO_FILTER_WASM };
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
  } catch {
    return { skip: "Go is not installed (need Go >= 1.24 on PATH) to build test/fixtures/go-filter" };
  }
  const sdkProblem = ensureSdk();
  if (sdkProblem) return { skip: sdkProblem };
  mkdirSync(dirname(GO_FILTER_WASM), { recursive: true });
  // Build to a temporary name then rename, so parallel test workers never load a half-written module.
  const tmp = `${GO_FILTER_WASM}.${process.pid}.tmp`;
  try {
    execFileSync("go", ["build", "-buildmode=c-shared", "-o", tmp, "."], {
      cwd: FIXTURE, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GOOS: "wasip1", GOARCH: "wasm", GOFLAGS: "-mod=mod" },
    });
  } catch (e) {
    throw new Error(`building test/fixtures/go-filter failed:\n${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
  }
  renameSync(tmp, GO_FILTER_WASM);
  return { path: GO_FILTER_WASM };
}
