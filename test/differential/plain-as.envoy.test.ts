// Plain AssemblyScript in a filter (issue 26) in real Envoy and on the emulator: test/fixtures/plain-as logs one line
// per item (console.*, Date, performance, crypto, process.env, process.stdout, Math.random). The differential run
// compares everything both backends saw; the second test also compares each line's LEVEL (console.log/info/debug
// and process.stdout at info, console.warn/error at error: Envoy's levels for WASI fd 1 and fd 2) with a VM
// environment variable set, on every Envoy version of the matrix.
import { describe, expect, test } from "vitest";
import { Emulator, httpWasm, startEnvoy, startHttpUpstream } from "@proxy-wasm-as/harness";
import { runDifferential } from "@proxy-wasm-as/harness/scenario";
import { DIFF_VERSIONS } from "./settings.ts";
import { PLAIN_AS_WASM, plainAsLines, plainAsScenarios } from "./plain-as.scenarios.ts";

const GREETING = { PLAIN_AS_GREETING: "hello from vm_config" };
const LINE_WAIT_MS = 10_000;

describe("plain AssemblyScript globals in a filter", () => {
  test("runDifferential: the same responses and console lines on the emulator and on Envoy", async () => {
    const report = await runDifferential(plainAsScenarios, { wasm: PLAIN_AS_WASM, versions: DIFF_VERSIONS });
    console.log(report.format());
    expect(report.ok, report.format()).toBe(true);
    expect(report.results.map((r) => r.verdict)).toEqual(Array(DIFF_VERSIONS.length).fill("pass"));
  }, 180_000);

  test.each(DIFF_VERSIONS)(
    "Envoy %s: console lines at Envoy's fd 1 / fd 2 levels, process.env from vm_config, same as the emulator",
    async (version) => {
      const expected = plainAsLines("/env", GREETING.PLAIN_AS_GREETING);
      await using upstream = await startHttpUpstream({ respond: () => ({ status: 200, body: "ok" }) });
      await using envoy = await startEnvoy({
        version,
        filters: [httpWasm(PLAIN_AS_WASM, { name: "plain_as", env: GREETING })],
        upstream,
        allowWasmErrors: true, // console.warn / console.error are error lines by design
      });
      const response = await envoy.request("/env");
      expect(response.status).toBe(200);
      expect(response.headers["x-plain-as"]).toBe("ok");
      const deadline = Date.now() + LINE_WAIT_MS;
      const lines = () => envoy.log.wasmLines().filter((l) => l.prefix.includes("plain_as"));
      while (lines().length < expected.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const envoyLines = lines().map((l) => ({ level: l.level, message: l.message }));
      expect(envoyLines).toEqual(expected);

      const emu = await Emulator.load(PLAIN_AS_WASM, { pluginName: "plain_as", env: GREETING });
      const result = await emu.request({ path: "/env" });
      expect(result.headers.get("x-plain-as")).toBe("ok");
      expect(emu.logs.map((l) => ({ level: l.level, message: l.message }))).toEqual(envoyLines);
    },
    120_000,
  );
});
