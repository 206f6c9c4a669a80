// Builds test/fixtures/rust-filter (a filter written with the Rust proxy-wasm SDK from crates.io) into
// build/rust-filter.wasm when missing or stale. Adds the wasm32-wasip1 target through rustup when it is missing.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const FIXTURE = join(root, "test/fixtures/rust-filter");
const TARGET_DIR = join(root, "build/.cargo-target");
/** Output path of the Rust fixture module. */
export const RUST_FILTER_WASM = join(root, "build/rust-filter.wasm");

/** Either the module path, or why it cannot be built here (for `it.skipIf`). */
export type RustFixture = { readonly path: string; readonly skip?: undefined } | { readonly path?: undefined; readonly skip: string };

function newestSource(): number {
  const files = [join(FIXTURE, "Cargo.toml"), ...readdirSync(join(FIXTURE, "src")).map((f) => join(FIXTURE, "src", f))];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

function has(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Builds the Rust fixture if needed; never throws for a missing toolchain (returns the reason instead). */
export function buildRustFilter(): RustFixture {
  if (existsSync(RUST_FILTER_WASM) && statSync(RUST_FILTER_WASM).mtimeMs >= newestSource()) return { path: RUST_FILTER_WASM };
  if (!has("cargo", ["--version"])) return { skip: "cargo is not installed: install Rust (rustup) to build test/fixtures/rust-filter" };
  const targets = has("rustup", ["--version"]) ? execFileSync("rustup", ["target", "list", "--installed"], { encoding: "utf8" }) : "";
  if (!targets.includes("wasm32-wasip1")) {
    if (!has("rustup", ["target", "add", "wasm32-wasip1"])) {
      return { skip: "the wasm32-wasip1 Rust target is missing and `rustup target add wasm32-wasip1` failed" };
    }
  }
  execFileSync("cargo", ["build", "--release", "--target", "wasm32-wasip1", "--target-dir", TARGET_DIR], {
    cwd: FIXTURE,
    stdio: ["ignore", "ignore", "pipe"],
  });
  mkdirSync(dirname(RUST_FILTER_WASM), { recursive: true });
  copyFileSync(join(TARGET_DIR, "wasm32-wasip1/release/rust_filter.wasm"), RUST_FILTER_WASM);
  return { path: RUST_FILTER_WASM };
}
