// The first failures a user meets, in real Envoy (both runners; the process runner also on the oldest supported
// Envoy): a module that registers no root (test/fixtures/no-root), a configuration the filter refuses and a loop in
// onRequestHeaders (test/fixtures/item-counter). Each shows the message the user reads. The same cases on the
// emulator and through `proxy-wasm-as check`: test/unit/first-failures.test.ts.
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import {
  EnvoyHarnessError,
  EnvoyRequestTimeoutError,
  EnvoyWorkerStuckError,
  httpWasm,
  type RunnerKind,
  startEnvoy,
  startHttpUpstream,
} from "@proxy-wasm-as/harness";
import { listEnvoyContainers, listEnvoyProcesses, OLDEST_SUPPORTED_ENVOY_VERSION } from "@proxy-wasm-as/harness/envoy";
import { runProxyWasmAs } from "@proxy-wasm-as/harness/cli";
import { RUNNERS } from "./support.ts";

const NO_ROOT = resolve("build/no-root.wasm");
const ITEM_COUNTER = resolve("build/item-counter.wasm");
/** The SDK's line for a module without registerRoot (sdk/assembly/dispatch/exports.ts), word for word. */
const SDK_NO_ROOT_LINE =
  'no root context registered: call registerRoot<YourRoot>() at top level; import "@proxy-wasm-as/sdk", not a relative path';
const MISSPELT_LINE =
  "invalid plugin configuration: unknown key `reqest` (did you mean `request`?); known keys: request";

/** Runner and Envoy version of each case: both runners on the default Envoy, the process runner on the oldest. */
const SETUPS: { runner: RunnerKind; version?: string }[] = [
  ...RUNNERS.map((runner) => ({ runner })),
  { runner: "process", version: OLDEST_SUPPORTED_ENVOY_VERSION },
];
const label = (s: { runner: RunnerKind; version?: string }) => `${s.runner} runner, Envoy ${s.version ?? "default"}`;

async function startError(options: Parameters<typeof startEnvoy>[0]): Promise<EnvoyHarnessError> {
  const error = await startEnvoy(options).then(
    async (envoy) => {
      await envoy.stop();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EnvoyHarnessError);
  return error as EnvoyHarnessError;
}

describe.each(SETUPS.map((s) => [label(s), s] as const))("first failures in real Envoy (%s)", (_, setup) => {
  test("no root registered: startEnvoy's error shows the SDK's line next to Envoy's", async () => {
    const error = await startError({ ...setup, filters: [httpWasm(NO_ROOT)] });
    const lines = error.message.split("\n");
    expect(lines[0]).toMatch(
      /^Envoy \((process \d+|container \w+ \(.*\))\) did not start: Wasm plugin "no-root" failed to start \(proxy_on_vm_start returned false\)$/,
    );
    expect(lines.slice(1, 5)).toEqual([
      "The module logged:",
      `  [critical] ${SDK_NO_ROOT_LINE}`,
      "  [critical] no root class for this root context; see the earlier error",
      "Envoy said:",
    ]);
    expect(lines[5]).toMatch(/Wasm VM failed Failed to start base Wasm$/);
    expect(error.moduleLines[0]).toMatchObject({ level: "critical", message: SDK_NO_ROOT_LINE });
  });

  test("a misspelt configuration key: startEnvoy's error shows the filter's line", async () => {
    const error = await startError({
      ...setup,
      filters: [httpWasm(ITEM_COUNTER, { config: { reqest: { countHeader: "x-n" } } })],
    });
    const lines = error.message.split("\n");
    expect(lines[0]).toMatch(
      /did not start: Wasm plugin "item-counter" refused its configuration \(proxy_on_configure returned false\)$/,
    );
    // The module's lines: its top-level line from each VM Envoy made so far (base, worker), then its refusal.
    const said = lines.indexOf("Envoy said:");
    expect(lines[1]).toBe("The module logged:");
    expect(lines.slice(2, said - 1).every((l) => l === "  [info] item-counter loaded")).toBe(true);
    expect(lines[said - 1]).toBe(`  [error] ${MISSPELT_LINE}`);
  });

  test("a loop in onRequestHeaders: the stuck worker is named with its callback, and Envoy still stops", async () => {
    const envoy = await startEnvoy({ ...setup, filters: [httpWasm(ITEM_COUNTER)] });
    try {
      const served = await envoy.request("/items", { headers: { "x-items": "a,b" } });
      expect(served.status).toBe(200); // no upstream: Envoy answers 200 itself after the filter
      // The module's top-level line (logged inside _initialize) reached Envoy's log.
      expect(envoy.wasmLogs().map((l) => l.message)).toContain("item-counter loaded");
      const error = await envoy
        .request("/items", { headers: { "x-items": "a,,b" }, timeoutMs: 2000 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EnvoyWorkerStuckError);
      const stuck = error as EnvoyWorkerStuckError;
      expect(stuck.name).toBe("EnvoyWorkerStuckError");
      expect(stuck.callback).toBe("proxy_on_request_headers");
      expect(stuck.plugin).toBe("item-counter");
      expect(stuck.stalledCounters).toContain("server.worker_0.watchdog_miss");
      const lines = stuck.message.split("\n");
      expect(lines[0]).toMatch(
        /^Envoy's worker is stuck in a Wasm filter: GET \/items through Envoy \(.*\) got no response within 2000 ms, while Envoy's admin still answers and the worker's watchdog counted a stall \(.*server\.worker_0\.watchdog_miss 0 → 1.*\)\.$/,
      );
      expect(lines.slice(1, 3)).toEqual([
        'Replayed on the emulator with plugin "item-counter" (same module, configuration and request), proxy_on_request_headers never returned:',
        "  proxy_on_request_headers (context 2) still ran after 2000 ms: the emulator stopped it",
      ]);
      // The filter's source line, from the map the build keeps beside build/item-counter.wasm.
      expect(lines).toContain("    at test/fixtures/item-counter/index.ts:44:71 in ItemCounter.onRequestHeaders");
      expect(stuck.hint).toMatch(
        /^find the loop that never ends in proxy_on_request_headers of "item-counter" \(test\/fixtures\/item-counter\/index\.ts:\d+:\d+ in (countItems|ItemCounter\.onRequestHeaders)\); a stuck worker serves no other request until Envoy restarts$/,
      );
      expect(stuck.message).not.toMatch(/TimeoutError: The operation was aborted/);
    } finally {
      const stopping = performance.now();
      await envoy.stop();
      console.log(
        `[${label(setup)}] stop of the Envoy with a stuck worker: ${(performance.now() - stopping).toFixed(0)} ms`,
      );
    }
    // Nothing is left behind: the stuck Envoy was killed after the grace period.
    if (setup.runner === "container") expect(await listEnvoyContainers(process.pid)).toHaveLength(0);
    else expect(listEnvoyProcesses(process.pid)).toHaveLength(0);
  });
});

describe.each(RUNNERS)("proxy-wasm-as run with a module that registers no root (%s runner)", (runner) => {
  test("prints the SDK's line and exits 1", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { print: (t: string) => void out.push(t), info: (t: string) => void err.push(t) };
    expect(await runProxyWasmAs(["run", NO_ROOT, "--runner", runner], io)).toBe(1);
    const text = err.join("\n");
    expect(text).toMatch(/^error: Envoy \(.*\) did not start: Wasm plugin "no-root" failed to start/m);
    expect(text).toContain(`The module logged:\n  [critical] ${SDK_NO_ROOT_LINE}\n`);
    expect(text).toMatch(/Envoy said:\n .*Wasm VM failed Failed to start base Wasm/);
  });
});

describe.each(RUNNERS)("a request held by a slow upstream is not called a stuck worker (%s runner)", (runner) => {
  test("EnvoyRequestTimeoutError with workerStuck false", async () => {
    await using upstream = await startHttpUpstream({
      respond: () => new Promise((ok) => setTimeout(() => ok({ status: 200, body: "late" }), 3000)),
    });
    await using envoy = await startEnvoy({ runner, filters: [httpWasm(ITEM_COUNTER)], upstream });
    const error = await envoy.request("/slow", { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvoyRequestTimeoutError);
    expect(error).not.toBeInstanceOf(EnvoyWorkerStuckError);
    expect((error as EnvoyRequestTimeoutError).workerStuck).toBe(false);
    expect((error as Error).message.split("\n")[0]).toMatch(
      /^GET \/slow through Envoy \(.*\) got no response within 1000 ms; Envoy answers and no worker is stuck \(its watchdog counted no stall\)$/,
    );
  });
});
