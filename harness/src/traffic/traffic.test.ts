// The traffic layer on its own (real loopback sockets, no Envoy): upstreams record what they receive, clients
// speak HTTP/1.1, h2c and raw TCP, gRPC framing round-trips.
import { connect } from "node:http2";
import { describe, expect, test } from "vitest";
import { decodeGrpcFrame, encodeGrpcFrame, startGrpcUpstream } from "./grpc-upstream.ts";
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
});
