// Scenarios: network (TCP) filters — data callbacks in both directions, rewriting, connection close.
import type { Scenario } from "@proxy-wasm-as/harness/scenario";

export const tcp: Scenario[] = [
  {
    id: "tcp-echo",
    title: "TCP echo through the filter: new connection, downstream data, upstream data, close, log/done/delete",
    kind: "tcp",
    probe: { on: { downstream_data: ["body"], upstream_data: ["body"] } },
    connections: [{ send: "ping", expectBytes: 4 }],
    expect: { connections: [{ received: "ping", upstreamReceived: "ping" }] },
  },
  {
    id: "tcp-rewrite",
    title: "the filter frames downstream data and upper-cases upstream data",
    kind: "tcp",
    probe: { on: { downstream_data: ["!eos body-prepend [", "!eos body-append ]"], upstream_data: ["body-upper"] } },
    connections: [{ send: "abc", expectBytes: 5 }],
    expect: { connections: [{ received: "[ABC]", upstreamReceived: "[abc]" }] },
  },
  {
    id: "tcp-properties",
    title: "connection properties in a network filter",
    kind: "tcp",
    probe: {
      on: { new_connection: ["prop plugin_name", "prop-bool connection.mtls"], downstream_data: ["body-size"] },
    },
    connections: [{ send: "xyz", expectBytes: 3 }],
  },

  {
    id: "tcp-close-downstream",
    title: "the filter closes the downstream connection on data: nothing reaches the upstream",
    kind: "tcp",
    probe: { on: { downstream_data: ["close-downstream", "pause"] } },
    connections: [{ send: "bye", expectBytes: 1 }],
    expect: { connections: [{ received: "", upstreamReceived: "" }] },
  },
  {
    id: "tcp-continue-upstream",
    title: "continue_stream(UPSTREAM) is Unimplemented",
    kind: "tcp",
    probe: { on: { new_connection: ["continue-upstream"], downstream_data: ["body"] } },
    connections: [{ send: "u", expectBytes: 1 }],
  },

  {
    id: "tcp-close-upstream",
    title: "the filter closes the upstream connection when the answer arrives",
    kind: "tcp",
    probe: { on: { upstream_data: ["body", "close-upstream"] } },
    connections: [{ send: "hello", expectBytes: 5 }],
  },
];
