// Renders the Envoy filter Istio produces from a WasmPlugin/TrafficExtension, for a chosen Istio version
// (istio/istio pilot/pkg/model/extensions.go, pkg/model/wasm.go, pkg/wasm/convert.go):
//   - names: the ECDS filter name is `extensions.istio.io/wasmplugin/<ns>.<name>` up to 1.29
//     (WasmPluginResourceNamePrefix) and `extensions.istio.io/trafficextension/<ns>.<name>` from 1.30
//     (TrafficExtensionResourceNamePrefix), where istiod first translates every WasmPlugin into a synthetic
//     TrafficExtension named `<name>~istio-translated-wasmplugin` (pilot/pkg/model/extensions translateWasmPlugin,
//     syntheticMarker); the plugin name (PluginConfig.name) is `<ns>.<name>` of that resource;
//   - root_id = pluginName, pluginConfig as a JSON StringValue, failure policy (fail_open before 1.25), runtime v8;
//   - VM env: istiod adds ISTIO_META_WASM_* keys; istio-agent reads them and strips every ISTIO_META_* key before
//     Envoy sees the config (pkg/wasm/convert.go rewriteVMConfig, bootstrap.IstioMetaPrefix);
//   - the code source istiod sends (remote) or Envoy finally sees after the agent's rewrite (local file).
// Also maps it onto the harness's Envoy config builder.
import { createHash } from "node:crypto";
import { httpWasm, networkWasm, type WasmFilter, type WasmPluginOptions } from "../envoy/index.ts";
import { pinnedIstioVersion } from "./crds.ts";
import { PackagingError } from "./errors.ts";
import { DEFAULT_ISTIO_VERSION, minorNumber, translatesWasmPlugins, type IstioVersion } from "./istio-versions.ts";
import type { FailStrategy, IstioResource, PluginPhase } from "./wasmplugin.ts";

/** Envoy type URLs of the two Wasm filters and the configuration wrapper. */
export const HTTP_WASM_FILTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
export const NETWORK_WASM_FILTER_TYPE = "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm";
const STRING_VALUE_TYPE = "type.googleapis.com/google.protobuf.StringValue";

/** Envoy failure_policy values (as the harness config builder takes them). */
type FailurePolicy = NonNullable<WasmPluginOptions["failurePolicy"]>;

/** VM env keys istiod adds (pkg/model/wasm.go). */
export const WASM_RESOURCE_VERSION_ENV = "ISTIO_META_WASM_PLUGIN_RESOURCE_VERSION";
/** The VM env key istiod sets to the WasmPlugin's image pull secret. */
export const WASM_PULL_SECRET_ENV = "ISTIO_META_WASM_IMAGE_PULL_SECRET";
/** The VM env key istiod sets to the WasmPlugin's image pull policy. */
export const WASM_PULL_POLICY_ENV = "ISTIO_META_WASM_IMAGE_PULL_POLICY";

/** Prefix of every VM env key istio-agent strips before Envoy sees the config (bootstrap.IstioMetaPrefix). */
export const ISTIO_META_PREFIX = "ISTIO_META_";

/** ECDS name prefixes (pilot/pkg/model/extensions.go) and the suffix of WasmPlugins translated in 1.30+. */
export const WASMPLUGIN_RESOURCE_PREFIX = "extensions.istio.io/wasmplugin/";
/** The ECDS name prefix of a TrafficExtension's filter. */
export const TRAFFIC_EXTENSION_RESOURCE_PREFIX = "extensions.istio.io/trafficextension/";
/** The suffix of a WasmPlugin istiod translates into a TrafficExtension (Istio 1.30+). */
export const TRANSLATED_WASMPLUGIN_SUFFIX = "~istio-translated-wasmplugin";

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
  /** Istio version to render for (a pinned minor, patch optional); default {@link DEFAULT_ISTIO_VERSION}. */
  istioVersion?: string | IstioVersion;
}

/** The Envoy filter Istio renders for one resource. */
export interface IstioEnvoyFilter {
  /** The plugin's name (PluginConfig.name: log prefix, `wasm.*` stats): `<namespace>.<name>[~istio-translated-wasmplugin]`. */
  name: string;
  /** The ECDS filter name, e.g. `extensions.istio.io/trafficextension/<ns>.<name>~istio-translated-wasmplugin`. */
  resourceName: string;
  type: "HTTP" | "NETWORK";
  phase: PluginPhase;
  /** The resource's priority; undefined when unset (Istio orders those after every set priority). */
  priority: number | undefined;
  /** The filter entry: put it in an HCM `http_filters` (HTTP) or a filter chain's `filters` (NETWORK). */
  filter: { name: string; typed_config: Record<string, unknown> };
  /** Envoy `PluginConfig` inside `filter.typed_config.config`. */
  pluginConfig: Record<string, unknown>;
}

/** Renders `resource` (a validated WasmPlugin or TrafficExtension with a wasm module) into Istio's Envoy filter. */
export function renderIstioFilter(resource: IstioResource, options: RenderIstioOptions = {}): IstioEnvoyFilter {
  const { spec, module } = moduleOf(resource);
  const version = pinnedIstioVersion(options.istioVersion);
  const { name, resourceName } = istioNames(resource, version);
  const url = module.url.includes("://") ? module.url : `oci://${module.url}`;
  const stage = options.stage ?? "agent";
  let code: Record<string, unknown>;
  if (url.startsWith("file://")) code = { local: { filename: url.slice("file://".length) } };
  else if (stage === "istiod")
    code = { remote: { http_uri: { uri: url, cluster: "_", timeout: "30s" }, sha256: module.sha256 ?? "" } };
  else {
    if (!options.localWasmPath && !module.sha256) {
      throw new PackagingError(`${resource.kind} ${name} has no sha256, so the agent's cache path is unknown`, {
        hint: "set sha256 (the manifest digest `push` reports), or pass localWasmPath (CLI: --wasm-path)",
      });
    }
    code = { local: { filename: options.localWasmPath ?? agentCachePath(url, module.sha256!) } };
  }
  let keyValues: Record<string, string> = {};
  if (module.imagePullSecret) keyValues[WASM_PULL_SECRET_ENV] = options.pullSecretContent ?? "";
  if (module.imagePullPolicy && module.imagePullPolicy !== "UNSPECIFIED_POLICY")
    keyValues[WASM_PULL_POLICY_ENV] = module.imagePullPolicy;
  keyValues[WASM_RESOURCE_VERSION_ENV] = options.resourceVersion ?? "1";
  const hostEnvKeys: string[] = [];
  for (const e of module.vmConfig?.env ?? []) {
    if (e.valueFrom === "HOST") hostEnvKeys.push(e.name);
    else keyValues[e.name] = e.value ?? "";
  }
  // The agent consumes the ISTIO_META_* keys (pull secret, policy, resource version) and deletes them all.
  if (stage === "agent")
    keyValues = Object.fromEntries(Object.entries(keyValues).filter(([k]) => !k.startsWith(ISTIO_META_PREFIX)));
  const pluginConfig: Record<string, unknown> = { name };
  if (module.pluginName) pluginConfig.root_id = module.pluginName;
  if (module.pluginConfig && Object.keys(module.pluginConfig).length > 0) {
    pluginConfig.configuration = { "@type": STRING_VALUE_TYPE, value: canonicalJson(module.pluginConfig) };
  }
  // Proxies before 1.25 get the deprecated fail_open bool instead of failure_policy (extensions.go buildPluginConfig).
  if (minorNumber(version) < 25) pluginConfig.fail_open = module.failStrategy === "FAIL_OPEN";
  else pluginConfig.failure_policy = failurePolicyOf(module.failStrategy);
  const hasKeyValues = Object.keys(keyValues).length > 0;
  pluginConfig.vm_config = {
    runtime: "envoy.wasm.runtime.v8",
    code,
    ...(hasKeyValues || hostEnvKeys.length
      ? {
          environment_variables: {
            ...(hostEnvKeys.length ? { host_env_keys: hostEnvKeys } : {}),
            ...(hasKeyValues ? { key_values: keyValues } : {}),
          },
        }
      : {}),
  };
  const type = module.type === "NETWORK" ? "NETWORK" : "HTTP";
  return {
    name,
    resourceName,
    type,
    phase:
      (spec.phase as PluginPhase | undefined) ?? (resource.kind === "WasmPlugin" ? "UNSPECIFIED_PHASE" : "UNSPECIFIED"),
    priority: typeof spec.priority === "number" ? spec.priority : undefined,
    filter: {
      name: resourceName,
      typed_config: {
        "@type": type === "HTTP" ? HTTP_WASM_FILTER_TYPE : NETWORK_WASM_FILTER_TYPE,
        config: pluginConfig,
      },
    },
    pluginConfig,
  };
}

/** The plugin name and ECDS filter name istiod of `version` gives `resource` (see the file comment). */
export function istioNames(resource: IstioResource, version: IstioVersion): { name: string; resourceName: string } {
  const namespaced = `${resource.metadata.namespace ?? "default"}.${resource.metadata.name}`;
  if (translatesWasmPlugins(version)) {
    const name = resource.kind === "WasmPlugin" ? namespaced + TRANSLATED_WASMPLUGIN_SUFFIX : namespaced;
    return { name, resourceName: TRAFFIC_EXTENSION_RESOURCE_PREFIX + name };
  }
  if (resource.kind === "TrafficExtension") {
    throw new PackagingError(`Istio ${version.minor} has no TrafficExtension (added in 1.30)`, {
      hint: "render it for Istio 1.30 or later (--istio-version 1.30), or use a WasmPlugin",
    });
  }
  return { name: namespaced, resourceName: WASMPLUGIN_RESOURCE_PREFIX + namespaced };
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
    failure_policy?: FailurePolicy;
    fail_open?: boolean;
    vm_config: {
      runtime: string;
      environment_variables?: { host_env_keys?: string[]; key_values?: Record<string, string> };
    };
  };
  const options = {
    name: rendered.name,
    rootId: config.root_id,
    config: config.configuration?.value,
    env: config.vm_config.environment_variables?.key_values,
    hostEnvKeys: config.vm_config.environment_variables?.host_env_keys,
    failurePolicy: config.failure_policy ?? (config.fail_open ? "FAIL_OPEN" : "FAIL_CLOSED"),
    runtime: config.vm_config.runtime,
  };
  return rendered.type === "HTTP" ? httpWasm(wasmPath, options) : networkWasm(wasmPath, options);
}

/**
 * Orders rendered filters as Istio chains them: AUTHN, AUTHZ, STATS, then unspecified; within a phase higher
 * priority first and an unset priority after every set one (negative included); ties by name. (istiod sorts the
 * plugins it applies by phase and priority in pilot/pkg/model/push_context.go; the unset-priority rule is the one
 * issue 14 observed against Istio, not re-derived from the source here.)
 */
export function orderLikeIstio(filters: readonly IstioEnvoyFilter[]): IstioEnvoyFilter[] {
  const rank: Record<PluginPhase, number> = { AUTHN: 0, AUTHZ: 1, STATS: 2, UNSPECIFIED_PHASE: 3, UNSPECIFIED: 3 };
  const byPriority = (a: IstioEnvoyFilter, b: IstioEnvoyFilter) =>
    a.priority === b.priority
      ? 0
      : a.priority === undefined
        ? 1
        : b.priority === undefined
          ? -1
          : b.priority - a.priority;
  return [...filters].sort((a, b) => rank[a.phase] - rank[b.phase] || byPriority(a, b) || a.name.localeCompare(b.name));
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
    throw new PackagingError(`${resource.kind} ${resource.metadata.name} has no wasm module url`, {
      hint: "only wasm extensions render to a Wasm filter (lua ones do not)",
    });
  }
  return { spec: resource.spec, module };
}

/** JSON with object keys sorted, as Go's protobuf JSON marshalling of a Struct writes it. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}
