// Traps and failure policies (fail closed / open / reload), trace and errors carrying the Wasm stack;
// TCP connections (data, buffering on Stop, continue DOWNSTREAM, close events).
import { describe, expect, it } from "vitest";
import { WasmTrapError } from "./index.ts";
import { loadProbe, results } from "./test-support/probe.ts";

describe("traps and failure policies", () => {
  it("fail closed (default): the stream gets a local 503 wasm_fail_stream, later streams too; the error has the Wasm stack and logs", async () => {
    const emu = await loadProbe(["request_headers: log about to trap; trap"]);
    const s = emu.httpStream();
    expect(s.requestHeaders({ ":path": "/" }, { endOfStream: true })).toBe("pause");
    expect(s.localReply).toMatchObject({ status: 503, details: "wasm_fail_stream", grpcStatus: 14 });
    expect(s.response.headers.get(":status")).toBe("503");
    expect(emu.failed).toBe(true);
    expect(s.error).toBeInstanceOf(WasmTrapError);
    expect(s.error!.exportName).toBe("proxy_on_request_headers");
    expect(s.error!.message).toContain("Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable");
    expect(s.error!.message).toContain("about to trap");
    expect(s.error!.wasmStack).toMatch(/wasm-function|wasm:\/\//);
    expect(emu.logMessages("error")[0]).toContain("proxy_on_request_headers failed");
    const next = await emu.request({ path: "/again" }, () => {
      throw new Error("a failed-closed filter must not let requests through");
    });
    expect(next.status).toBe(503);
  });

  it("fail open: the stream that trapped still gets a 503 (as in Envoy), new streams skip the filter", async () => {
    const emu = await loadProbe(["request_headers: add 0 x-before-trap 1; trap"], { failurePolicy: "fail-open" });
    const s = emu.httpStream();
    expect(s.requestHeaders({ ":path": "/" }, { endOfStream: true })).toBe("pause");
    expect(s.localReply).toMatchObject({ status: 503, details: "wasm_fail_stream" });
    expect(s.request.headersForwarded).toBe(false);
    const r = await emu.request({ path: "/next" }, () => ({ status: 200, body: "through" }));
    expect(r.body).toBe("through");
    expect(emu.logMessages().filter((m) => m.startsWith("request_headers n="))).toHaveLength(1);
  });

  it("fail reload: 503 now, then after the backoff a fresh VM instance serves the next stream", async () => {
    const emu = await loadProbe(["request_headers: get 0 x-trap; return 0", "request_body: trap"], {
      failurePolicy: "fail-reload",
      reloadBackoffMs: 1000,
    });
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" });
    s.requestBody("boom", { endOfStream: true });
    expect(s.localReply?.status).toBe(503);
    expect((await emu.request({ path: "/" })).status).toBe(503);
    emu.advance(1000);
    const r = await emu.request({ path: "/" }, () => ({ status: 200 }));
    expect(r.status).toBe(200);
    expect(emu.vmInstances).toBe(2);
    expect(emu.failed).toBe(false);
  });

  it("a trap in a root callback (tick) fails the VM; later streams follow the policy", async () => {
    const emu = await loadProbe(["configure: tick 10", "tick: trap"]);
    emu.advance(10);
    expect(emu.failed).toBe(true);
    expect(emu.failures[0]?.exportName).toBe("proxy_on_tick");
    expect((await emu.request({ path: "/" })).status).toBe(503);
  });

  it("records a hostcall trace when asked", async () => {
    const emu = await loadProbe(["request_headers: get 0 :path"], { trace: true });
    emu.httpStream().requestHeaders({ ":path": "/" });
    const call = emu.trace.find((t) => t.call === "env.proxy_get_header_map_value");
    expect(call).toMatchObject({ contextId: 2, result: 0 });
    expect(call!.args[0]).toBe(0);
  });

  it("many emulators in one process are independent (no globals)", async () => {
    const [a, b] = await Promise.all([
      loadProbe(["request_headers: shset k a 0"]),
      loadProbe(["request_headers: shget k"]),
    ]);
    a.httpStream().requestHeaders({ ":path": "/" });
    b.httpStream().requestHeaders({ ":path": "/" });
    expect(results(b, "request_headers")).toEqual(["request_headers shget k -> 1"]);
  });
});

describe("TCP connections", () => {
  it("runs new_connection, downstream/upstream data and close callbacks in Envoy's order", async () => {
    const emu = await loadProbe(["downstream_data: getbuf 2 0", "upstream_data: getbuf 3 0; setbuf 3 0 0 >"]);
    const c = emu.tcpConnection();
    expect(c.downstreamData("ping")).toBe("continue");
    expect(c.upstreamData("pong", { endOfStream: true })).toBe("continue");
    c.close("remote");
    expect(c.toUpstream.text).toBe("ping");
    expect(c.toDownstream.text).toBe(">pong");
    const id = c.contextId;
    expect(emu.logMessages().filter((m) => !m.includes(" -> "))).toEqual([
      "new_connection",
      "downstream_data size=4 eos=0",
      "upstream_data size=4 eos=1",
      "upstream_close peer=0",
      "downstream_close peer=2",
      `on_done ctx=${id}`,
      `on_log ctx=${id}`,
      `on_delete ctx=${id}`,
    ]);
  });

  it("Stop keeps downstream data buffered (next callback sees the total) until continue_stream(DOWNSTREAM)", async () => {
    const emu = await loadProbe([
      "downstream_data: return 1; getbuf 2 0",
      "tick: effective $ctx; continue 2; continue 3; tick 0",
      "new_connection: tick 5",
    ]);
    const c = emu.tcpConnection();
    expect(c.downstreamData("ab")).toBe("pause");
    expect(c.downstreamData("cd")).toBe("pause");
    expect(emu.logMessages()).toContain("downstream_data size=4 eos=0");
    expect(c.toUpstream.text).toBe("");
    emu.advance(5);
    expect(results(emu, "tick")).toEqual([
      "tick effective $ctx -> 0",
      "tick continue 2 -> 0",
      "tick continue 3 -> 12",
      "tick tick 0 -> 0",
    ]);
    expect(c.toUpstream.text).toBe("abcd");
  });

  it("close_stream closes the connection; local replies are a no-op (OK) in TCP", async () => {
    const emu = await loadProbe(["downstream_data: reply 403 no; close 2"]);
    const c = emu.tcpConnection();
    c.downstreamData("x");
    expect(results(emu, "downstream_data")).toEqual([
      "downstream_data reply 403 no -> 0",
      "downstream_data close 2 -> 0",
    ]);
    expect(c.closedBy).toBe("filter");
    expect(emu.logMessages()).toContain("downstream_close peer=1");
  });

  it("a trap with fail closed closes the connection", async () => {
    const emu = await loadProbe(["downstream_data: trap"]);
    const c = emu.tcpConnection();
    c.downstreamData("x");
    expect(c.closedBy).toBe("failure-policy");
    expect(c.toUpstream.text).toBe("");
  });
});
