// The SDK's smallest filter (test/fixtures/add-header): the header reaches the client, requests are untouched.
import { readFileSync, statSync } from "node:fs";
import { expect, test } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";

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

test("the SDK's build transform exports only the callbacks a module overrides (Envoy skips missing ones)", async () => {
  const exportsOf = async (name: string) =>
    WebAssembly.Module.exports(await WebAssembly.compile(readFileSync(`build/${name}.wasm`))).map((e) => e.name).sort();
  const lifecycle = ["_initialize", "malloc", "memory", "proxy_abi_version_0_2_1", "proxy_on_configure", "proxy_on_context_create", "proxy_on_delete", "proxy_on_vm_start"];
  expect(await exportsOf("add-header")).toEqual([...lifecycle, "proxy_on_response_headers"].sort());
  // A network filter keeps its TCP callbacks and has no HTTP ones.
  const tcpGuard = await exportsOf("tcp-guard");
  expect(tcpGuard).toEqual(expect.arrayContaining([...lifecycle, "proxy_on_downstream_data", "proxy_on_upstream_data", "proxy_on_downstream_connection_close"]));
  expect(tcpGuard.filter((name) => name.startsWith("proxy_on_request") || name.startsWith("proxy_on_response"))).toEqual([]);
});
