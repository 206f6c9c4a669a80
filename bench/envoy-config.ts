// Envoy bootstrap for the bench: one Envoy, two listeners on loopback.
//
//   load generator ──► "proxy" listener (the filter under test, then the router)
//                           │  cluster "upstream": 127.0.0.1:<upstream port>, HTTP/1.1 keep-alive
//                           ▼
//                      "upstream" listener: a direct_response (200 "ok") with fixed response headers
//
// The upstream is Envoy itself answering from a second listener in the same process: nothing else needs a
// core, it is as fast as an upstream can be, and it costs every variant the same. The harness's config
// builder (harness/src/envoy/config.ts) only knows Wasm filters, so the bench writes its own YAML: it also
// needs the Lua filter, route-level header mutation and jwt_authn.
//
// Requests to /verify get the upstream to echo what it received (x-seen-* response headers, via Envoy's
// %REQ()% formatter), so the bench can check that each variant really did the work before measuring it;
// the measured path (/) has no echo.
import { stringify } from "yaml";
import {
  HEADER_EDITS,
  JWT_AUDIENCE,
  JWT_FORWARDED_CLAIM,
  JWT_ISSUER,
  UPSTREAM_RESPONSE_HEADERS,
  benchJwks,
} from "./workloads.ts";

/**
 * Entries of the native jwt_authn filter's token cache (per worker; Envoy's default is 100). The `jwt-distinct`
 * workload's pool (bench/workloads.ts) is far larger, so there it never hits.
 */
export const NATIVE_JWT_CACHE_SIZE = 100;

/** The filter (or absence of one) a bench Envoy runs in its "proxy" listener. */
export type BenchFilter =
  /** No filter: the baseline. */
  | { readonly kind: "none" }
  /** Envoy's native route-level header mutation doing the `headers` workload's edits. */
  | { readonly kind: "native-headers" }
  /** Envoy's native jwt_authn filter verifying the `jwt` workload's tokens (local JWKS, HS256). */
  | { readonly kind: "native-jwt" }
  /** Envoy's Lua filter with this inline source. */
  | { readonly kind: "lua"; readonly source: string }
  /** A proxy-wasm module (envoy.filters.http.wasm, V8). */
  | {
      readonly kind: "wasm";
      readonly wasm: string;
      readonly name: string;
      readonly rootId?: string;
      readonly config?: unknown;
    };

/** Where the two listeners of a bench Envoy listen (ports chosen by the caller; see freePort). */
export interface BenchPorts {
  readonly proxy: number;
  readonly upstream: number;
}

const HCM_TYPE =
  "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const ROUTER = {
  name: "envoy.filters.http.router",
  typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
};

function address(port: number) {
  return { socket_address: { address: "127.0.0.1", port_value: port } };
}

function headerValue(
  key: string,
  value: string,
  appendAction: "APPEND_IF_EXISTS_OR_ADD" | "OVERWRITE_IF_EXISTS_OR_ADD",
) {
  return { header: { key, value }, append_action: appendAction };
}

/** The `headers` workload as route-level header mutation: remove, set (overwrite) and add (append). */
function nativeHeaderEdits() {
  const direction = (edits: { set: Record<string, string>; add: Record<string, string> }) => [
    ...Object.entries(edits.set).map(([k, v]) => headerValue(k, v, "OVERWRITE_IF_EXISTS_OR_ADD")),
    ...Object.entries(edits.add).map(([k, v]) => headerValue(k, v, "APPEND_IF_EXISTS_OR_ADD")),
  ];
  return {
    request_headers_to_add: direction(HEADER_EDITS.request),
    request_headers_to_remove: [...HEADER_EDITS.request.remove],
    response_headers_to_add: direction(HEADER_EDITS.response),
    response_headers_to_remove: [...HEADER_EDITS.response.remove],
  };
}

function httpFilters(filter: BenchFilter): unknown[] {
  switch (filter.kind) {
    case "none":
    case "native-headers":
      return [];
    case "lua":
      return [
        {
          name: "envoy.filters.http.lua",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
            default_source_code: { inline_string: filter.source },
          },
        },
      ];
    case "native-jwt":
      return [
        {
          name: "envoy.filters.http.jwt_authn",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
            providers: {
              bench: {
                issuer: JWT_ISSUER,
                audiences: [JWT_AUDIENCE],
                local_jwks: { inline_string: benchJwks() },
                forward: true,
                clock_skew_seconds: 60,
                claim_to_headers: [{ header_name: JWT_FORWARDED_CLAIM.header, claim_name: JWT_FORWARDED_CLAIM.claim }],
                // jwt-auth caches verified tokens (filters/jwt-auth/README.md), so the native filter does too, in
                // every jwt workload: the same work on both sides.
                jwt_cache_config: { jwt_cache_size: NATIVE_JWT_CACHE_SIZE },
              },
            },
            rules: [{ match: { prefix: "/" }, requires: { provider_name: "bench" } }],
          },
        },
      ];
    case "wasm":
      return [
        {
          name: "envoy.filters.http.wasm",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
            config: {
              name: filter.name,
              ...(filter.rootId !== undefined ? { root_id: filter.rootId } : {}),
              ...(filter.config !== undefined
                ? {
                    configuration: {
                      "@type": "type.googleapis.com/google.protobuf.StringValue",
                      value: JSON.stringify(filter.config),
                    },
                  }
                : {}),
              vm_config: { runtime: "envoy.wasm.runtime.v8", code: { local: { filename: filter.wasm } } },
            },
          },
        },
      ];
  }
}

function connectionManager(statPrefix: string, routes: unknown[], filters: unknown[]) {
  return {
    name: "envoy.filters.network.http_connection_manager",
    typed_config: {
      "@type": HCM_TYPE,
      stat_prefix: statPrefix,
      codec_type: "AUTO",
      route_config: { name: statPrefix, virtual_hosts: [{ name: "all", domains: ["*"], routes }] },
      http_filters: [...filters, ROUTER],
    },
  };
}

/** Builds the bootstrap YAML of a bench Envoy running `filter` (admin on a kernel-chosen loopback port). */
export function renderBenchConfig(filter: BenchFilter, ports: BenchPorts): string {
  const proxyRoute = {
    match: { prefix: "/" },
    route: { cluster: "upstream" },
    ...(filter.kind === "native-headers" ? nativeHeaderEdits() : {}),
  };
  const upstreamHeaders = Object.entries(UPSTREAM_RESPONSE_HEADERS).map(([k, v]) =>
    headerValue(k, v, "OVERWRITE_IF_EXISTS_OR_ADD"),
  );
  const echoed = ["x-internal", "x-bench-env", "x-bench-tag", JWT_FORWARDED_CLAIM.header].map((name) =>
    headerValue(`x-seen-${name.replace(/^x-/, "")}`, `%REQ(${name})%`, "OVERWRITE_IF_EXISTS_OR_ADD"),
  );
  const upstreamRoutes = [
    {
      match: { prefix: "/verify" },
      direct_response: { status: 200, body: { inline_string: "ok" } },
      response_headers_to_add: [...upstreamHeaders, ...echoed],
    },
    {
      match: { prefix: "/" },
      direct_response: { status: 200, body: { inline_string: "ok" } },
      response_headers_to_add: upstreamHeaders,
    },
  ];
  const bootstrap = {
    node: { id: "proxy-wasm-as-bench", cluster: "bench" },
    admin: { address: address(0) },
    static_resources: {
      listeners: [
        {
          name: "proxy",
          address: address(ports.proxy),
          filter_chains: [{ filters: [connectionManager("proxy", [proxyRoute], httpFilters(filter))] }],
        },
        {
          name: "upstream",
          address: address(ports.upstream),
          filter_chains: [{ filters: [connectionManager("upstream", upstreamRoutes, [])] }],
        },
      ],
      clusters: [
        {
          name: "upstream",
          type: "STATIC",
          connect_timeout: "1s",
          load_assignment: {
            cluster_name: "upstream",
            endpoints: [{ lb_endpoints: [{ endpoint: { address: address(ports.upstream) } }] }],
          },
        },
      ],
    },
  };
  return stringify(bootstrap, { lineWidth: 0 });
}
