// The SDK's smallest filter (test/fixtures/add-header): the header reaches the client, requests are untouched.
import { statSync } from "node:fs";
import { expect, test } from "vitest";
import { Emulator } from "../../harness/src/index.ts";

test("add-header adds its response header and leaves the request alone", async () => {
  const emu = await Emulator.load("build/add-header.wasm");
  const result = await emu.request({ path: "/", headers: { "x-a": "1" } }, () => ({ status: 200, body: "ok" }));
  expect(result.status).toBe(200);
  expect(result.headers.get("x-powered-by")).toBe("proxy-wasm-as");
  expect(result.upstream!.headers.get("x-powered-by")).toBeUndefined();
  expect(result.upstream!.headers.get("x-a")).toBe("1");
});

test("add-header's release build stays within 8 KB (the SDK's size floor: dispatcher, allocator, GC)", () => {
  const bytes = statSync("build/add-header.wasm").size;
  expect(bytes, `build/add-header.wasm is ${bytes} bytes`).toBeLessThanOrEqual(8 * 1024);
});
