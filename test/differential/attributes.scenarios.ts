// The attribute scenarios: the probe asks for every attribute Envoy documents (harness ENVOY_ATTRIBUTES) in every
// phase of a Wasm filter: VM start (the VM configuration's commands), configure, the HTTP callbacks (request
// headers, body, response headers, body, log) and the TCP ones (new connection, downstream data, upstream data,
// log). Not part of ALL_SCENARIOS: their values change from run to run, so they are recorded into the attribute
// table (record-attributes.ts) and replayed by attributes.test.ts, which compares presence, type and encoding.
import { ENVOY_ATTRIBUTES } from "@proxy-wasm-as/harness/emulator";
import type { Scenario } from "@proxy-wasm-as/harness/scenario";

/** One `attr` command per attribute. */
export const ATTRIBUTE_COMMANDS: readonly string[] = ENVOY_ATTRIBUTES.map((a) => `attr ${a.name}`);

export const attributeScenarios: Scenario[] = [
  {
    id: "attr-http",
    title: "every attribute in every phase of an HTTP filter (a POST with a body, answered 200 with a body)",
    probe: {
      on: {
        configure: ATTRIBUTE_COMMANDS,
        request_headers: ATTRIBUTE_COMMANDS,
        request_body: ATTRIBUTE_COMMANDS,
        response_headers: ATTRIBUTE_COMMANDS,
        response_body: ATTRIBUTE_COMMANDS,
        log: ATTRIBUTE_COMMANDS,
      },
    },
    plugin: { vmConfiguration: ATTRIBUTE_COMMANDS.join("\n") },
    upstream: { status: 200, headers: { "x-up": "1" }, body: "answer" },
    requests: [
      {
        method: "POST",
        path: "/attr/path?q=1",
        headers: { "user-agent": "attr-agent", referer: "http://ref.example/", "content-type": "text/plain" },
        body: "hello",
      },
    ],
  },
  {
    id: "attr-tcp",
    kind: "tcp",
    title: "every attribute in every phase of a network filter (one echoed write)",
    probe: {
      on: {
        new_connection: ATTRIBUTE_COMMANDS,
        downstream_data: ATTRIBUTE_COMMANDS,
        upstream_data: ATTRIBUTE_COMMANDS,
        log: ATTRIBUTE_COMMANDS,
      },
    },
    connections: [{ send: "ping", expectBytes: 4 }],
  },
];
