// AssemblyScript straight from asc (no SDK) through real Envoy: the default build imports env.abort and is
// rejected at once with Envoy's message; with abort handled it loads, configures and changes traffic.
import { describe, expect, test } from "vitest";
import { EnvoyHarnessError, httpWasm, startEnvoy } from "@proxy-wasm-as/harness";
import { compileAssemblyScriptFilter } from "./fixtures/as-modules.ts";
import { RUNNERS } from "./support.ts";

describe.each(RUNNERS)("AssemblyScript module compiled with asc (%s runner)", (runner) => {
  test("default asc output imports env.abort: the start fails fast naming it", async () => {
    const error = await startEnvoy({ runner, filters: [httpWasm(compileAssemblyScriptFilter(false))] }).then(
      async (envoy) => {
        await envoy.stop();
        return new Error("Envoy started a module importing env.abort");
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EnvoyHarnessError);
    expect((error as EnvoyHarnessError).logLines.join("\n")).toMatch(/missing import: env\.abort/);
  });

  test("with abort handled it runs and adds its response header", async () => {
    await using envoy = await startEnvoy({ runner, filters: [httpWasm(compileAssemblyScriptFilter(true))] });
    expect((await envoy.request("/")).headers["x-assemblyscript"]).toBe("yes");
    expect(envoy.wasmLogs().map((l) => l.message)).toContain("assemblyscript configured");
  });
});
