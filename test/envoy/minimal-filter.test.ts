// The SDK's smallest filter (test/fixtures/add-header) in real Envoy, on both runners. Its build exports only the
// callbacks it overrides (the SDK's prune transform: no proxy_on_done, body, trailer, log or TCP callbacks), so
// this proves Envoy runs such a module as the SDK intends: the header is added on every stream, requests and
// bodies pass untouched, streams end (Envoy takes the missing proxy_on_done as "done" and still deletes each
// context), and nothing is logged as an error.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { httpWasm, startEnvoy, startHttpUpstream } from "@proxy-wasm-as/harness";
import { RUNNERS } from "./support.ts";

const ADD_HEADER_WASM = resolve("build/add-header.wasm");

describe.each(RUNNERS)("minimal SDK filter with pruned callback exports (%s runner)", (runner) => {
  test("adds its response header on every stream; bodies pass; no errors", async () => {
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(ADD_HEADER_WASM))).map(
      (e) => e.name,
    );
    expect(exports).not.toContain("proxy_on_done");
    expect(exports).not.toContain("proxy_on_request_body");

    await using upstream = await startHttpUpstream({
      respond: (request) => ({ status: 200, body: `echo:${request.text()}` }),
    });
    await using envoy = await startEnvoy({ runner, filters: [httpWasm(ADD_HEADER_WASM)], upstream });
    for (let i = 0; i < 20; i++) {
      const response = await envoy.request(`/item/${i}`, { method: "POST", body: `payload-${i}` });
      expect(response.status).toBe(200);
      expect(response.headers["x-powered-by"]).toBe("proxy-wasm-as");
      expect(response.text()).toBe(`echo:payload-${i}`);
    }
    expect(upstream.requests).toHaveLength(20);
    expect(
      envoy.log.lines.filter((line) => line.logger === "wasm" && (line.level === "error" || line.level === "critical")),
    ).toEqual([]);
  });
});
