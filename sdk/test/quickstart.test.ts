// The README's quick-start filter (test/fixtures/quickstart/index.ts), run on the emulator.
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { Emulator } from "@proxy-wasm-as/harness";

const WASM = fileURLToPath(new URL("../../build/quickstart.wasm", import.meta.url));

describe("README quick start", () => {
  it("rejects requests without the key with 401 and strips the key from accepted ones", async () => {
    const emu = await Emulator.load(WASM, { pluginConfig: { header: "x-token" } });
    const denied = await emu.request({ path: "/" });
    expect(denied.status).toBe(401);
    expect(denied.body).toBe("missing x-token\n");
    const allowed = await emu.request({ headers: { "x-token": "secret" } });
    expect(allowed.status).toBe(200);
    expect(allowed.upstream?.headers.has("x-token")).toBe(false);
  });

  it("refuses a broken configuration with one error line", async () => {
    const error = await Emulator.load(WASM, { pluginConfig: "{header: 1}" }).catch(
      (e: { logs: Array<{ level: string; message: string }> }) => e,
    );
    expect(error.logs.filter((l) => l.level === "error").map((l) => l.message)).toEqual([
      "invalid plugin configuration: expected a string object key but found 'h' at line 1, column 2 (offset 1)",
    ]);
  });

  it("refuses a wrong type or a misspelt key, naming it", async () => {
    const refusal = (pluginConfig: object) =>
      Emulator.load(WASM, { pluginConfig }).catch((e: { logs: Array<{ level: string; message: string }> }) =>
        e.logs.filter((l) => l.level === "error").map((l) => l.message),
      );
    expect(await refusal({ header: 1 })).toEqual([
      "invalid plugin configuration: header: expected a non-empty string, got 1",
    ]);
    expect(await refusal({ haeder: "x" })).toEqual([
      "invalid plugin configuration: unknown key `haeder` (did you mean `header`?); known keys: header",
    ]);
  });
});

describe("headers sample filter", () => {
  it("applies request and response set/add/remove from the plugin config", async () => {
    const emu = await Emulator.load(fileURLToPath(new URL("../../build/headers.wasm", import.meta.url)), {
      pluginConfig: {
        request: { set: { "x-a": "1" }, add: { "x-b": "2" }, remove: ["x-c"] },
        response: { set: { "x-r": "r" }, remove: ["server"] },
      },
    });
    const r = await emu.request({ headers: { "x-b": "0", "x-c": "gone" } }, () => ({
      status: 200,
      headers: { server: "upstream" },
    }));
    expect(r.upstream?.headers.get("x-a")).toBe("1");
    expect(r.upstream?.headers.getAll("x-b")).toEqual(["0", "2"]);
    expect(r.upstream?.headers.has("x-c")).toBe(false);
    expect(r.headers.get("x-r")).toBe("r");
    expect(r.headers.has("server")).toBe(false);
  });

  it("names the bad field of an invalid config", async () => {
    const error = await Emulator.load(fileURLToPath(new URL("../../build/headers.wasm", import.meta.url)), {
      pluginConfig: { request: { set: { "x-a": 1 } } },
    }).catch((e: { logs: Array<{ level: string; message: string }> }) => e);
    expect(error.logs.map((l) => l.message)).toContain(
      'invalid plugin configuration: request.set["x-a"]: expected a string, got 1',
    );
  });
});
