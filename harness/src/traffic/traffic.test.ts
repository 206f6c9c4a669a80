// The traffic layer on its own (real loopback sockets, no Envoy): upstreams record what they receive, clients
// speak HTTP/1.1, h2c and raw TCP, gRPC framing round-trips.
import { connect, constants as h2constants } from "node:http2";
import { describe, expect, test } from "vitest";
import { decodeGrpcFrame, encodeGrpcFrame, percentEncodeGrpcMessage, startGrpcUpstream } from "./grpc-upstream.ts";
import { httpRequest } from "./http-client.ts";
import { startHttpUpstream } from "./http-upstream.ts";
import { startTcpUpstream, tcpExchange } from "./tcp.ts";

describe("traffic layer", () => {
  test("HTTP upstream: echo by default, programmable, clear error when nothing arrived", async () => {
    await using upstream = await startHttpUpstream();
    expect(() => upstream.last()).toThrow(/has received no request/);
    const res = await httpRequest(`http://127.0.0.1:${upstream.port}`, "/a?b=1", { body: ["x", "y"], headers: { "content-type": "text/plain" } });
    expect(res.text()).toBe("xy");
    expect(res.headers["x-upstream"]).toBe("echo");
    expect(upstream.last().path).toBe("/a?b=1");
    upstream.respondWith(() => ({ status: 404, body: "nope" }));
    expect((await httpRequest(`http://127.0.0.1:${upstream.port}`, "/")).status).toBe(404);
  });

  test("h2c upstream reached by the undici client with prior knowledge", async () => {
    await using upstream = await startHttpUpstream({ protocol: "h2c" });
    const res = await httpRequest(`http://127.0.0.1:${upstream.port}`, "/h2", { http2: true, method: "POST", body: "b" });
    expect(res.text()).toBe("b");
    expect(upstream.last().httpVersion).toBe("2.0");
  });

  test("TCP echo upstream records bytes per connection", async () => {
    await using upstream = await startTcpUpstream({ reply: (chunk) => chunk.toString().toUpperCase() });
    expect((await tcpExchange(upstream.port, "abc")).toString()).toBe("ABC");
    expect(upstream.connections.map((c) => c.received.toString())).toEqual(["abc"]);
  });

  test("gRPC upstream: unary call, unknown method", async () => {
    await using upstream = await startGrpcUpstream({ "/t.T/Echo": (call) => call.message });
    const session = connect(`http://127.0.0.1:${upstream.port}`);
    const call = (path: string) =>
      new Promise<{ body: Buffer; status: string | undefined }>((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
        const chunks: Buffer[] = [];
        let status: string | undefined;
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("trailers", (t) => (status = String(t["grpc-status"])));
        stream.on("end", () => resolve({ body: Buffer.concat(chunks), status }));
        stream.on("error", reject);
        stream.end(encodeGrpcFrame(Buffer.from("ping")));
      });
    const ok = await call("/t.T/Echo");
    expect(decodeGrpcFrame(ok.body).toString()).toBe("ping");
    expect(ok.status).toBe("0");
    expect((await call("/t.T/Missing")).status).toBe("12");
    session.close();
    expect(upstream.calls.map((c) => c.method)).toEqual(["/t.T/Echo", "/t.T/Missing"]);
  });

  test("gRPC upstream: grpc-message is percent-encoded as the gRPC spec says; a call the client resets is no server error", async () => {
    expect(percentEncodeGrpcMessage("policy store: 100% down ✗\n")).toBe("policy store: 100%25 down %E2%9C%97%0A");
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await using upstream = await startGrpcUpstream({
      "/t.T/Slow": async () => { await held; return Buffer.from("late"); },
      "/t.T/Fail": () => ({ status: 14, message: "down for 5 min" }),
    });
    const session = connect(`http://127.0.0.1:${upstream.port}`);
    const request = (path: string) => session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    // Reset the slow call the way Envoy does on a callout timeout, then let its handler answer into the closed stream.
    const slow = request("/t.T/Slow");
    slow.on("error", () => {}); // the reset we send below also ends our side with an error
    slow.end(encodeGrpcFrame(Buffer.from("x")));
    while (upstream.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise<void>((resolve) => { slow.on("close", () => resolve()); slow.close(h2constants.NGHTTP2_INTERNAL_ERROR); });
    release();
    // The server still answers, with the message encoded.
    const trailers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const fail = request("/t.T/Fail");
      fail.on("trailers", resolve);
      fail.on("error", reject);
      fail.resume();
      fail.end(encodeGrpcFrame(Buffer.from("y")));
    });
    session.close();
    expect([trailers["grpc-status"], trailers["grpc-message"]]).toEqual(["14", "down for 5 min"]);
    expect(upstream.calls.map((c) => c.method)).toEqual(["/t.T/Slow", "/t.T/Fail"]);
  });
});
