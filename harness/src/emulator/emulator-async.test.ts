// Root-owned asynchronous work: HTTP and gRPC callouts, ticks on the virtual clock, shared queues (async delivery),
// shared data with CAS, metrics, and several VMs sharing one EmulatorHost.
import { describe, expect, it } from "vitest";
import { EmulatorHost } from "./index.ts";
import { loadProbe, results } from "./test-support/probe.ts";

const AUTH_HEADERS = ":method=GET,:path=/check,:authority=auth";

describe("HTTP callouts", () => {
  it("route to the cluster's handler; the response goes to the ROOT id; the stream resumes via effective context", async () => {
    const seen: string[] = [];
    const emu = await loadProbe(
      [
        `request_headers: call auth ${AUTH_HEADERS} 5000 body; return 1`,
        "http_call_response: get 6 :status; get 6 x-user; getbuf 4 0; effective $ctx; add 0 x-user alice; continue 0",
      ],
      {
        upstreams: {
          auth: (req) => {
            seen.push(`${req.headers.get(":path")} ${req.headers.get("content-length")} ${req.text()}`);
            return { status: 200, headers: { "x-user": "alice" }, body: "ok", delayMs: 20 };
          },
        },
      },
    );
    const s = emu.httpStream();
    expect(s.requestHeaders({ ":path": "/" }, { endOfStream: true })).toBe("pause");
    expect(results(emu, "request_headers")).toEqual([`request_headers call auth ${AUTH_HEADERS} 5000 body -> 0 4`]);
    expect(seen).toEqual(["/check 4 body"]);
    emu.advance(19);
    expect(s.request.headersForwarded).toBe(false);
    emu.advance(1);
    expect(emu.logMessages()).toContain("http_call_response root=1 token=4 headers=3 body=2 trailers=0");
    expect(results(emu, "http_call_response")).toEqual([
      "http_call_response get 6 :status -> 0 200",
      "http_call_response get 6 x-user -> 0 alice",
      "http_call_response getbuf 4 0 -> 0 ok",
      "http_call_response effective $ctx -> 0",
      "http_call_response add 0 x-user alice -> 0",
      "http_call_response continue 0 -> 0",
    ]);
    expect(s.request.headers.get("x-user")).toBe("alice");
    expect(s.request.ended).toBe(true);
    expect(emu.callouts.map((c) => [c.cluster, c.token])).toEqual([["auth", 4]]);
  });

  it("tokens follow Envoy's scheme (4, 8, …); response data is NotFound outside the callback", async () => {
    const emu = await loadProbe(
      [`request_headers: call auth ${AUTH_HEADERS} 0; call auth ${AUTH_HEADERS} 0; getbuf 4 0`],
      { upstreams: { auth: () => ({ status: 204 }) } },
    );
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers").map((l) => l.split(" -> ")[1])).toEqual(["0 4", "0 8", "1"]);
  });

  it("unknown cluster or missing :method/:path/:authority → BadArgument", async () => {
    const emu = await loadProbe(
      [
        `request_headers: call nowhere ${AUTH_HEADERS} 0; call auth :method=GET,:path=/ 0; call auth :path=/,:authority=a 0`,
      ],
      { upstreams: { auth: () => ({}) } },
    );
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers").map((l) => l.split(" -> ")[1])).toEqual(["2", "2", "2"]);
    expect(emu.logMessages("warn")[0]).toContain('unknown cluster "nowhere"');
  });

  it('a reset arrives as num_headers=0 and proxy_get_status gives 11 "reset"', async () => {
    const emu = await loadProbe([`request_headers: call auth ${AUTH_HEADERS} 0`, "http_call_response: status"], {
      upstreams: { auth: () => ({ reset: true }) },
    });
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(emu.logMessages().some((m) => m.startsWith("http_call_response"))).toBe(false); // asynchronous
    emu.flush();
    expect(emu.logMessages()).toContain("http_call_response root=1 token=4 headers=0 body=0 trailers=0");
    expect(results(emu, "http_call_response")).toEqual(["http_call_response status -> 0 11 reset"]);
  });

  it("a response slower than the timeout becomes Envoy's 504 at the timeout", async () => {
    const emu = await loadProbe(
      [`request_headers: call auth ${AUTH_HEADERS} 100`, "http_call_response: get 6 :status; getbuf 4 0"],
      { upstreams: { auth: () => ({ status: 200, delayMs: 5000 }) } },
    );
    emu.httpStream().requestHeaders({ ":path": "/" });
    emu.advance(99);
    expect(results(emu, "http_call_response")).toEqual([]);
    emu.advance(1);
    expect(results(emu, "http_call_response")).toEqual([
      "http_call_response get 6 :status -> 0 504",
      "http_call_response getbuf 4 0 -> 0 upstream request timeout",
    ]);
  });

  it("emulator.request() drives pending callouts until the filter resumes", async () => {
    const emu = await loadProbe(
      [`request_headers: call auth ${AUTH_HEADERS} 0; return 1`, "http_call_response: effective $ctx; continue 0"],
      { upstreams: { auth: () => ({ delayMs: 50 }) } },
    );
    const r = await emu.request({ path: "/x" }, (req) => ({ status: 200, body: `saw ${req.headers.get(":path")}` }));
    expect(r.body).toBe("saw /x");
    expect(emu.host.nowMs).toBe(50);
  });
});

describe("gRPC callouts", () => {
  it("unary call: message delivered with proxy_on_grpc_receive; errors with proxy_on_grpc_close + get_status", async () => {
    // (not "users": that name parses as a GrpcService protobuf and Envoy aborts; see emulator-envoy-traces.test.ts)
    const emu = await loadProbe(
      [
        "request_headers: grpc grpc-users Get ping; grpc grpc-users Fail x; grpc unknown X",
        "grpc_receive: getbuf 5 0",
        "grpc_close: status",
      ],
      {
        grpcServices: {
          "grpc-users": (req) =>
            req.method === "Get"
              ? { message: `pong:${new TextDecoder().decode(req.message)}` }
              : { status: 7, statusMessage: "denied" },
        },
      },
    );
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers").map((l) => l.split(" -> ")[1])).toEqual(["0 5", "0 9", "4"]);
    emu.flush();
    expect(emu.logMessages()).toContain("grpc_receive root=1 token=5 size=9");
    expect(results(emu, "grpc_receive")).toEqual(["grpc_receive getbuf 5 0 -> 0 pong:ping"]);
    expect(emu.logMessages()).toContain("grpc_close token=9 status=7");
    expect(results(emu, "grpc_close")).toEqual(["grpc_close status -> 0 7 denied{via_upstream}"]); // Envoy appends the details
  });

  it("a unary reply slower than the call's timeout closes with UNAVAILABLE (14) and Envoy's timeout message", async () => {
    const emu = await loadProbe(["grpc_close: status"], {
      grpcServices: { slow: () => ({ message: "late", delayMs: 500 }) },
    });
    // The probe's grpc command uses timeout 0 (none); drive a timeout through the raw callout engine instead.
    const root = emu.vm.context(emu.rootContextId())!;
    let token = 0;
    const status = emu.vm.callouts.grpcCall(
      root,
      {
        service: new TextEncoder().encode("slow"),
        serviceName: "svc",
        method: "M",
        metadata: [],
        message: new Uint8Array(0),
        timeoutMs: 100,
      },
      (t) => (token = t),
    );
    expect([status, token]).toEqual([0, 5]); // Envoy's first gRPC call token (trace h1-callout-tokens)
    emu.advance(99);
    expect(results(emu, "grpc_close")).toEqual([]);
    emu.advance(1);
    expect(emu.logMessages()).toContain("grpc_close token=5 status=14");
    expect(results(emu, "grpc_close")).toEqual([
      "grpc_close status -> 0 14 upstream request timeout{response_timeout}",
    ]);
  });

  it("streams: send reaches the handler; server messages, trailers and close arrive in order; cancel stops delivery", async () => {
    const received: string[] = [];
    const emu = await loadProbe(
      ["request_headers: gstream chat Talk; gsend $token hello 0; gclose $token; gsend 1 x; gcancel 3"],
      {
        grpcServices: {
          chat: {
            stream: (s) => {
              s.onMessage = (m) => {
                received.push(new TextDecoder().decode(m));
                s.sendInitialMetadata({ "x-md": "1" });
                s.send("reply");
              };
              s.onClose = (how) => {
                received.push(how);
                s.close(0, "", { "x-trailer": "t" });
              };
            },
          },
        },
      },
    );
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers").map((l) => l.split(" -> ")[1])).toEqual(["0 6", "0", "0", "2", "2"]);
    expect(received).toEqual(["hello", "half-close"]);
    emu.flush();
    expect(emu.logMessages().filter((m) => m.startsWith("grpc_"))).toEqual([
      "grpc_initial_metadata token=6 n=1",
      "grpc_receive root=1 token=6 size=5",
      "grpc_trailing_metadata token=6 n=1",
      "grpc_close token=6 status=0",
    ]);
  });
});

describe("root teardown", () => {
  it("a root returning false from on_done waits for proxy_done; on_delete follows that call", async () => {
    const emu = await loadProbe(["configure: tick 10", "done: ondone 0", "tick: done"]);
    emu.advance(10);
    expect(results(emu, "tick")).toEqual(["tick done -> 1"]); // NotFound: nothing pending yet
    emu.shutdown();
    expect(emu.logMessages()).toContain("on_done ctx=1");
    expect(emu.logMessages()).not.toContain("on_delete ctx=1");
    emu.advance(10);
    expect(results(emu, "tick")).toEqual(["tick done -> 1", "tick done -> 0"]);
    expect(emu.logMessages()).toContain("on_delete ctx=1");
    emu.advance(10);
    expect(results(emu, "tick")).toHaveLength(2); // the root is gone: no more ticks
  });
});

describe("virtual clock and DNS", () => {
  it("proxy_get_current_time_nanoseconds follows the virtual clock from the host's start time", async () => {
    const host = new EmulatorHost({ startTimeMs: 1_700_000_000_000 });
    const emu = await loadProbe(["request_headers: now"], { host });
    emu.httpStream().requestHeaders({ ":path": "/" });
    emu.advance(1500);
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers")).toEqual([
      "request_headers now -> 0 1700000000000ms",
      "request_headers now -> 0 1700000001500ms",
    ]);
  });

  it("envoy_resolve_dns answers asynchronously on the root from the dns option; unknown names give size 0", async () => {
    const emu = await loadProbe(["request_headers: dns svc.local; dns nowhere"], {
      dns: { "svc.local": ["10.0.0.7"] },
    });
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers").map((l) => l.split(" -> ")[1])).toEqual(["0 1", "0 2"]);
    expect(emu.logMessages().filter((m) => m.startsWith("dns "))).toEqual([]);
    emu.flush();
    expect(emu.logMessages().filter((m) => m.startsWith("dns "))).toEqual([
      "dns token=1 size=17 n=1 ttl=60 first=10.0.0.7",
      "dns token=2 size=0",
    ]);
  });
});

describe("ticks", () => {
  it("fire on the root every period of virtual time; 0 stops them", async () => {
    const emu = await loadProbe(["configure: tick 100", "tick: log ticked"]);
    emu.advance(99);
    expect(emu.logMessages().filter((m) => m === "ticked")).toHaveLength(0);
    emu.advance(301);
    expect(emu.logMessages().filter((m) => m.startsWith("tick root=1"))).toHaveLength(4);
  });
});

describe("shared data and queues", () => {
  it("CAS comes from one process-wide counter starting at 1; a stale CAS is CasMismatch (8)", async () => {
    const emu = await loadProbe([
      "request_headers: shget k; shset k v1 0; shget k; shset k v2 1; shset k v3 99; shget k",
    ]);
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers").map((l) => l.split(" -> ")[1])).toEqual([
      "1",
      "0",
      "0 v1 cas=1",
      "0",
      "8",
      "0 v2 cas=2",
    ]);
  });

  it("queues deliver on_queue_ready asynchronously to the registrant's root; dequeue is FIFO then Empty", async () => {
    const emu = await loadProbe([
      "configure: qreg jobs",
      "request_headers: qresolve - jobs; qenq $token a; qenq $token b; qresolve - nope",
      "queue_ready: qdeq $token",
    ]);
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers").map((l) => l.split(" -> ")[1])).toEqual(["0 1", "0", "0", "1"]);
    expect(emu.logMessages().filter((m) => m.startsWith("queue_ready"))).toEqual([]);
    emu.flush();
    expect(results(emu, "queue_ready")).toEqual(["queue_ready qdeq $token -> 0 a", "queue_ready qdeq $token -> 0 b"]);
    expect(emu.logMessages().filter((m) => m.startsWith("queue_ready root="))).toEqual([
      "queue_ready root=1 token=1",
      "queue_ready root=1 token=1",
    ]);
  });

  it("several VMs on one host share data and queues by vm_id; other vm_ids are isolated", async () => {
    const host = new EmulatorHost();
    const producer = await loadProbe(["request_headers: shset shared hello 0; qresolve - inbox; qenq $token msg"], {
      host,
      vmId: "mesh",
    });
    const consumer = await loadProbe(["configure: qreg inbox", "queue_ready: qdeq $token; shget shared"], {
      host,
      vmId: "mesh",
    });
    const stranger = await loadProbe(["request_headers: shget shared; qresolve - inbox"], { host, vmId: "other" });
    producer.httpStream().requestHeaders({ ":path": "/" });
    host.flush();
    expect(results(consumer, "queue_ready")).toEqual([
      "queue_ready qdeq $token -> 0 msg",
      "queue_ready shget shared -> 0 hello cas=1",
    ]);
    stranger.httpStream().requestHeaders({ ":path": "/" });
    expect(results(stranger, "request_headers").map((l) => l.split(" -> ")[1])).toEqual(["1", "1"]);
  });

  it("re-registering a queue moves delivery to the last registrant", async () => {
    const host = new EmulatorHost();
    const first = await loadProbe(["configure: qreg q"], { host });
    const second = await loadProbe(["configure: qreg q", "request_headers: qresolve - q; qenq $token x"], { host });
    second.httpStream().requestHeaders({ ":path": "/" });
    host.flush();
    expect(first.logMessages().filter((m) => m.startsWith("queue_ready"))).toEqual([]);
    expect(second.logMessages().filter((m) => m.startsWith("queue_ready root="))).toEqual([
      "queue_ready root=1 token=1",
    ]);
  });
});

describe("metrics", () => {
  it("use Envoy's id scheme and rules: counter delta > 0, record on a counter adds, gauges set, histograms keep samples", async () => {
    const emu = await loadProbe([
      "configure: metric 0 reqs; metric 1 inflight; metric 2 latency; metric 0 reqs; metric 3 bad",
      "request_headers: inc 4 1; inc 4 0; inc 4 -1; rec 4 10; mget 4; inc 5 5; inc 5 -2; rec 5 7; mget 5; rec 6 12; rec 6 30; inc 6 1; mget 6; inc 99 1",
    ]);
    expect(results(emu, "configure").map((l) => l.split(" -> ")[1])).toEqual(["0 4", "0 5", "0 6", "0 8", "2 8"]);
    emu.httpStream().requestHeaders({ ":path": "/" });
    expect(results(emu, "request_headers").map((l) => l.split(" -> ")[1])).toEqual([
      "0",
      "2",
      "2",
      "0",
      "0 11",
      "0",
      "0",
      "0",
      "0 7",
      "0",
      "0",
      "2",
      "2",
      "1",
    ]);
    expect(emu.metric("reqs")).toBe(11);
    expect(emu.metric("inflight")).toBe(7);
    expect(emu.histogram("latency")).toEqual([12, 30]);
  });
});
