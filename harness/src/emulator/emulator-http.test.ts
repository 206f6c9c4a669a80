// HTTP stream rules as Envoy applies them, checked through real hostcalls made by the probe module.
import { describe, expect, it } from "vitest";
import { EmulatorUsageError, HeaderMap } from "./index.ts";
import { loadProbe, results } from "./test-support/probe.ts";

const GET = { ":method": "GET", ":path": "/p?q=1", ":authority": "example.com", ":scheme": "https" };

describe("header maps", () => {
  it("lower-cases keys, returns the first of several values, appends with add, replaces all with replace", async () => {
    const emu = await loadProbe([
      "request_headers: get 0 X-Multi; add 0 X-New one; add 0 x-new two; replace 0 x-multi only; remove 0 x-gone; remove 0 x-absent; get 0 x-absent; pairs 0",
    ]);
    const s = emu.httpStream();
    s.requestHeaders(
      [
        [":method", "GET"],
        [":path", "/"],
        ["x-multi", "a"],
        ["X-Multi", "b"],
        ["x-gone", "1"],
      ],
      { endOfStream: true },
    );
    expect(results(emu, "request_headers")).toEqual([
      "request_headers get 0 X-Multi -> 0 a",
      "request_headers add 0 X-New one -> 0",
      "request_headers add 0 x-new two -> 0",
      "request_headers replace 0 x-multi only -> 0",
      "request_headers remove 0 x-gone -> 0",
      "request_headers remove 0 x-absent -> 0",
      "request_headers get 0 x-absent -> 1",
      "request_headers pairs 0 -> 0 :method=GET,:path=/,x-new=one,x-new=two,x-multi=only", // replace appends (trace h1-replace-existing-header)
    ]);
    expect(s.request.headers.getAll("x-new")).toEqual(["one", "two"]);
    expect(s.request.headersForwarded).toBe(true);
  });

  it("get_header_map_size is Envoy's byte size (sum of key and value lengths), BadArgument for types 4-7", async () => {
    const emu = await loadProbe(["request_headers: size 0; size 6"]);
    emu.httpStream().requestHeaders({ ":path": "/ab", k: "vv" });
    // ":path"(5) + "/ab"(3) + "k"(1) + "vv"(2) = 11
    expect(results(emu, "request_headers")).toEqual(["request_headers size 0 -> 0 11", "request_headers size 6 -> 2"]);
  });

  it("set_header_map_pairs removes everything then adds; a malformed buffer empties the map", async () => {
    const emu = await loadProbe(["request_headers: setpairs 0 a=1,B=2; pairs 0", "response_headers: setpairs 2"]);
    const s = emu.httpStream();
    s.requestHeaders(GET);
    s.responseHeaders({ ":status": "200", x: "y" });
    expect(results(emu, "request_headers")[1]).toBe("request_headers pairs 0 -> 0 a=1,b=2");
    expect(s.response.headers.size).toBe(0);
  });

  it("request headers are unavailable (BadArgument) once continued, e.g. in body and response callbacks", async () => {
    const emu = await loadProbe([
      "request_body: get 0 :path; add 0 x y; pairs 0; size 0",
      "response_headers: get 0 :path; get 2 :status",
    ]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" });
    s.requestBody("x", { endOfStream: true });
    s.responseHeaders({ ":status": "204" }, { endOfStream: true });
    expect(results(emu, "request_body")).toEqual([
      "request_body get 0 :path -> 2",
      "request_body add 0 x y -> 2",
      "request_body pairs 0 -> 0",
      "request_body size 0 -> 2",
    ]);
    expect(results(emu, "response_headers")).toEqual([
      "response_headers get 0 :path -> 2",
      "response_headers get 2 :status -> 0 204",
    ]);
  });

  it("in on_log request and response headers are readable but not writable; request trailers are NotFound", async () => {
    const emu = await loadProbe(["log: get 0 :path; get 2 :status; add 2 x y; get 1 t; prop response.code int"]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/logged" });
    s.requestTrailers({ t: "1" });
    s.responseHeaders({ ":status": "201" }, { endOfStream: true });
    s.complete();
    expect(results(emu, "log")).toEqual([
      "log get 0 :path -> 0 /logged",
      "log get 2 :status -> 0 201",
      "log add 2 x y -> 2",
      "log get 1 t -> 1",
      "log prop response.code int -> 0 8:201",
    ]);
  });

  it("trailers are readable and writable in the trailers callback; can be created from the last body chunk", async () => {
    const emu = await loadProbe([
      "request_trailers: get 1 grpc-status; add 1 x-t 1",
      "response_body: add 3 x-added-trailer yes",
    ]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" });
    s.requestBody("b");
    s.requestTrailers({ "grpc-status": "0" });
    s.responseHeaders({ ":status": "200" });
    s.responseBody("r", { endOfStream: true });
    expect(results(emu, "request_trailers")).toEqual([
      "request_trailers get 1 grpc-status -> 0 0",
      "request_trailers add 1 x-t 1 -> 0",
    ]);
    expect(s.request.trailers?.toObject()).toEqual({ "grpc-status": "0", "x-t": "1" });
    expect(s.response.trailers?.get("x-added-trailer")).toBe("yes");
  });
});

describe("stop, buffer, continue", () => {
  it("headers Pause stops everything: no body callback until continue, then one callback with all buffered data", async () => {
    const emu = await loadProbe(["request_headers: return 1", "request_body: getbuf 0 0"]);
    const s = emu.httpStream();
    expect(s.requestHeaders({ ":path": "/" })).toBe("pause");
    expect(s.requestBody("hello ")).toBe("pause");
    expect(s.requestBody("world", { endOfStream: true })).toBe("pause");
    expect(emu.logMessages().filter((m) => m.startsWith("request_body"))).toEqual([]);
    expect(s.request.headersForwarded).toBe(false);
    expect(s.request.ended).toBe(false);
  });

  it("continue_stream from a later callback releases the held request: headers, then the whole body in one callback", async () => {
    const emu = await loadProbe([
      "request_headers: tick 10; return 1",
      "tick: effective $ctx; continue 0; tick 0",
      "request_body: getbuf 0 0",
    ]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" });
    s.requestBody("hello ");
    s.requestBody("world", { endOfStream: true });
    emu.advance(10);
    expect(emu.logMessages().filter((m) => m.startsWith("request_body"))).toEqual([
      "request_body size=11 eos=1",
      "request_body getbuf 0 0 -> 0 hello world",
    ]);
    expect(s.request.headersForwarded).toBe(true);
    expect(s.request.body).toBe("hello world");
    expect(s.request.ended).toBe(true);
  });

  it("with allowOnHeadersStopIteration, headers Pause holds only the headers: body callbacks run, Continue releases both", async () => {
    const emu = await loadProbe(["request_headers: return 1", "request_body: get 0 :path; return 0"], {
      allowOnHeadersStopIteration: true,
    });
    const s = emu.httpStream();
    expect(s.requestHeaders({ ":path": "/held" })).toBe("pause");
    expect(s.request.headersForwarded).toBe(false);
    expect(s.requestBody("chunk", { endOfStream: true })).toBe("continue");
    expect(results(emu, "request_body")).toEqual(["request_body get 0 :path -> 0 /held"]); // still in the headers window
    expect(s.request.headersForwarded).toBe(true);
    expect(s.request.body).toBe("chunk");
    expect(s.request.ended).toBe(true);
  });

  it("body StopIterationAndBuffer accumulates: the next callback gets the total size and the whole buffer", async () => {
    const emu = await loadProbe(["request_body: bufstatus 0; getbuf 0 0; return 1"]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" });
    expect(s.requestBody("abc")).toBe("pause");
    expect(s.requestBody("de")).toBe("pause");
    expect(results(emu, "request_body")).toEqual([
      "request_body bufstatus 0 -> 0 3 0",
      "request_body getbuf 0 0 -> 0 abc",
      "request_body bufstatus 0 -> 0 5 0",
      "request_body getbuf 0 0 -> 0 abcde",
    ]);
    expect(s.request.body).toBe("");
  });

  it("returning Continue at end of stream releases the buffered body upstream", async () => {
    const emu = await loadProbe(["request_body: return 1", "request_trailers: return 0"]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" });
    s.requestBody("part1-");
    s.requestBody("part2");
    expect(s.request.body).toBe("");
    s.requestTrailers({ t: "x" });
    expect(s.request.body).toBe("part1-part2");
    expect(s.request.ended).toBe(true);
  });

  it("without buffering, get/set_buffer_bytes see only the current chunk", async () => {
    const emu = await loadProbe(["request_body: getbuf 0 0"]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" });
    s.requestBody("one");
    s.requestBody("two", { endOfStream: true });
    expect(results(emu, "request_body")).toEqual([
      "request_body getbuf 0 0 -> 0 one",
      "request_body getbuf 0 0 -> 0 two",
    ]);
    expect(s.request.body).toBe("onetwo");
  });

  it("get_buffer_bytes clamps start/max; outside body callbacks the body buffer is empty", async () => {
    const emu = await loadProbe([
      "request_body: getbuf 0 2 3; getbuf 0 10; getbuf 0 0 0; getbuf 9 0",
      "response_headers: getbuf 0 0; bufstatus 1",
    ]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" });
    s.requestBody("abcdefg", { endOfStream: true });
    s.responseHeaders({ ":status": "200" }, { endOfStream: true });
    expect(results(emu, "request_body")).toEqual([
      "request_body getbuf 0 2 3 -> 0 cde",
      "request_body getbuf 0 10 -> 0",
      "request_body getbuf 0 0 0 -> 0",
      "request_body getbuf 9 0 -> 2",
    ]);
    expect(results(emu, "response_headers")).toEqual([
      "response_headers getbuf 0 0 -> 0",
      "response_headers bufstatus 1 -> 0 0 0",
    ]);
  });

  it("set_buffer_bytes: start 0 drains `size` then prepends; start >= length appends; mid-buffer is BadArgument", async () => {
    const emu = await loadProbe(["request_body: setbuf 0 0 3 NEW; setbuf 0 99 0 -END; setbuf 0 2 0 X; getbuf 0 0"]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" });
    s.requestBody("oldbody", { endOfStream: true });
    expect(results(emu, "request_body")).toEqual([
      "request_body setbuf 0 0 3 NEW -> 0",
      "request_body setbuf 0 99 0 -END -> 0",
      "request_body setbuf 0 2 0 X -> 2",
      "request_body getbuf 0 0 -> 0 NEWbody-END",
    ]);
    expect(s.request.body).toBe("NEWbody-END");
  });

  it("immutable buffers (VM/plugin configuration) reject set_buffer_bytes with BadArgument", async () => {
    const emu = await loadProbe(["request_headers: setbuf 6 0 0 x"], { vmConfig: "cfg" });
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers")).toEqual(["request_headers setbuf 6 0 0 x -> 2"]);
  });

  it("continue then Pause in the same callback effectively continues (continue is deferred)", async () => {
    const emu = await loadProbe(["request_headers: continue 0; return 1"]);
    const s = emu.httpStream();
    expect(s.requestHeaders({ ":path": "/" }, { endOfStream: true })).toBe("continue");
    expect(s.request.ended).toBe(true);
  });

  it("continue_stream: Unimplemented for UPSTREAM, BadArgument above 3", async () => {
    const emu = await loadProbe(["request_headers: continue 3; continue 4; close 7"]);
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers")).toEqual([
      "request_headers continue 3 -> 12",
      "request_headers continue 4 -> 2",
      "request_headers close 7 -> 2",
    ]);
  });

  it("close_stream resets the stream (details wasm_close_stream)", async () => {
    const emu = await loadProbe(["request_headers: close 0"]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" });
    expect(s.resetReason).toBe("wasm_close_stream");
  });
});

describe("local replies", () => {
  it("are deferred, override the callback's Continue to stop, and run through the response callbacks", async () => {
    const emu = await loadProbe([
      "request_headers: reply 401 access denied x-reason=probe; get 0 :path; return 0",
      "response_headers: get 2 :status; add 2 x-seen-by-filter 1",
    ]);
    const s = emu.httpStream();
    expect(s.requestHeaders({ ":path": "/secret" }, { endOfStream: true })).toBe("pause");
    expect(results(emu, "request_headers")).toEqual([
      "request_headers reply 401 access denied x-reason=probe -> 0",
      "request_headers get 0 :path -> 0 /secret", // still readable: the reply is only sent after the callback
    ]);
    expect(s.lastReturnCode).toBe(4);
    expect(s.localReply).toMatchObject({ status: 401, details: "access", bodyText: "denied", grpcStatus: null });
    expect(s.request.headersForwarded).toBe(false);
    expect(s.response.headers.get(":status")).toBe("401");
    expect(s.response.headers.get("x-reason")).toBe("probe");
    expect(s.response.headers.get("x-seen-by-filter")).toBe("1");
    expect(s.response.body).toBe("denied");
    expect(() => s.responseHeaders({ ":status": "200" })).toThrow(/after the filter answered locally \(status 401/);
  });

  it("emulator.request(): a local reply never reaches the upstream", async () => {
    const emu = await loadProbe(["request_headers: reply 429 rate_limited slow-down"]);
    const r = await emu.request({ path: "/" }, () => {
      throw new Error("upstream must not be called");
    });
    expect(r.status).toBe(429);
    expect(r.body).toBe("slow-down");
    expect(r.upstream).toBeNull();
    expect(r.stream.completed).toBe(true);
    expect(emu.logMessages()).toContain(`on_done ctx=${r.stream.contextId}`);
  });
});

describe("buffer limit and late replies", () => {
  it("a held request body over the buffer limit gets Envoy's local 413", async () => {
    const emu = await loadProbe(["request_body: return 1"], { bufferLimitBytes: 8 });
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" });
    expect(s.requestBody("12345")).toBe("pause");
    expect(s.localReply).toBeNull();
    s.requestBody("67890");
    expect(s.localReply).toMatchObject({ status: 413, details: "request_payload_too_large" });
    expect(s.request.body).toBe("");
  });

  it("a local reply after the response headers went out resets the stream instead", async () => {
    const emu = await loadProbe(["response_body: reply 500 too_late"]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" }, { endOfStream: true });
    s.responseHeaders({ ":status": "200" });
    s.responseBody("x", { endOfStream: true });
    expect(s.localReply).toBeNull();
    expect(s.resetReason).toBe("local_reply_after_response_headers");
    expect(s.response.headers.get(":status")).toBe("200");
  });
});

describe("properties", () => {
  it("derives request.* from the request headers while they are available, with Envoy's encodings", async () => {
    const emu = await loadProbe([
      "request_headers: prop request.path; prop request.url_path; prop request.query; prop request.host; prop request.method; prop request.scheme; prop request.headers.x-id",
      "request_body: prop request.path; prop request.protocol",
    ]);
    const s = emu.httpStream();
    s.requestHeaders({ ...GET, "x-id": "abc" });
    s.requestBody("x", { endOfStream: true });
    expect(results(emu, "request_headers")).toEqual([
      "request_headers prop request.path -> 0 6:/p?q=1",
      "request_headers prop request.url_path -> 0 2:/p",
      "request_headers prop request.query -> 0 3:q=1",
      "request_headers prop request.host -> 0 11:example.com",
      "request_headers prop request.method -> 0 3:GET",
      "request_headers prop request.scheme -> 0 5:https",
      "request_headers prop request.headers.x-id -> 0 3:abc",
    ]);
    expect(results(emu, "request_body")).toEqual([
      "request_body prop request.path -> 1",
      "request_body prop request.protocol -> 0 8:HTTP/1.1",
    ]);
  });

  it("has defaults for source/destination/connection and plugin_*; test-seeded values override them", async () => {
    const emu = await loadProbe(
      [
        "request_headers: prop source.address; prop destination.port int; prop plugin_name; prop plugin_vm_id; prop custom.thing; prop node.id; prop connection.mtls",
      ],
      {
        pluginName: "my-plugin",
        vmId: "vm-1",
        properties: { "source.address": "10.0.0.1:1234", "custom.thing": "seeded" },
      },
    );
    emu.httpStream({ properties: { "connection.mtls": true } }).requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers")).toEqual([
      "request_headers prop source.address -> 0 13:10.0.0.1:1234",
      "request_headers prop destination.port int -> 0 8:10000",
      "request_headers prop plugin_name -> 0 9:my-plugin",
      "request_headers prop plugin_vm_id -> 0 4:vm-1",
      "request_headers prop custom.thing -> 0 6:seeded",
      "request_headers prop node.id -> 1",
      "request_headers prop connection.mtls -> 0 1:\u0001",
    ]);
  });

  it("set_property stores filter state readable back by path; NotFound in a root context", async () => {
    const emu = await loadProbe([
      "request_headers: setprop my_key hello; prop my_key",
      "tick: setprop k v; tick 0",
      "configure: tick 5",
    ]);
    emu.httpStream().requestHeaders({ ":path": "/" });
    emu.advance(5);
    expect(results(emu, "request_headers")).toEqual([
      "request_headers setprop my_key hello -> 0",
      "request_headers prop my_key -> 0 5:hello",
    ]);
    expect(results(emu, "tick")[0]).toBe("tick setprop k v -> 1");
  });
});

describe("lifecycle and the request helper", () => {
  it("calls on_log, on_done, on_delete once at completion, in that order; request() frames like Envoy's HTTP/1.1 codec", async () => {
    const emu = await loadProbe([]);
    const r = await emu.request(
      { method: "POST", path: "/upload", body: "payload", headers: { "x-a": "1" } },
      (req) => {
        expect(req.body).toBe("payload");
        expect(req.headers.get(":method")).toBe("POST");
        return { status: 201, headers: { "x-up": "1" }, body: "created" };
      },
    );
    expect(r.status).toBe(201);
    expect(r.body).toBe("created");
    expect(r.headers.get("x-up")).toBe("1");
    const id = r.stream.contextId;
    const lifecycle = emu.logMessages().filter((m) => /^(on_|request_|response_)/.test(m));
    // 4 pseudo-headers, x-a, content-length, x-forwarded-proto, x-request-id; the body chunk then an empty
    // end-of-stream chunk (trace h1-post-body); :status, connection, x-up, date, content-length and the router's
    // x-envoy-upstream-service-time (trace h1-get).
    expect(lifecycle).toEqual([
      "request_headers n=8 eos=0",
      "request_body size=7 eos=0",
      "request_body size=0 eos=1",
      "response_headers n=6 eos=0",
      "response_body size=7 eos=0",
      "response_body size=0 eos=1",
      `on_log ctx=${id}`,
      `on_done ctx=${id}`,
      `on_delete ctx=${id}`,
    ]);
    r.stream.complete();
    expect(emu.logMessages().filter((m) => m.startsWith("on_log")).length).toBe(1);
  });

  it("rejects API misuse with a clear message and sends nothing to the module", async () => {
    const emu = await loadProbe([]);
    const s = emu.httpStream();
    expect(() => s.requestBody("x")).toThrow(EmulatorUsageError);
    s.requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(() => s.requestHeaders({ ":path": "/" })).toThrow(/called twice/);
    expect(() => s.requestBody("late")).toThrow(/after the end of the request stream/);
  });

  it("HeaderMap keeps pseudo-headers first and joins multi-values in toObject()", () => {
    const h = new HeaderMap({ b: "1" });
    h.add(":path", "/");
    h.add("B", "2");
    expect(h.entries()).toEqual([
      [":path", "/"],
      ["b", "1"],
      ["b", "2"],
    ]);
    expect(h.toObject()).toEqual({ ":path": "/", b: "1,2" });
  });
});
