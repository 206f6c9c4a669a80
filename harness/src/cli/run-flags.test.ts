// `run`'s Envoy flags are checked before anything is created or started: a version that is not a version (it names
// a cache folder: `../../../x` once created a folder outside the cache) and a log level Envoy does not have.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { runProxyWasmAs } from "./index.ts";

let root: string;
let previousCache: string | undefined;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "run-flags-"));
  previousCache = process.env.PROXY_WASM_AS_CACHE;
  process.env.PROXY_WASM_AS_CACHE = join(root, "a", "b", "cache");
  writeFileSync(join(root, "f.wasm"), "");
});
afterEach(() => {
  if (previousCache === undefined) delete process.env.PROXY_WASM_AS_CACHE;
  else process.env.PROXY_WASM_AS_CACHE = previousCache;
  rmSync(root, { recursive: true, force: true });
});

async function run(...args: string[]) {
  const err: string[] = [];
  const code = await runProxyWasmAs(["run", join(root, "f.wasm"), ...args], {
    print: () => undefined,
    info: (t: string) => void err.push(t),
  });
  return { code, err: err.join("\n") };
}

describe("run's Envoy flags", () => {
  test("--envoy-version ../../../x is refused before anything is created", async () => {
    const { code, err } = await run("--envoy-version", "../../../x");
    expect(err).toBe(
      'error: --envoy-version must be an Envoy version like 1.40.0 (got "../../../x")\nhint: use X.Y.Z, e.g. 1.40.0 (the default) or 1.36.4',
    );
    expect(code).toBe(2);
    expect(readdirSync(root)).toEqual(["f.wasm"]); // no cache, no `x` beside it
    expect(existsSync(join(root, "a"))).toBe(false);
  });

  test("--log-level bogus is refused with Envoy's levels", async () => {
    const { code, err } = await run("--log-level", "bogus");
    expect(err).toBe(
      `error: --log-level must be one of Envoy's levels: trace, debug, info, warning, error, critical (got "bogus")\nhint: e.g. --log-level warning shows Envoy's warnings and errors beside your filter's lines`,
    );
    expect(code).toBe(2);
    expect(readdirSync(root)).toEqual(["f.wasm"]);
  });
});
