// A package-test step (issue 20): the first failure of a user's project, from the published packages only. In the
// scaffolded project it adds a second module that forgets registerRoot (assembly/no-root/index.ts), then:
//   npx proxy-wasm-as build no-root        → the SDK's build transform warns (require-root.js is in the tarball)
//   npx proxy-wasm-as check build/no-root.wasm → exit 1: "would FAIL in Envoy: no root context…" + the SDK's line
//   npx vitest run test/no-root.envoy.test.ts  → a naive real-Envoy test of it fails, and its output shows the
//                                                SDK's line next to Envoy's (what was lost before)
// and removes what it added, so the project is as it was. Call it after `npm test` passed in the project, e.g.
// `await checkFirstFailures(project, env)` with the project folder and the user environment of the package test.
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

/** The SDK's line for a module without registerRoot, word for word (sdk/assembly/dispatch/exports.ts). */
const SDK_NO_ROOT_LINE =
  'no root context registered: call registerRoot<YourRoot>() at top level; import "@proxy-wasm-as/sdk", not a relative path';

const NO_ROOT_MODULE = `// A filter that forgot registerRoot<…>(): it compiles, but Envoy cannot start it.
import { RootContext, HttpContext, Action } from "@proxy-wasm-as/sdk";

class ForgottenRoot extends RootContext {
  newHttpContext(contextId: u32): HttpContext | null { return new Stream(); }
}

class Stream extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action { return Action.Continue; }
}
`;

/** What a user writes first: start Envoy with the module and send a request. */
const NAIVE_ENVOY_TEST = `import { expect, test } from "vitest";
import { httpWasm, startEnvoy } from "@proxy-wasm-as/harness/envoy";

test("no-root in real Envoy", async () => {
  await using envoy = await startEnvoy({ runner: "process", filters: [httpWasm("build/no-root.wasm")] });
  expect((await envoy.request("/")).status).toBe(200);
});
`;

interface Outcome {
  readonly code: number;
  readonly output: string;
}

/** Runs `command` in the project and resolves with its exit code and combined output (never rejects on exit codes). */
function outcome(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  process.stderr.write(`[package test] ${command} ${args.join(" ")}…\n`);
  return new Promise((resolvePromise) => {
    execFile(command, [...args], { cwd, env, maxBuffer: 64 << 20, timeout: 900_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolvePromise({ code, output: `${stdout}\n${stderr}` });
    });
  });
}

/**
 * The no-root module in the scaffolded `project` (run with the user's `env`): the build warns, `check` fails with
 * the reason and the SDK's line, and a real-Envoy test of it fails showing the SDK's line. Leaves the project as
 * it found it.
 */
export async function checkFirstFailures(project: string, env: NodeJS.ProcessEnv): Promise<void> {
  const moduleDir = join(project, "assembly", "no-root");
  const testFile = join(project, "test", "no-root.envoy.test.ts");
  mkdirSync(moduleDir, { recursive: true });
  writeFileSync(join(moduleDir, "index.ts"), NO_ROOT_MODULE);
  try {
    const built = await outcome("npx", ["proxy-wasm-as", "build", "no-root"], project, env);
    expect(built.code, built.output).toBe(0);
    expect(built.output).toContain(
      'proxy-wasm-as: this module registers no root context, so Envoy will refuse to start it ("no root context registered")',
    );

    const checked = await outcome("npx", ["proxy-wasm-as", "check", "build/no-root.wasm"], project, env);
    expect(checked.code, checked.output).toBe(1);
    expect(checked.output).toContain(
      "build/no-root.wasm: would FAIL in Envoy: no root context: the module registers no root class for this plugin, so Envoy fails its start",
    );
    expect(checked.output).toContain(`[critical] ${SDK_NO_ROOT_LINE}`);

    writeFileSync(testFile, NAIVE_ENVOY_TEST);
    const tested = await outcome("npx", ["vitest", "run", "test/no-root.envoy.test.ts"], project, {
      ...env,
      PROXY_WASM_AS_SKIP_BUILD: "1",
    });
    expect(tested.code, tested.output).toBe(1);
    expect(tested.output).toMatch(
      /did not start: Wasm plugin "no-root" failed to start \(proxy_on_vm_start returned false\)/,
    );
    expect(tested.output).toContain(`The module logged:\n  [critical] ${SDK_NO_ROOT_LINE}`);
    expect(tested.output).toMatch(/Envoy said:\n.*Wasm VM failed Failed to start base Wasm/);
  } finally {
    rmSync(moduleDir, { recursive: true, force: true });
    rmSync(testFile, { force: true });
    for (const suffix of [".wasm", ".debug.wasm", ".debug.wasm.map", ".fast"])
      rmSync(join(project, "build", `no-root${suffix}`), { force: true });
  }
}
