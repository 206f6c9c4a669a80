// The traffic layer on its own (real loopback sockets, no Envoy): upstreams record what they receive, clients
// speak HTTP/1.1, h2c and raw TCP, gRPC framing round-trips.
import { connect, constants as h2constants } from "node:http2";
import { connect as tcpConnect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { decodeGrpcFrame, encodeGrpcFrame, percentEncodeGrpcMessage, startGrpcUpstream } from "./grpc-upstream.ts";
import { httpRequest } from "./http-client.ts";
import { jsonEchoResponder, startHttpUpstream } from "./http-upstream.ts";
import { startTcpUpstream, tcpExchange } from "./tcp.ts";

describe("traffic layer", () => {
  test("HTTP upstream: echo by default, programmable, clear error when nothing arrived", async () => {
    await using upstream = await startHttpUpstream();
    expect(() => upstream.last()).toThrow(/has received no request/);
    const res = await httpRequest(`http://127.0.0.1:${upstream.port}`, "/a?b=1", {
      body: ["x", "y"],
      headers: { "content-type": "text/plain" },
    });
    expect(res.text()).toBe("xy");
    expect(res.headers["x-upstream"]).toBe("echo");
    expect(upstream.last().path).toBe("/a?b=1");
    upstream.respondWith(() => ({ status: 404, body: "nope" }));
    expect((await httpRequest(`http://127.0.0.1:${upstream.port}`, "/")).status).toBe(404);
  });

  test("JSON echo: the upstream answers with the whole request it received (run --echo)", async () => {
    await using upstream = await startHttpUpstream({ respond: jsonEchoResponder });
    const res = await httpRequest(`http://127.0.0.1:${upstream.port}`, "/items?x=1", {
      method: "POST",
      body: "hello",
      headers: { "x-hello": "world", "content-type": "text/plain" },
    });
    expect(res.headers["content-type"]).toBe("application/json");
    const echoed = JSON.parse(res.text());
    expect(echoed).toMatchObject({ method: "POST", path: "/items?x=1", httpVersion: "1.1", body: "hello" });
    expect(echoed.headers["x-hello"]).toEqual(["world"]);
  });

  test("h2c upstream reached by the undici client with prior knowledge", async () => {
    await using upstream = await startHttpUpstream({ protocol: "h2c" });
    const res = await httpRequest(`http://127.0.0.1:${upstream.port}`, "/h2", {
      http2: true,
      method: "POST",
      body: "b",
    });
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
        const stream = session.request({
          ":method": "POST",
          ":path": path,
          "content-type": "application/grpc",
          te: "trailers",
        });
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
      "/t.T/Slow": async () => {
        await held;
        return Buffer.from("late");
      },
      "/t.T/Fail": () => ({ status: 14, message: "down for 5 min" }),
    });
    const session = connect(`http://127.0.0.1:${upstream.port}`);
    const request = (path: string) =>
      session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    // Reset the slow call the way Envoy does on a callout timeout, then let its handler answer into the closed stream.
    const slow = request("/t.T/Slow");
    slow.on("error", () => {}); // the reset we send below also ends our side with an error
    slow.end(encodeGrpcFrame(Buffer.from("x")));
    while (upstream.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise<void>((resolve) => {
      slow.on("close", () => resolve());
      slow.close(h2constants.NGHTTP2_INTERNAL_ERROR);
    });
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

  // Finding 5 of issue 13: a peer reset mid-body used to leave `Error: aborted (ECONNRESET)` unhandled (vitest
  // reports it as a failure of this file). Now it is an event on `upstream.resets`.
  const until = async (what: string, done: () => boolean) => {
    for (let i = 0; i < 400 && !done(); i++) await sleep(10);
    if (!done()) throw new Error(`timed out waiting for ${what}`);
  };

  test("HTTP/1.1 upstream: a client that resets the connection mid-body is recorded as a reset, not raised", async () => {
    await using upstream = await startHttpUpstream();
    const socket = tcpConnect({ host: "127.0.0.1", port: upstream.port });
    socket.on("error", () => undefined);
    await new Promise<void>((ok) => socket.once("connect", () => ok()));
    socket.write(`POST /upload?x=1 HTTP/1.1\r\nhost: t\r\ncontent-length: 1000000\r\n\r\n${"a".repeat(4096)}`);
    await sleep(100); // let the upstream start reading the body
    socket.resetAndDestroy();
    await until("the reset to be recorded", () => upstream.resets.length === 1);
    await sleep(50); // an unhandled rejection would surface here
    expect(upstream.resets[0]).toMatchObject({
      method: "POST",
      path: "/upload?x=1",
      phase: "request",
      bodyBytesReceived: 4096,
    });
    expect(upstream.resets[0]!.error).toMatch(/aborted|ECONNRESET/);
    expect(upstream.requests).toHaveLength(0);
    // The upstream keeps serving.
    expect((await httpRequest(`http://127.0.0.1:${upstream.port}`, "/after", { body: "ok" })).text()).toBe("ok");
  });

  test("h2c upstream: a connection torn down mid-body is recorded as a reset, not raised", async () => {
    await using upstream = await startHttpUpstream({ protocol: "h2c" });
    const session = connect(`http://127.0.0.1:${upstream.port}`);
    session.on("error", () => undefined);
    const stream = session.request({ ":method": "POST", ":path": "/h2-upload" });
    stream.on("error", () => undefined);
    stream.write(Buffer.alloc(1000, 1));
    await sleep(100);
    // (Node's stream.close() ends the request before its RST_STREAM, so the server would see a complete request;
    // tearing the connection down is the mid-body reset Envoy does when it closes an upstream connection.)
    session.destroy();
    await until("the reset to be recorded", () => upstream.resets.length === 1);
    await sleep(50);
    expect(upstream.resets[0]).toMatchObject({
      method: "POST",
      path: "/h2-upload",
      phase: "request",
      bodyBytesReceived: 1000,
    });
  });

  test("gRPC and TCP upstreams record a peer reset instead of raising", async () => {
    await using grpc = await startGrpcUpstream({
      "/t.T/Echo": async (call) => {
        await sleep(300);
        return call.message;
      },
    });
    const session = connect(`http://127.0.0.1:${grpc.port}`);
    session.on("error", () => undefined);
    const call = session.request({ ":method": "POST", ":path": "/t.T/Echo", "content-type": "application/grpc" });
    call.on("error", () => undefined);
    call.end(Buffer.from([0, 0, 0, 0, 1, 1]));
    await until("the gRPC call to arrive", () => grpc.calls.length === 1);
    call.close(h2constants.NGHTTP2_CANCEL); // while the handler is still working
    await until("the gRPC reset to be recorded", () => grpc.resets.length === 1);
    session.close();
    expect(grpc.resets[0]!.method).toBe("/t.T/Echo");

    await using tcp = await startTcpUpstream();
    const socket = tcpConnect({ host: "127.0.0.1", port: tcp.port });
    socket.on("error", () => undefined);
    await new Promise<void>((ok) => socket.once("connect", () => ok()));
    socket.write("partial");
    await until("the TCP bytes to arrive", () => tcp.received().length === 7);
    socket.resetAndDestroy();
    await until("the TCP reset to be recorded", () => tcp.connections[0]!.resetError !== undefined);
    expect(tcp.connections[0]!.resetError).toMatch(/ECONNRESET/);
  });
});
