// A module from the Go SDK (test/fixtures/go-filter, built by its build.ts) on the emulator: loading, headers,
// logs through WASI stdout, metrics, local replies, and the configuration it refuses.
import { describe, expect, it } from "vitest";
import { Emulator, WasmLoadError } from "@proxy-wasm-as/harness/emulator";
import { buildGoFilter } from "../fixtures/go-filter/build.ts";

const go = buildGoFilter();

describe("a module from the Go SDK", () => {
  it.skipIf(!!go.skip)(
    `runs on the emulator: adds headers, logs, counts, replies locally ${go.skip ?? ""}`,
    async () => {
      const emu = await Emulator.load(go.path!, {
        pluginConfig: "from-config",
        env: { GO_FILTER_GREETING: "hi-from-env" },
      });
      expect(emu.logMessages("info")).toContain("go-filter: env GO_FILTER_GREETING=hi-from-env");
      expect(emu.logMessages("info")).toContain("go-filter: hello from stdout"); // fd_write(1), trailing newline stripped
      expect(emu.abiVersion).toBe("0.2.0");
      const ok = await emu.request({ path: "/hello" }, (req) => {
        expect(req.headers.get("x-go-filter-seen")).toBe("1");
        return { status: 200, body: "upstream" };
      });
      expect(ok.status).toBe(200);
      expect(ok.body).toBe("upstream");
      expect(ok.headers.get("x-go-filter")).toBe("from-config");
      expect(emu.logMessages("info")).toContain("go-filter: GET /hello");
      const denied = await emu.request({ path: "/secret", headers: { "x-go-deny": "yes" } }, () => {
        throw new Error("the upstream must not be called for a denied request");
      });
      expect(denied.status).toBe(403);
      expect(denied.body).toBe("denied by go-filter");
      expect(denied.upstream).toBeNull();
      expect(emu.metric("go_filter_requests")).toBe(2);
    },
  );

  it.skipIf(!!go.skip)("matches what real Envoy shows for the same module (test/envoy/other-sdk.test.ts)", async () => {
    const emu = await Emulator.load(go.path!, { pluginName: "go", pluginConfig: "from-go" });
    const seenUpstream: string[] = [];
    const ok = await emu.request({ path: "/go?x=1" }, (req) => {
      seenUpstream.push(req.headers.get(":path")!);
      expect(req.headers.get("x-go-filter-seen")).toBe("1");
      return { status: 200 };
    });
    expect(ok.headers.get("x-go-filter")).toBe("from-go");
    const denied = await emu.request({ path: "/secret", headers: { "x-go-deny": "1" } }, (req) => {
      seenUpstream.push(req.headers.get(":path")!);
      return { status: 200 };
    });
    expect(denied.status).toBe(403);
    expect(denied.body).toBe("denied by go-filter");
    // Envoy runs the local reply through the encoder chain, so this filter's on_response_headers adds its header too.
    expect(denied.headers.getAll("x-go-filter")).toEqual(["denied", "from-go"]);
    expect(seenUpstream).toEqual(["/go?x=1"]);
    expect(emu.metric("go_filter_requests")).toBe(2);
    expect(emu.logMessages()).toContain("go-filter: GET /go?x=1");
    expect(emu.logMessages()).toContain('go-filter: configured with "from-go"');
  });

  it.skipIf(!!go.skip)("rejects the configuration the filter refuses, with the module's log", async () => {
    const e = await Emulator.load(go.path!, { pluginConfig: "fail" }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(WasmLoadError);
    expect((e as Error).message).toMatch(/proxy_on_configure returned false/);
    expect((e as Error).message).toContain("configuration 'fail' rejected");
  });
});
