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
import { demangle, functionNames, loadSourceMap, sourceMappingUrl } from "./module-map.ts";

const BUILD = join(import.meta.dirname, "../../../../build");
const RELEASE = join(BUILD, "coverage-count.wasm");
const COVERAGE = coverageBuildPath(RELEASE);
const built = existsSync(COVERAGE);
const scratch = mkdtempSync(join(tmpdir(), "proxy-wasm-as-module-map-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("demangle", () => {
  it.each([
    ["assembly/index/MyFilter#onRequestHeaders", "MyFilter.onRequestHeaders"],
    ["assembly/index/tag", "tag"],
    ["~lib/array/Array<~lib/string/String>#push", "Array<String>.push"],
    ["assembly/index/Root#get:limit", "Root.get limit"],
    ["assembly/index/Root#set:limit", "Root.set limit"],
    ["~lib/map/Map<~lib/string/String,i32>#set", "Map<String,i32>.set"],
    ["assembly/lib/Codec.decode", "Codec.decode"],
    ["proxy_on_request_headers", "proxy_on_request_headers"],
  ])("%s → %s", (name, expected) => {
    expect(demangle(name)).toBe(expected);
  });
});

describe.skipIf(!built)("the coverage build of test/fixtures/coverage-count", () => {
  it("names its source map and keeps the function names", () => {
    const bytes = readFileSync(COVERAGE);
    expect(sourceMappingUrl(bytes)).toBe("./coverage-count.wasm.map");
    expect(sourceMappingUrl(readFileSync(RELEASE))).toBeNull(); // the optimized module carries none
    const names = [...functionNames(bytes).values()];
    expect(names).toContain("test/fixtures/coverage-count/index/Count#onRequestHeaders");
    const map = loadSourceMap(bytes, COVERAGE)!;
    expect(map.sources).toContain("test/fixtures/coverage-count/index.ts");
    expect(map.sourcesContent[map.sources.indexOf("test/fixtures/coverage-count/index.ts")]).toContain("class Count");
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
    copyFileSync(COVERAGE, coverageBuildPath(other));
    expect(findCoverageBuild(other, readFileSync(other)).status).toBe("stale");
    markCoverageBuild(coverageBuildPath(other), readFileSync(other)); // a later mark wins
    expect(findCoverageBuild(other, readFileSync(other)).status).toBe("found");
  });

  it("refuses to measure, with the reason and the fix, a module built from other sources than its coverage build", async () => {
    const other = join(scratch, "stale.wasm");
    writeFileSync(other, readFileSync(join(BUILD, "add-header.wasm")));
    copyFileSync(COVERAGE, coverageBuildPath(other));
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
    const bytes = readFileSync(join(BUILD, "add-header.wasm")); // optimized: no source map
    let error: unknown;
    try {
      Emulator.fromBytes(bytes, { coverage: true, label: "tiny.wasm" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WasmLoadError);
    const loadError = error as WasmLoadError;
    expect(loadError.message.split("\n")[0]).toBe(
      "tiny.wasm: cannot measure coverage: it has no source map (sourceMappingURL)",
    );
    expect(loadError.hint).toContain("npx vitest run --coverage");
  });
});
