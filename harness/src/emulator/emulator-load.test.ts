// Loading like Envoy: strict linking, ABI detection, allocator, entry points under restricted hostcalls,
// vm_start/configure, and clear errors for bad modules. (Modules from the Go SDK: test/unit/other-sdk-go.test.ts.)
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { envoyImportsFor, sig, type AbiVersion } from "../abi/index.ts";
import { Emulator, WasmLoadError } from "./index.ts";
import { loadProbe, results } from "./test-support/probe.ts";
import { op, tinyModule } from "./test-support/tiny-wasm.ts";

/** A minimal valid module: marker, malloc, memory, plus extra functions/imports. */
function minimal(extra: Parameters<typeof tinyModule>[0] = {}): Uint8Array {
  return tinyModule({
    imports: extra.imports,
    functions: [
      { signature: sig("->"), export: "proxy_abi_version_0_2_1" },
      { signature: sig("i32 -> i32"), export: "malloc", body: op.i32Const(1024) },
      ...(extra.functions ?? []),
    ],
  });
}

async function loadError(bytes: Uint8Array): Promise<WasmLoadError> {
  const e = await Emulator.load(bytes).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WasmLoadError);
  return e as WasmLoadError;
}

describe("loading", () => {
  it("detects the ABI from the marker and uses malloc before proxy_on_memory_allocate", async () => {
    // proxy_on_request_headers reads VM_CONFIGURATION, which makes the host call the guest allocator.
    // proxy_on_memory_allocate traps, so the stream only continues if the host picked malloc.
    const readVmConfig = [
      ...op.i32Const(6),
      ...op.i32Const(0),
      ...op.i32Const(100),
      ...op.i32Const(0),
      ...op.i32Const(4),
      ...op.call(0),
    ];
    const bytes = tinyModule({
      imports: [{ module: "env", name: "proxy_get_buffer_bytes", signature: sig("i32 i32 i32 i32 i32 -> i32") }],
      functions: [
        { signature: sig("->"), export: "proxy_abi_version_0_2_1" },
        { signature: sig("i32 -> i32"), export: "malloc", body: op.i32Const(2048) },
        { signature: sig("i32 -> i32"), export: "proxy_on_memory_allocate", body: op.unreachable },
        { signature: sig("i32 i32 i32 -> i32"), export: "proxy_on_request_headers", body: readVmConfig },
      ],
    });
    const emu = await Emulator.load(bytes, { vmConfig: "some vm config" });
    expect(emu.abiVersion).toBe("0.2.1");
    const s = emu.httpStream();
    expect(s.requestHeaders({ ":path": "/" }, { endOfStream: true })).toBe("continue");
    expect(s.lastReturnCode).toBe(0);
    expect(emu.failed).toBe(false);
  });

  it.each(["0.1.0", "0.2.0", "0.2.1"] as AbiVersion[])(
    "links every import Envoy registers for ABI %s (the linker implements the whole table)",
    async (version) => {
      const imports = [...envoyImportsFor(version).values()].map(({ module, name, signature }) => ({
        module,
        name,
        signature,
      }));
      const bytes = tinyModule({
        imports,
        functions: [
          { signature: sig("->"), export: `proxy_abi_version_${version.replaceAll(".", "_")}` },
          { signature: sig("i32 -> i32"), export: "malloc" },
        ],
      });
      const emu = await Emulator.load(bytes);
      expect(emu.abiVersion).toBe(version);
      expect(imports.length).toBeGreaterThan(70);
    },
  );

  it("reports a missing import by name, before instantiating", async () => {
    const e = await loadError(
      minimal({ imports: [{ module: "env", name: "abort", signature: sig("i32 i32 i32 i32 ->") }] }),
    );
    expect(e.message).toContain("import env.abort is not provided by Envoy");
    expect(e.problems.length).toBe(1);
  });

  it("reports an import with a wrong signature", async () => {
    const e = await loadError(
      minimal({ imports: [{ module: "env", name: "proxy_log", signature: sig("i32 i32 -> i32") }] }),
    );
    expect(e.message).toContain(
      "import env.proxy_log has signature (i32, i32) -> i32, Envoy provides (i32, i32, i32) -> i32",
    );
  });

  it("rejects an ABI-specific import for another ABI (proxy_get_configuration is 0.1.0 only)", async () => {
    const e = await loadError(
      minimal({ imports: [{ module: "env", name: "proxy_get_configuration", signature: sig("i32 i32 -> i32") }] }),
    );
    expect(e.message).toContain("env.proxy_get_configuration is not provided by Envoy for ABI 0.2.1");
  });

  it("reports an export with a wrong signature", async () => {
    const e = await loadError(
      minimal({ functions: [{ signature: sig("i32 i32 -> i32"), export: "proxy_on_request_headers" }] }),
    );
    expect(e.message).toContain('"Bad function signature for: proxy_on_request_headers"');
    expect(e.message).toContain("Envoy wants (i32, i32, i32) -> i32");
  });

  it("reports a missing ABI marker", async () => {
    const bytes = tinyModule({ functions: [{ signature: sig("i32 -> i32"), export: "malloc" }] });
    const e = await loadError(bytes);
    expect(e.message).toContain("missing ABI version marker");
    expect(e.message).toContain("proxy_abi_version_0_2_1");
  });

  it("reports a missing allocator", async () => {
    const e = await loadError(tinyModule({ functions: [{ signature: sig("->"), export: "proxy_abi_version_0_2_1" }] }));
    expect(e.message).toContain("no allocator");
  });

  it("turns a trapping _initialize into a load error, not a crash", async () => {
    const e = await loadError(
      minimal({ functions: [{ signature: sig("->"), export: "_initialize", body: op.unreachable }] }),
    );
    expect(e.message).toMatch(/_initialize failed while the VM started: unreachable/);
  });

  it("traps restricted_callback when _initialize calls a hostcall Envoy forbids there", async () => {
    const e = await loadError(
      tinyModule({
        imports: [{ module: "env", name: "proxy_set_tick_period_milliseconds", signature: sig("i32 -> i32") }],
        functions: [
          { signature: sig("->"), export: "proxy_abi_version_0_2_1" },
          { signature: sig("i32 -> i32"), export: "malloc" },
          { signature: sig("->"), export: "_initialize", body: [...op.i32Const(10), ...op.call(0), ...op.drop] },
        ],
      }),
    );
    expect(e.message).toContain("restricted_callback: env.proxy_set_tick_period_milliseconds");
  });

  it("runs _start only when _initialize is absent, and main(0,0) after _initialize", async () => {
    const logImport = { module: "env", name: "proxy_log", signature: sig("i32 i32 i32 -> i32") };
    // proxy_log(2, 0, 0) logs an empty line; count lines to see which entry points ran.
    const logCall = [...op.i32Const(2), ...op.i32Const(0), ...op.i32Const(0), ...op.call(0), ...op.drop];
    const both = tinyModule({
      imports: [logImport],
      functions: [
        { signature: sig("->"), export: "proxy_abi_version_0_2_1" },
        { signature: sig("i32 -> i32"), export: "malloc" },
        { signature: sig("->"), export: "_initialize", body: logCall },
        { signature: sig("->"), export: "_start", body: op.unreachable },
        { signature: sig("i32 i32 -> i32"), export: "main", body: [...logCall, ...op.i32Const(0)] },
      ],
    });
    const emu = await Emulator.load(both);
    expect(emu.logs.length).toBe(2);
  });

  it("reads a non-wasm file as a clear error", async () => {
    const e = await loadError(new TextEncoder().encode("export function x() {}"));
    expect(e.message).toContain("not a WebAssembly binary");
  });

  it("names the file when it does not exist", async () => {
    const e = await Emulator.load("/nonexistent/filter.wasm").catch((err: unknown) => err);
    expect((e as Error).message).toContain("cannot read /nonexistent/filter.wasm");
  });
});

describe("plugin start-up", () => {
  it("runs context_create → vm_start → configure on the root; plugin config is not readable in vm_start", async () => {
    const emu = await loadProbe(["configure: getbuf 7 0; getbuf 6 0"], {
      vmConfig: "vm-cfg",
      // vm_start runs before configure parses the script, so it is exercised through the VM config instead.
    });
    expect(results(emu, "configure")).toEqual([
      "configure getbuf 7 0 -> 0 configure: getbuf 7 0; getbuf 6 0",
      "configure getbuf 6 0 -> 0 vm-cfg",
    ]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" });
    expect(emu.rootContextId()).toBe(1);
    expect(s.contextId).toBe(2);
  });

  it("on_vm_start gets the VM config size and cannot read PLUGIN_CONFIGURATION; on_configure can", async () => {
    const readPluginConfig = [
      ...op.i32Const(7),
      ...op.i32Const(0),
      ...op.i32Const(100),
      ...op.i32Const(0),
      ...op.i32Const(4),
      ...op.call(0),
    ];
    const I32_EQ = 0x46;
    const I32_EQZ = 0x45;
    const bytes = tinyModule({
      imports: [{ module: "env", name: "proxy_get_buffer_bytes", signature: sig("i32 i32 i32 i32 i32 -> i32") }],
      functions: [
        { signature: sig("->"), export: "proxy_abi_version_0_2_1" },
        { signature: sig("i32 -> i32"), export: "malloc", body: op.i32Const(1024) },
        // vm_start succeeds only if vm_config_size == 6 and reading the plugin config gives NotFound (1).
        {
          signature: sig("i32 i32 -> i32"),
          export: "proxy_on_vm_start",
          body: [
            ...op.localGet(1),
            ...op.i32Const(6),
            I32_EQ,
            ...readPluginConfig,
            ...op.i32Const(1),
            I32_EQ,
            0x71 /* i32.and */,
          ],
        },
        // configure succeeds only if reading the plugin config is OK (0).
        { signature: sig("i32 i32 -> i32"), export: "proxy_on_configure", body: [...readPluginConfig, I32_EQZ] },
      ],
    });
    await expect(Emulator.load(bytes, { vmConfig: "vm-cfg", pluginConfig: "p" })).resolves.toBeInstanceOf(Emulator);
    await expect(Emulator.load(bytes, { vmConfig: "other", pluginConfig: "p" })).rejects.toThrow(
      /proxy_on_vm_start returned false/,
    );
  });

  it("PLUGIN_CONFIGURATION is NotFound outside on_configure", async () => {
    const emu = await loadProbe(["request_headers: getbuf 7 0; getbuf 6 0"], { vmConfig: "v" });
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers")).toEqual([
      "request_headers getbuf 7 0 -> 1",
      "request_headers getbuf 6 0 -> 0 v",
    ]);
  });

  it("configure returning false is a clear error carrying the module's logs", async () => {
    const e = await loadProbe(["configure: log config rejected by probe; return 0"]).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(WasmLoadError);
    expect((e as Error).message).toContain("proxy_on_configure returned false");
    expect((e as Error).message).toContain("config rejected by probe");
  });

  it("several plugins (root ids) share one VM, each with its own root context and config", async () => {
    const emu = await loadProbe(["request_headers: prop plugin_root_id; prop plugin_name"], {
      rootId: "a",
      pluginName: "first",
    });
    emu.addPlugin({ rootId: "b", pluginName: "second", pluginConfig: "request_headers: prop plugin_root_id" });
    expect(emu.rootContextId("a")).toBe(1);
    expect(emu.rootContextId("b")).toBe(2);
    emu.httpStream({ rootId: "b" }).requestHeaders({ ":path": "/" });
    // The probe keeps one script table per VM: the second configure replaced request_headers.
    expect(results(emu, "request_headers")).toEqual(["request_headers prop plugin_root_id -> 0 1:b"]);
    expect(() => emu.httpStream({ rootId: "zzz" })).toThrow(/no plugin with root id "zzz"/);
  });

  it("canary: true runs the plugin start-up three times (canary, main thread, worker) with shared side effects", async () => {
    const emu = await loadProbe(["configure: shget starts; shset starts x 0"], { canary: true });
    // Envoy with --concurrency 1 configures the canary, the main thread's copy and the worker (every recorded
    // trace's start-up lines); each configure sees what the previous one wrote (same process, same vm_id).
    expect(results(emu, "configure")).toEqual([
      "configure shget starts -> 1",
      "configure shset starts x 0 -> 0",
      "configure shget starts -> 0 x cas=1",
      "configure shset starts x 0 -> 0",
      "configure shget starts -> 0 x cas=2",
      "configure shset starts x 0 -> 0",
    ]);
    expect(emu.rootContextId()).toBe(1);
  });

  it("reports the configured log level through proxy_get_log_level", async () => {
    const emu = await loadProbe(["request_headers: loglevel"], { logLevel: "debug" });
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers")).toEqual(["request_headers loglevel -> 0 1"]);
  });
});

describe("probe module sanity", () => {
  it("is built from AssemblyScript and passes the checker", async () => {
    const { buildProbe } = await import("./test-support/build-probe.ts");
    const bytes = readFileSync(await buildProbe());
    expect(bytes.length).toBeGreaterThan(100);
  });
});
