// headers filter on the emulator: request and response edits as configured, and configuration errors.
import { describe, expect, it } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { expectEmulatorRejects, filterWasm } from "../test-support/helpers.ts";

const WASM = filterWasm("headers");

describe("headers filter (emulator)", () => {
  it("sets, adds and removes request headers before the upstream sees them", async () => {
    const emu = await Emulator.load(WASM, {
      pluginConfig: { request: { set: { "x-env": "prod" }, add: { "x-tag": "filter" }, remove: ["x-internal"] } },
    });
    const result = await emu.request(
      { path: "/orders", headers: { "x-env": "dev", "x-tag": "client", "x-internal": "secret", "x-keep": "1" } },
      () => ({ status: 200, body: "ok" }),
    );
    expect(result.status).toBe(200);
    const upstream = result.upstream!;
    expect(upstream.headers.get("x-env")).toBe("prod");
    expect(upstream.headers.getAll("x-tag")).toEqual(["client", "filter"]);
    expect(upstream.headers.get("x-internal")).toBeUndefined();
    expect(upstream.headers.get("x-keep")).toBe("1");
  });

  it("edits response headers before the client sees them", async () => {
    const emu = await Emulator.load(WASM, {
      pluginConfig: { response: { set: { "cache-control": "no-store" }, remove: ["server", "x-powered-by"] } },
    });
    const result = await emu.request({ path: "/" }, () => ({
      status: 200,
      headers: { server: "legacy/1.0", "x-powered-by": "php", "cache-control": "max-age=60" },
      body: "hi",
    }));
    expect(result.headers.get("cache-control")).toBe("no-store");
    expect(result.headers.get("server")).toBeUndefined();
    expect(result.headers.get("x-powered-by")).toBeUndefined();
    expect(result.body).toBe("hi");
  });

  it("passes traffic through unchanged with an empty configuration", async () => {
    const emu = await Emulator.load(WASM, { pluginConfig: "" });
    const result = await emu.request({ path: "/", headers: { "x-a": "1" } }, () => ({
      status: 204,
      headers: { "x-b": "2" },
    }));
    expect(result.status).toBe(204);
    expect(result.upstream!.headers.get("x-a")).toBe("1");
    expect(result.headers.get("x-b")).toBe("2");
  });

  it("rejects invalid JSON and wrongly shaped sections with one clear log line", async () => {
    await expectEmulatorRejects("headers", "{not json", /invalid plugin configuration/);
    await expectEmulatorRejects(
      "headers",
      { request: { set: "x-a" } },
      /^invalid plugin configuration: request\.set: expected an object of strings, got "x-a"$/,
    );
    await expectEmulatorRejects(
      "headers",
      { response: { remove: [1] } },
      /^invalid plugin configuration: response\.remove\[0\]: expected a string, got 1$/,
    );
  });
});
