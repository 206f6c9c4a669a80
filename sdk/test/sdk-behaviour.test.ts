// SDK behaviour on the in-process Envoy emulator: build/sdk-behaviour.wasm (test/fixtures/sdk-behaviour) picks
// one SDK feature per request via `x-case` and reports results as x-r-* request headers or log lines.
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { Emulator } from "@proxy-wasm-as/harness";
import { propertyUint as uint, propertyDouble as double } from "@proxy-wasm-as/harness/emulator";

const GET = { ":method": "GET", ":path": "/p", ":authority": "example.com", ":scheme": "http" };
const built = (file: string) => fileURLToPath(new URL(`../../build/${file}`, import.meta.url));

// The same behaviour must hold with the minimal runtime (default build) and the incremental GC.
for (const variant of ["sdk-behaviour", "sdk-behaviour-incremental"]) {
  describe(variant, () => {
    const WASM = built(`${variant}.wasm`);
    const DEBUG_WASM = built(`${variant}.debug.wasm`);
    const load = (options: Parameters<typeof Emulator.load>[1] = {}) => Emulator.load(WASM, options);

    describe("header maps", () => {
      it("tells a missing header (null, NotFound) from an empty one, and sets/adds/removes", async () => {
        const emu = await load();
        const s = emu.httpStream();
        expect(
          s.requestHeaders(
            { ...GET, "x-case": "headers", "x-empty": "", "x-multi": "first", "x-remove": "bye" },
            { endOfStream: true },
          ),
        ).toBe("continue");
        const h = s.request.headers;
        expect(h.get("x-r-missing")).toBe("null");
        expect(h.get("x-r-missing-status")).toBe("1"); // Status.NotFound is a value, not a trap
        expect(h.get("x-r-empty")).toBe("[]");
        expect(h.get("x-r-has-empty")).toBe("yes");
        expect(h.get("x-r-count")).toBe("8");
        expect(h.getAll("x-multi")).toEqual(["first", "second"]);
        expect(h.has("x-remove")).toBe(false);
        expect(h.get("x-r-first")).toBe(":method=GET");
        expect(Number(h.get("x-r-size"))).toBeGreaterThan(20);
      });

      it("replaces the whole map with setAll", async () => {
        const emu = await load();
        const s = emu.httpStream();
        s.requestHeaders({ ...GET, "x-case": "setall", "x-old": "1" }, { endOfStream: true });
        expect(s.request.headers.entries()).toEqual([
          [":method", "GET"],
          [":path", "/replaced"],
          ["x-only", "1"],
        ]);
      });
    });

    describe("bodies", () => {
      it("buffers with Pause, then replaces, appends and prepends the body (set_buffer_bytes)", async () => {
        const emu = await load();
        const r = await emu.request({ method: "POST", headers: { "x-case": "body" }, body: "hello" });
        expect(r.upstream?.body).toBe(">HELLO!");
      });
    });

    describe("local replies", () => {
      it("sendLocalResponse answers the client and stops the stream", async () => {
        const emu = await load();
        const r = await emu.request({ headers: { "x-case": "local" } });
        expect(r.status).toBe(403);
        expect(r.body).toBe("denied by sdk");
        expect(r.upstream).toBeNull();
        expect(r.localReply?.headers).toContainEqual(["x-reason", "policy"]);
        expect(r.localReply?.grpcStatus).toBeNull();
      });
    });

    describe("properties", () => {
      it("reads string, int64, uint64, double, bool and map properties; absent is null; set then get back", async () => {
        const emu = await load({
          properties: {
            "custom.int": -42,
            "custom.uint": uint(18446744073709551615n),
            "custom.double": double(2.5),
            "custom.flag": true,
            "custom.map": { k: "v" },
          },
        });
        const s = emu.httpStream();
        s.requestHeaders({ ...GET, ":path": "/props", "x-case": "properties" }, { endOfStream: true });
        const h = s.request.headers;
        expect(h.get("x-r-path")).toBe("/props");
        expect(h.get("x-r-bytes")).toMatch(/^\/props (\d+) \1$/); // byte pairs: same entries as the string pairs
        expect(h.get("x-r-i64")).toBe("-42");
        expect(h.get("x-r-u64")).toBe("18446744073709551615");
        expect(h.get("x-r-f64")).toBe("2.5");
        expect(h.get("x-r-bool")).toBe("true");
        expect(h.get("x-r-absent")).toBe("null:1");
        expect(h.get("x-r-map")).toBe("k=v");
        expect(h.get("x-r-set")).toBe("0");
        expect(h.get("x-r-get-back")).toBe("hello");
      });
    });

    describe("metrics", () => {
      it("counters, gauges and histograms follow Envoy's rules (a zero counter increment is a no-op)", async () => {
        const emu = await load();
        await emu.request({ headers: { "x-case": "none" } });
        const s = emu.httpStream();
        s.requestHeaders({ ...GET, "x-case": "metrics" }, { endOfStream: true });
        expect(s.request.headers.get("x-r-counter")).toBe("2");
        expect(s.request.headers.get("x-r-gauge")).toBe("3");
        expect(s.request.headers.get("x-r-zero")).toBe("0");
        expect(emu.metric("sdk_requests")).toBe(2);
        expect(emu.metric("sdk_active")).toBe(3);
        expect(emu.histogram("sdk_sizes")).toEqual([42, 7]);
      });
    });

    describe("shared data and queues", () => {
      it("compare-and-swap: a stale cas gives CasMismatch (8) as a value", async () => {
        const emu = await load();
        const s = emu.httpStream();
        s.requestHeaders({ ...GET, "x-case": "shared" }, { endOfStream: true });
        const h = s.request.headers;
        expect(h.get("x-r-first")).toBe("null:1");
        expect(h.get("x-r-set")).toBe("0");
        expect(h.get("x-r-read")).toBe("v1");
        expect(h.get("x-r-cas-ok")).toBe("0");
        expect(h.get("x-r-cas-stale")).toBe("8");
        expect(h.get("x-r-final")).toBe("v2");
      });

      it("a queue registered by the root is resolved by a stream; onQueueReady drains it until Empty (7)", async () => {
        const emu = await load({ pluginConfig: { queue: true } });
        const s = emu.httpStream();
        s.requestHeaders({ ...GET, "x-case": "queue" }, { endOfStream: true });
        expect(s.request.headers.get("x-r-queue")).toBe("same");
        emu.flush();
        const lines = emu.logMessages("info").filter((m) => m.startsWith("queue"));
        expect(lines[0]).toMatch(/^queue \d+: one$/);
        expect(lines[1]).toMatch(/^queue \d+: two$/);
        expect(lines).toContain("queue drained with status 7");
      });
    });

    describe("ticks", () => {
      it("setTickPeriod from onConfigure drives onTick on the virtual clock", async () => {
        const emu = await load({ pluginConfig: { tickMs: 100 } });
        emu.advance(350);
        expect(emu.metric("sdk_ticks")).toBe(3);
        expect(emu.logMessages("info")).toContain("tick 3");
      });
    });

    describe("HTTP callouts", () => {
      it("delivers the response to the stream that made the call, with its context effective", async () => {
        const emu = await load({ upstreams: { backend: () => ({ status: 201, body: "ok-body" }) } });
        const r = await emu.request({ headers: { "x-case": "callout" } });
        expect(r.upstream?.headers.get("x-r-callout")).toBe("201:ok-body");
        expect(r.upstream?.headers.get("x-r-context")).toBe(String(r.stream.contextId));
        expect(emu.callouts[0].headers.get(":path")).toBe("/auth");
      });

      it("reports a reset callout as failed with status 11", async () => {
        const emu = await load({ upstreams: { backend: () => ({ reset: true }) } });
        const r = await emu.request({ headers: { "x-case": "callout" } });
        expect(r.upstream?.headers.get("x-r-callout")).toMatch(/^failed:11:/);
      });

      it("an unknown cluster gives token 0 and BadArgument (2) as a value", async () => {
        const emu = await load();
        const r = await emu.request({ headers: { "x-case": "callout-bad-cluster" } });
        expect(r.upstream?.headers.get("x-r-token")).toBe("0:2");
      });

      it("drops the response when the stream ended first, without trapping", async () => {
        const emu = await load({ upstreams: { backend: () => ({ status: 200, delayMs: 50 }) } });
        const s = emu.httpStream();
        expect(s.requestHeaders({ ...GET, "x-case": "callout" }, { endOfStream: true })).toBe("pause");
        s.complete();
        emu.advance(100);
        expect(emu.failures).toEqual([]);
        const after = await emu.request({ headers: { "x-case": "none" } });
        expect(after.status).toBe(200);
      });
    });

    describe("gRPC calls", () => {
      it("routes a unary response (receive only, as Envoy does) to the calling stream", async () => {
        const emu = await load({
          grpcServices: {
            "grpc-backend": {
              unary: (req) => ({ status: 0, message: `pong:${new TextDecoder().decode(req.message)}` }),
            },
          },
        });
        const r = await emu.request({ headers: { "x-case": "grpc" } });
        expect(r.upstream?.headers.get("x-r-grpc-message")).toBe("pong:ping");
        expect(r.upstream?.headers.get("x-r-grpc-status")).toBeUndefined();
        expect(emu.callouts[0].kind).toBe("grpc-call");
      });

      it("routes a failed call's close status and message to the calling stream", async () => {
        const emu = await load({
          grpcServices: { "grpc-backend": { unary: () => ({ status: 7, statusMessage: "denied" }) } },
        });
        const r = await emu.request({ headers: { "x-case": "grpc" } });
        // Envoy appends the response code details to an upstream's grpc-message.
        expect(r.upstream?.headers.get("x-r-grpc-status")).toBe("7:denied{via_upstream}");
      });
    });

    describe("gRPC streams", () => {
      it("sends, half-closes, and routes initial metadata, messages, trailers and close to the calling stream", async () => {
        const received: string[] = [];
        const emu = await load({
          grpcServices: {
            chat: {
              stream: (server) => {
                server.onMessage = (m) => {
                  received.push(new TextDecoder().decode(m));
                  server.sendInitialMetadata({ "x-md": "1" });
                  server.send("reply");
                };
                server.onClose = (how) => {
                  received.push(how);
                  server.close(0, "", { "x-trailer": "t" });
                };
              },
            },
          },
        });
        const r = await emu.request({ headers: { "x-case": "grpc-stream" } });
        expect(received).toEqual(["hello", "half-close"]);
        expect(r.upstream?.headers.getAll("x-r-grpc-events")).toEqual(["initial:1", "message:reply", "trailing:t"]);
        expect(r.upstream?.headers.get("x-r-grpc-status")).toBe("0:via_upstream"); // Envoy: the details alone when the upstream sent no grpc-message
        expect(emu.callouts[0].kind).toBe("grpc-stream");
      });
    });

    describe("TCP", () => {
      it("frames downstream data and upper-cases upstream data", async () => {
        const emu = await load({ rootId: "tcp" });
        const c = emu.tcpConnection();
        expect(c.downstreamData("abc")).toBe("continue");
        expect(c.toUpstream.text).toBe("[abc]");
        c.upstreamData("reply");
        expect(c.toDownstream.text).toBe("REPLY");
        c.close("remote");
        expect(emu.logMessages("info")).toContain("downstream closed by 2");
      });
    });

    describe("root ids", () => {
      it("several roots in one module are picked by root_id; an unknown root_id with no default would fail clearly", async () => {
        const emu = await load({ rootId: "other" });
        const r = await emu.request({ headers: { "x-case": "headers" } });
        expect(r.upstream?.headers.get("x-root")).toBe("other");
        expect(r.upstream?.headers.get("x-r-missing")).toBeUndefined();
        const fallback = await load({ rootId: "unknown-id" });
        const r2 = await fallback.request({ headers: { "x-case": "setall" } });
        expect(r2.stream.request.headers.get("x-only")).toBe("1"); // the "" root is the default
        expect(r2.localReply?.details).toBe("route_not_found"); // setAll dropped x-forwarded-proto: no route in Envoy (trace h1-set-all)
      });
    });

    describe("configuration", () => {
      it("invalid JSON makes onConfigure return false with ONE clear log line naming the position", async () => {
        const error = await load({ pluginConfig: '{"tickMs": 10,, }' }).catch(
          (e: unknown) => e as { message: string; logs: Array<{ level: string; message: string }> },
        );
        expect(error).toBeInstanceOf(Error);
        const errors = (error as { logs: Array<{ level: string; message: string }> }).logs.filter(
          (l) => l.level === "error",
        );
        expect(errors).toHaveLength(1);
        expect(errors[0].message).toBe(
          "invalid plugin configuration: expected a string object key but found ',' at line 1, column 15 (offset 14)",
        );
      });

      it("a JSON document that is not an object is rejected with its kind", async () => {
        const error = await load({ pluginConfig: "[1,2]" }).catch(
          (e: unknown) => e as { logs: Array<{ level: string; message: string }> },
        );
        expect(error.logs.map((l) => l.message)).toContain(
          "invalid plugin configuration: expected a JSON object but got array",
        );
      });
    });

    describe("JSON parser", () => {
      const parse = async (json: string) => {
        const emu = await load();
        const s = emu.httpStream();
        s.requestHeaders({ ...GET, "x-case": "json", "x-json": json }, { endOfStream: true });
        return s.request.headers.get("x-r-json");
      };
      it("parses nested values, escapes, unicode and numbers", async () => {
        expect(await parse('{"a":[1,-2.5,3e2,0.125],"b":{"c":null,"d":true,"e":false},"s":"q\\"\\\\\\u00e9\\n"}')).toBe(
          '{a=[n:1.0,n:-2.5,n:300.0,n:0.125],b={c=null,d=true,e=false},s=s:q"\\é\n}',
        );
        expect(await parse(" [ ] ")).toBe("[]");
        expect(await parse('{"k":1,"k":2}')).toBe("{k=n:1.0,k=n:2.0}");
      });
      it("reports what is wrong and where", async () => {
        expect(await parse('{"a" 1}')).toBe(
          "error:expected ':' after object key \"a\" but found '1' at line 1, column 6 (offset 5)",
        );
        expect(await parse("[1,]")).toBe("error:expected a JSON value but found ']' at line 1, column 4 (offset 3)");
        expect(await parse("01")).toBe("error:numbers must not have leading zeros at line 1, column 1 (offset 0)");
        expect(await parse('"abc')).toBe(
          "error:unterminated string (missing closing '\"') at line 1, column 5 (offset 4)",
        );
        expect(await parse("tru")).toBe("error:expected a JSON value but found 't' at line 1, column 1 (offset 0)");
        expect(await parse("1 2")).toBe(
          "error:unexpected trailing '2' after the JSON value at line 1, column 3 (offset 2)",
        );
        expect(await parse('"\\x"')).toBe("error:invalid escape '\\x' in string at line 1, column 2 (offset 1)");
      });
    });

    describe("logging", () => {
      it("checks the level: trace and debug are not produced at the default info level", async () => {
        const emu = await load();
        await emu.request({ headers: { "x-case": "log" } });
        expect(emu.logMessages()).toContain("info line");
        expect(emu.logMessages()).not.toContain("debug enabled");
        const verbose = await load({ logLevel: "trace" });
        await verbose.request({ headers: { "x-case": "log" } });
        expect(verbose.logMessages()).toEqual(expect.arrayContaining(["debug enabled", "info line", "trace line"]));
      });

      // Envoy does not tell a module that the level changed (POST /logging): the SDK reads it at every root callback
      // and keeps it for at most 64 stream callbacks, so per-request logging makes no proxy_get_log_level call.
      it("sees a level changed at run time within 64 stream callbacks, or at the next tick, without asking per request", async () => {
        const emu = await load({ pluginConfig: { tickMs: 1000 }, trace: true });
        const debugLines = () => emu.logMessages().filter((m) => m === "debug enabled").length;
        const levelReads = () => emu.trace.filter((e) => e.call === "env.proxy_get_log_level").length;
        const streamCallbacks = () =>
          emu.trace.filter((e) => e.call.startsWith("guest.proxy_on_") && e.contextId !== emu.rootContextId()).length;
        const callbacksBefore = streamCallbacks();
        await emu.request({ headers: { "x-case": "log" } });
        const perRequest = streamCallbacks() - callbacksBefore;
        const readsBefore = levelReads();
        emu.setLogLevel("debug");
        let requests = 0;
        while (debugLines() === 0 && requests < 40) {
          await emu.request({ headers: { "x-case": "log" } });
          requests++;
        }
        expect(debugLines()).toBe(1);
        // requests went by on the old level, but no more than 64 stream callbacks' worth
        expect(perRequest).toBeGreaterThan(1);
        expect(requests).toBeGreaterThan(1);
        expect(requests).toBeLessThanOrEqual(Math.ceil(64 / perRequest) + 1);
        expect(levelReads() - readsBefore).toBe(1);
        // back to info: a tick (a root callback) reads the level again at once
        emu.setLogLevel("info");
        emu.advance(1000);
        await emu.request({ headers: { "x-case": "log" } });
        expect(debugLines()).toBe(1);
      });
    });

    describe("abort", () => {
      for (const [label, path] of [
        ["release", WASM],
        ["debug", DEBUG_WASM],
      ] as const) {
        it(`logs one critical line with message and location, then traps (${label})`, async () => {
          const emu = await Emulator.load(path);
          const r = await emu.request({ headers: { "x-case": "abort" } });
          const critical = emu.logs.filter((l) => l.level === "critical").map((l) => l.message);
          expect(critical).toHaveLength(1);
          expect(critical[0]).toMatch(
            /^abort: deliberate failure for the test at test\/fixtures\/sdk-behaviour\/index\.ts:\d+:\d+$/,
          );
          expect(emu.failures).toHaveLength(1);
          expect(r.status).toBe(503);
        });
      }
    });
  });
}
