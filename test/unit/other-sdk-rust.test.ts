// A module built with another SDK (Rust, crates.io proxy-wasm) runs on the emulator and passes the ABI check.
import { describe, expect, it } from "vitest";
import { checkModule, Emulator, WasmLoadError } from "@proxy-wasm-as/harness";
import { buildRustFilter } from "../fixtures/rust-filter/build.ts";
import { readFileSync } from "node:fs";

const fixture = buildRustFilter();

describe.skipIf(fixture.skip)(
  `Rust proxy-wasm SDK module on the emulator${fixture.skip ? ` (skipped: ${fixture.skip})` : ""}`,
  () => {
    const wasm = fixture.path!;

    it("imports only what Envoy provides", () => {
      const report = checkModule(readFileSync(wasm));
      expect(report.problems).toEqual([]);
      expect(report.abiVersion).toBe("0.2.1");
    });

    it("adds its configured header for the upstream and logs the path", async () => {
      const emu = await Emulator.load(wasm, { pluginConfig: "blue" });
      const result = await emu.request({ path: "/rust", headers: { "x-a": "1" } }, () => ({ status: 200, body: "ok" }));
      expect(result.status).toBe(200);
      expect(result.upstream!.headers.get("x-rust-filter")).toBe("blue");
      expect(emu.logMessages()).toContain("rust-filter saw /rust");
    });

    it("answers locally and the upstream is never called", async () => {
      const emu = await Emulator.load(wasm);
      let upstreamCalls = 0;
      const result = await emu.request({ path: "/", headers: { "x-deny": "1" } }, () => {
        upstreamCalls++;
        return { status: 200 };
      });
      expect(result.status).toBe(403);
      expect(result.body).toBe("denied by rust\n");
      expect(result.headers.get("x-rust-filter")).toBe("denied");
      expect(upstreamCalls).toBe(0);
    });

    it("a rejected configuration is a load error carrying the module's log line", async () => {
      const error = await Emulator.load(wasm, { pluginConfig: "fail" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WasmLoadError);
      const loadError = error as WasmLoadError;
      expect(loadError.message).toMatch(/configure/i);
      expect(loadError.logs.map((l) => `${l.level} ${l.message}`)).toContain(
        "error rust-filter: configuration 'fail' rejected",
      );
    });
  },
);
