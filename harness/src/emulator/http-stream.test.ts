// The stream split: the HttpStream a test holds is a handle with no host-call surface; host calls reach the
// stream's private engine through its own view, and the handle reads the engine's outcome.
import { describe, expect, it } from "vitest";
import { loadProbe } from "./test-support/probe.ts";

const GET = {
  ":method": "GET",
  ":path": "/",
  ":authority": "example.com",
  ":scheme": "http",
  "x-forwarded-proto": "http",
};

describe("HttpStream, the public handle", () => {
  it("offers host calls nothing: the stream's context holds the engine's view, not the handle", async () => {
    const emu = await loadProbe([]);
    const s = emu.httpStream();
    s.requestHeaders(GET);
    for (const internal of ["applyDeferred", "headerMap", "buffer", "property", "setProperty", "actions", "deps"])
      expect(internal in s, internal).toBe(false);
    const view = emu.vm.context(s.contextId)?.stream;
    expect(view?.kind).toBe("http");
    expect(view).not.toBe(s);
    expect(view?.headerMap(0).map?.get(":path")).toBe("/"); // the same request headers the handle shows
    expect(s.request.headers.get(":path")).toBe("/");
  });

  it("reads the outcome the engine reached, and a test cannot overwrite it", async () => {
    const emu = await loadProbe(["request_headers: reply 403 denied no"]);
    const s = emu.httpStream();
    expect(s.requestHeaders(GET)).toBe("pause");
    expect(s.localReply?.status).toBe(403);
    expect(() => {
      (s as { localReply: unknown }).localReply = null;
    }).toThrow(TypeError);
    expect(s.localReply?.status).toBe(403);
  });
});
