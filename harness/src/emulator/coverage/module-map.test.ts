// Reading a module's source map and names, and when the emulator measures what: a coverage build beside the
// module, the module's own map, or a clear refusal when asked to measure a module it cannot map.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Emulator } from "../emulator.ts";
import { WasmLoadError } from "../errors.ts";
import { coverageBuildPath, findCoverageBuild, markCoverageBuild } from "./coverage-build.ts";
import { takeCoverage } from "./runtime.ts";
import { ModuleSymbols } from "../../symbols/index.ts";
import { readWasmLayout } from "../../symbols/wasm-layout.ts";
import { ModuleSourceMap } from "./module-map.ts";

const BUILD = join(import.meta.dirname, "../../../../build");
const RELEASE = join(BUILD, "coverage-count.wasm");
const COVERAGE = coverageBuildPath(RELEASE);
const built = existsSync(COVERAGE);
const scratch = mkdtempSync(join(tmpdir(), "proxy-wasm-as-module-map-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Puts the fixture's coverage build (with its map and stamp) beside `modulePath`, as if built for it. */
function copyCoverageBuild(modulePath: string): void {
  for (const suffix of ["", ".map", ".coverage.json"])
    copyFileSync(`${COVERAGE}${suffix}`, `${coverageBuildPath(modulePath)}${suffix}`);
}

describe.skipIf(!built)("the coverage build of test/fixtures/coverage-count", () => {
  it("keeps its symbols beside it, and stands in for the optimized module, which names no map", () => {
    const symbols = ModuleSymbols.forFile(COVERAGE);
    expect(symbols.sourceMapPath).toBe(`${COVERAGE}.map`);
    expect([...symbols.functionNames.values()]).toContain("test/fixtures/coverage-count/index/Count#onRequestHeaders");
    const map = new ModuleSourceMap(symbols.sourceMap!.map);
    expect(map.sources).toContain("test/fixtures/coverage-count/index.ts");
    expect(map.sourcesContent[map.sources.indexOf("test/fixtures/coverage-count/index.ts")]).toContain("class Count");
    expect(readWasmLayout(readFileSync(RELEASE)).sourceMappingUrl).toBeUndefined();
  });

  it("counts the SDK and AssemblyScript's standard library only when asked", async () => {
    const own = await Emulator.load(RELEASE, { coverage: true });
    await own.request({ path: "/" }, () => ({ status: 200 }));
    const withLibraries = await Emulator.load(RELEASE, { coverage: { includeLibraries: true } });
    await withLibraries.request({ path: "/" }, () => ({ status: 200 }));
    const files = Object.keys(takeCoverage({ reset: false }));
    const sdk = join(import.meta.dirname, "../../../../sdk/assembly/api/context.ts");
    expect(files).toContain(sdk); // the SDK's real path, not node_modules/… or ~lib/…
    expect(files.some((f) => /node_modules\/assemblyscript\/std\/assembly\/string\.ts$/.test(f))).toBe(true);
    expect(files.some((f) => f.endsWith("test/fixtures/coverage-count/index.ts"))).toBe(true);
  });

  it("stands for the module it was built with, and for no other", () => {
    expect(findCoverageBuild(RELEASE, readFileSync(RELEASE)).status).toBe("found");
    const other = join(scratch, "other.wasm");
    writeFileSync(other, readFileSync(join(BUILD, "add-header.wasm")));
    mkdirSync(join(scratch, "coverage"), { recursive: true });
    copyCoverageBuild(other);
    expect(findCoverageBuild(other, readFileSync(other)).status).toBe("stale");
    markCoverageBuild(coverageBuildPath(other), readFileSync(other)); // a later mark wins
    expect(findCoverageBuild(other, readFileSync(other)).status).toBe("found");
  });

  it("refuses to measure, with the reason and the fix, a module built from other sources than its coverage build", async () => {
    const other = join(scratch, "stale.wasm");
    writeFileSync(other, readFileSync(join(BUILD, "add-header.wasm")));
    copyCoverageBuild(other);
    const error = await Emulator.load(other, { coverage: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WasmLoadError);
    expect((error as Error).message).toContain(
      `cannot measure coverage: its coverage build ${coverageBuildPath(other)} was built from other sources`,
    );
    // without asking, the module just runs unmeasured
    await expect(Emulator.load(other, { coverage: false })).resolves.toBeInstanceOf(Emulator);
  });
});

describe.skipIf(!built)("a module without a source map", () => {
  it("cannot be measured when asked: WasmLoadError with a fix", () => {
    const bytes = readFileSync(join(BUILD, "add-header.wasm")); // given as bytes: no file to find a map beside
    let error: unknown;
    try {
      Emulator.fromBytes(bytes, { coverage: true, label: "tiny.wasm" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WasmLoadError);
    const loadError = error as WasmLoadError;
    expect(loadError.message.split("\n")[0]).toBe(
      "tiny.wasm: cannot measure coverage: the module was given as bytes, so no source map was looked for beside it",
    );
    expect(loadError.hint).toContain("npx vitest run --coverage");
  });
});
