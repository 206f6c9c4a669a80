// The filter on the emulator: an in-process, Envoy-faithful host. Fast (milliseconds), no Envoy needed.
import { describe, expect, test } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness/emulator";

const WASM = "build/{{module}}.wasm";   // built by the vitest preset before the tests

describe("{{name}} (emulator)", () => {
  test("adds the configured header towards the upstream and the client", async () => {
    const emulator = await Emulator.load(WASM, { pluginConfig: { header: "x-hello", value: "world" } });
    const result = await emulator.request({ path: "/items" }, () => ({ status: 200, body: "ok" }));
    expect(result).toHaveStatus(200);
    expect(result).toHaveUpstreamHeader("x-hello", "world");
    expect(result).toHaveHeader("x-hello", "world");
    expect(result).not.toBeLocalReply();
    expect(emulator).toHaveLogged(/configured: x-hello: world/);
  });

  test("answers blocked paths itself with 403 and counts them", async () => {
    const emulator = await Emulator.load(WASM, { pluginConfig: { blockedPath: "/admin" } });
    await expect(async () => {
      const result = await emulator.request({ path: "/admin/users" }, () => ({ status: 200 }));
      expect(result).toBeLocalReply(403);
      expect(result).not.toHaveUpstreamHeader("x-hello");
    }).toChangeMetric(emulator, "{{module}}.denied", 1);
  });

  test("rejects a configuration that is not JSON", async () => {
    await expect(Emulator.load(WASM, { pluginConfig: "{not json" })).rejects.toThrow(/invalid plugin configuration/);
  });

  test("rejects a misspelt key instead of ignoring it", async () => {
    await expect(Emulator.load(WASM, { pluginConfig: { headr: "x-hello" } })).rejects.toThrow(/headr.*header/);
  });
});
