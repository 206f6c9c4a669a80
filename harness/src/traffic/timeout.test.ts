// A server that accepts the request and never answers: httpRequest rejects with HttpTimeoutError (a HarnessError
// with a hint), not undici's or AbortSignal's bare TimeoutError, on every path of the client.
import { createServer, type Socket } from "node:net";
import { describe, expect, test } from "vitest";
import { HarnessError } from "../errors.ts";
import { HttpTimeoutError } from "./errors.ts";
import { httpRequest } from "./http-client.ts";

async function silentServer() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", () => undefined); // read the request, answer nothing
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => server.close(ok));
    },
  };
}

describe("httpRequest timeouts", () => {
  test.each([
    ["HTTP/1.1", {}],
    ["HTTP/1.1 with trailers (node:http)", { trailers: { "x-t": "1" }, body: "b" }],
  ] as const)("%s: HttpTimeoutError saying what got no answer", async (_, extra) => {
    await using server = await silentServer();
    const error = await httpRequest(server.origin, "/slow?x=1", { timeoutMs: 300, ...extra }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpTimeoutError);
    expect(error).toBeInstanceOf(HarnessError);
    const timeout = error as HttpTimeoutError;
    const method = "body" in extra ? "POST" : "GET";
    expect(timeout.message.split("\n")[0]).toBe(
      `${method} /slow?x=1 to ${server.origin} got no response within 300 ms`,
    );
    expect(timeout.hint).toMatch(/envoy\.request/);
    expect([timeout.method, timeout.path, timeout.timeoutMs]).toEqual([method, "/slow?x=1", 300]);
  });
});
