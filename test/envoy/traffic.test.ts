// Real traffic shapes through real Envoy (process runner: the traffic layer does not depend on the runner):
// paced streaming bodies, response trailers, gRPC to an h2c upstream, repeated headers, programmable upstreams,
// and the default "no Wasm errors" check.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  EnvoyHarnessError,
  type HttpUpstream,
  httpRequest,
  httpWasm,
  startEnvoy,
  startGrpcUpstream,
  startHttpUpstream,
} from "@proxy-wasm-as/harness";
import { decodeGrpcFrame, encodeGrpcFrame } from "@proxy-wasm-as/harness/traffic";
import { fixture } from "./support.ts";

const runner = "process" as const;

describe("traffic through Envoy", () => {
  let upstream: HttpUpstream;
  beforeAll(async () => {
    upstream = await startHttpUpstream();
  });
  afterAll(() => upstream.close());

  test("a body streamed in paced chunks arrives whole; programmed response with trailers comes back", async () => {
    await using programmed = await startHttpUpstream({
      respond: (req) => ({
        status: 201,
        headers: { "x-seen-bytes": String(req.body.length) },
        body: "done",
        trailers: { "x-checksum": "abc" },
      }),
    });
    await using envoy = await startEnvoy({ runner, filters: [httpWasm(fixture("ok"))], upstream: programmed });
    async function* paced() {
      for (const part of ["alpha,", "beta,", "gamma"]) {
        yield part;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const res = await envoy.request("/upload", { method: "PUT", body: paced(), http2: true });
    expect(res.status).toBe(201);
    expect(res.headers["x-seen-bytes"]).toBe("16");
    expect(res.trailers["x-checksum"]).toBe("abc");
    expect(programmed.last().text()).toBe("alpha,beta,gamma");
    expect(programmed.last().method).toBe("PUT");
  });

  test("an h2c upstream: Envoy speaks HTTP/2 to it, trailers both ways", async () => {
    await using h2Upstream = await startHttpUpstream({
      protocol: "h2c",
      respond: (req) => ({ body: req.body, trailers: { "x-up-trailer": "u" } }),
    });
    await using envoy = await startEnvoy({ runner, filters: [httpWasm(fixture("ok"))], upstream: h2Upstream });
    const res = await envoy.request("/h2-up", { body: "data", trailers: { "x-down-trailer": "d" } }); // HTTP/1.1 downstream
    expect(res.text()).toBe("data");
    expect(res.trailers["x-up-trailer"]).toBe("u");
    expect(h2Upstream.last().httpVersion).toBe("2.0");
    expect(h2Upstream.last().trailers["x-down-trailer"]).toEqual(["d"]);
    expect(h2Upstream.last().header("x-wat-req")).toBe("1");
  });

  test("admin: log levels change at run time, one logger or several at once", async () => {
    await using envoy = await startEnvoy({ runner, filters: [httpWasm(fixture("ok"))], upstream });
    const level = async (logger: string) =>
      new RegExp(`^\\s*${logger}: (\\w+)$`, "m").exec(await envoy.admin.post("/logging"))?.[1];
    await envoy.admin.setLogLevels({ wasm: "trace" });
    expect(await level("wasm")).toBe("trace");
    await envoy.admin.setLogLevels({ wasm: "warning", http: "debug" });
    expect([await level("wasm"), await level("http")]).toEqual(["warning", "debug"]);
  });

  test("gRPC through Envoy to an h2c gRPC upstream", async () => {
    await using grpc = await startGrpcUpstream({
      "/echo.Echo/Say": (call) => Buffer.concat([Buffer.from("re:"), call.message]),
      "/echo.Echo/Fail": () => ({ status: 7, message: "denied" }),
    });
    await using envoy = await startEnvoy({ runner, filters: [httpWasm(fixture("ok"))], upstream: grpc });
    const call = (method: string) =>
      envoy.request(method, {
        http2: true,
        method: "POST",
        headers: { "content-type": "application/grpc", te: "trailers" },
        body: encodeGrpcFrame(Buffer.from("hi")),
      });
    const ok = await call("/echo.Echo/Say");
    expect(ok.status).toBe(200);
    expect(decodeGrpcFrame(ok.body).toString()).toBe("re:hi");
    expect(ok.trailers["grpc-status"]).toBe("0");
    const denied = await call("/echo.Echo/Fail");
    expect(denied.trailers["grpc-status"] ?? denied.headers["grpc-status"]).toBe("7");
    expect(grpc.calls.map((c) => c.method)).toEqual(["/echo.Echo/Say", "/echo.Echo/Fail"]);
    expect(grpc.calls[0]!.metadata["x-wat-req"]).toEqual(["1"]); // the filter ran on the gRPC request
  });

  test("Wasm error lines fail stop() by default, and are allowed on request", async () => {
    const envoy = await startEnvoy({ runner, filters: [httpWasm(fixture("log-error"))], upstream });
    await envoy.request("/");
    const line = await envoy.waitForWasmLog("request failed badly");
    expect(line.level).toBe("error");
    const error = await envoy.stop().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvoyHarnessError);
    expect((error as Error).message).toMatch(/1 Wasm error\/critical line/);

    await using tolerant = await startEnvoy({
      runner,
      filters: [httpWasm(fixture("log-error"))],
      upstream,
      allowWasmErrors: true,
    });
    await tolerant.request("/");
    await tolerant.waitForWasmLog("request failed badly");
  });

  test("the upstream records repeated headers, and direct HTTP/1.1 traffic works without Envoy too", async () => {
    const res = await httpRequest(`http://127.0.0.1:${upstream.port}`, "/direct", {
      headers: { "x-r": ["1", "2"] },
      body: "b",
    });
    expect(res.text()).toBe("b");
    expect(upstream.last().headers["x-r"]).toEqual(["1", "2"]);
    expect(upstream.last().httpVersion).toBe("1.1");
  });
});
