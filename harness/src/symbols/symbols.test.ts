// The symbolicator on real asc output (test/fixtures/traps, built by the global setup): names, the source map's
// byte-offset positions, the map the build keeps beside a release module, and the two raw frame formats.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Emulator } from "../emulator/index.ts";
import {
  demangle,
  displayPath,
  envoyBacktraceFrames,
  fileKind,
  formatFrames,
  ModuleSymbols,
  readWasmLayout,
  sourceMapPathFor,
  SYMBOLS_FIELD,
  wasmFramesInStack,
  withFunctionNames,
  type WasmFrame,
  type WasmSourceMap,
} from "./index.ts";

const BUILD = join(import.meta.dirname, "../../../build");
const RELEASE = join(BUILD, "traps.wasm");
const scratch = mkdtempSync(join(tmpdir(), "symbols-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The byte offset V8 reports for the trap of `kind` on the module as built (no instrumentation). */
async function trapFrames(kind: string): Promise<WasmFrame[]> {
  const emulator = await Emulator.load(RELEASE, { watchdog: false, sourceMap: false });
  await emulator.request({ path: "/", headers: { "x-trap": kind } }, () => ({ status: 200 }));
  const frames = wasmFramesInStack(emulator.failures[0]?.wasmStack);
  expect(frames.length).toBeGreaterThan(0);
  return frames;
}

async function trapOffset(kind: string): Promise<number> {
  return (await trapFrames(kind))[0]!.offset;
}

describe("AssemblyScript names", () => {
  it.each([
    ["test/fixtures/traps/index/TrapOnRequest#onRequestHeaders", "TrapOnRequest.onRequestHeaders"],
    ["assembly/index/readPastMemory", "readPastMemory"],
    ["assembly/index/Config.parse", "Config.parse"],
    ["~lib/map/Map<~lib/string/String,i32>#get:size", "Map<String,i32>.get size"],
    ["~lib/array/Array<(i32)=>void>#push", "Array<(i32)=>void>.push"],
    [
      "~lib/@proxy-wasm-as/sdk/assembly/api/context/HttpContext#onRequestHeaders@override",
      "HttpContext.onRequestHeaders",
    ],
    ["assembly/index/handler~anonymous|0", "handler.<anonymous>"],
    ["start:assembly/index", "top-level code of assembly/index.ts"],
    ["~start", "~start"],
  ])("%s reads %s", (internal, shown) => {
    expect(demangle(internal)).toBe(shown);
  });

  it("tells the user's files, the SDK's and libraries apart, and shows packages under node_modules", () => {
    expect(fileKind("assembly/index.ts")).toBe("user");
    expect(fileKind("~lib/@proxy-wasm-as/sdk/assembly/api/context.ts")).toBe("sdk");
    expect(fileKind("~lib/array.ts")).toBe("library");
    expect(displayPath("~lib/@proxy-wasm-as/sdk/assembly/api/context.ts")).toBe(
      "node_modules/@proxy-wasm-as/sdk/assembly/api/context.ts",
    );
    expect(displayPath("~lib/array.ts")).toBe("~lib/array.ts");
  });
});

describe("raw frames", () => {
  it("reads Envoy's in-VM backtrace as Envoy 1.36.4 and 1.40.0 print it", () => {
    // Verbatim from both versions' logs (test/envoy/traps.test.ts checks it against the running Envoys).
    const message = [
      "Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable",
      "Proxy-Wasm plugin in-VM backtrace:",
      "  0:  0x185c - ~lib/@proxy-wasm-as/sdk/assembly/dispatch/exports/proxy_on_request_headers",
      "  1:  0x2a0 - test/fixtures/traps/index/TrapOnRequest#onRequestHeaders",
    ].join("\n");
    expect(envoyBacktraceFrames(message)).toEqual([
      { offset: 0x185c, functionName: "~lib/@proxy-wasm-as/sdk/assembly/dispatch/exports/proxy_on_request_headers" },
      { offset: 0x2a0, functionName: "test/fixtures/traps/index/TrapOnRequest#onRequestHeaders" },
    ]);
    expect(envoyBacktraceFrames("Function: proxy_on_tick failed: Uncaught RuntimeError: unreachable")).toEqual([]);
  });

  it("reads the Wasm frames of a V8 stack, with or without names", () => {
    const stack = [
      "RuntimeError: unreachable",
      "    at wasm://wasm/b59194ea:wasm-function[65]:0x185c",
      "    at ~lib/x (wasm://wasm/b59194ea:wasm-function[7]:0x2a)",
      "    at WasmVm.call (file:///x/vm.ts:220:14)",
    ].join("\n");
    expect(wasmFramesInStack(stack)).toEqual([
      { functionIndex: 65, offset: 0x185c },
      { functionIndex: 7, offset: 0x2a },
    ]);
  });
});

describe("ModuleSymbols", () => {
  it.skipIf(!existsSync(RELEASE))("maps each trap of the release build to its source line and function", async () => {
    const symbols = ModuleSymbols.forFile(RELEASE);
    expect(symbols.sourceMapPath).toBe(sourceMapPathFor(RELEASE));
    const told = async (kind: string) => {
      const f = symbols.frame({ offset: await trapOffset(kind) });
      return `${f.file}:${f.line}:${f.column} in ${f.function} (${f.kind})`;
    };
    expect(await told("unreachable")).toBe(
      "test/fixtures/traps/index.ts:22:32 in TrapOnRequest.onRequestHeaders (user)",
    );
    expect(await told("bounds")).toBe("test/fixtures/traps/memory.ts:6:10 in readPastMemory (user)");
    // A throw calls the SDK's abort handler, which traps itself: the innermost frame is the handler's, and
    // frames() leaves it out, so a trap is told from the throw (its call carries the throw statement's position).
    expect(await told("abort")).toMatch(
      /^node_modules\/@proxy-wasm-as\/sdk\/assembly\/dispatch\/abort\.ts:\d+:\d+ in proxy_wasm_as_abort \(sdk\)$/,
    );
    const [thrown] = symbols.frames(await trapFrames("abort"));
    expect(`${thrown!.file}:${thrown!.line}:${thrown!.column} in ${thrown!.function}`).toBe(
      "test/fixtures/traps/index.ts:20:42 in TrapOnRequest.onRequestHeaders",
    );
  });

  it.skipIf(!existsSync(RELEASE))("keeps the release module's function names in its map, not in the module", () => {
    const bytes = readFileSync(RELEASE);
    expect(readWasmLayout(bytes).functionNames.size).toBe(0);
    const map = JSON.parse(readFileSync(sourceMapPathFor(RELEASE), "utf8")) as WasmSourceMap;
    const symbols = ModuleSymbols.fromBytes(bytes, { sourceMap: map });
    const exported = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
    expect(exported).toContain("proxy_on_request_headers");
    const names = [...symbols.functionNames.values()];
    expect(names).toContain("~lib/@proxy-wasm-as/sdk/assembly/dispatch/exports/proxy_on_request_headers");
    expect(map[SYMBOLS_FIELD]?.functions).toContainEqual([
      "test/fixtures/traps/memory/readPastMemory",
      "test/fixtures/traps/memory.ts",
      5,
      1,
      7,
      2,
    ]);
  });

  it.skipIf(!existsSync(RELEASE))(
    "says why there are no source lines: no map beside the module, or a stale one",
    async () => {
      const offset = await trapOffset("unreachable");
      const alone = join(scratch, "alone.wasm");
      copyFileSync(RELEASE, alone);
      const bare = ModuleSymbols.forFile(alone);
      expect(bare.missingMapReason).toMatch(/^no source map found \(looked for .*alone\.wasm\.map\)$/);
      const frame = bare.frame({ offset });
      expect([frame.file, frame.line, frame.function]).toEqual([
        undefined,
        undefined,
        `wasm-function[${frame.functionIndex}]`,
      ]);

      const rebuilt = join(scratch, "rebuilt.wasm");
      writeFileSync(rebuilt, withFunctionNames(readFileSync(RELEASE), new Map([[0, "other"]])));
      copyFileSync(sourceMapPathFor(RELEASE), sourceMapPathFor(rebuilt));
      expect(ModuleSymbols.forFile(rebuilt).missingMapReason).toMatch(
        /rebuilt\.wasm\.map was written for another build of this module$/,
      );
    },
  );

  it.skipIf(!existsSync(RELEASE))("gives Envoy the names without moving a byte of code", () => {
    const bytes = readFileSync(RELEASE);
    const symbols = ModuleSymbols.forFile(RELEASE);
    const named = withFunctionNames(bytes, symbols.functionNames);
    expect(WebAssembly.validate(named as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(Buffer.from(named.subarray(0, bytes.length)).equals(bytes)).toBe(true);
    expect(readWasmLayout(named).functionNames).toEqual(symbols.functionNames);
    expect(readWasmLayout(named).bodies).toEqual(readWasmLayout(bytes).bodies);
  });
});

describe("formatFrames", () => {
  it("puts the user's source line under the first frame of their code, after library frames", () => {
    const base = { offset: 1, functionIndex: 1, wasmFunction: undefined, column: 3, sourceLine: undefined };
    const lines = formatFrames([
      { ...base, function: "growMemory", file: "~lib/rt/tlsf.ts", line: 445, kind: "library" },
      { ...base, function: "hoard", file: "assembly/memory.ts", line: 14, kind: "user", sourceLine: "\tkept.push(x);" },
    ]);
    expect(lines).toEqual([
      "  at ~lib/rt/tlsf.ts:445:3 in growMemory (library)",
      "  at assembly/memory.ts:14:3 in hoard",
      "    14 |   kept.push(x);",
      "       |    ^",
    ]);
  });
});
