// The build script: every AssemblyScript module is built, up-to-date modules are skipped, and compile errors
// surface asc's diagnostics with file:line.
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildAll, compileModule, findModules, BuildError } from "../../scripts/build.ts";

// Compiling takes seconds, more on a loaded machine: a generous timeout (nothing here measures speed).
describe("scripts/build.ts", { timeout: 120_000 }, () => {
  it("finds AssemblyScript modules and skips folders without index.ts (the Go fixture)", () => {
    const names = findModules().map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(["headers", "all-hostcalls", "sdk-behaviour", "quickstart"]));
    expect(names).not.toContain("go-filter");
  });

  it("skips modules whose outputs are newer than every input, and reports sizes", async () => {
    const [first] = await buildAll({ quiet: true, only: ["quickstart"] });
    const [second] = await buildAll({ quiet: true, only: ["quickstart"] });
    expect(existsSync(first.release) && existsSync(first.debug)).toBe(true);
    expect(second.rebuilt).toBe(false);
    expect(second.rawBytes).toBeGreaterThan(second.gzipBytes);
  });

  it("rejects unknown module names with the list of known ones", async () => {
    await expect(buildAll({ quiet: true, only: ["no-such-filter"] })).rejects.toThrow(
      /Unknown module\(s\): no-such-filter\. Known: .*headers/,
    );
  });

  it("shows asc's diagnostics with file and line when a module does not compile", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pwas-build-"));
    const entry = join(dir, "index.ts");
    writeFileSync(entry, 'export function broken(): i32 {\n  return "not a number";\n}\n');
    const failure = await compileModule(entry, join(dir, "out.wasm")).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BuildError);
    expect((failure as Error).message).toMatch(/TS2322/);
    expect((failure as Error).message).toMatch(/index\.ts\(2,10\)/);
  });
});
