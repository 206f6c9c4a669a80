// Scenarios: the connection manager and router around the filter — what a module that logs every header and body
// chunk sees over HTTP/1.1 and HTTP/2, the upstream's response headers, routing by prefix, path, regex,
// :authority and headers (also after the filter changed them), replacing existing headers, upstream.* properties,
// and the module's own log lines (critical at start, warning level, trailing newline).
import type { Scenario } from "@proxy-wasm-as/harness/scenario";

/** Logs every header map, body chunk and trailer map the filter sees, in both directions. */
const logEverything = {
  request_headers: ["pairs"],
  request_body: ["body"],
  request_trailers: ["pairs"],
  response_headers: ["pairs"],
  response_body: ["body"],
  response_trailers: ["pairs"],
};

/** A second upstream the routes below reach; its body tells which route a request took. */
const routedUpstreams = { b: { body: "from-b" }, c: { body: "from-c" } };

export const cmRouter: Scenario[] = [
  {
    id: "h1-log-everything",
    title:
      "HTTP/1.1: every header, body chunk and trailer both ways, chunked request with trailers, chunked response with trailers",
    probe: { on: logEverything },
    upstream: { headers: { "x-up": "1" }, body: "answer", trailers: { "x-up-t": "2" } },
    requests: [
      {
        method: "POST",
        path: "/all?q=1",
        headers: { "x-a": "1", "x-b": "2" },
        body: ["one", "two"],
        trailers: { "x-t": "3" },
      },
    ],
    expect: {
      responses: [
        {
          status: 200,
          body: "answer",
          upstream: { body: "onetwo", trailers: { "x-t": "3" } },
          trailers: { "x-up-t": "2" },
        },
      ],
    },
  },
  {
    id: "h2-log-everything",
    title: "HTTP/2: every header, body chunk and trailer both ways, DATA frames with trailers",
    probe: { on: logEverything },
    upstream: { headers: { "x-up": "1" }, body: "answer", trailers: { "x-up-t": "2" } },
    requests: [
      {
        method: "POST",
        path: "/all?q=1",
        http2: true,
        headers: { "x-a": "1", "x-b": "2" },
        body: ["one", "two"],
        trailers: { "x-t": "3" },
      },
    ],
    expect: { responses: [{ status: 200, body: "answer", upstream: { body: "onetwo", trailers: { "x-t": "3" } } }] },
  },
  {
    id: "h1-log-everything-whole",
    title: "HTTP/1.1: a whole body with content-length, every header and chunk logged",
    probe: { on: logEverything },
    requests: [{ method: "PUT", path: "/whole", headers: { "x-a": "1" }, body: "whole-body" }],
    expect: {
      responses: [{ status: 200, upstream: { body: "whole-body" } }],
      events: ["on_request_body size=10 eos=0", "on_request_body size=0 eos=1"],
    },
  },
  {
    id: "h2-log-everything-whole",
    title: "HTTP/2: a whole body arrives as one end-of-stream DATA frame",
    probe: { on: logEverything },
    requests: [{ method: "PUT", path: "/whole", http2: true, headers: { "x-a": "1" }, body: "whole-body" }],
    expect: {
      responses: [{ status: 200, upstream: { body: "whole-body" } }],
      events: ["on_request_body size=10 eos=1"],
    },
  },
  {
    id: "h1-client-forwarded-headers",
    title: "a loopback client's own x-forwarded-proto and x-request-id are kept where the client put them",
    probe: { on: { request_headers: ["pairs", "get x-forwarded-proto"] } },
    requests: [
      {
        path: "/fwd",
        headers: {
          "x-forwarded-proto": "https",
          "x-request-id": "11111111-2222-4333-8444-555555555555",
          "x-after": "1",
        },
      },
    ],
    expect: { responses: [{ status: 200, upstream: { headers: { "x-forwarded-proto": "https" } } }] },
  },
  {
    id: "h1-empty-200",
    title: "an upstream 200 with an empty body: content-length 0 and end of stream on the response headers",
    probe: { on: { response_headers: ["pairs"], response_body: ["body"] } },
    upstream: { status: 200, body: "" },
    requests: [{ path: "/empty" }],
    expect: { responses: [{ status: 200, body: "" }] },
  },
  {
    id: "h1-upstream-own-date",
    title: "an upstream that sends its own date and headers: their order as the upstream wrote them",
    probe: { on: { response_headers: ["pairs"] } },
    upstream: { headers: { date: "Mon, 01 Jan 2024 00:00:00 GMT", "x-first": "1", "x-second": "2" } },
    requests: [{ path: "/date" }],
    expect: { responses: [{ status: 200, headers: { "x-first": "1" } }] },
  },
  {
    id: "h1-replace-existing-header",
    title: "replacing a header that exists removes it and appends the new value at the end (request and response)",
    probe: { on: { request_headers: ["set x-a=new", "pairs"], response_headers: ["set x-up=2", "pairs"] } },
    upstream: { headers: { "x-up": "1", "x-up-after": "1" } },
    requests: [{ path: "/replace", headers: { "x-a": "1", "x-b": "2" } }],
    expect: { responses: [{ status: 200, headers: { "x-up": "2" }, upstream: { headers: { "x-a": "new" } } }] },
  },
  {
    id: "h2-replace-existing-header",
    title: "the same replacement over HTTP/2",
    probe: { on: { request_headers: ["set x-a=new", "pairs"], response_headers: ["set x-up=2", "pairs"] } },
    upstream: { headers: { "x-up": "1", "x-up-after": "1" } },
    requests: [{ path: "/replace", http2: true, headers: { "x-a": "1", "x-b": "2" } }],
    expect: { responses: [{ status: 200, headers: { "x-up": "2" } }] },
  },
  {
    id: "h1-replace-pseudo-and-multi",
    title: "replacing a pseudo-header and a header with two values",
    probe: { on: { request_headers: ["add x-a=2", "set :method=PUT", "set x-a=3", "pairs"] } },
    requests: [{ path: "/pseudo", headers: { "x-a": "1", "x-b": "2" } }],
    expect: { responses: [{ status: 200, upstream: { headers: { "x-a": "3" } } }] },
  },
  {
    id: "h1-configure-critical-log",
    title: "a module that logs at critical level in on_configure and returns true still serves",
    probe: { on: { configure: ["log-critical configured anyway"], request_headers: ["log served"] } },
    requests: [{ path: "/critical" }],
    expect: { responses: [{ status: 200 }], events: ["  log served"] },
  },
  {
    id: "h1-log-warning-newline",
    title: "log levels as Envoy names them (warning) and a message's trailing newline",
    probe: { on: { request_headers: ["log-warn careful", "log-newline kept", "log-debug quiet"] } },
    requests: [{ path: "/levels" }],
    expect: { responses: [{ status: 200 }] },
  },
  {
    id: "h1-upstream-properties",
    title: "upstream.* properties: absent before the request is routed, present from the response on and in on_log",
    probe: {
      on: {
        request_headers: ["prop upstream.address"],
        response_headers: [
          "prop upstream.address",
          "prop upstream.local_address",
          "prop upstream.transport_failure_reason",
        ],
        log: ["prop upstream.address", "prop upstream.local_address"],
      },
    },
    requests: [{ path: "/upstream" }],
    expect: { responses: [{ status: 200 }] },
  },
  {
    id: "h2-upstream-properties",
    title: "upstream.* properties on an HTTP/2 stream",
    probe: { on: { response_headers: ["prop upstream.address"], log: ["prop upstream.address"] } },
    requests: [{ path: "/upstream", http2: true }],
    expect: { responses: [{ status: 200 }] },
  },
  {
    id: "tcp-upstream-properties",
    title: "upstream.* properties on a TCP connection",
    kind: "tcp",
    probe: {
      on: {
        new_connection: ["prop upstream.address"],
        downstream_data: ["prop upstream.address"],
        upstream_data: ["prop upstream.address", "prop upstream.local_address"],
        downstream_close: ["prop upstream.address"],
      },
    },
    connections: [{ send: "ping", expectBytes: 4 }],
    expect: { connections: [{ received: "ping" }] },
  },
  {
    id: "h1-route-prefix",
    title: "routing by path prefix (query included) to a second upstream, the rest to the catch-all",
    probe: { on: { response_headers: ["pairs"] } },
    upstreams: routedUpstreams,
    routes: [{ prefix: "/b/", upstream: "b" }],
    requests: [{ path: "/b/x?y=1" }, { path: "/a" }],
    expect: {
      responses: [
        { status: 200, body: "from-b" },
        { status: 200, body: "upstream-ok" },
      ],
    },
  },
  {
    id: "h1-route-path",
    title: "routing by exact path: the query string is not part of the match",
    probe: { on: {} },
    upstreams: routedUpstreams,
    routes: [{ path: "/exact", upstream: "b" }],
    requests: [{ path: "/exact?q=1" }, { path: "/exact/more" }],
    expect: { responses: [{ body: "from-b" }, { body: "upstream-ok" }] },
  },
  {
    id: "h1-route-regex",
    title: "routing by a full-match path regex",
    probe: { on: {} },
    upstreams: routedUpstreams,
    routes: [{ regex: "/items/[0-9]+", upstream: "b" }],
    requests: [{ path: "/items/42" }, { path: "/items/abc" }, { path: "/items/42?x=1" }, { path: "/items/42/more" }],
    expect: { responses: [{ body: "from-b" }, { body: "upstream-ok" }, { body: "from-b" }, { body: "upstream-ok" }] },
  },
  {
    id: "h2-route-regex",
    title: "routing by regex over HTTP/2",
    probe: { on: {} },
    upstreams: routedUpstreams,
    routes: [{ regex: "/items/[0-9]+", upstream: "b" }],
    requests: [
      { path: "/items/7", http2: true },
      { path: "/items/x", http2: true },
    ],
    expect: { responses: [{ body: "from-b" }, { body: "upstream-ok" }] },
  },
  {
    id: "h1-route-authority",
    title: "routing by :authority that the filter rewrote (the route is recomputed after the filter)",
    probe: { on: { request_headers: ["?x-move set :authority=other.example", "get :authority"] } },
    upstreams: routedUpstreams,
    routes: [{ authority: "other.example", upstream: "b" }],
    requests: [{ path: "/host", headers: { "x-move": "1" } }, { path: "/host" }],
    expect: { responses: [{ body: "from-b" }, { body: "upstream-ok" }] },
  },
  {
    id: "h1-route-header-prefix",
    title: "routing by a header's prefix",
    probe: { on: {} },
    upstreams: routedUpstreams,
    routes: [{ headers: { "x-tier": { prefix: "gold" } }, upstream: "b" }],
    requests: [
      { path: "/tier", headers: { "x-tier": "gold-1" } },
      { path: "/tier", headers: { "x-tier": "silver" } },
    ],
    expect: { responses: [{ body: "from-b" }, { body: "upstream-ok" }] },
  },
  {
    id: "h1-route-header-regex-present",
    title: "routing by a header regex, then by a header's presence, in route order",
    probe: { on: {} },
    upstreams: routedUpstreams,
    routes: [
      { headers: { "x-v": { regex: "v[0-9]" } }, upstream: "b" },
      { headers: { "x-any": { present: true } }, upstream: "c" },
    ],
    requests: [
      { path: "/v", headers: { "x-v": "v2", "x-any": "1" } },
      { path: "/v", headers: { "x-v": "vx", "x-any": "1" } },
      { path: "/v" },
    ],
    expect: { responses: [{ body: "from-b" }, { body: "from-c" }, { body: "upstream-ok" }] },
  },
  {
    id: "h1-route-filter-sets-header",
    title: "a header the filter sets picks the route",
    probe: { on: { request_headers: ["?x-upgrade set x-tier=gold"] } },
    upstreams: routedUpstreams,
    routes: [{ headers: { "x-tier": "gold" }, upstream: "b" }],
    requests: [{ path: "/up", headers: { "x-upgrade": "1" } }, { path: "/up" }],
    expect: { responses: [{ body: "from-b" }, { body: "upstream-ok" }] },
  },
  {
    id: "h1-route-header-absent",
    title: "a route for requests without a header (present: false)",
    probe: { on: {} },
    upstreams: routedUpstreams,
    routes: [{ headers: { "x-auth": { present: false } }, upstream: "c" }],
    requests: [{ path: "/anon" }, { path: "/anon", headers: { "x-auth": "t" } }],
    expect: { responses: [{ body: "from-c" }, { body: "upstream-ok" }] },
  },
];
