// Renders the Envoy filter Istio produces from a WasmPlugin/TrafficExtension (istio/istio
// pilot/pkg/model/extensions.go, pkg/model/wasm.go, pkg/wasm/convert.go): filter and plugin name
// `<namespace>.<name>`, root_id = pluginName, pluginConfig as a JSON StringValue, failure policy, runtime v8,
// VM env with the ISTIO_META_WASM_* keys, and the code source istiod sends (remote) or Envoy finally sees
// after istio-agent's rewrite (local file). Also maps it onto the harness's Envoy config builder.
import { createHash } from "node:crypto";
import { httpWasm, networkWasm, type WasmFilter, type WasmPluginOptions } from "../envoy/index.ts";
import { PackagingError } from "./errors.ts";
import type { FailStrategy, IstioResource, PluginPhase } from "./wasmplugin.ts";

/** Envoy type URLs of the two Wasm filters and the configuration wrapper. */
export const HTTP_WASM_FILTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
export const NETWORK_WASM_FILTER_TYPE = "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm";
const STRING_VALUE_TYPE = "type.googleapis.com/google.protobuf.StringValue";

/** Envoy failure_policy values (as the harness config builder takes them). */
type FailurePolicy = NonNullable<WasmPluginOptions["failurePolicy"]>;

/** VM env keys istiod adds (pkg/model/wasm.go). */
export const WASM_RESOURCE_VERSION_ENV = "ISTIO_META_WASM_PLUGIN_RESOURCE_VERSION";
export const WASM_PULL_SECRET_ENV = "ISTIO_META_WASM_IMAGE_PULL_SECRET";
export const WASM_PULL_POLICY_ENV = "ISTIO_META_WASM_IMAGE_PULL_POLICY";

/** Where istio-agent stores fetched modules (constants.IstioDataDir). */
export const ISTIO_DATA_DIR = "/var/lib/istio/data";

/** Options of {@link renderIstioFilter}. */
export interface RenderIstioOptions {
  /**
   * "agent" (default): what Envoy finally loads, after istio-agent fetched the module and rewrote the code to
   * a local file (the pull-secret env key removed). "istiod": what istiod sends (remote http_uri + sha256).
   */
  stage?: "agent" | "istiod";
  /** Local module path for the "agent" stage; default {@link agentCachePath} of the url and sha256. */
  localWasmPath?: string;
  /** Kubernetes resourceVersion of the resource (→ ISTIO_META_WASM_PLUGIN_RESOURCE_VERSION); default "1". */
  resourceVersion?: string;
  /** Docker config JSON of the pull secret, for the "istiod" stage (istiod puts the secret's content in the env). */
  pullSecretContent?: string;
}

/** The Envoy filter Istio renders for one resource. */
export interface IstioEnvoyFilter {
  /** `<namespace>.<name>`: the filter entry's name and the plugin's name (log prefix, `wasm.*` stats). */
  name: string;
  type: "HTTP" | "NETWORK";
  phase: PluginPhase;
  priority: number;
  /** The filter entry: put it in an HCM `http_filters` (HTTP) or a filter chain's `filters` (NETWORK). */
  filter: { name: string; typed_config: Record<string, unknown> };
  /** Envoy `PluginConfig` inside `filter.typed_config.config`. */
  pluginConfig: Record<string, unknown>;
}

/** Renders `resource` (a validated WasmPlugin or TrafficExtension with a wasm module) into Istio's Envoy filter. */
export function renderIstioFilter(resource: IstioResource, options: RenderIstioOptions = {}): IstioEnvoyFilter {
  const { spec, module } = moduleOf(resource);
  const name = `${resource.metadata.namespace ?? "default"}.${resource.metadata.name}`;
  const url = module.url.includes("://") ? module.url : `oci://${module.url}`;
  const stage = options.stage ?? "agent";
  let code: Record<string, unknown>;
  if (url.startsWith("file://")) code = { local: { filename: url.slice("file://".length) } };
  else if (stage === "istiod") code = { remote: { http_uri: { uri: url, cluster: "_", timeout: "30s" }, sha256: module.sha256 ?? "" } };
  else {
    if (!options.localWasmPath && !module.sha256) {
      throw new PackagingError(`${resource.kind} ${name} has no sha256, so the agent's cache path is unknown`, {
        hint: "set sha256 (the manifest digest `push` reports), or pass localWasmPath (CLI: --wasm-path)",
      });
    }
    code = { local: { filename: options.localWasmPath ?? agentCachePath(url, module.sha256!) } };
  }
  const keyValues: Record<string, string> = {};
  if (module.imagePullSecret && stage === "istiod") keyValues[WASM_PULL_SECRET_ENV] = options.pullSecretContent ?? "";
  if (module.imagePullPolicy && module.imagePullPolicy !== "UNSPECIFIED_POLICY") keyValues[WASM_PULL_POLICY_ENV] = module.imagePullPolicy;
  keyValues[WASM_RESOURCE_VERSION_ENV] = options.resourceVersion ?? "1";
  const hostEnvKeys: string[] = [];
  for (const e of module.vmConfig?.env ?? []) {
    if (e.valueFrom === "HOST") hostEnvKeys.push(e.name);
    else keyValues[e.name] = e.value ?? "";
  }
  const pluginConfig: Record<string, unknown> = { name };
  if (module.pluginName) pluginConfig.root_id = module.pluginName;
  if (module.pluginConfig && Object.keys(module.pluginConfig).length > 0) {
    pluginConfig.configuration = { "@type": STRING_VALUE_TYPE, value: canonicalJson(module.pluginConfig) };
  }
  pluginConfig.failure_policy = failurePolicyOf(module.failStrategy);
  pluginConfig.vm_config = {
    runtime: "envoy.wasm.runtime.v8",
    code,
    environment_variables: { ...(hostEnvKeys.length ? { host_env_keys: hostEnvKeys } : {}), key_values: keyValues },
  };
  const type = module.type === "NETWORK" ? "NETWORK" : "HTTP";
  return {
    name,
    type,
    phase: (spec.phase as PluginPhase | undefined) ?? "UNSPECIFIED_PHASE",
    priority: (spec.priority as number | undefined) ?? 0,
    filter: { name, typed_config: { "@type": type === "HTTP" ? HTTP_WASM_FILTER_TYPE : NETWORK_WASM_FILTER_TYPE, config: pluginConfig } },
    pluginConfig,
  };
}

/**
 * The same plugin as a harness filter (`httpWasm`/`networkWasm` of harness/src/envoy) loading `wasmPath`, so
 * `startEnvoy({ filters: [toHarnessFilter(...)] })` runs it with Istio's PluginConfig. Only difference: the
 * harness names the chain entry `envoy.filters.http.wasm` instead of `<namespace>.<name>` (a label only).
 */
export function toHarnessFilter(rendered: IstioEnvoyFilter, wasmPath: string): WasmFilter {
  const config = rendered.pluginConfig as {
    root_id?: string;
    configuration?: { value: string };
    failure_policy: FailurePolicy;
    vm_config: { runtime: string; environment_variables: { host_env_keys?: string[]; key_values: Record<string, string> } };
  };
  const options = {
    name: rendered.name,
    rootId: config.root_id,
    config: config.configuration?.value,
    env: config.vm_config.environment_variables.key_values,
    hostEnvKeys: config.vm_config.environment_variables.host_env_keys,
    failurePolicy: config.failure_policy,
    runtime: config.vm_config.runtime,
  };
  return rendered.type === "HTTP" ? httpWasm(wasmPath, options) : networkWasm(wasmPath, options);
}

/** Orders rendered filters as Istio chains them: AUTHN, AUTHZ, STATS, then unspecified; higher priority first; ties by name. */
export function orderLikeIstio(filters: readonly IstioEnvoyFilter[]): IstioEnvoyFilter[] {
  const rank: Record<PluginPhase, number> = { AUTHN: 0, AUTHZ: 1, STATS: 2, UNSPECIFIED_PHASE: 3 };
  return [...filters].sort((a, b) => rank[a.phase] - rank[b.phase] || b.priority - a.priority || a.name.localeCompare(b.name));
}

/** Where istio-agent caches a fetched module: `<dir>/<sha256(url without tag/digest)>/<sha256>.wasm`. */
export function agentCachePath(url: string, sha256: string, dir = ISTIO_DATA_DIR): string {
  const moduleName = url.replace(/@sha256:[a-f0-9]{64}$/, "").replace(/:[A-Za-z0-9_][A-Za-z0-9._-]*$/, "");
  return `${dir}/${createHash("sha256").update(moduleName).digest("hex")}/${sha256}.wasm`;
}

function failurePolicyOf(strategy: FailStrategy | undefined): FailurePolicy {
  return strategy === "FAIL_OPEN" ? "FAIL_OPEN" : strategy === "FAIL_RELOAD" ? "FAIL_RELOAD" : "FAIL_CLOSED";
}

interface ModuleFields {
  url: string;
  sha256?: string;
  imagePullPolicy?: string;
  imagePullSecret?: string;
  pluginName?: string;
  pluginConfig?: Record<string, unknown>;
  failStrategy?: FailStrategy;
  vmConfig?: { env?: { name: string; value?: string; valueFrom?: "INLINE" | "HOST" }[] };
  type?: string;
}

function moduleOf(resource: IstioResource): { spec: Record<string, unknown>; module: ModuleFields } {
  const module = (resource.kind === "WasmPlugin" ? resource.spec : resource.spec.wasm) as ModuleFields | undefined;
  if (!module?.url) {
    throw new PackagingError(`${resource.kind} ${resource.metadata.name} has no wasm module url`, { hint: "only wasm extensions render to a Wasm filter (lua ones do not)" });
  }
  return { spec: resource.spec, module };
}

/** JSON with object keys sorted, as Go's protobuf JSON marshalling of a Struct writes it. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}
