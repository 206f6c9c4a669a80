// Emulator rules found by the differential suite (test/differential): each test names the recorded Envoy trace
// (test/differential/traces/<version>/<scenario>.json) that shows Envoy's behaviour.
import { describe, expect, it } from "vitest";
import { parsesAsTargetlessGrpcService } from "./callouts.ts";
import { EnvoyWouldAbortError } from "./errors.ts";
import { loadProbe, results } from "./test-support/probe.ts";

describe("rules backed by recorded Envoy traces", () => {
  it("a local reply lists content-length before content-type (trace h1-local-reply-headers)", async () => {
    const emu = await loadProbe(["request_headers: reply 403 denied nope x-r=1", "response_headers: pairs 2"]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(results(emu, "response_headers pairs")).toEqual([
      "response_headers pairs 2 -> 0 :status=403,x-r=1,content-length=4,content-type=text/plain",
    ]);
  });

  it("the first local reply of a callback wins (trace h1-local-reply-twice)", async () => {
    const emu = await loadProbe(["request_headers: reply 401 first one; reply 402 second two"]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(s.localReply).toMatchObject({ status: 401, bodyText: "one" });
  });

  it("a gRPC request gets a gRPC local reply: 200, grpc-status mapped from the HTTP status, body as grpc-message (traces h1-local-reply-grpc*)", async () => {
    const emu = await loadProbe(["request_headers: reply 403 denied not%allowed"]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/", "content-type": "application/grpc" }, { endOfStream: true });
    expect(s.response.headers.toObject()).toEqual({
      ":status": "200",
      "content-type": "application/grpc",
      "grpc-status": "7",
      "grpc-message": "not%25allowed",
    });
    expect(s.response.body).toBe("");
    const plain = emu.httpStream();
    plain.requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(plain.response.headers.get("grpc-status")).toBeUndefined(); // not a gRPC request: no grpc-status
  });

  it("a trapped stream fails closed without grpc-status for a non-gRPC request (trace h1-trap-fail-closed)", async () => {
    const emu = await loadProbe(["request_headers: trap"]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(s.response.headers.toObject()).toEqual({ ":status": "503" });
  });

  it("response.code is readable from on_response_headers on (trace h1-log-properties)", async () => {
    const emu = await loadProbe(["response_headers: prop response.code int"]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/" }, { endOfStream: true });
    s.responseHeaders({ ":status": "201" }, { endOfStream: true });
    expect(results(emu, "response_headers prop")[0]).toMatch(/^response_headers prop response\.code int -> 0 /);
  });

  it("removing x-forwarded-proto leaves Envoy's router without a route: 404 through the filter (traces h1-set-all, h2-remove-forwarded-proto)", async () => {
    const emu = await loadProbe(["request_headers: remove 0 x-forwarded-proto", "response_headers: pairs 2"]);
    const s = emu.httpStream();
    s.requestHeaders({ ":path": "/", "x-forwarded-proto": "http" }, { endOfStream: true });
    expect(s.localReply).toMatchObject({ status: 404, details: "route_not_found" });
    expect(results(emu, "response_headers pairs")).toEqual(["response_headers pairs 2 -> 0 :status=404"]);
    const kept = emu.httpStream();
    kept.requestHeaders({ ":path": "/", "x-forwarded-proto": "http" }, { endOfStream: true });
    expect(kept.request.headersForwarded).toBe(true);
  });

  it("a gRPC cluster name that parses as a targetless GrpcService throws EnvoyWouldAbortError: Envoy aborts on it (trace h1-grpc-abort)", async () => {
    expect(parsesAsTargetlessGrpcService(new TextEncoder().encode("answering-grpc"))).toBe(true); // 'a' = field 12, fixed64; '-' = field 5, fixed32
    expect(parsesAsTargetlessGrpcService(new TextEncoder().encode("echo-grpc"))).toBe(false); // 'g' is no wire type
    expect(parsesAsTargetlessGrpcService(new Uint8Array([0x0a, 0x02, 0x0a, 0x00]))).toBe(false); // has envoy_grpc
    const emu = await loadProbe(["request_headers: grpc answering-grpc Call ping"], {
      grpcServices: { "answering-grpc": () => ({ message: "x" }) },
    });
    const s = emu.httpStream();
    const thrown = (() => {
      try {
        s.requestHeaders({ ":path": "/" }, { endOfStream: true });
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(EnvoyWouldAbortError);
    const abort = thrown as EnvoyWouldAbortError;
    expect([abort.hostCall, abort.envoyPanic, abort.exportName]).toEqual([
      "proxy_grpc_call",
      "panic: unset oneof",
      "proxy_on_request_headers",
    ]);
    expect(abort.message).toContain("proxy_grpc_call from proxy_on_request_headers");
    expect(abort.hint).toContain("rename the cluster");
    // No failure policy hides it (Envoy has none for a crash): every later stream throws the same error.
    expect(emu.failed).toBe(true);
    expect(() => emu.httpStream()).toThrow(abort);
    const stream = await loadProbe(["request_headers: gstream answering-grpc Talk"], {
      grpcServices: { "answering-grpc": { stream: () => {} } },
    });
    expect(() => stream.httpStream().requestHeaders({ ":path": "/" })).toThrow(/proxy_grpc_stream .*would abort Envoy/);
    const fine = await loadProbe(["request_headers: grpc echo-grpc Call ping"], {
      grpcServices: { "echo-grpc": () => ({ message: "x" }) },
    });
    fine.httpStream().requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(fine.failed).toBe(false);
  });

  it("a property none of Envoy's attributes answers NotFound, as Envoy does, with one hint naming it; Envoy's own absent ones get none (attribute table)", async () => {
    const emu = await loadProbe([
      "request_headers: prop my.custom; prop my.custom; prop request.duration; prop xds.virtual_host_name",
    ]);
    emu.httpStream().requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(results(emu, "request_headers prop").map((l) => l.split(" -> ")[1])).toEqual(["1", "1", "1", "0 3:all"]);
    const hints = emu.logMessages().filter((m) => m.startsWith("emulator: property"));
    expect(hints).toHaveLength(1);
    expect(hints[0]).toContain('"my.custom" is none of Envoy\'s attributes');
    expect(hints[0]).toContain("`properties` option");
  });

  it("closing the stream from on_upstream_data drops that chunk: the client connection closes first (trace tcp-close-upstream)", async () => {
    const emu = await loadProbe(["upstream_data: close 3"]);
    const c = emu.tcpConnection();
    c.downstreamData("hello");
    c.upstreamData("hello");
    expect(c.toDownstream.text).toBe("");
    expect(c.closedBy).toBe("filter");
  });
});
