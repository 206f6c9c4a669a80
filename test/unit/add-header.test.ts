// The SDK's smallest filter (test/fixtures/add-header): the header reaches the client, requests are untouched;
// and the build transform's pruning, stateless streams included (sdk/transform/prune-callbacks.js).
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

const exportsOf = async (name: string) =>
  WebAssembly.Module.exports(await WebAssembly.compile(readFileSync(`build/${name}.wasm`)))
    .map((e) => e.name)
    .sort();
const ALWAYS = [
  "_initialize",
  "malloc",
  "memory",
  "proxy_abi_version_0_2_1",
  "proxy_on_configure",
  "proxy_on_vm_start",
];
const STREAM_LIFECYCLE = ["proxy_on_context_create", "proxy_on_delete"];

test("the SDK's build transform exports only the callbacks a module overrides (Envoy skips missing ones)", async () => {
  // add-header opts in to stateless streams, so it has no context create/delete either: Envoy enters it once per request.
  expect(await exportsOf("add-header")).toEqual([...ALWAYS, "proxy_on_response_headers"].sort());
  // A network filter keeps its TCP callbacks and per-connection contexts, and has no HTTP callbacks.
  const tcpGuard = await exportsOf("tcp-guard");
  expect(tcpGuard).toEqual(
    expect.arrayContaining([
      ...ALWAYS,
      ...STREAM_LIFECYCLE,
      "proxy_on_downstream_data",
      "proxy_on_upstream_data",
      "proxy_on_downstream_connection_close",
    ]),
  );
  expect(
    tcpGuard.filter((name) => name.startsWith("proxy_on_request") || name.startsWith("proxy_on_response")),
  ).toEqual([]);
});

test("statelessStreams (opt-in) drops context create/delete; without it, or with per-stream needs, they stay", async () => {
  // headers and jwt-auth opt in; their one field is a readonly reference to their root class. jwt-auth's root
  // reads the clock and flushes its counter on a tick, which is no per-stream callback.
  expect(await exportsOf("headers")).toEqual(
    [...ALWAYS, "proxy_on_request_headers", "proxy_on_response_headers"].sort(),
  );
  expect(await exportsOf("jwt-auth")).toEqual([...ALWAYS, "proxy_on_request_headers", "proxy_on_tick"].sort());
  // metrics keeps state per stream, ext-authz makes callouts.
  for (const name of ["metrics", "ext-authz"])
    expect(await exportsOf(name)).toEqual(expect.arrayContaining(STREAM_LIFECYCLE));
});

test("a stateless module serves every stream from one object, each callback with its own context id, and stays flat", async () => {
  const emu = await Emulator.load("build/headers.wasm", {
    pluginConfig: { request: { set: { "x-a": "1" } }, response: { remove: ["x-secret"] } },
    trace: true,
  });
  const streams = Array.from({ length: 3 }, () => emu.httpStream());
  for (const s of streams) s.requestHeaders({ ":path": "/", "x-a": "0" }, { endOfStream: true });
  for (const s of streams.reverse()) {
    s.responseHeaders({ ":status": "200", "x-secret": "s" }, { endOfStream: true });
    s.complete();
    expect(s.request.headers.get("x-a")).toBe("1");
    expect(s.response.headers.get("x-secret")).toBeUndefined();
  }
  const entries = emu.trace
    .filter((t) => t.call.startsWith("guest.proxy_on_") && t.contextId !== emu.rootContextId())
    .map((t) => t.call);
  expect(entries).toEqual([
    ...Array(3).fill("guest.proxy_on_request_headers"),
    ...Array(3).fill("guest.proxy_on_response_headers"),
  ]);
  // Many requests later the linear memory has not grown (the dispatcher collects garbage every 64 callbacks).
  const before = emu.vm.memoryBytes;
  for (let i = 0; i < 5000; i++) {
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" }, { endOfStream: true });
    s.responseHeaders({ ":status": "200" }, { endOfStream: true });
    s.complete();
  }
  expect(emu.vm.memoryBytes).toBe(before);
});

test("in a stateless module's VM a new configuration of the same plugin takes over every stream, with a warning", async () => {
  // Envoy makes a new root in the same VM on a configuration update (same plugin name); it never says which root a
  // stream is for.
  const emu = await Emulator.load("build/headers.wasm", {
    rootId: "a",
    pluginName: "edits",
    pluginConfig: { request: { set: { "x-plugin": "a" } } },
  });
  emu.addPlugin({ rootId: "b", pluginName: "edits", pluginConfig: { request: { set: { "x-plugin": "b" } } } });
  expect(emu.logMessages("warn")).toContain(
    'statelessStreams: plugin "edits": a new configuration now serves every stream of this VM',
  );
  for (const rootId of ["a", "b"]) {
    const s = emu.httpStream({ rootId });
    s.requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(s.request.headers.get("x-plugin")).toBe("b");
  }
});

test("a stateless module refuses a second plugin in its VM: the streams of two plugins could not be told apart", async () => {
  const emu = await Emulator.load("build/jwt-auth.wasm", {
    pluginName: "orders-jwt",
    pluginConfig: { secret: "s".repeat(32), issuer: "https://orders.example.com" },
  });
  expect(() =>
    emu.addPlugin({
      rootId: "billing",
      pluginName: "billing-jwt",
      pluginConfig: { secret: "t".repeat(32), issuer: "https://billing.example.com" },
    }),
  ).toThrow();
  expect(emu.logMessages("critical")).toEqual([
    'statelessStreams: plugin "billing-jwt" cannot share a VM with plugin "orders-jwt" (stateless streams): give each plugin its own vm_config.vm_id',
  ]);
  // The first plugin still serves its streams with its own configuration.
  const s = emu.httpStream();
  s.requestHeaders({ ":path": "/" }, { endOfStream: true });
  expect(s.localReply?.status).toBe(401);
});
