// The build keeps a release module's symbols beside it and ships the same bytes as a build without them.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { readWasmLayout, SYMBOLS_FIELD, wasmSha256, type WasmSourceMap } from "../symbols/index.ts";
import { compileModule } from "./compile.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
const ENTRY = join(ROOT, "test/fixtures/add-header/index.ts");
const CONFIG = join(ROOT, "asconfig.json");
const out = mkdtempSync(join(tmpdir(), "builder-symbols-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("symbols of a build", () => {
  // Two optimized compiles: tens of seconds on a loaded machine.
  test("a release module with symbols is byte for byte the module built without them; its map holds names", {
    timeout: 300_000,
  }, async () => {
    const plain = join(out, "plain.wasm");
    const withSymbols = join(out, "with-symbols.wasm");
    writeFileSync(`${plain}.map`, "{}"); // a map left by an earlier build must not outlive a build without symbols
    await compileModule(ENTRY, plain, { config: CONFIG, baseDir: ROOT, symbols: false });
    await compileModule(ENTRY, withSymbols, { config: CONFIG, baseDir: ROOT });
    const shipped = readFileSync(withSymbols);
    expect(Buffer.compare(shipped, readFileSync(plain))).toBe(0);
    expect(existsSync(`${plain}.map`)).toBe(false);
    expect(readWasmLayout(shipped).functionNames.size).toBe(0);

    const map = JSON.parse(readFileSync(`${withSymbols}.map`, "utf8")) as WasmSourceMap;
    const symbols = map[SYMBOLS_FIELD]!;
    expect(symbols.wasmSha256).toBe(wasmSha256(shipped));
    expect(Object.values(symbols.functionNames ?? {})).toContain(
      "~lib/@proxy-wasm-as/sdk/assembly/dispatch/exports/proxy_on_response_headers",
    );
    expect(symbols.functions?.map(([name]) => name)).toContain(
      "test/fixtures/add-header/index/AddHeader#onResponseHeaders",
    );
    // Sources are named as the project sees them, and resolve from the map's folder to the project.
    expect(map.sources).toContain("test/fixtures/add-header/index.ts");
    expect(resolve(out, map.sourceRoot ?? "", "test/fixtures/add-header/index.ts")).toBe(ENTRY);
  });
});
