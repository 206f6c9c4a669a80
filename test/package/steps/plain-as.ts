// Package-test step: plain AssemblyScript in the user's project (issue 26). A filter that calls console.log/warn,
// Date.now, new Date(), performance.now, crypto.getRandomValues and process.env builds with the project's asconfig
// (the SDK's, whose globals come from @assemblyscript/wasi-shim, installed as the SDK's dependency), and logs the
// same lines at the same levels on the emulator and in real Envoy. Adds assembly/plain/index.ts and a test, runs the
// test with the project's vitest preset, then removes both so the project is as scaffolded again.
//   await plainAssemblyScript({ project, env, run });
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { StepRunner } from "./traps.ts";

const PLAIN_SOURCE = `import { RootContext, HttpContext, Action, registerRoot } from "@proxy-wasm-as/sdk";

class PlainRoot extends RootContext {
  newHttpContext(contextId: u32): HttpContext | null { return new Plain(); }
}

class Plain extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    console.log("hello from " + this.requestHeaders.get(":path")!);
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    const clocks = Date.now() > 1577836800000 && new Date().getTime() > 1577836800000 && performance.now() >= 0;
    console.warn("clocks " + (clocks ? "ok" : "wrong") + ", env " + (process.env.has("GREETING") ? process.env.get("GREETING") : "unset"));
    return Action.Continue;
  }
}

registerRoot<PlainRoot>();
`;

const PLAIN_TEST = `import { expect, test } from "vitest";
import { Emulator, httpWasm, startEnvoy } from "@proxy-wasm-as/harness";

const EXPECTED = [
  { level: "info", message: "hello from /p" },
  { level: "error", message: "clocks ok, env hi" },
];

test("plain AssemblyScript (emulator): console lines at Envoy's levels", async () => {
  const emulator = await Emulator.load("build/plain.wasm", { env: { GREETING: "hi" } });
  await emulator.request({ path: "/p" });
  expect(emulator.logs.map((l) => ({ level: l.level, message: l.message }))).toEqual(EXPECTED);
});

test("plain AssemblyScript (real Envoy): the same lines", async () => {
  await using envoy = await startEnvoy({
    runner: "process",
    filters: [httpWasm("build/plain.wasm", { name: "plain", env: { GREETING: "hi" } })],
    allowWasmErrors: true,
  });
  expect((await envoy.request("/p")).status).toBe(200);
  const lines = () => envoy.log.wasmLines().filter((l) => l.prefix.includes("plain"));
  for (let i = 0; i < 200 && lines().length < EXPECTED.length; i++) await new Promise((r) => setTimeout(r, 50));
  expect(lines().map((l) => ({ level: l.level, message: l.message }))).toEqual(EXPECTED);
});
`;

/** Adds a filter using plain AssemblyScript globals and its test to `project`, runs the test, removes both again. */
export async function plainAssemblyScript(context: {
  readonly project: string;
  readonly env: NodeJS.ProcessEnv;
  readonly run: StepRunner;
}): Promise<void> {
  const { project, env, run } = context;
  // The SDK brought the shim (its dependency): the user installs nothing more.
  expect(existsSync(join(project, "node_modules", "@assemblyscript", "wasi-shim", "package.json"))).toBe(true);
  const moduleDir = join(project, "assembly", "plain");
  const testFile = join(project, "test", "plain.test.ts");
  mkdirSync(moduleDir, { recursive: true });
  writeFileSync(join(moduleDir, "index.ts"), PLAIN_SOURCE);
  writeFileSync(testFile, PLAIN_TEST);
  try {
    const ran = await run(
      "plain AssemblyScript: console, Date, performance, crypto, process.env (emulator + real Envoy)",
      "npx",
      ["vitest", "run", "test/plain.test.ts", "--reporter=verbose"],
      { cwd: project, env },
    );
    const output = ran.stdout + ran.stderr;
    expect(output).toMatch(/Tests\s+2 passed \(2\)/);
  } finally {
    rmSync(moduleDir, { recursive: true, force: true });
    rmSync(testFile, { force: true });
    for (const file of ["plain.wasm", "plain.wasm.map", "plain.debug.wasm", "plain.debug.wasm.map"]) {
      const path = join(project, "build", file);
      if (existsSync(path)) rmSync(path);
    }
  }
}
