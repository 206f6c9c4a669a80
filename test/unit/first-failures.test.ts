// The first failures a user meets, on the emulator and through `proxy-wasm-as check` (no Envoy): a module that
// registers no root (test/fixtures/no-root), a configuration the filter refuses and a loop in onRequestHeaders
// (test/fixtures/item-counter). The same cases in real Envoy: test/envoy/first-failures.test.ts.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { checkModule, Emulator, WasmLoadError, WasmTimeoutError } from "@proxy-wasm-as/harness";
import { runProxyWasmAs } from "@proxy-wasm-as/harness/cli";
import { compileModule } from "../../scripts/build.ts";
import { writeFixtureModule } from "../envoy/fixtures/wat-modules.ts";
import { buildRustFilter } from "../fixtures/rust-filter/build.ts";

const NO_ROOT = resolve("build/no-root.wasm");
const ITEM_COUNTER = resolve("build/item-counter.wasm");
/** The SDK's line for a module without registerRoot (sdk/assembly/dispatch/exports.ts), word for word. */
const SDK_NO_ROOT_LINE =
  'no root context registered: call registerRoot<YourRoot>() at top level; import "@proxy-wasm-as/sdk", not a relative path';
const MISSPELT = { reqest: { countHeader: "x-n" } };
/** The frame of the filter's code that called the looping/trapping function (release build, with its map). */
const CALLER_FRAME = "at test/fixtures/item-counter/index.ts:44:71 in ItemCounter.onRequestHeaders";
const MISSPELT_LINE =
  "invalid plugin configuration: unknown key `reqest` (did you mean `request`?); known keys: request";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { print: (t: string) => void out.push(t), info: (t: string) => void err.push(t) }, out, err };
}

async function loadError(wasm: string, options: Parameters<typeof Emulator.load>[1] = {}): Promise<WasmLoadError> {
  const error = await Emulator.load(wasm, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WasmLoadError);
  return error as WasmLoadError;
}

describe("first failures on the emulator", () => {
  test("no root registered: the load fails with the SDK's own line", async () => {
    const error = await loadError(NO_ROOT);
    expect(error.message).toContain("proxy_on_vm_start returned false");
    expect(error.message).toContain(`Recent module logs:\n  [critical] ${SDK_NO_ROOT_LINE}\n`);
  });

  test("a misspelt configuration key: the load fails with the filter's line", async () => {
    const error = await loadError(ITEM_COUNTER, { pluginConfig: MISSPELT });
    expect(error.message).toContain("proxy_on_configure returned false");
    expect(error.message).toContain(`Recent module logs:\n  [info] item-counter loaded\n  [error] ${MISSPELT_LINE}`);
    // The same module with a right configuration counts items.
    const emulator = await Emulator.load(ITEM_COUNTER, { pluginConfig: { request: { countHeader: "x-n" } } });
    const result = await emulator.request({ headers: { "x-items": "a,b,c" } });
    expect(result.upstream?.headers.get("x-n")).toBe("3");
    // Its top-level line, logged inside _initialize where Envoy forbids proxy_get_log_level, is kept.
    expect(emulator.logMessages()).toContain("item-counter loaded");
  });

  test("a loop in onRequestHeaders: the watchdog names the callback", async () => {
    const emulator = await Emulator.load(ITEM_COUNTER, { callbackTimeoutMs: 300 });
    const error = await emulator.request({ headers: { "x-items": "a,,b" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WasmTimeoutError);
    expect((error as WasmTimeoutError).exportName).toBe("proxy_on_request_headers");
    expect((error as Error).message.split("\n")[0]).toBe(
      "proxy_on_request_headers (context 2) still ran after 300 ms: the emulator stopped it",
    );
    // In the filter's source lines (build/item-counter.wasm.map, kept beside the release module by the build).
    expect((error as Error).message).toContain(`\n  ${CALLER_FRAME}\n`);
  });
});

describe("proxy-wasm-as check starts the module", () => {
  test("no root: fails with the reason and the SDK's line, exit 1; --abi-only still passes it", async () => {
    const { io, out } = capture();
    expect(await runProxyWasmAs(["check", NO_ROOT], io)).toBe(1);
    const report = out.join("\n").split("\n");
    expect(report[0]).toBe(
      `${NO_ROOT}: would FAIL in Envoy: no root context: the module registers no root class for this plugin, so Envoy fails its start`,
    );
    expect(report).toContain(`      [critical] ${SDK_NO_ROOT_LINE}`);
    expect(report.at(-1)).toBe(
      "  fix: call registerRoot<YourRoot>() at the top level of the module's entry file (e.g. assembly/index.ts), after the class",
    );
    const abiOnly = capture();
    expect(await runProxyWasmAs(["check", NO_ROOT, "--abi-only"], abiOnly.io)).toBe(0);
    expect(abiOnly.out.join("\n")).toMatch(/^.*no-root\.wasm: loads in Envoy\n {2}ABI 0\.2\.1/);
  });

  test("a refused configuration (--config inline or @file): fails with the filter's line", async () => {
    const { io, out } = capture();
    expect(await runProxyWasmAs(["check", ITEM_COUNTER, "--config", JSON.stringify(MISSPELT)], io)).toBe(1);
    const report = out.join("\n");
    expect(report.split("\n")[0]).toBe(
      `${ITEM_COUNTER}: would FAIL in Envoy: it refuses this configuration: proxy_on_configure returned false`,
    );
    expect(report).toContain(`      [error] ${MISSPELT_LINE}`);
    const dir = mkdtempSync(join(tmpdir(), "check-config-"));
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify({ request: { countHeader: "x-n" } }));
    const good = capture();
    expect(await runProxyWasmAs(["check", ITEM_COUNTER, "--config", `@${file}`], good.io)).toBe(0);
    expect(good.out.join("\n")).toBe(
      `${ITEM_COUNTER}: loads and starts in Envoy\n  ${checkFacts(ITEM_COUNTER)}\n  on the emulator: VM start, configure, GET / → 200`,
    );
  });

  test("a loop reached by the request it is given (--header): fails naming the callback", async () => {
    const { io, out } = capture();
    expect(await runProxyWasmAs(["check", ITEM_COUNTER, "--path", "/items", "--header", "x-items: a,,b"], io)).toBe(1);
    const report = out.join("\n").split("\n");
    expect(report[0]).toBe(
      `${ITEM_COUNTER}: would FAIL in Envoy: proxy_on_request_headers never returns (stopped after 2000 ms): an Envoy worker would hang in it and serve no other request`,
    );
    expect(report).toContain(
      "    proxy_on_request_headers (context 2) still ran after 2000 ms: the emulator stopped it",
    );
    expect(report).toContain(`      ${CALLER_FRAME}`);
    expect(report.at(-1)).toMatch(
      /^ {2}fix: find the loop that never ends in proxy_on_request_headers \(test\/fixtures\/item-counter\/index\.ts:\d+:\d+ in (countItems|ItemCounter\.onRequestHeaders)\)$/,
    );
  });

  test("a trap in the request: fails with the module's abort line", async () => {
    const { io, out } = capture();
    expect(await runProxyWasmAs(["check", ITEM_COUNTER, "--header", "x-items: 1,2,3,4,5,6,7,8,9"], io)).toBe(1);
    const report = out.join("\n");
    expect(report.split("\n")[0]).toBe(
      `${ITEM_COUNTER}: would FAIL in Envoy: it traps in proxy_on_request_headers: Envoy then fails the plugin (fail closed: 503 for every later request)`,
    );
    expect(report).toContain(
      [
        "      at test/fixtures/item-counter/index.ts:58:46 in countItems",
        '        58 |       if (count > MAX_ITEMS) throw new Error("too many items in x-items: more than " + MAX_ITEMS.toString());',
        "           |                                              ^",
        `      ${CALLER_FRAME}`,
      ].join("\n"),
    );
    expect(report).toContain(
      "[critical] abort: too many items in x-items: more than 8 at test/fixtures/item-counter/index.ts:58:30",
    );
    expect(report.split("\n").at(-1)).toBe(
      "  fix: fix the code where it trapped: test/fixtures/item-counter/index.ts:58:46 in countItems",
    );
  });

  test("a module from another SDK (hand-written WAT) checks cleanly, HTTP and TCP", async () => {
    const wasm = writeFixtureModule("ok", mkdtempSync(join(tmpdir(), "check-wat-")));
    const { io, out } = capture();
    expect(await runProxyWasmAs(["check", wasm, "--config", '"v"'], io)).toBe(0);
    expect(out.join("\n")).toMatch(
      /loads and starts in Envoy\n.*\n {2}on the emulator: VM start, configure, GET \/ → 200$/,
    );
    const tcp = capture();
    expect(await runProxyWasmAs(["check", wasm, "--tcp"], tcp.io)).toBe(0);
    expect(tcp.out.join("\n")).toMatch(
      /on the emulator: VM start, configure, one TCP connection: every callback returned$/,
    );
  });
});

describe("the build warns about a module that registers no root (sdk/transform/require-root.js)", () => {
  const dir = join("build", `tmp-require-root-${process.pid}`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const source = (
    register: string,
  ) => `import { RootContext, HttpContext, Action, registerRoot } from "@proxy-wasm-as/sdk";
class Root extends RootContext {
  newHttpContext(contextId: u32): HttpContext | null { return new Stream(); }
}
class Stream extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action { return Action.Continue; }
}
${register}
`;

  test("warns without registerRoot, not with it", { timeout: 300_000 }, async () => {
    mkdirSync(dir, { recursive: true });
    const warnings = async (name: string, register: string) => {
      writeFileSync(join(dir, `${name}.ts`), source(register));
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      try {
        await compileModule(join(dir, `${name}.ts`), join(dir, `${name}.wasm`));
        return warn.mock.calls.map((c) => String(c[0]));
      } finally {
        warn.mockRestore();
      }
    };
    expect(await warnings("without", "// registerRoot<Root>() forgotten")).toContain(
      'proxy-wasm-as: this module registers no root context, so Envoy will refuse to start it ("no root context registered"): call registerRoot<YourRoot>() at the top level of the entry file',
    );
    expect((await warnings("with", "registerRoot<Root>();")).filter((w) => w.includes("no root"))).toEqual([]);
  });
});

const rust = buildRustFilter();
test.skipIf(rust.skip)(
  `a module from the Rust SDK checks cleanly${rust.skip ? ` (skipped: ${rust.skip})` : ""}`,
  async () => {
    const { io, out } = capture();
    expect(await runProxyWasmAs(["check", rust.path!, "--header", "x-deny: 1"], io)).toBe(0);
    expect(out.join("\n")).toBe(
      `${rust.path}: loads and starts in Envoy\n  ${checkFacts(rust.path!)}\n  on the emulator: VM start, configure, GET / → 403`,
    );
  },
);

/** The ABI facts line of `file`, as the check prints it. */
function checkFacts(file: string): string {
  const report = checkModule(readFileSync(file));
  return `ABI ${report.abiVersion}, allocator ${report.allocator}, entry ${report.entryPoint}, ${report.imports.length} imports`;
}
