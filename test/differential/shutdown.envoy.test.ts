// Differential: the root context's end of life, which the scenario suites cannot reach (Envoy tears roots down only
// when it shuts down). test/fixtures/root-lifecycle logs its root's on_done and on_delete; its configuration says
// whether on_done answers true, false, or false after calling done() inside on_done. Envoy is stopped after one
// request, and every root it had (one per thread: main and worker) must have gone through exactly the sequence the
// emulator's shutdown() produces: on_done → on_delete for true; on_done alone for false (Envoy does not wait for a
// later proxy_done at shutdown); and done() inside on_done answers NotFound (1) and changes nothing.
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { Emulator, httpWasm, runnerKind, startEnvoy, startHttpUpstream } from "@proxy-wasm-as/harness";
import { DIFF_VERSIONS } from "./settings.ts";

const LIFECYCLE_WASM = resolve("build/root-lifecycle.wasm");
const RUNNER = runnerKind();
const MODES = ["done", "later", "done-inside"] as const;

/** The module's log lines in Envoy, grouped by the thread that ran them (Envoy's log puts the thread id second). */
function wasmLinesByThread(rawLines: readonly string[], messages: readonly string[]): string[][] {
  const byThread = new Map<string, string[]>();
  rawLines.forEach((raw, i) => {
    const thread = /^\[[^\]]*\]\[(\d+)\]/.exec(raw)?.[1] ?? "?";
    byThread.set(thread, [...(byThread.get(thread) ?? []), messages[i]!]);
  });
  return [...byThread.values()];
}

describe.each(DIFF_VERSIONS)("root teardown at shutdown, Envoy %s", (version) => {
  test.each(MODES)("on_done answers %s: every root follows the emulator's sequence", async (mode) => {
    const emu = await Emulator.load(LIFECYCLE_WASM, { pluginConfig: mode });
    await emu.request({ path: "/" });
    emu.shutdown();
    const expected = emu.logMessages();
    expect(expected[0]).toBe(`root on_done (${mode})`);

    await using upstream = await startHttpUpstream();
    const envoy = await startEnvoy({
      runner: RUNNER,
      version,
      filters: [httpWasm(LIFECYCLE_WASM, { config: mode })],
      upstream,
    });
    expect((await envoy.request("/")).status).toBe(200);
    await envoy.stop();
    const lines = envoy.log.wasmLines();
    const roots = wasmLinesByThread(
      lines.map((l) => l.raw),
      lines.map((l) => l.message),
    );
    expect(roots.length, "a root on the main thread and one on the worker").toBeGreaterThanOrEqual(2);
    for (const root of roots) expect(root).toEqual(expected);
  });
});
