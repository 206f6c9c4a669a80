// Scenarios for modules this suite did not write for it, run through the public differential API
// (runDifferential): the Rust-SDK filter of test/fixtures/rust-filter and the AssemblyScript filter of
// test/fixtures/add-header. They set `plugin` (the module's own configuration) instead of `probe`; the module's log
// lines are the events.
import { resolve } from "node:path";
import type { Scenario } from "@proxy-wasm-as/harness/scenario";

/** The AssemblyScript module outside filters/ (built by `npm run build` / the test setup). */
export const ADD_HEADER_WASM = resolve("build/add-header.wasm");

/** test/fixtures/rust-filter: adds x-rust-filter (its configuration) to requests, logs each path, denies x-deny with 403. */
export const rustScenarios: Scenario[] = [
  {
    id: "rust-adds-header",
    title: "Rust SDK: the configured header reaches the upstream, the module logs the path",
    plugin: { configuration: "hello" },
    requests: [{ path: "/a?b=1", headers: { "x-a": "1" } }],
    expect: {
      responses: [{ status: 200, upstream: { headers: { "x-rust-filter": "hello" } } }],
      events: ["rust-filter saw /a?b=1"],
    },
  },
  {
    id: "rust-denies",
    title: "Rust SDK: a local 403 with the module's header and body, nothing upstream",
    plugin: { configuration: "hello" },
    requests: [{ path: "/d", headers: { "x-deny": "1" } }],
    expect: {
      responses: [{ status: 403, body: "denied by rust\n", headers: { "x-rust-filter": "denied" }, upstream: null }],
    },
  },
  {
    id: "rust-h2-post",
    title: "Rust SDK over HTTP/2 with a body and a default configuration",
    plugin: {},
    requests: [{ path: "/post", http2: true, body: "payload" }],
    expect: { responses: [{ status: 200, upstream: { body: "payload", headers: { "x-rust-filter": "on" } } }] },
  },
];

/** test/fixtures/add-header: adds `x-powered-by: proxy-wasm-as` to every response. */
export const addHeaderScenarios: Scenario[] = [
  {
    id: "as-add-header",
    title: "AssemblyScript module outside filters/: its response header reaches the client",
    plugin: {},
    upstream: { headers: { "x-up": "1" } },
    requests: [{ path: "/" }, { path: "/h2", http2: true }],
    expect: {
      responses: [
        { status: 200, headers: { "x-powered-by": "proxy-wasm-as", "x-up": "1" } },
        { status: 200, headers: { "x-powered-by": "proxy-wasm-as" } },
      ],
    },
  },
  {
    id: "as-add-header-routed",
    title: "AssemblyScript module outside filters/ behind a regex route to a second upstream",
    plugin: {},
    upstreams: { b: { body: "from-b" } },
    routes: [{ regex: "/b/.*", upstream: "b" }],
    requests: [{ path: "/b/1" }, { path: "/c" }],
    expect: { responses: [{ body: "from-b", headers: { "x-powered-by": "proxy-wasm-as" } }, { body: "upstream-ok" }] },
  },
];
