// renderGatewayEnvoy: the whole Envoy configuration Envoy Gateway produces for Wasm EnvoyExtensionPolicies, as one
// bootstrap a local Envoy runs (or, in "cluster" mode, the pieces as Envoy Gateway sends them over xDS).
import { stringify } from "yaml";
import {
  DEFAULT_CONTROLLER_NAMESPACE,
  WASM_CACHE_PORT,
  attachPolicies,
  localModuleSource,
  type AttachedRoute,
  type ModuleSourceResolver,
} from "./render.ts";
import { parseRenderInput, type RenderInput } from "./render-parse.ts";
import { GatewayError } from "./errors.ts";
import type { RenderRoute, RenderedWasm } from "./render-types.ts";
import {
  filterOrder,
  gatewayListener,
  ruleClusterName,
  wasmCacheCluster,
  wasmHttpFilter,
  type WasmCacheEndpoint,
} from "./render-xds.ts";

/** The Wasm cache URL of local runs: Envoy Gateway's port, on loopback. */
export const DEFAULT_LOCAL_WASM_SERVER = `http://127.0.0.1:${WASM_CACHE_PORT}`;

/** Options of {@link renderGatewayEnvoy}. */
export interface RenderGatewayEnvoyOptions {
  /**
   * "local" (default): modules come from a loopback HTTP/2 server (`wasmServerUrl`), routes go to `upstream` (or
   * answer 200 themselves), the listener binds 127.0.0.1. "cluster": the Wasm cache cluster and serving URLs as
   * Envoy Gateway writes them in a cluster (needs `moduleSource`: the URLs its cache assigns).
   */
  mode?: "local" | "cluster";
  /** Local mode: where the module server listens; default http://127.0.0.1:18002 (port 0 is not allowed here). */
  wasmServerUrl?: string;
  /** Local mode: sha256 of each module file by original URL (needed for images and HTTP sources without sha256). */
  moduleSha256s?: ReadonlyMap<string, string>;
  /** Overrides where each module is served and which sha256 Envoy checks. */
  moduleSource?: ModuleSourceResolver;
  /** Cluster mode: the namespace Envoy Gateway runs in; default envoy-gateway-system. */
  controllerNamespace?: string;
  /** Local mode: the upstream every route forwards to; without one each route answers 200 itself. */
  upstream?: { host: string; port: number };
  /** Local mode: the admin port (default 0, chosen by the kernel). */
  adminPort?: number;
}

/** The Envoy configuration Envoy Gateway produces for the input. */
export interface RenderedGatewayEnvoy {
  /** Each route and the extensions it runs (the policy that applies to it). */
  attached: AttachedRoute[];
  /** Every extension once, in the connection manager's order. */
  wasms: RenderedWasm[];
  /** The connection manager's Wasm filters (disabled; the routes enable them). */
  httpFilters: Record<string, unknown>[];
  /** The listener, its connection manager and its inline route table. */
  listener: Record<string, unknown>;
  /** The cluster Envoy fetches the modules through (`wasm_cluster`). */
  wasmCluster: Record<string, unknown>;
  /** Every cluster: `wasm_cluster`, then one per HTTPRoute rule (local mode with an upstream). */
  clusters: Record<string, unknown>[];
  /** A complete bootstrap: admin, the listener and the clusters (what `gateway envoy` prints). */
  bootstrap: Record<string, unknown>;
}

/**
 * Renders the Envoy configuration Envoy Gateway produces for `input` (YAML text with EnvoyExtensionPolicies and
 * optionally the Gateway and HTTPRoutes, or the already parsed {@link RenderInput}). Throws a
 * {@link GatewayError} for input it cannot render (no Wasm extension, no module sha256, a bad URL).
 */
export function renderGatewayEnvoy(
  input: RenderInput | string,
  options: RenderGatewayEnvoyOptions = {},
): RenderedGatewayEnvoy {
  const parsed = typeof input === "string" ? parseRenderInput(input, "policy") : input;
  const mode = options.mode ?? "local";
  let endpoint: WasmCacheEndpoint;
  let resolve = options.moduleSource;
  if (mode === "cluster") {
    if (!resolve) {
      throw new GatewayError(
        "cluster mode needs moduleSource: the URL Envoy Gateway's Wasm cache serves each module under",
        {
          hint: "render in local mode (the default), or pass moduleSource",
        },
      );
    }
    endpoint = {
      mode,
      controllerNamespace: options.controllerNamespace ?? DEFAULT_CONTROLLER_NAMESPACE,
      port: WASM_CACHE_PORT,
    };
  } else {
    const server = parseServerUrl(options.wasmServerUrl ?? DEFAULT_LOCAL_WASM_SERVER);
    endpoint = { mode, host: server.host, port: server.port };
    resolve ??= localModuleSource(server.origin, options.moduleSha256s);
  }
  const attached = attachPolicies(parsed.policies, parsed.routes, parsed.gateway, resolve);
  const wasms = filterOrder(attached);
  const upstream = options.upstream;
  const destination = (route: RenderRoute): Record<string, unknown> =>
    mode === "cluster" || upstream
      ? { route: { cluster: ruleClusterName(route), upgrade_configs: [{ upgrade_type: "websocket" }] } }
      : { direct_response: { status: 200, body: { inline_string: "no upstream\n" } } };
  const listener = gatewayListener(parsed.gateway, attached, destination, mode === "local" ? "127.0.0.1" : "0.0.0.0");
  const wasmCluster = wasmCacheCluster(endpoint);
  const ruleClusters =
    mode === "local" && upstream
      ? [...new Set(parsed.routes.map(ruleClusterName))].map((name) => staticCluster(name, upstream))
      : [];
  const clusters = [wasmCluster, ...ruleClusters];
  const bootstrap = {
    node: { id: "proxy-wasm-as-gateway", cluster: parsed.gateway.name },
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: options.adminPort ?? 0 } } },
    static_resources: { listeners: [listener], clusters },
  };
  return { attached, wasms, httpFilters: wasms.map(wasmHttpFilter), listener, wasmCluster, clusters, bootstrap };
}

/** The bootstrap of {@link renderGatewayEnvoy} as YAML (what `proxy-wasm-as gateway envoy` prints). */
export function renderGatewayEnvoyYaml(input: RenderInput | string, options: RenderGatewayEnvoyOptions = {}): string {
  return stringify(renderGatewayEnvoy(input, options).bootstrap, { lineWidth: 0 });
}

function staticCluster(name: string, upstream: { host: string; port: number }): Record<string, unknown> {
  return {
    name,
    type: "STATIC",
    connect_timeout: "10s",
    load_assignment: {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: [
            { endpoint: { address: { socket_address: { address: upstream.host, port_value: upstream.port } } } },
          ],
        },
      ],
    },
  };
}

function parseServerUrl(text: string): { origin: string; host: string; port: number } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GatewayError(`"${text}" is not a URL`, {
      hint: `give the module server as http://127.0.0.1:<port> (default ${DEFAULT_LOCAL_WASM_SERVER})`,
    });
  }
  const port = Number(url.port || 80);
  if (url.protocol !== "http:" || !/^\d+\.\d+\.\d+\.\d+$/.test(url.hostname) || port === 0) {
    throw new GatewayError(`the module server ${text} must be http://<IPv4 address>:<port>`, {
      hint: `Envoy reaches it through a static cluster: e.g. ${DEFAULT_LOCAL_WASM_SERVER}`,
    });
  }
  return { origin: `http://${url.hostname}:${port}`, host: url.hostname, port };
}
