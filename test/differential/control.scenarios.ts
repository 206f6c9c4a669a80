// Scenarios: stream control — pause and continue (callouts, queues, ticks), local replies from every phase,
// closing streams, callouts and their failures.
import type { Scenario } from "@proxy-wasm-as/harness/scenario";

export const control: Scenario[] = [
  {
    id: "h1-local-reply-headers",
    title: "local reply from on_request_headers: the upstream sees nothing; the reply passes on_response_headers",
    probe: {
      on: {
        request_headers: ["reply 403 denied-by-probe", "pause"],
        response_headers: ["pairs"],
        response_body: ["body"],
      },
    },
    requests: [{ path: "/deny" }],
    expect: {
      responses: [
        {
          status: 403,
          body: "denied-by-probe",
          headers: { "x-probe-reply": "h1-local-reply-headers" },
          upstream: null,
        },
      ],
    },
  },
  {
    id: "h2-local-reply-headers",
    title: "local reply to an HTTP/2 client",
    probe: { on: { request_headers: ["reply 401 no-entry", "continue"], response_headers: ["pairs"] } },
    requests: [{ path: "/deny", http2: true }],
    expect: { responses: [{ status: 401, body: "no-entry", upstream: null }] },
  },
  {
    id: "h1-local-reply-empty-body",
    title: "local reply without a body: response headers carry end of stream",
    probe: { on: { request_headers: ["reply 204"], response_headers: ["pairs"] } },
    requests: [{ path: "/empty-reply" }],
    expect: { responses: [{ status: 204, body: "" }] },
  },
  {
    id: "h1-local-reply-body",
    title: "local reply from on_request_body (after the headers went upstream? no: headers are held until the body)",
    probe: { on: { request_body: ["pause-unless-eos", "?x-deny reply 413 too-much"], response_headers: ["pairs"] } },
    requests: [{ method: "POST", path: "/body-deny", body: "payload", headers: { "x-deny": "1" } }],
  },
  {
    id: "h1-local-reply-response",
    title: "local reply from on_response_headers replaces the upstream's response",
    probe: { on: { response_headers: ["?x-swap reply 502 swapped", "pairs"], response_body: ["body"] } },
    requests: [{ path: "/swap", headers: { "x-swap": "1" } }],
  },
  {
    id: "h1-local-reply-grpc",
    title: "local reply with a gRPC status adds grpc-status",
    probe: { on: { request_headers: ["reply-grpc 7"], response_headers: ["pairs"] } },
    requests: [{ path: "/grpc-deny", headers: { "content-type": "application/grpc" } }],
  },
  {
    id: "h1-local-reply-grpc-mapped",
    title:
      "local reply 403 with a body to a gRPC request: status 200, grpc-status mapped from 403, body as grpc-message",
    probe: { on: { request_headers: ["reply 403 not allowed"], response_headers: ["pairs"] } },
    requests: [{ path: "/grpc-deny", headers: { "content-type": "application/grpc" }, http2: true }],
  },
  {
    id: "h1-local-reply-twice",
    title: "two local replies in one callback: the first one wins",
    probe: { on: { request_headers: ["reply 401 first", "reply 402 second"] } },
    requests: [{ path: "/twice" }],
  },
  {
    id: "h1-close-request",
    title: "close_stream on the request resets the stream: the client gets no response",
    probe: { on: { request_headers: ["close-request"] } },
    requests: [{ path: "/close" }],
  },
  {
    id: "h1-continue-in-callback",
    title: "continue_stream inside the callback that pauses: deferred, so the request still goes through",
    probe: { on: { request_headers: ["continue-request", "pause"] } },
    requests: [{ path: "/continue-now" }],
    expect: { responses: [{ status: 200 }] },
  },
  {
    id: "h1-callout-continue",
    title: "pause for an HTTP callout, read its answer, continue the request",
    probe: {
      on: {
        request_headers: ["callout auth-ok /check", "pause"],
        http_call_response: ["call-status", "call-header x-auth", "call-body", "continue-request"],
      },
    },
    callouts: { "auth-ok": { status: 200, headers: { "x-auth": "yes" }, body: "allowed" } },
    requests: [{ path: "/with-callout" }],
    expect: {
      responses: [{ status: 200 }],
      events: ['  call-status -> "200"', '  call-header x-auth -> "yes"', '  call-body -> "allowed"'],
    },
  },
  {
    id: "h2-callout-deny",
    title: "callout answers 403: the filter replies locally from on_http_call_response",
    probe: {
      on: {
        request_headers: ["callout auth-deny /check", "pause"],
        http_call_response: ["call-status", "reply 403 denied-by-callout"],
      },
    },
    callouts: { "auth-deny": { status: 403, body: "no" } },
    requests: [{ path: "/deny", http2: true }],
    expect: { responses: [{ status: 403, body: "denied-by-callout", upstream: null }] },
  },
  {
    id: "h1-callout-unknown-cluster",
    title: "callout to a cluster that does not exist: BadArgument, the request continues",
    probe: { on: { request_headers: ["callout no-such-cluster /x"] } },
    requests: [{ path: "/" }],
    expect: { events: ["  callout no-such-cluster /x -> failed(2)"] },
  },
  {
    id: "h1-callout-no-authority",
    title: "callout without :authority: BadArgument",
    probe: { on: { request_headers: ["callout-no-authority authority-cluster"] } },
    callouts: { "authority-cluster": {} },
    requests: [{ path: "/" }],
  },
  {
    id: "h1-callout-upstream-error",
    title: "the callout's upstream answers 503: delivered through the success path with its status",
    probe: {
      on: {
        request_headers: ["callout failing-cluster /fail", "pause"],
        http_call_response: ["call-status", "call-body", "continue-request"],
      },
    },
    callouts: { "failing-cluster": { status: 503, body: "down" } },
    requests: [{ path: "/" }],
  },
  {
    id: "h1-callout-from-response",
    title: "a callout from on_response_headers pauses the response until it answers",
    probe: {
      on: {
        response_headers: ["callout resp-cluster /r", "pause"],
        http_call_response: ["call-body", "continue-response"],
      },
    },
    callouts: { "resp-cluster": { body: "resp-check" } },
    requests: [{ path: "/" }],
    expect: { responses: [{ status: 200, body: "upstream-ok" }] },
  },
  {
    id: "h1-queue-resume",
    title: "pause, enqueue the stream id; on_queue_ready (root) dequeues it and continues the stream",
    probe: {
      queue: "resume-q",
      on: { request_headers: ["enqueue-self resume-q", "pause"], queue_ready: ["dequeue-resume"] },
    },
    requests: [{ path: "/queued" }],
    expect: { responses: [{ status: 200 }] },
  },
  {
    id: "h1-tick-resume",
    title: "pause until the root's next tick, which continues the stream and stops the timer",
    probe: { tick: 20, on: { request_headers: ["wait-tick", "pause"], tick: ["tick-resume"] } },
    requests: [{ path: "/tick" }],
    expect: { responses: [{ status: 200 }] },
  },
  {
    id: "h1-continue-response-in-callback",
    title:
      "continue_stream(response) inside on_response_headers that returns pause: Envoy stalls the response (known divergence)",
    probe: { on: { response_headers: ["continue-response", "pause"], response_body: ["body-size"] } },
    requests: [{ path: "/", clientTimeoutMs: 1000 }],
  },
];

/** gRPC callouts (unary calls, streams) and HTTP callout timeouts. */
export const grpcAndTimeouts: Scenario[] = [
  {
    id: "h1-grpc-unary",
    title: "unary gRPC call: on_grpc_receive with the reply message, then continue",
    probe: {
      on: {
        request_headers: ["grpc echo-grpc probe.Echo Call ping", "pause"],
        grpc_receive: ["grpc-message", "continue-request"],
        grpc_close: ["call-failure", "continue-request"],
      },
    },
    grpc: { "echo-grpc": {} },
    requests: [{ path: "/grpc" }],
    expect: { responses: [{ status: 200 }], events: ["on_grpc_receive size=9", '  grpc-message -> "pong:ping"'] },
  },
  {
    id: "h2-grpc-error",
    title: "unary gRPC call answered with an error status: on_grpc_close with the status and message",
    probe: {
      on: {
        request_headers: ["grpc denying-grpc probe.Echo Call ping", "pause"],
        grpc_receive: ["continue-request"],
        grpc_close: ["call-failure", "reply 403 grpc-denied"],
      },
    },
    grpc: { "denying-grpc": { status: 7, statusMessage: "not allowed" } },
    requests: [{ path: "/grpc", http2: true }],
    expect: { responses: [{ status: 403 }], events: ["on_grpc_close status=7"] },
  },
  {
    id: "h1-grpc-unknown-cluster",
    title: "gRPC call to an unknown cluster: ParseFailure, nothing is sent",
    probe: { on: { request_headers: ["grpc no-such-grpc probe.Echo Call ping"] } },
    requests: [{ path: "/" }],
    expect: { events: ["  grpc no-such-grpc probe.Echo Call ping -> failed(4)"] },
  },
  {
    id: "h1-grpc-stream-cancel",
    title: "open a gRPC stream, send on it, half-close and cancel it; a bad token is BadArgument",
    probe: {
      on: {
        request_headers: [
          "grpc-stream stream-grpc probe.Echo Stream",
          "grpc-send hello",
          "grpc-close",
          "grpc-cancel",
          "grpc-send-bad-token x",
        ],
      },
    },
    grpc: { "stream-grpc": {} },
    requests: [{ path: "/" }],
  },
  {
    id: "h1-grpc-stream-answered",
    title: "a gRPC stream: send, half-close; initial metadata, the reply, trailing metadata and close reach the stream",
    probe: {
      on: {
        request_headers: ["grpc-stream streaming-grpc probe.Echo Call", "grpc-send hi", "grpc-close", "pause"],
        grpc_receive: ["grpc-message"],
        grpc_close: ["call-failure", "continue-request"],
      },
    },
    grpc: { "streaming-grpc": {} }, // a name like "answering-grpc" parses as protobuf and makes Envoy abort (see emulator-envoy-traces.test.ts)
    requests: [{ path: "/stream" }],
    expect: {
      responses: [{ status: 200 }],
      events: [
        "on_grpc_receive_initial_metadata",
        '  grpc-message -> "pong:hi"',
        "on_grpc_receive_trailing_metadata",
        "on_grpc_close status=0",
      ],
    },
  },
  {
    id: "h1-close-response",
    title: "close_stream on the response side resets the stream after the upstream answered",
    probe: { on: { response_headers: ["close-response"] } },
    requests: [{ path: "/close-response" }],
  },
  {
    id: "h1-callout-timeout",
    title: "an HTTP callout slower than its timeout: Envoy answers 504 through the success path",
    probe: {
      on: {
        request_headers: ["callout slow-cluster /slow 100", "pause"],
        http_call_response: ["call-status", "call-body", "continue-request"],
      },
    },
    callouts: { "slow-cluster": { body: "too-late", delayMs: 1500 } },
    requests: [{ path: "/" }],
    expect: { events: ['  call-status -> "504"'] },
  },
];
