// The catalogue of config shapes the builder supports. Each renders to envoy-configs/shape-<name>.yaml
// (readable examples) and is validated by Envoy itself in config-shapes.test.ts.
import { httpWasm, networkWasm, wasmService } from "@proxy-wasm-as/harness";
import type { EnvoyConfigSpec } from "@proxy-wasm-as/harness/envoy";

/** The module path used in examples; validation substitutes a real module. */
export const EXAMPLE_WASM = "plugin.wasm";

/** One example shape. */
export interface ConfigShape {
  /** File name part: envoy-configs/shape-<name>.yaml. */
  name: string;
  /** One line describing the shape (written as the YAML's header comment). */
  description: string;
  /** Envoy version the example is rendered for and validated against. */
  envoyVersion: string;
  spec: EnvoyConfigSpec;
}

const upstream = { name: "upstream", host: "127.0.0.1", port: 8080 };

export const CONFIG_SHAPES: ConfigShape[] = [
  {
    name: "http-filter",
    description:
      "One Wasm HTTP filter with plugin and VM configuration, root id, vm id and VM environment variables, routing to a loopback upstream.",
    envoyVersion: "1.40.0",
    spec: {
      listeners: [
        {
          name: "ingress",
          protocol: "http",
          cluster: "upstream",
          filters: [
            httpWasm(EXAMPLE_WASM, {
              name: "headers",
              rootId: "headers_root",
              vmId: "headers_vm",
              config: { request: { set: { "x-a": "1" } } },
              vmConfig: "vm-config-text",
              env: { MODE: "test" },
              hostEnvKeys: ["HOSTNAME"],
            }),
          ],
        },
      ],
      clusters: [upstream],
    },
  },
  {
    name: "network-filter",
    description: "One Wasm network (TCP) filter in front of tcp_proxy.",
    envoyVersion: "1.40.0",
    spec: {
      listeners: [
        {
          name: "ingress",
          protocol: "tcp",
          cluster: "upstream",
          filters: [networkWasm(EXAMPLE_WASM, { name: "tcp_plugin" })],
        },
      ],
      clusters: [upstream],
    },
  },
  {
    name: "wasm-service",
    description:
      "A singleton Wasm service (bootstrap extension) sharing its vm_id with an HTTP filter (shared data and queues).",
    envoyVersion: "1.40.0",
    spec: {
      listeners: [
        { name: "ingress", protocol: "http", filters: [httpWasm(EXAMPLE_WASM, { name: "filter", vmId: "shared" })] },
      ],
      services: [
        wasmService(EXAMPLE_WASM, { name: "service", rootId: "service_root", vmId: "shared", config: "tick=1000" }),
      ],
    },
  },
  {
    name: "filter-chain",
    description: "Several Wasm HTTP filters in one chain, two sharing a VM (same vm_id and code).",
    envoyVersion: "1.40.0",
    spec: {
      listeners: [
        {
          name: "ingress",
          protocol: "http",
          cluster: "upstream",
          filters: [
            httpWasm(EXAMPLE_WASM, { name: "first", rootId: "first", vmId: "chain", config: "1" }),
            httpWasm(EXAMPLE_WASM, { name: "second", rootId: "second", vmId: "chain", config: "2" }),
            httpWasm(EXAMPLE_WASM, { name: "third", config: "3" }),
          ],
        },
      ],
      clusters: [upstream],
    },
  },
  {
    name: "callout-clusters",
    description:
      'An HTTP filter with clusters for callouts: an HTTP/1.1 one (proxy_http_call upstream "auth") and an h2c one for gRPC ("grpc").',
    envoyVersion: "1.40.0",
    spec: {
      listeners: [
        {
          name: "ingress",
          protocol: "http",
          cluster: "upstream",
          filters: [httpWasm(EXAMPLE_WASM, { name: "caller", config: { authCluster: "auth" } })],
        },
      ],
      clusters: [
        upstream,
        { name: "auth", host: "127.0.0.1", port: 8081 },
        { name: "grpc", host: "127.0.0.1", port: 8082, http2: true },
      ],
    },
  },
  {
    name: "header-routes",
    description:
      "An HTTP listener with a route on a request header before the catch-all one (canary routing: a filter sets x-canary).",
    envoyVersion: "1.40.0",
    spec: {
      listeners: [
        {
          name: "ingress",
          protocol: "http",
          cluster: "stable",
          routes: [{ headers: { "x-canary": "true" }, cluster: "canary" }],
          filters: [httpWasm(EXAMPLE_WASM, { name: "router", config: { percentage: 10 } })],
        },
      ],
      clusters: [
        { name: "stable", host: "127.0.0.1", port: 8080 },
        { name: "canary", host: "127.0.0.1", port: 8081 },
      ],
    },
  },
  {
    name: "failure-policy",
    description: "failure_policy (Envoy >= 1.33) and allow_on_headers_stop_iteration (Envoy >= 1.35).",
    envoyVersion: "1.40.0",
    spec: {
      listeners: [
        {
          name: "ingress",
          protocol: "http",
          filters: [
            httpWasm(EXAMPLE_WASM, { name: "open", failurePolicy: "FAIL_OPEN", allowOnHeadersStopIteration: true }),
          ],
        },
      ],
    },
  },
  {
    name: "failure-policy-1.36",
    description:
      "The same failure policy rendered for the oldest supported Envoy: fail_open is still the accepted field on 1.36.",
    envoyVersion: "1.36.4",
    spec: {
      listeners: [
        {
          name: "ingress",
          protocol: "http",
          filters: [httpWasm(EXAMPLE_WASM, { name: "open", failurePolicy: "FAIL_OPEN" })],
        },
      ],
    },
  },
];
