// Plain AssemblyScript in a filter (issue 26), without Envoy: test/fixtures/plain-as on the emulator (one log line per
// console call, at Envoy's levels for WASI fd 1 and fd 2); what Envoy cannot do fails the BUILD with the SDK function
// to use instead (process.exit, process.stdin); and `proxy-wasm-as check` (and the build) name what to use instead of
// an import Envoy lacks: a WASI file function, and AssemblyScript's JavaScript binding env.console.log from a build
// without the SDK's asconfig. The same fixture in real Envoy: test/differential/plain-as.envoy.test.ts.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { BuildError, requireEnvoyImports } from "@proxy-wasm-as/harness/build";
import { runProxyWasmAs } from "@proxy-wasm-as/harness/cli";
import { compileModule } from "../../scripts/build.ts";
import { PLAIN_AS_WASM, plainAsLines } from "../differential/plain-as.scenarios.ts";

const COMPILE_TIMEOUT_MS = 300_000;
const dir = resolve("build", `tmp-plain-as-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A filter whose onRequestHeaders runs `body`, with extra top-level `imports`. */
const filterSource = (
  body: string,
  imports = "",
) => `import { RootContext, HttpContext, Action, registerRoot } from "@proxy-wasm-as/sdk";
${imports}
class Root extends RootContext {
  newHttpContext(contextId: u32): HttpContext | null { return new Stream(); }
}
class Stream extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
${body}
    return Action.Continue;
  }
}
registerRoot<Root>();
`;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { print: (t: string) => void out.push(t), info: (t: string) => void err.push(t) }, out, err };
}

/** Compiles `source` as `name` (with `config`, default the repository's asconfig, i.e. the SDK's); the .wasm path. */
async function compile(name: string, source: string, config?: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.ts`), source);
  await compileModule(join(dir, `${name}.ts`), join(dir, `${name}.wasm`), "release", config);
  return join(dir, `${name}.wasm`);
}

describe("plain AssemblyScript globals on the emulator", () => {
  test("each console call is one log line at Envoy's level for its descriptor; process.env is the VM's", async () => {
    const emu = await Emulator.load(PLAIN_AS_WASM, { env: { PLAIN_AS_GREETING: "hi" } });
    const result = await emu.request({ path: "/x" });
    expect(result.status).toBe(200);
    expect(result.headers.get("x-plain-as")).toBe("ok");
    expect(emu.logs.map((l) => ({ level: l.level, message: l.message }))).toEqual(plainAsLines("/x", "hi"));
  });

  test("without the variable, process.env does not have it", async () => {
    const emu = await Emulator.load(PLAIN_AS_WASM);
    await emu.request({ path: "/y" });
    expect(emu.logMessages()).toContain("console.warn: process.env.PLAIN_AS_GREETING = (unset)");
  });
});

describe("what Envoy cannot do fails the build, naming what to use instead", () => {
  test("process.exit() and process.stdin are compile errors", { timeout: COMPILE_TIMEOUT_MS }, async () => {
    const failure = await compile(
      "exit-and-stdin",
      filterSource("    if (headerCount > 100) process.exit(1);\n    process.stdin.read(new ArrayBuffer(4));"),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(BuildError);
    const message = (failure as Error).message;
    expect(message).toContain("process.exit() cannot stop an Envoy filter");
    expect(message).toContain("this.sendLocalResponse(status, body)");
    expect(message).toContain("process.stdin does not exist in an Envoy filter");
    expect(message).toContain("configuration.json()");
  });
});

describe("check names what to use instead of an import Envoy lacks", () => {
  test("a WASI file function (fd_readdir): no files in Envoy, use the configuration or httpCall; the build refuses it too", {
    timeout: COMPILE_TIMEOUT_MS,
  }, async () => {
    const wasm = await compile(
      "readdir",
      filterSource(
        "    const scratch = memory.data(64);\n    fd_readdir(3, scratch, 32, 0, scratch + 32);",
        'import { fd_readdir } from "@assemblyscript/wasi-shim/assembly/bindings/wasi_snapshot_preview1";',
      ),
    );
    const { io, out } = capture();
    expect(await runProxyWasmAs(["check", wasm], io)).toBe(1);
    const report = out.join("\n");
    expect(report).toContain(
      'import wasi_snapshot_preview1.fd_readdir is not provided by Envoy for ABI 0.2.1: the link fails with "missing import". Envoy gives a filter no files: put the data in the plugin configuration and read it in onConfigure (configuration.json() or a ConfigSchema of @proxy-wasm-as/sdk), or fetch it at run time with httpCall.',
    );
    // `proxy-wasm-as build` (buildModules) checks the same after compiling: the module never reaches Envoy.
    expect(() => requireEnvoyImports("readdir.ts", new Uint8Array(readFileSync(wasm)))).toThrow(
      /readdir\.ts imports what Envoy does not provide[\s\S]*fd_readdir[\s\S]*Envoy gives a filter no files/,
    );
  });

  test("env.console.log from a build without the SDK's asconfig: build with it, or use the SDK's log functions", {
    timeout: COMPILE_TIMEOUT_MS,
  }, async () => {
    // The SDK's exports and abort/seed, but not its `use console=…`: what a hand-made asconfig gives.
    mkdirSync(dir, { recursive: true });
    const config = join(dir, "asconfig.no-shim.json");
    writeFileSync(
      config,
      JSON.stringify({
        entries: [resolve("sdk/exports.ts")],
        options: {
          exportStart: "_initialize",
          use: ["abort=proxy_wasm_as_abort", "seed=proxy_wasm_as_seed"],
          runtime: "minimal",
        },
        targets: { release: { optimizeLevel: 3, shrinkLevel: 2 } },
      }),
    );
    const wasm = await compile("console-js", filterSource('    console.log("hello");'), config);
    const { io, out } = capture();
    expect(await runProxyWasmAs(["check", wasm], io)).toBe(1);
    expect(out.join("\n")).toContain(
      'import env.console.log is not provided by Envoy for ABI 0.2.1: the link fails with "missing import". console.log is AssemblyScript\'s JavaScript binding, and Envoy runs no JavaScript: build with the SDK\'s asconfig (`{ "extends": "@proxy-wasm-as/sdk/asconfig.json" }`, what `npx proxy-wasm-as build` uses), whose console writes Envoy log lines through WASI fd_write (log/info/debug at info, warn/error at error level); or call log/logInfo/logWarn/logError of @proxy-wasm-as/sdk (any Envoy level).',
    );
  });
});
