// A proxy-wasm filter changes real traffic through real Envoy, on both runners: checked at the client and at
// the upstream, over HTTP/1.1, HTTP/2 (h2c) and TCP.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  httpWasm,
  networkWasm,
  startEnvoy,
  startHttpUpstream,
  startTcpUpstream,
  type HttpUpstream,
} from "@proxy-wasm-as/harness";
import { HEADERS_WASM, RUNNERS, fixture } from "./support.ts";

describe.each(RUNNERS)("filter changes traffic (%s runner)", (runner) => {
  let upstream: HttpUpstream;
  beforeAll(async () => {
    upstream = await startHttpUpstream();
  });
  afterAll(() => upstream.close());

  test("HTTP/1.1: request header reaches the upstream, response header reaches the client", async () => {
    await using envoy = await startEnvoy({
      runner,
      filters: [httpWasm(fixture("ok"), { config: "from-config" })],
      upstream,
    });
    const res = await envoy.request("/hello?q=1", {
      method: "POST",
      headers: { "x-client": ["a", "b"] },
      body: "ping",
    });
    expect(res.status).toBe(200);
    expect(res.headers["x-wat"]).toBe("from-config"); // set by the module from its plugin configuration
    expect(res.text()).toBe("ping");
    const seen = upstream.last();
    expect(seen.path).toBe("/hello?q=1");
    expect(seen.header("x-wat-req")).toBe("1"); // added by the module on the request path
    expect(seen.headers["x-client"]).toEqual(["a", "b"]);
    expect(envoy.wasmLogs().map((l) => l.message)).toContain("configured");
  });

  test("HTTP/2 (h2c) downstream, with chunked body and request trailers", async () => {
    await using envoy = await startEnvoy({ runner, filters: [httpWasm(fixture("ok"), { config: "h2" })], upstream });
    const delta = await envoy.statsDelta(async () => {
      const res = await envoy.request("/h2", {
        http2: true,
        body: ["chunk-1;", "chunk-2"],
        trailers: { "x-trailer": "t" },
      });
      expect(res.status).toBe(200);
      expect(res.headers["x-wat"]).toBe("h2");
      expect(res.text()).toBe("chunk-1;chunk-2");
    });
    expect(delta.get("http.ingress.downstream_cx_http2_total")).toBe(1);
    expect(upstream.last().header("x-wat-req")).toBe("1");
    expect(upstream.last().trailers["x-trailer"]).toEqual(["t"]);
  });

  test("TCP: a network filter rewrites the byte stream", async () => {
    await using tcpUpstream = await startTcpUpstream();
    await using envoy = await startEnvoy({ runner, filters: [networkWasm(fixture("ok"))], upstream: tcpUpstream });
    const echoed = await envoy.tcp("hello", { expectBytes: "wasm:hello".length });
    expect(tcpUpstream.received().toString()).toBe("wasm:hello");
    expect(echoed.toString()).toBe("wasm:hello");
  });

  test.skipIf(!existsSync(HEADERS_WASM))(
    "SDK-built headers filter (build/headers.wasm) sets, adds and removes headers both ways",
    async () => {
      const config = {
        request: { set: { "x-req-set": "1" }, add: { "x-req-add": "filter" }, remove: ["x-drop-me"] },
        response: { set: { "x-resp-set": "ok" }, remove: ["x-upstream"] },
      };
      await using envoy = await startEnvoy({ runner, filters: [httpWasm(HEADERS_WASM, { config })], upstream });
      const res = await envoy.request("/sdk", { headers: { "x-drop-me": "1", "x-req-add": "client" } });
      expect(res.status).toBe(200);
      expect(res.headers["x-resp-set"]).toBe("ok");
      expect(res.headers["x-upstream"]).toBeUndefined(); // the echo upstream sets it; the filter removed it
      const seen = upstream.last();
      expect(seen.header("x-req-set")).toBe("1");
      expect(seen.headers["x-req-add"]).toEqual(["client", "filter"]);
      expect(seen.headers["x-drop-me"]).toBeUndefined();

      const h2 = await envoy.request("/sdk-h2", { http2: true, headers: { "x-drop-me": "1" } });
      expect(h2.headers["x-resp-set"]).toBe("ok");
      expect(upstream.last().path).toBe("/sdk-h2");
      expect(upstream.last().headers["x-drop-me"]).toBeUndefined();
      expect(upstream.last().headers["x-req-add"]).toEqual(["filter"]);
    },
  );
});
