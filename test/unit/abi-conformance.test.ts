// ABI conformance of every module we build: each import must be one Envoy registers (same module, name and
// signature) for the module's ABI version, and each export Envoy looks up must have Envoy's signature.
// Also checks the checker itself on hand-made bad modules.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  checkModule,
  envoyImportsFor,
  formatModuleReport,
  formatSignature,
  importKey,
  proxyHostcallNames,
  sig,
} from "@proxy-wasm-as/harness/abi";
import { op, tinyModule } from "../../harness/src/emulator/test-support/tiny-wasm.ts";
import { buildProbe } from "../../harness/src/emulator/test-support/build-probe.ts";
import { buildGoFilter } from "../fixtures/go-filter/build.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUILD = join(ROOT, "build");

// The raw-ABI probe and the Go module are built here; the global setup builds the AssemblyScript modules.
await buildProbe();
buildGoFilter();

function wasmFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name.startsWith(".")) return []; // build/.deps holds third-party sources, not our modules
    if (statSync(p).isDirectory()) return wasmFiles(p);
    return name.endsWith(".wasm") ? [p] : [];
  });
}

const modules = wasmFiles(BUILD);

describe("every built module conforms to Envoy's ABI tables", () => {
  it("finds modules in build/", () => {
    expect(modules.length, "no .wasm in build/: the global setup should have built them").toBeGreaterThan(0);
  });

  for (const file of modules) {
    it(relative(ROOT, file), () => {
      const report = checkModule(readFileSync(file));
      expect(report.problems, formatModuleReport(report, relative(ROOT, file))).toEqual([]);
      const table = envoyImportsFor(report.abiVersion!);
      for (const imp of report.imports) {
        const host = table.get(importKey(imp.module, imp.name));
        expect(host, `${imp.module}.${imp.name} is not an Envoy import`).toBeDefined();
        expect(imp.kind).toBe("function");
        expect(formatSignature(imp.signature!), `${imp.module}.${imp.name}`).toBe(formatSignature(host!.signature));
      }
      expect(report.allocator).not.toBeNull();
    });
  }
});

describe("test/fixtures/all-hostcalls imports every proxy_* hostcall", () => {
  const built = modules.filter((m) => /all-hostcalls/.test(m));
  it("every ABI 0.2.1 proxy_* import is present", () => {
    expect(
      built.length,
      "test/fixtures/all-hostcalls exists but no all-hostcalls*.wasm is in build/: run the build (scripts/build.ts)",
    ).toBeGreaterThan(0);
    for (const file of built) {
      const report = checkModule(readFileSync(file));
      const imported = new Set(report.imports.filter((i) => i.module === "env").map((i) => i.name));
      const missing = proxyHostcallNames("0.2.1").filter((n) => !imported.has(n));
      expect(missing, `${relative(ROOT, file)} does not import`).toEqual([]);
    }
  });
});

describe("checkModule on hand-made bad modules", () => {
  const base = [
    { signature: sig("->"), export: "proxy_abi_version_0_2_1" },
    { signature: sig("i32 -> i32"), export: "malloc" },
  ];

  it("accepts a minimal good module and reports its facts", () => {
    const r = checkModule(tinyModule({ functions: [...base, { signature: sig("->"), export: "_initialize" }] }));
    expect(r).toMatchObject({
      ok: true,
      abiVersion: "0.2.1",
      allocator: "malloc",
      entryPoint: "_initialize",
      problems: [],
    });
    expect(formatModuleReport(r, "m")).toContain("m: loads in Envoy");
  });

  it("flags an import Envoy does not provide (AssemblyScript's env.abort)", () => {
    const r = checkModule(
      tinyModule({
        imports: [{ module: "env", name: "abort", signature: sig("i32 i32 i32 i32 ->") }],
        functions: base,
      }),
    );
    expect(r.ok).toBe(false);
    expect(r.imports).toEqual([expect.objectContaining({ module: "env", name: "abort", status: "unknown-to-envoy" })]);
  });

  it("flags a WASI function current Envoy releases lack (fd_readdir) under both WASI module names", () => {
    for (const module of ["wasi_snapshot_preview1", "wasi_unstable"]) {
      const r = checkModule(
        tinyModule({
          imports: [{ module, name: "fd_readdir", signature: sig("i32 i32 i32 i64 i32 -> i32") }],
          functions: base,
        }),
      );
      expect(r.imports[0]?.status).toBe("unknown-to-envoy");
    }
    const ok = checkModule(
      tinyModule({
        imports: [{ module: "wasi_unstable", name: "fd_write", signature: sig("i32 i32 i32 i32 -> i32") }],
        functions: base,
      }),
    );
    expect(ok.ok).toBe(true);
  });

  it("flags a wrong import signature (proxy_set_shared_data's cas is i32, not i64)", () => {
    const r = checkModule(
      tinyModule({
        imports: [{ module: "env", name: "proxy_set_shared_data", signature: sig("i32 i32 i32 i32 i64 -> i32") }],
        functions: base,
      }),
    );
    expect(r.imports[0]).toMatchObject({ status: "wrong-signature" });
    expect(r.problems[0]).toContain(
      "(i32, i32, i32, i32, i64) -> i32, Envoy provides (i32, i32, i32, i32, i32) -> i32",
    );
  });

  it("flags a wrong export signature (AssemblyScript `main(): void` next to _initialize)", () => {
    const r = checkModule(
      tinyModule({
        functions: [...base, { signature: sig("->"), export: "_initialize" }, { signature: sig("->"), export: "main" }],
      }),
    );
    expect(r.badExports).toEqual([{ name: "main", signature: sig("->"), expected: sig("i32 i32 -> i32") }]);
  });

  it("flags a missing ABI marker and a missing allocator", () => {
    const r = checkModule(tinyModule({ functions: [{ signature: sig("->"), export: "_start" }] }));
    expect(r.abiVersion).toBeNull();
    expect(r.allocator).toBeNull();
    expect(r.problems.join("\n")).toMatch(/missing ABI version marker[\s\S]*no allocator/);
  });

  it("uses the 0.1.0 table for 0.1.0 modules (2-param header callbacks, proxy_get_configuration allowed)", () => {
    const r = checkModule(
      tinyModule({
        imports: [{ module: "env", name: "proxy_get_configuration", signature: sig("i32 i32 -> i32") }],
        functions: [
          { signature: sig("->"), export: "proxy_abi_version_0_1_0" },
          { signature: sig("i32 -> i32"), export: "malloc" },
          { signature: sig("i32 i32 -> i32"), export: "proxy_on_request_headers" },
        ],
      }),
    );
    expect(r).toMatchObject({ ok: true, abiVersion: "0.1.0" });
  });

  it("a trapping _initialize still passes the static check (it fails at load; see emulator-load tests)", () => {
    const r = checkModule(
      tinyModule({ functions: [...base, { signature: sig("->"), export: "_initialize", body: op.unreachable }] }),
    );
    expect(r.ok).toBe(true);
  });

  it("never throws on garbage", () => {
    expect(checkModule(new Uint8Array([1, 2, 3])).problems[0]).toContain("not a WebAssembly binary");
    expect(checkModule(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 200])).ok).toBe(false);
  });
});
