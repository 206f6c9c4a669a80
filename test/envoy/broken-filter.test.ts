// A broken module must fail the start at once (not time out) with Envoy's own explanation, on both runners.
import { existsSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { EnvoyHarnessError, httpWasm, startEnvoy } from "@proxy-wasm-as/harness";
import { HEADERS_WASM, RUNNERS, fixture } from "./support.ts";

describe.each(RUNNERS)("broken filters fail the start fast (%s runner)", (runner) => {
  test.each([
    [
      "missing-import",
      /missing import: env\.proxy_this_does_not_exist/,
      'Envoy could not load the module of Wasm plugin "fixture-missing-import"',
    ],
    [
      "configure-false",
      /Failed to configure base Wasm plugin/,
      'Wasm plugin "fixture-configure-false" refused its configuration (proxy_on_configure returned false)',
    ],
  ] as const)("%s", async (kind, envoyMessage, phase) => {
    const started = performance.now();
    const error = await startEnvoy({ runner, filters: [httpWasm(fixture(kind))] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    const elapsedMs = performance.now() - started;
    console.log(`[${runner}] ${kind}: start failed after ${elapsedMs.toFixed(0)} ms`);
    expect(error).toBeInstanceOf(EnvoyHarnessError);
    const harnessError = error as EnvoyHarnessError;
    expect(harnessError.message.split("\n")[0]).toContain(`did not start: ${phase}`);
    expect(harnessError.logLines.join("\n")).toMatch(envoyMessage);
    expect(harnessError.message).toMatch(new RegExp(`Plugin fixture-${kind} failed to load`));
    // No timed assertion (speed is shown by bench/envoy-startup.ts); the message proves it was the failure
    // detector, not the 30 s readiness timeout, that ended the start.
    expect(harnessError.message).not.toMatch(/not ready after/);
  });

  test.skipIf(!existsSync(HEADERS_WASM))("SDK-built headers filter with a configuration it rejects", async () => {
    const started = performance.now();
    const error = await startEnvoy({
      runner,
      filters: [httpWasm(HEADERS_WASM, { config: { request: { set: "not-an-object" } } })],
    }).catch((e: unknown) => e);
    console.log(
      `[${runner}] SDK headers filter, bad configuration: start failed after ${(performance.now() - started).toFixed(0)} ms`,
    );
    expect(error).toBeInstanceOf(EnvoyHarnessError);
    const lines = (error as EnvoyHarnessError).logLines.join("\n");
    expect(lines).toMatch(/Failed to configure base Wasm plugin/);
  });
});
