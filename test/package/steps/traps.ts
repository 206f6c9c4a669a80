// Package-test step: in the project scaffolded from the packed packages, a filter that traps is told in the
// user's own source lines, on the emulator and in real Envoy. It adds a second module (assembly/trap/index.ts →
// build/trap.wasm) and a test file, runs that test with the project's vitest preset (which builds the module and
// keeps build/trap.wasm.map beside it), then removes both so the project is as scaffolded again.
//   await trapsInSourceLines({ project, env, run });       (after the project's `npm test`)
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { readWasmLayout } from "@proxy-wasm-as/harness/symbols";

/** The package test's step runner: runs `command` without a shell, throws with its output when it fails. */
export type StepRunner = (
  label: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
) => Promise<{ readonly stdout: string; readonly stderr: string }>;

const TRAP_SOURCE = `import { RootContext, HttpContext, Action, registerRoot } from "@proxy-wasm-as/sdk";

class TrapRoot extends RootContext {
  newHttpContext(contextId: u32): HttpContext | null { return new TrapFilter(); }
}

class TrapFilter extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    if (this.requestHeaders.get("x-trap") == "yes") unreachable();
    return Action.Continue;
  }
}

registerRoot<TrapRoot>();
`;

/** Where the trap is, as the user wrote it: `assembly/trap/index.ts:<line>:<column> in TrapFilter.onRequestHeaders`. */
function trapLocation(): string {
  const lines = TRAP_SOURCE.split("\n");
  const line = lines.findIndex((l) => l.includes("unreachable()"));
  const column = lines[line]!.indexOf("unreachable()") + 1;
  return `assembly/trap/index.ts:${line + 1}:${column} in TrapFilter.onRequestHeaders`;
}

function trapTest(where: string): string {
  return `import { expect, test } from "vitest";
import { Emulator, httpWasm, startEnvoy } from "@proxy-wasm-as/harness";

const WHERE = ${JSON.stringify(where)};

test("trap (emulator) is told in the filter's source line", async () => {
  const emulator = await Emulator.load("build/trap.wasm");
  const result = await emulator.request({ path: "/", headers: { "x-trap": "yes" } }, () => ({ status: 200 }));
  expect(emulator.failures[0]?.message).toContain(\`  at \${WHERE}\`);
  expect(() => expect(result).toHaveStatus(200)).toThrow(\`at \${WHERE}\`);
});

test("trap (real Envoy) is told in the filter's source line", async () => {
  await using envoy = await startEnvoy({ runner: "process", filters: [httpWasm("build/trap.wasm")], allowWasmErrors: true });
  const res = await envoy.request("/", { headers: { "x-trap": "yes" } });
  expect(res.status).toBe(503);
  expect(() => expect(res).toHaveStatus(200)).toThrow(\`at \${WHERE}\`);
});
`;
}

/** Adds a trapping filter and its test to `project`, runs the test, checks the maps, and removes both again. */
export async function trapsInSourceLines(context: {
  readonly project: string;
  readonly env: NodeJS.ProcessEnv;
  readonly run: StepRunner;
}): Promise<void> {
  const { project, env, run } = context;
  const moduleDir = join(project, "assembly", "trap");
  const testFile = join(project, "test", "trap.test.ts");
  mkdirSync(moduleDir, { recursive: true });
  writeFileSync(join(moduleDir, "index.ts"), TRAP_SOURCE);
  writeFileSync(testFile, trapTest(trapLocation()));
  try {
    const ran = await run(
      "a trap in the user's source lines (emulator + real Envoy)",
      "npx",
      ["vitest", "run", "test/trap.test.ts", "--reporter=verbose"],
      { cwd: project, env },
    );
    const output = ran.stdout + ran.stderr;
    expect(output).toMatch(/trap \(emulator\) is told in the filter's source line/);
    expect(output).toMatch(/trap \(real Envoy\) is told in the filter's source line/);
    expect(output).toMatch(/Tests\s+2 passed \(2\)/);
    // The build kept the symbols beside the module; the module itself ships without names.
    const map = JSON.parse(readFileSync(join(project, "build", "trap.wasm.map"), "utf8")) as { sources: string[] };
    expect(map.sources).toContain("assembly/trap/index.ts");
    expect(map.sources.some((s) => s.startsWith("~lib/@proxy-wasm-as/sdk/"))).toBe(true);
    expect(readWasmLayout(readFileSync(join(project, "build", "trap.wasm"))).functionNames.size).toBe(0);
  } finally {
    rmSync(moduleDir, { recursive: true, force: true });
    rmSync(testFile, { force: true });
    for (const file of ["trap.wasm", "trap.wasm.map", "trap.debug.wasm", "trap.debug.wasm.map"]) {
      const path = join(project, "build", file);
      if (existsSync(path)) rmSync(path);
    }
  }
}
