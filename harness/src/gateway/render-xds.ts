// The Envoy configuration Envoy Gateway writes for Wasm extensions (v1.9.1, internal/xds/translator/wasm.go and
// globalresources.go; facts only, no code of it):
//   - every extension of every route becomes ONE HTTP filter in the connection manager, `disabled: true`, named
//     `envoy.filters.http.wasm/<extension IR name>`, in the order the routes first use them, before the router;
//   - each route that runs it enables it with `typed_per_filter_config[<filter name>]` = an empty
//     `envoy.config.route.v3.FilterConfig`;
//   - the filter's PluginConfig: `name` = plugin name, `root_id` when set, `configuration` = the config as JSON in a
//     google.protobuf.StringValue ("" without config), `fail_open` (only written when true), and a VM config with
//     `vm_id` = the IR name (VMs are not shared between filters), runtime V8, `host_env_keys` from `env.hostKeys`, and
//     the code from `remote.http_uri` (cluster `wasm_cluster`, timeout 10 s) with `sha256` and a retry policy of 10
//     retries backing off from 1 s to 30 s;
//   - `wasm_cluster`: HTTP/2 (window sizes 1 MiB / 64 KiB) with TLS to Envoy Gateway's Wasm cache at
//     `envoy-gateway.<controller namespace>.svc.cluster.local:18002`, DNS-resolved.
// Local runs ("local" mode) keep all of that except the cluster's address and TLS: plain HTTP/2 to a loopback
// server (serve.ts), and the listener carries its routes inline instead of from RDS.
// The Kubernetes API server stores a CRD's free-form `config` with object keys sorted, as Istio's renderer needs too.
import { canonicalJson } from "../packaging/envoy-render.ts";
import type { AttachedRoute } from "./render.ts";
import type { RenderGateway, RenderRoute, RenderedWasm } from "./render-types.ts";

/** The filter name prefix Envoy Gateway gives Wasm filters (egv1a1.EnvoyFilterWasm). */
export const WASM_FILTER_PREFIX = "envoy.filters.http.wasm";
/** The cluster Envoy fetches modules through (Envoy Gateway's Wasm cache). */
export const WASM_CACHE_CLUSTER = "wasm_cluster";
const HTTP_WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
const STRING_VALUE_TYPE = "type.googleapis.com/google.protobuf.StringValue";
const FILTER_CONFIG_TYPE = "type.googleapis.com/envoy.config.route.v3.FilterConfig";
const HCM_TYPE =
  "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const ROUTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";
const HTTP_OPTIONS_KEY = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
const HTTP_OPTIONS_TYPE = `type.googleapis.com/${HTTP_OPTIONS_KEY}`;
const TLS_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext";
const DNS_CLUSTER_TYPE = "type.googleapis.com/envoy.extensions.clusters.dns.v3.DnsCluster";
const LEAST_REQUEST_TYPE = "type.googleapis.com/envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest";
/** Envoy Gateway's fetch settings (wasm.go, utils.go defaultExtServiceRequestTimeout). */
const FETCH_TIMEOUT = "10s";
const FETCH_RETRIES = 10;
const FETCH_BACKOFF = { base_interval: "1s", max_interval: "30s" };
/** Envoy Gateway's HTTP/2 window sizes for its clusters. */
const HTTP2_OPTIONS = { initial_connection_window_size: 1048576, initial_stream_window_size: 65536 };
/** Where Envoy Gateway's proxies find the CA of its control plane, and the buffer limit it sets. */
const CONTROL_PLANE_CA = "/certs/ca.crt";
const BUFFER_LIMIT = 32768;

/** The HTTP filter name of an extension: `envoy.filters.http.wasm/envoyextensionpolicy/<ns>/<policy>/wasm/<i>`. */
export function wasmFilterName(wasm: Pick<RenderedWasm, "name">): string {
  return `${WASM_FILTER_PREFIX}/${wasm.name}`;
}

/** The connection manager's HTTP filter for one extension: disabled, enabled per route. */
export function wasmHttpFilter(wasm: RenderedWasm): Record<string, unknown> {
  const vmConfig: Record<string, unknown> = {
    vm_id: wasm.name,
    runtime: "envoy.wasm.runtime.v8",
    code: {
      remote: {
        http_uri: { uri: wasm.servingUrl, cluster: WASM_CACHE_CLUSTER, timeout: FETCH_TIMEOUT },
        sha256: wasm.sha256,
        retry_policy: { num_retries: FETCH_RETRIES, retry_back_off: FETCH_BACKOFF },
      },
    },
  };
  if (wasm.hostKeys) vmConfig.environment_variables = { host_env_keys: wasm.hostKeys };
  const config: Record<string, unknown> = {
    name: wasm.wasmName,
    ...(wasm.rootID !== undefined ? { root_id: wasm.rootID } : {}),
    vm_config: vmConfig,
    configuration: { "@type": STRING_VALUE_TYPE, value: wasm.config == null ? "" : canonicalJson(wasm.config) },
    ...(wasm.failOpen ? { fail_open: true } : {}),
  };
  return { name: wasmFilterName(wasm), disabled: true, typed_config: { "@type": HTTP_WASM_TYPE, config } };
}

/** The extensions in the order the connection manager lists them: routes in order, each extension once. */
export function filterOrder(attached: readonly AttachedRoute[]): RenderedWasm[] {
  const seen = new Map<string, RenderedWasm>();
  for (const a of attached) for (const w of a.wasms) if (!seen.has(w.name)) seen.set(w.name, w);
  return [...seen.values()];
}

/** Envoy Gateway's name of the Envoy route for one HTTPRoute match. */
export function routeName(route: RenderRoute): string {
  return `httproute/${route.namespace}/${route.name}/rule/${route.rule}/match/${route.match}/${hostLabel(route.hostname)}`;
}

/** The cluster Envoy Gateway routes one HTTPRoute rule to. */
export function ruleClusterName(route: RenderRoute): string {
  return `httproute/${route.namespace}/${route.name}/rule/${route.rule}`;
}

function hostLabel(hostname: string): string {
  return hostname.replaceAll(".", "_");
}

/** The Envoy route for one attached route: its match, its destination, and the filters it enables. */
export function envoyRoute(attached: AttachedRoute, destination: Record<string, unknown>): Record<string, unknown> {
  const { route } = attached;
  const match =
    route.path.type === "Exact"
      ? { path: route.path.value }
      : route.path.value === "/"
        ? { prefix: "/" }
        : { path_separated_prefix: route.path.value.replace(/\/$/, "") };
  const out: Record<string, unknown> = { name: routeName(route), match, ...destination };
  if (attached.wasms.length > 0) {
    out.typed_per_filter_config = Object.fromEntries(
      attached.wasms.map((w) => [wasmFilterName(w), { "@type": FILTER_CONFIG_TYPE, config: {} }]),
    );
  }
  return out;
}

/** Where the Wasm cache cluster points: Envoy Gateway's service (TLS), or a loopback server (plain HTTP/2). */
export type WasmCacheEndpoint =
  | { mode: "cluster"; controllerNamespace: string; port: number }
  | { mode: "local"; host: string; port: number };

/** The `wasm_cluster` Envoy fetches modules through. */
export function wasmCacheCluster(endpoint: WasmCacheEndpoint): Record<string, unknown> {
  const host =
    endpoint.mode === "cluster" ? `envoy-gateway.${endpoint.controllerNamespace}.svc.cluster.local` : endpoint.host;
  const lbEndpoint = {
    endpoint: { address: { socket_address: { address: host, port_value: endpoint.port } } },
    load_balancing_weight: 1,
  };
  const cluster: Record<string, unknown> = {
    name: WASM_CACHE_CLUSTER,
    connect_timeout: "10s",
    per_connection_buffer_limit_bytes: BUFFER_LIMIT,
    load_assignment: {
      cluster_name: WASM_CACHE_CLUSTER,
      endpoints: [
        {
          lb_endpoints: [lbEndpoint],
          load_balancing_weight: 1,
          locality: { region: `${WASM_CACHE_CLUSTER}/backend/-1` },
        },
      ],
    },
    typed_extension_protocol_options: {
      [HTTP_OPTIONS_KEY]: {
        "@type": HTTP_OPTIONS_TYPE,
        explicit_http_config: { http2_protocol_options: HTTP2_OPTIONS },
      },
    },
  };
  if (endpoint.mode === "local") return { ...cluster, type: "STATIC" };
  return {
    ...cluster,
    circuit_breakers: { thresholds: [{ max_retries: 1024 }] },
    cluster_type: {
      name: "envoy.cluster.dns",
      typed_config: {
        "@type": DNS_CLUSTER_TYPE,
        dns_lookup_family: "V4_PREFERRED",
        dns_refresh_rate: "30s",
        respect_dns_ttl: true,
      },
    },
    common_lb_config: {},
    dns_lookup_family: "V4_PREFERRED",
    ignore_health_on_host_removal: true,
    load_balancing_policy: {
      policies: [
        {
          typed_extension_config: {
            name: "envoy.load_balancing_policies.least_request",
            typed_config: { "@type": LEAST_REQUEST_TYPE, locality_lb_config: { locality_weighted_lb_config: {} } },
          },
        },
      ],
    },
    transport_socket: {
      name: "envoy.transport_sockets.tls",
      typed_config: {
        "@type": TLS_TYPE,
        common_tls_context: {
          tls_certificate_sds_secret_configs: [
            {
              name: `${endpoint.controllerNamespace}/envoy`,
              sds_config: { ads: {}, resource_api_version: "V3" },
            },
          ],
          tls_params: { tls_maximum_protocol_version: "TLSv1_3" },
          validation_context: { trusted_ca: { filename: CONTROL_PLANE_CA } },
        },
      },
    },
  };
}

/** The listener (and its inline route table) of `gateway`, with the Wasm filters and the routes enabling them. */
export function gatewayListener(
  gateway: RenderGateway,
  attached: readonly AttachedRoute[],
  destination: (route: RenderRoute) => Record<string, unknown>,
  address = "0.0.0.0",
): Record<string, unknown> {
  const name = `${gateway.namespace}/${gateway.name}/${gateway.listener}`;
  const hosts = [...new Set(attached.map((a) => a.route.hostname))];
  const virtualHosts = hosts.map((hostname) => ({
    name: `${name}/${hostLabel(hostname)}`,
    domains: [hostname],
    routes: attached.filter((a) => a.route.hostname === hostname).map((a) => envoyRoute(a, destination(a.route))),
  }));
  return {
    name,
    address: { socket_address: { address, port_value: gateway.port } },
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": HCM_TYPE,
              stat_prefix: `http-${gateway.port}`,
              route_config: { name, ignore_port_in_host_matching: true, virtual_hosts: virtualHosts },
              http_filters: [
                ...filterOrder(attached).map(wasmHttpFilter),
                {
                  name: "envoy.filters.http.router",
                  typed_config: { "@type": ROUTER_TYPE, suppress_envoy_headers: true },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}
