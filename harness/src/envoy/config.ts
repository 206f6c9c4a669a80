// Typed builder for Envoy bootstrap configs that load proxy-wasm modules. Pure: no I/O. The runner decides
// where each .wasm file is seen by Envoy (host path or a path inside the container) via `wasmPath`.
import { basename } from "node:path";
import { stringify } from "yaml";
import type { HeaderMatch, RouteSpec } from "../emulator/router.ts";
import { EnvoyHarnessError } from "./errors.ts";
import { compareVersions } from "./settings.ts";

/** What Envoy does when the plugin fails (fails to load, or traps): Envoy ≥ 1.33 names; older ones support only open/closed. */
export type EnvoyFailurePolicy = "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD";

/** Plugin settings shared by HTTP filters, network filters and Wasm services (Envoy `PluginConfig` + `VmConfig`). */
export interface WasmPluginOptions {
  /** Plugin name: Envoy's log prefix and `wasm.<name>.*` stats. Default: the file name without `.wasm`. */
  name?: string;
  /** Root id selecting the root context (`plugin_root_id`). */
  rootId?: string;
  /** VM id: plugins with the same vm_id, code and VM configuration share one VM (and shared data/queues). */
  vmId?: string;
  /** Plugin configuration, read in `proxy_on_configure`: a string is passed verbatim, anything else as JSON. */
  config?: unknown;
  /** VM configuration, read in `proxy_on_vm_start`: a string verbatim, anything else as JSON. */
  vmConfig?: unknown;
  /** VM environment variables set to fixed values (`environment_variables.key_values`). */
  env?: Record<string, string>;
  /** Names of Envoy's own environment variables exposed to the VM (`environment_variables.host_env_keys`). */
  hostEnvKeys?: string[];
  /** Failure policy; rendered as `failure_policy` on Envoy ≥ 1.33 and `fail_open` before. Envoy's default is fail closed. */
  failurePolicy?: EnvoyFailurePolicy;
  /** Let `on_request_headers` return StopIteration without stopping body callbacks (Envoy ≥ 1.35). */
  allowOnHeadersStopIteration?: boolean;
  /** Wasm runtime; default `envoy.wasm.runtime.v8` (the only one in official builds). */
  runtime?: string;
}

/** A Wasm HTTP filter (`envoy.filters.http.wasm`) in an HTTP listener's chain. Create with {@link httpWasm}. */
export interface HttpWasmFilter extends WasmPluginOptions {
  readonly kind: "http";
  /** Path of the .wasm file on this machine. */
  readonly wasm: string;
}

/** A Wasm network filter (`envoy.filters.network.wasm`) in a TCP listener's chain. Create with {@link networkWasm}. */
export interface NetworkWasmFilter extends WasmPluginOptions {
  readonly kind: "network";
  /** Path of the .wasm file on this machine. */
  readonly wasm: string;
}

/** A Wasm service (`envoy.bootstrap.wasm`), e.g. a singleton doing ticks and callouts. Create with {@link wasmService}. */
export interface WasmServiceSpec extends WasmPluginOptions {
  readonly kind: "service";
  /** Path of the .wasm file on this machine. */
  readonly wasm: string;
  /** One VM on the main thread (true, default) or one per worker. */
  singleton?: boolean;
}

/** Any Wasm filter. */
export type WasmFilter = HttpWasmFilter | NetworkWasmFilter;

/** An upstream cluster: where a listener routes to, or a `proxy_http_call`/gRPC call target (by name). */
export interface ClusterSpec {
  /** Cluster name (what a filter passes as the callout upstream). */
  name: string;
  /** Endpoint host (an IP; tests may only use loopback). */
  host: string;
  /** Endpoint port. */
  port: number;
  /** Speak HTTP/2 (h2c) to the endpoint: required for gRPC upstreams. Otherwise HTTP/1.1 with trailers enabled. */
  http2?: boolean;
}

/**
 * A route of an HTTP listener, tried before the listener's catch-all one: requests whose path starts with
 * `prefix` and whose headers match `headers` go to `cluster`. E.g. canary routing:
 * `{ headers: { "x-canary": "true" }, cluster: "canary" }`. Envoy evaluates it after the HTTP filters changed
 * the request headers (a Wasm filter's header edit clears the route cache).
 */
/** A route of an HTTP listener (the emulator's router implements the same matching). */
export type { RouteSpec, HeaderMatch, StringMatch } from "../emulator/router.ts";

/** A listener on 127.0.0.1. HTTP listeners (HTTP/1.1 trailers enabled) route `/` to `cluster` (or answer 200 "no upstream" themselves); TCP ones proxy to `cluster`. */
export interface ListenerSpec {
  /** Listener name; its bound port is read back from the admin API by this name. */
  name: string;
  /** "http" (HTTP connection manager; HTTP/1.1 and h2c both accepted) or "tcp" (tcp_proxy). */
  protocol: "http" | "tcp";
  /** Wasm filters in chain order (HTTP filters for "http", network filters for "tcp"). */
  filters: WasmFilter[];
  /** Name of the cluster traffic goes to; optional for "http" (then Envoy answers directly). */
  cluster?: string;
  /** HTTP listeners: routes tried in order before the catch-all route to `cluster`. */
  routes?: RouteSpec[];
  /** Port to bind; 0 (default) lets the kernel pick one, read back after start. */
  port?: number;
}

/** Everything a bootstrap config is built from. */
export interface EnvoyConfigSpec {
  /** Listeners, each with its Wasm filter chain. */
  listeners: ListenerSpec[];
  /** Upstream clusters (routing targets and callout targets). */
  clusters?: ClusterSpec[];
  /** Wasm services (bootstrap extensions). */
  services?: WasmServiceSpec[];
  /** Admin port; 0 (default) lets the kernel pick one. */
  adminPort?: number;
}

/** How the config is rendered for one particular Envoy. */
export interface RenderContext {
  /** Version of the Envoy that will run the config (decides `failure_policy` vs `fail_open`). */
  envoyVersion: string;
  /** Maps a .wasm path on this machine to the path Envoy reads (identity for the process runner). */
  wasmPath: (hostPath: string) => string;
}

const HCM_TYPE =
  "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const HTTP_WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
const NETWORK_WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm";
const SERVICE_TYPE = "type.googleapis.com/envoy.extensions.wasm.v3.WasmService";
const STRING_VALUE_TYPE = "type.googleapis.com/google.protobuf.StringValue";

/** Declares a Wasm HTTP filter loading `wasm` (a path on this machine). */
export function httpWasm(wasm: string, options: WasmPluginOptions = {}): HttpWasmFilter {
  return { ...options, kind: "http", wasm };
}

/** Declares a Wasm network (TCP) filter loading `wasm`. */
export function networkWasm(wasm: string, options: WasmPluginOptions = {}): NetworkWasmFilter {
  return { ...options, kind: "network", wasm };
}

/** Declares a Wasm service (bootstrap extension) loading `wasm`; singleton unless `singleton: false`. */
export function wasmService(wasm: string, options: WasmPluginOptions & { singleton?: boolean } = {}): WasmServiceSpec {
  return { ...options, kind: "service", wasm };
}

/**
 * A cluster named `name` pointing at an endpoint such as an upstream the test started (HTTP, h2c/gRPC or TCP);
 * h2c endpoints get an HTTP/2 cluster. E.g. `clusters: [cluster("auth", authUpstream)]`.
 */
export function cluster(name: string, endpoint: { host: string; port: number; protocol?: string }): ClusterSpec {
  return { name, host: endpoint.host, port: endpoint.port, http2: endpoint.protocol === "h2c" };
}

/** The plugin name Envoy will use for `plugin` (explicit name, else the file name without `.wasm`). */
export function pluginName(plugin: { name?: string; wasm: string }): string {
  return (
    plugin.name ??
    basename(plugin.wasm)
      .replace(/\.wasm$/, "")
      .replace(/[^A-Za-z0-9_.-]/g, "_")
  );
}

/** Every distinct .wasm path the spec loads (what a runner must make available to Envoy). */
export function wasmFilesOf(spec: EnvoyConfigSpec): string[] {
  const files = new Set<string>();
  for (const l of spec.listeners) for (const f of l.filters) files.add(f.wasm);
  for (const s of spec.services ?? []) files.add(s.wasm);
  return [...files];
}

/**
 * Builds the bootstrap object for `spec` (admin and listeners on 127.0.0.1). Throws an
 * {@link EnvoyHarnessError} for specs the target Envoy cannot express (e.g. FAIL_RELOAD before 1.33),
 * for filters of the wrong kind in a listener, and for routes to unknown clusters.
 */
export function buildBootstrap(spec: EnvoyConfigSpec, context: RenderContext): Record<string, unknown> {
  const clusterNames = new Set((spec.clusters ?? []).map((c) => c.name));
  const listeners = spec.listeners.map((listener) => {
    if (listener.cluster !== undefined && !clusterNames.has(listener.cluster)) {
      throw new EnvoyHarnessError(`listener "${listener.name}" routes to unknown cluster "${listener.cluster}"`, {
        hint: `add a cluster named "${listener.cluster}" to clusters`,
      });
    }
    for (const route of listener.routes ?? []) {
      if (!clusterNames.has(route.cluster)) {
        throw new EnvoyHarnessError(
          `a route of listener "${listener.name}" goes to unknown cluster "${route.cluster}"`,
          {
            hint: `add a cluster named "${route.cluster}" to clusters`,
          },
        );
      }
    }
    if (listener.protocol === "tcp" && listener.routes?.length) {
      throw new EnvoyHarnessError(`TCP listener "${listener.name}" cannot have routes`, {
        hint: "routes are for HTTP listeners",
      });
    }
    if (listener.protocol === "tcp" && listener.cluster === undefined) {
      throw new EnvoyHarnessError(`TCP listener "${listener.name}" needs a cluster to proxy to`);
    }
    const wanted = listener.protocol === "http" ? "http" : "network";
    for (const f of listener.filters) {
      if (f.kind !== wanted) {
        throw new EnvoyHarnessError(
          `listener "${listener.name}" is ${listener.protocol} but ${f.wasm} is declared as a ${f.kind} filter`,
          {
            hint:
              listener.protocol === "http"
                ? "use httpWasm(...) for HTTP listeners"
                : "use networkWasm(...) for TCP listeners",
          },
        );
      }
    }
    return {
      name: listener.name,
      address: socketAddress("127.0.0.1", listener.port ?? 0),
      filter_chains: [
        { filters: listener.protocol === "http" ? httpChain(listener, context) : tcpChain(listener, context) },
      ],
    };
  });
  const bootstrap: Record<string, unknown> = {
    node: { id: "proxy-wasm-as-harness", cluster: "proxy-wasm-as" },
    admin: { address: socketAddress("127.0.0.1", spec.adminPort ?? 0) },
    static_resources: { listeners, clusters: (spec.clusters ?? []).map(renderCluster) },
  };
  if (spec.services?.length) {
    bootstrap.bootstrap_extensions = spec.services.map((service) => ({
      name: "envoy.bootstrap.wasm",
      typed_config: {
        "@type": SERVICE_TYPE,
        singleton: service.singleton ?? true,
        config: pluginConfig(service, context),
      },
    }));
  }
  return bootstrap;
}

/** Renders {@link buildBootstrap} as YAML text (what Envoy is started with). */
export function renderBootstrapYaml(spec: EnvoyConfigSpec, context: RenderContext): string {
  return stringify(buildBootstrap(spec, context), { lineWidth: 0 });
}

function socketAddress(address: string, port: number) {
  return { socket_address: { address, port_value: port } };
}

function httpChain(listener: ListenerSpec, context: RenderContext) {
  const route =
    listener.cluster !== undefined
      ? { match: { prefix: "/" }, route: { cluster: listener.cluster } }
      : { match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: "no upstream" } } };
  return [
    {
      name: "envoy.filters.network.http_connection_manager",
      typed_config: {
        "@type": HCM_TYPE,
        stat_prefix: listener.name,
        codec_type: "AUTO",
        http_protocol_options: { enable_trailers: true },
        route_config: {
          name: listener.name,
          virtual_hosts: [
            { name: "all", domains: ["*"], routes: [...(listener.routes ?? []).map(renderRoute), route] },
          ],
        },
        http_filters: [
          ...listener.filters.map((f) => ({
            name: "envoy.filters.http.wasm",
            typed_config: { "@type": HTTP_WASM_TYPE, config: pluginConfig(f, context) },
          })),
          {
            name: "envoy.filters.http.router",
            typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
          },
        ],
      },
    },
  ];
}

function renderRoute(route: RouteSpec) {
  const headers = Object.entries(route.headers ?? {}).map(([name, match]) => renderHeaderMatch(name, match));
  if (route.authority !== undefined) headers.unshift(renderHeaderMatch(":authority", route.authority));
  const path =
    route.path !== undefined
      ? { path: route.path }
      : route.regex !== undefined
        ? { safe_regex: { regex: route.regex } }
        : {};
  const prefix =
    route.prefix !== undefined || (route.path === undefined && route.regex === undefined)
      ? { prefix: route.prefix ?? "/" }
      : {};
  if (route.prefix !== undefined && (route.path !== undefined || route.regex !== undefined)) {
    throw new EnvoyHarnessError(
      `a route to "${route.cluster}" sets both prefix and ${route.path !== undefined ? "path" : "regex"}`,
      { hint: "Envoy matches a route by one of prefix, path or regex: keep one" },
    );
  }
  return {
    match: { ...prefix, ...path, ...(headers.length > 0 ? { headers } : {}) },
    route: { cluster: route.cluster },
  };
}

function renderHeaderMatch(name: string, match: HeaderMatch) {
  if (typeof match === "string") return { name, string_match: { exact: match } };
  if ("present" in match) return { name, present_match: true, invert_match: !match.present };
  if ("regex" in match) return { name, string_match: { safe_regex: { regex: match.regex } } };
  return { name, string_match: match };
}

function tcpChain(listener: ListenerSpec, context: RenderContext) {
  return [
    ...listener.filters.map((f) => ({
      name: "envoy.filters.network.wasm",
      typed_config: { "@type": NETWORK_WASM_TYPE, config: pluginConfig(f, context) },
    })),
    {
      name: "envoy.filters.network.tcp_proxy",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
        stat_prefix: listener.name,
        cluster: listener.cluster,
      },
    },
  ];
}

function renderCluster(cluster: ClusterSpec) {
  const rendered: Record<string, unknown> = {
    name: cluster.name,
    type: "STATIC",
    connect_timeout: "1s",
    load_assignment: {
      cluster_name: cluster.name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(cluster.host, cluster.port) } }] }],
    },
  };
  // HTTP/1 trailers are dropped by Envoy unless enabled; tests of trailer-handling filters need them through.
  rendered.typed_extension_protocol_options = {
    "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
      "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
      explicit_http_config: cluster.http2
        ? { http2_protocol_options: {} }
        : { http_protocol_options: { enable_trailers: true } },
    },
  };
  return rendered;
}

/** The text Envoy receives for a `config`/`vmConfig` value: a string verbatim, anything else as JSON. */
export function configurationText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function pluginConfig(plugin: WasmPluginOptions & { wasm: string }, context: RenderContext) {
  const modern = compareVersions(context.envoyVersion, "1.33.0") >= 0;
  const vmConfig: Record<string, unknown> = {
    runtime: plugin.runtime ?? "envoy.wasm.runtime.v8",
    code: { local: { filename: context.wasmPath(plugin.wasm) } },
  };
  if (plugin.vmId !== undefined) vmConfig.vm_id = plugin.vmId;
  if (plugin.vmConfig !== undefined)
    vmConfig.configuration = { "@type": STRING_VALUE_TYPE, value: configurationText(plugin.vmConfig) };
  if (plugin.env || plugin.hostEnvKeys) {
    const both = Object.keys(plugin.env ?? {}).filter((k) => plugin.hostEnvKeys?.includes(k));
    if (both.length)
      throw new EnvoyHarnessError(
        `VM environment keys ${both.join(", ")} are in both env and hostEnvKeys; Envoy rejects that`,
      );
    vmConfig.environment_variables = {
      ...(plugin.hostEnvKeys ? { host_env_keys: plugin.hostEnvKeys } : {}),
      ...(plugin.env ? { key_values: plugin.env } : {}),
    };
  }
  const config: Record<string, unknown> = { name: pluginName(plugin) };
  if (plugin.rootId !== undefined) config.root_id = plugin.rootId;
  if (plugin.config !== undefined)
    config.configuration = { "@type": STRING_VALUE_TYPE, value: configurationText(plugin.config) };
  if (plugin.failurePolicy !== undefined) {
    if (modern) config.failure_policy = plugin.failurePolicy;
    else if (plugin.failurePolicy === "FAIL_RELOAD") {
      throw new EnvoyHarnessError(`failurePolicy FAIL_RELOAD needs Envoy ≥ 1.33 (target is ${context.envoyVersion})`);
    } else config.fail_open = plugin.failurePolicy === "FAIL_OPEN";
  }
  if (plugin.allowOnHeadersStopIteration !== undefined) {
    if (compareVersions(context.envoyVersion, "1.35.0") < 0) {
      throw new EnvoyHarnessError(`allowOnHeadersStopIteration needs Envoy ≥ 1.35 (target is ${context.envoyVersion})`);
    }
    config.allow_on_headers_stop_iteration = plugin.allowOnHeadersStopIteration;
  }
  config.vm_config = vmConfig;
  return config;
}
