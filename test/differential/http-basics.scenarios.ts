// Scenarios: header callbacks, header-map host calls and end_of_stream sequences over HTTP/1.1 and HTTP/2.
import type { Scenario } from "@proxy-wasm-as/harness/scenario";

/** Logs the whole map in every header callback, so header order, counts and values are compared too. */
const logAll = { request_headers: ["pairs"], response_headers: ["pairs"] };

export const httpBasics: Scenario[] = [
  {
    id: "h1-get",
    title: "HTTP/1.1 GET: headers-only request (eos=1), upstream body, on_log/on_done/on_delete",
    probe: { on: logAll },
    requests: [{ path: "/get" }],
    expect: {
      responses: [{ status: 200, body: "upstream-ok", upstream: { body: "" } }],
      events: [
        "on_request_headers headers=6 eos=1",
        "on_response_headers headers=5 eos=0",
        "on_log",
        "on_done",
        "on_delete",
      ],
    },
  },
  {
    id: "h2-get",
    title: "HTTP/2 GET: pseudo-header order of the HTTP/2 codec",
    probe: { on: logAll },
    requests: [{ path: "/get", http2: true }],
    expect: { responses: [{ status: 200, body: "upstream-ok" }] },
  },
  {
    id: "h1-post-body",
    title: "HTTP/1.1 POST with content-length: body chunk then an empty end-of-stream chunk, both directions",
    probe: { on: { ...logAll, request_body: ["body"], response_body: ["body"] } },
    requests: [{ method: "POST", path: "/post", body: "hello" }],
    expect: {
      responses: [{ status: 200, upstream: { body: "hello" } }],
      events: ["on_request_body size=5 eos=0", "on_request_body size=0 eos=1"],
    },
  },
  {
    id: "h2-post-body",
    title: "HTTP/2 POST: DATA frames as body callbacks",
    probe: { on: { ...logAll, request_body: ["body"], response_body: ["body"] } },
    requests: [{ method: "POST", path: "/post", body: "hello-h2", http2: true }],
    expect: { responses: [{ status: 200, upstream: { body: "hello-h2" } }] },
  },
  {
    id: "h1-header-edits",
    title: "set/add/remove request and response headers; the upstream and client see the edits",
    probe: {
      on: {
        request_headers: [
          "set x-set=one",
          "add x-multi=second",
          "remove x-drop",
          "get x-multi",
          "get x-missing",
          "has x-set",
          "pairs",
        ],
        response_headers: ["set x-resp=filter", "remove x-upstream-drop", "add x-resp-multi=b", "pairs"],
      },
    },
    upstream: { headers: { "x-upstream-drop": "1", "x-resp-multi": "a" } },
    requests: [{ path: "/edit", headers: { "x-multi": "first", "x-drop": "gone" } }],
    expect: {
      responses: [
        {
          status: 200,
          headers: { "x-resp": "filter", "x-upstream-drop": null, "x-resp-multi": "a, b" },
          upstream: { headers: { "x-set": "one", "x-multi": "first, second", "x-drop": null } },
        },
      ],
      events: ['  get x-multi -> "first"', "  get x-missing -> null(1)"],
    },
  },
  {
    id: "h2-header-edits",
    title: "the same header edits over HTTP/2",
    probe: {
      on: {
        request_headers: ["set x-set=one", "add x-multi=second", "remove x-drop", "pairs"],
        response_headers: ["set x-resp=filter", "pairs"],
      },
    },
    requests: [{ path: "/edit", http2: true, headers: { "x-multi": "first", "x-drop": "gone" } }],
    expect: {
      responses: [
        { status: 200, headers: { "x-resp": "filter" }, upstream: { headers: { "x-set": "one", "x-drop": null } } },
      ],
    },
  },
  {
    id: "h1-set-all",
    title: "set_header_map_pairs replaces the whole request map; without x-forwarded-proto Envoy finds no route (404)",
    probe: {
      on: {
        request_headers: ["set-all :method=GET,:path=/replaced,:authority=example,:scheme=http,x-only=1", "pairs"],
        response_headers: ["pairs"],
      },
    },
    requests: [{ path: "/original", headers: { "x-gone": "1" } }],
    expect: { responses: [{ status: 404, upstream: null }] },
  },
  {
    id: "h1-empty-header",
    title: "a present header with an empty value vs a missing one",
    probe: {
      on: { request_headers: ["get x-empty", "has x-empty", "get x-absent", "has x-absent", "add x-added-empty="] },
    },
    requests: [{ path: "/", headers: { "x-empty": "" } }],
    expect: {
      events: ['  get x-empty -> ""', "  has x-empty -> 1", "  get x-absent -> null(1)", "  has x-absent -> 0"],
    },
  },
  {
    id: "h1-maps-after-continue",
    title: "request headers are gone after continue: reading them from the response path fails",
    probe: {
      on: {
        request_body: ["request-header :path"],
        response_headers: ["request-header :path", "response-header :status"],
        log: ["request-header :path", "response-header :status"],
      },
    },
    requests: [{ method: "POST", path: "/window", body: "x" }],
  },
  {
    id: "h1-header-size",
    title: "get_header_map_size on trailers the filter controls (byte size, not a count)",
    probe: { on: { request_trailers: ["size", "count", "pairs"] } },
    requests: [{ method: "POST", path: "/size", body: "abc", trailers: { "x-t1": "12345", "x-t2": "6" } }],
    expect: { events: ["  size -> 14 (0)"] },
  },
  {
    id: "h1-set-all-keep-forwarded-proto",
    title: "set_header_map_pairs keeping x-forwarded-proto: the route matches and the upstream sees the new map",
    probe: {
      on: {
        request_headers: [
          "set-all :authority=*,:method=GET,:path=/replaced,:scheme=http,x-forwarded-proto=*,x-only=1",
          "pairs",
        ],
      },
    },
    requests: [{ path: "/original", headers: { "x-gone": "1" } }],
    expect: { responses: [{ status: 200, upstream: { headers: { "x-only": "1", "x-gone": null } } }] },
  },
  {
    id: "h2-remove-forwarded-proto",
    title: "removing x-forwarded-proto alone makes the route lookup fail (HTTP/2 client)",
    probe: { on: { request_headers: ["remove x-forwarded-proto"], response_headers: ["pairs"] } },
    requests: [{ path: "/no-proto", http2: true }],
    expect: { responses: [{ status: 404, upstream: null }] },
  },
  {
    id: "h1-path-rewrite",
    title: "replacing :path routes the request to the new path",
    probe: { on: { request_headers: ["set :path=/rewritten?q=1", "get :path"] } },
    requests: [{ path: "/before" }],
    expect: { responses: [{ status: 200 }] },
  },
  {
    id: "h2-many-headers",
    title: "HTTP/2 with several client headers: order and count as the filter sees them",
    probe: { on: { request_headers: ["pairs", "count"] } },
    requests: [{ path: "/many", http2: true, headers: { "x-a": "1", "x-b": "2", "x-c": "3" } }],
  },
  {
    id: "h1-many-headers",
    title: "HTTP/1.1 with several client headers: order and count as the filter sees them",
    probe: { on: { request_headers: ["pairs", "count"] } },
    requests: [{ path: "/many", headers: { "x-a": "1", "x-b": "2", "x-c": "3" } }],
  },
  {
    id: "h1-two-requests",
    title: "two requests on one plugin: a fresh stream context for each, callbacks in the same order",
    probe: { on: { request_headers: ["get x-n"] } },
    requests: [
      { path: "/1", headers: { "x-n": "1" } },
      { path: "/2", headers: { "x-n": "2" }, http2: true },
    ],
  },
];
