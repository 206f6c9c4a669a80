// Scenarios: bodies and trailers — buffering (StopIterationAndBuffer), rewriting, chunk boundaries, trailers in
// both directions and over both protocols.
import type { Scenario } from "@proxy-wasm-as/harness/scenario";

export const bodies: Scenario[] = [
  {
    id: "h1-buffer-request",
    title: "pause on each request body chunk until end of stream: the last callback sees the whole body",
    probe: { on: { request_body: ["body-size", "pause-unless-eos"] } },
    requests: [{ method: "POST", path: "/buffer", body: "0123456789" }],
    expect: { responses: [{ status: 200, upstream: { body: "0123456789" } }] },
  },
  {
    id: "h1-rewrite-request-body",
    title:
      "buffer the request then rewrite it (replace, append, prepend) after dropping content-length: the upstream gets the new body",
    probe: {
      on: {
        request_headers: ["remove content-length"],
        request_body: ["pause-unless-eos", "?x-go body-upper", "?x-go body-append !", "?x-go body-prepend >", "body"],
      },
    },
    requests: [{ method: "POST", path: "/rewrite", body: "quiet", headers: { "x-go": "1" } }],
    expect: { responses: [{ status: 200 }] },
  },
  {
    id: "h1-rewrite-keeps-content-length",
    title:
      "rewriting a body but keeping the client's content-length: Envoy forwards the stale length (known divergence)",
    probe: { on: { request_body: ["pause-unless-eos", "body-append -longer"] } },
    requests: [{ method: "POST", path: "/rewrite", body: "short" }],
  },
  {
    id: "h1-rewrite-response-body",
    title: "buffer the response and replace it: the client gets the new body",
    probe: {
      on: {
        response_headers: ["remove content-length"],
        response_body: ["pause-unless-eos", "body", "body-replace replaced-by-filter"],
      },
    },
    requests: [{ path: "/resp" }],
  },
  {
    id: "h2-rewrite-response-body",
    title: "response body rewrite with an HTTP/2 client",
    probe: {
      on: { response_headers: ["remove content-length"], response_body: ["pause-unless-eos", "body-append +tail"] },
    },
    requests: [{ path: "/resp", http2: true }],
  },
  {
    id: "h1-chunked-request",
    title: "a chunked HTTP/1.1 request, one chunk at a time: one body callback per chunk, then the empty end",
    probe: { on: { request_body: ["body"] } },
    requests: [{ method: "POST", path: "/chunks", body: ["one,", "two,", "three"] }],
    expect: { responses: [{ upstream: { body: "one,two,three" } }] },
  },
  {
    id: "h2-chunked-request",
    title: "an HTTP/2 request body in three DATA frames",
    probe: { on: { request_body: ["body"] } },
    requests: [{ method: "POST", path: "/chunks", body: ["one,", "two,", "three"], http2: true }],
    expect: { responses: [{ upstream: { body: "one,two,three" } }] },
  },
  {
    id: "h1-chunked-buffered",
    title: "chunks buffered with pause: the body size grows with each callback",
    probe: { on: { request_body: ["body-size", "pause-unless-eos"] } },
    requests: [{ method: "POST", path: "/chunks", body: ["aa", "bbb", "cccc"] }],
    expect: { responses: [{ upstream: { body: "aabbbcccc" } }] },
  },
  {
    id: "h1-request-trailers",
    title: "HTTP/1.1 request trailers: no body callback has eos=1, then on_request_trailers; the upstream gets them",
    probe: { on: { request_body: ["body"], request_trailers: ["pairs", "set x-t=changed", "add x-t-added=1"] } },
    requests: [{ method: "POST", path: "/trailers", body: "payload", trailers: { "x-t": "1" } }],
    expect: { responses: [{ upstream: { body: "payload", trailers: { "x-t": "changed", "x-t-added": "1" } } }] },
  },
  {
    id: "h2-request-trailers",
    title: "HTTP/2 request trailers",
    probe: { on: { request_body: ["body"], request_trailers: ["pairs"] } },
    requests: [{ method: "POST", path: "/trailers", body: "payload", trailers: { "x-t": "h2" }, http2: true }],
    expect: { responses: [{ upstream: { trailers: { "x-t": "h2" } } }] },
  },
  {
    id: "h1-response-trailers",
    title: "response trailers from the upstream reach on_response_trailers and the client",
    probe: { on: { response_body: ["body"], response_trailers: ["pairs", "add x-filter-trailer=1"] } },
    upstream: { body: "with-trailers", trailers: { "x-up-trailer": "yes" } },
    requests: [{ path: "/rt" }],
    expect: { responses: [{ body: "with-trailers", trailers: { "x-up-trailer": "yes", "x-filter-trailer": "1" } }] },
  },
  {
    id: "h2-response-trailers",
    title: "response trailers to an HTTP/2 client",
    probe: { on: { response_trailers: ["pairs"] } },
    upstream: { body: "with-trailers", trailers: { "x-up-trailer": "h2" } },
    requests: [{ path: "/rt", http2: true }],
    expect: { responses: [{ trailers: { "x-up-trailer": "h2" } }] },
  },
  {
    id: "h1-add-trailers-at-eos",
    title:
      "request trailers created from the last body callback (eos=1) reach the upstream (chunked: content-length removed)",
    probe: { on: { request_headers: ["remove content-length"], request_body: ["trailers-add x-made=by-filter"] } },
    requests: [{ method: "POST", path: "/make-trailers", body: "data" }],
  },
  {
    id: "h1-body-outside-callback",
    title: "the body buffer outside its callback is empty (read from request headers and response headers)",
    probe: {
      on: { request_headers: ["other-body request"], response_headers: ["other-body response", "other-body request"] },
    },
    requests: [{ method: "POST", path: "/outside", body: "not-visible" }],
  },
  {
    id: "h1-empty-response",
    title: "an upstream answer with no body: response headers end the stream",
    probe: { on: { response_headers: ["pairs"] } },
    upstream: { status: 204, body: "" },
    requests: [{ path: "/empty" }],
    expect: { responses: [{ status: 204, body: "" }] },
  },
  {
    id: "h1-pause-headers-buffers-body",
    title: "pause on request headers (stop-all): the body waits; after continue one callback brings all of it",
    probe: {
      on: {
        request_headers: ["callout body-callout /go", "pause"],
        http_call_response: ["continue-request"],
        request_body: ["body-size", "body"],
      },
    },
    callouts: { "body-callout": { body: "go" } },
    requests: [{ method: "POST", path: "/held", body: "held-body" }],
    expect: { responses: [{ upstream: { body: "held-body" } }] },
  },
];
