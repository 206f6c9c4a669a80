// Scenarios: the remaining host calls the SDK wraps — properties, shared data, queues, metrics, logging, time,
// foreign functions — and how a filter failure (trap) is handled under each failure policy.
import type { Scenario } from "@proxy-wasm-as/harness/scenario";

export const hostcalls: Scenario[] = [
  {
    id: "h1-request-properties",
    title: "request.* properties in on_request_headers",
    probe: {
      on: {
        request_headers: [
          "prop request.path",
          "prop request.url_path",
          "prop request.query",
          "prop request.method",
          "prop request.scheme",
          "prop request.host",
          "prop request.protocol",
          "prop request.headers.x-p",
          "prop request.useragent",
        ],
      },
    },
    requests: [{ path: "/props?a=1&b=2", headers: { "x-p": "v", "user-agent": "probe-agent" } }],
  },
  {
    id: "h2-request-properties",
    title: "request.protocol and request.* over HTTP/2",
    probe: { on: { request_headers: ["prop request.path", "prop request.protocol", "prop request.method"] } },
    requests: [{ path: "/h2props", http2: true }],
  },
  {
    id: "h1-plugin-properties",
    title: "plugin_name, plugin_root_id, plugin_vm_id",
    probe: { on: { request_headers: ["prop plugin_name", "prop plugin_root_id", "prop plugin_vm_id"] } },
    requests: [{ path: "/" }],
  },
  {
    id: "h1-connection-properties",
    title: "source/destination addresses and connection.mtls",
    probe: {
      on: { request_headers: ["prop source.address", "prop destination.address", "prop-bool connection.mtls"] },
    },
    requests: [{ path: "/" }],
  },
  {
    id: "h1-log-properties",
    title: "response.* properties in on_log, request properties after the request was continued",
    probe: {
      on: {
        response_headers: ["prop request.path", "prop-int response.code"],
        log: ["prop-int response.code", "prop response.code_details", "prop request.path", "prop-int request.size"],
      },
    },
    requests: [{ method: "POST", path: "/logged", body: "12345" }],
  },
  {
    id: "h1-missing-property",
    title: "an unknown property is NotFound",
    probe: { on: { request_headers: ["prop no.such.property", "prop-int no.such.number"] } },
    requests: [{ path: "/" }],
  },
  {
    id: "h1-set-property",
    title: "set_property stores filter state that get_property reads back later in the stream",
    probe: {
      on: { request_headers: ["setprop my_state=hello"], response_headers: ["prop my_state"], log: ["prop my_state"] },
    },
    requests: [{ path: "/" }],
  },
  {
    id: "h1-shared-data",
    title: "shared data: missing key, set, read, CAS success then mismatch; persists across requests",
    probe: {
      on: {
        request_headers: [
          "shared-get counter",
          "shared-set counter=v1",
          "shared-get counter",
          "shared-cas counter=v2",
          "shared-get counter",
        ],
      },
    },
    requests: [{ path: "/1" }, { path: "/2" }],
  },
  {
    id: "h1-queue-from-stream",
    title: "enqueue from a stream; on_queue_ready at the root dequeues it; an empty queue reports Empty",
    probe: {
      queue: "events",
      on: { request_headers: ["enqueue events=hello", "enqueue no-such-queue=x"], queue_ready: ["dequeue", "dequeue"] },
    },
    requests: [{ path: "/" }],
  },
  {
    id: "h1-counters",
    title: "counter increments (a zero delta is rejected by the SDK/host rules) read back and in stats",
    probe: {
      on: {
        request_headers: ["counter diff_hits=1", "counter diff_hits=2", "counter diff_hits=0", "counter-get diff_hits"],
      },
    },
    metrics: ["diff_hits"],
    requests: [{ path: "/1" }, { path: "/2" }],
    expect: { metrics: { diff_hits: 6 } },
  },
  {
    id: "h1-gauges",
    title: "gauge add (±) and set, read back and in stats",
    probe: {
      on: {
        request_headers: ["gauge-add diff_gauge=5", "gauge-add diff_gauge=-2", "gauge-get diff_gauge"],
        log: ["gauge-set diff_gauge_set=42"],
      },
    },
    metrics: ["diff_gauge", "diff_gauge_set"],
    requests: [{ path: "/" }],
    expect: { metrics: { diff_gauge: 3, diff_gauge_set: 42 } },
  },
  {
    id: "h1-histogram",
    title: "histogram records are accepted",
    probe: { on: { request_headers: ["histogram diff_latency=7", "histogram diff_latency=12"] } },
    requests: [{ path: "/" }],
  },
  {
    id: "h1-log-levels",
    title: "the log level the host reports, and lines at debug and warn",
    probe: { on: { request_headers: ["log-level", "log-debug visible-at-debug", "log-warn a-warning"] } },
    requests: [{ path: "/" }],
  },
  {
    id: "h1-time-and-foreign",
    title: "current time is wall-clock nanoseconds; an unknown foreign function is NotFound",
    probe: { on: { request_headers: ["time", "foreign no_such_function"] } },
    requests: [{ path: "/" }],
  },
  {
    id: "h1-trap-fail-closed",
    title: "a trap in on_request_headers (fail closed): 503 now and for the next request, the filter no longer runs",
    probe: { on: { request_headers: ["?x-trap trap"] } },
    requests: [
      { path: "/boom", headers: { "x-trap": "1" }, settle: "trap" },
      { path: "/after", settle: "none" },
    ],
    expect: {
      responses: [
        { status: 503, upstream: null },
        { status: 503, upstream: null },
      ],
    },
  },
  {
    id: "h1-trap-fail-open",
    title: "a trap with FAIL_OPEN: the stream that trapped still gets 503; later requests skip the filter",
    failurePolicy: "FAIL_OPEN",
    probe: { on: { request_headers: ["?x-trap trap", "add x-filtered=1"] } },
    requests: [
      { path: "/boom", headers: { "x-trap": "1" }, settle: "trap" },
      { path: "/after", settle: "none" },
    ],
    expect: {
      responses: [
        { status: 503, upstream: null },
        { status: 200, upstream: { headers: { "x-filtered": null } } },
      ],
    },
  },
  {
    id: "h1-trap-response",
    title: "a trap in on_response_headers (fail closed) after the request went upstream",
    probe: { on: { response_headers: ["trap"] } },
    requests: [{ path: "/late-boom", settle: "trap" }],
  },
];
