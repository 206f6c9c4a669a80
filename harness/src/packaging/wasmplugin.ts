// Generates Istio WasmPlugin and TrafficExtension resources (extensions.istio.io/v1alpha1) from a filter's
// metadata, validates them against the real CRDs of a pinned Istio version (crd-validate.ts), and reads them
// back from YAML.
import { stringify } from "yaml";
import { validateAgainstCrd } from "./crd-validate.ts";
import { crdProvenance, pinnedIstioVersion } from "./crds.ts";
import { PackagingError } from "./errors.ts";
import { matchLabelsProblems } from "./labels.ts";
import { objectMetaProblems } from "./object-meta.ts";
import { MAX_YAML_ALIASES, yamlDocuments } from "./yaml-documents.ts";

export { MAX_YAML_ALIASES };
import type { DEFAULT_ISTIO_VERSION, IstioVersion } from "./istio-versions.ts";

/**
 * Where in the chain the filter goes. The CRDs spell "unspecified" differently: WasmPlugin's PluginPhase has
 * UNSPECIFIED_PHASE, TrafficExtension's ExecutionPhase has UNSPECIFIED (istio/api extensions/v1alpha1
 * wasm.proto, traffic_extension.proto). Metadata may use either; each resource gets its own CRD's spelling.
 */
export type PluginPhase = "UNSPECIFIED_PHASE" | "UNSPECIFIED" | "AUTHN" | "AUTHZ" | "STATS";

/** Options of the build/validate/parse functions. */
export interface IstioTargetOptions {
  /** Istio version whose CRDs apply (a pinned minor, patch optional); default {@link DEFAULT_ISTIO_VERSION}. */
  istioVersion?: string | IstioVersion;
}
/** What happens when the plugin fails: FAIL_CLOSE (default), FAIL_OPEN, FAIL_RELOAD (new VM after a crash). */
export type FailStrategy = "FAIL_CLOSE" | "FAIL_OPEN" | "FAIL_RELOAD";
/** HTTP (default) or NETWORK filter. */
export type PluginType = "UNSPECIFIED_PLUGIN_TYPE" | "HTTP" | "NETWORK";
/** When istio-agent re-pulls the image. */
export type PullPolicy = "UNSPECIFIED_POLICY" | "IfNotPresent" | "Always";

/** A policy target (Gateway, GatewayClass, Service for waypoints, ServiceEntry). */
export interface TargetRef {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** Traffic a plugin applies to: client/server side and ports. */
export interface TrafficMatch {
  mode?: "UNDEFINED" | "CLIENT" | "SERVER" | "CLIENT_AND_SERVER";
  ports?: { number: number }[];
}

/** Filter metadata a WasmPlugin / TrafficExtension is generated from. */
export interface PluginMetadata {
  /** Resource name (DNS-1123). Envoy sees the filter as `<namespace>.<name>`. */
  name: string;
  /** Namespace; default "default". */
  namespace?: string;
  /** Module location: oci://host/repo:tag (the default scheme), http(s)://…, or file://. */
  url: string;
  /** 64 hex: the image manifest digest for OCI (what `push` reports), the .wasm file's sha256 for http. */
  sha256?: string;
  /** Root id the module registers (Envoy `root_id`). */
  pluginName?: string;
  phase?: PluginPhase;
  /** Higher runs first within a phase. */
  priority?: number;
  failStrategy?: FailStrategy;
  /** Plugin configuration (an object; Envoy receives it as a JSON string). */
  pluginConfig?: Record<string, unknown>;
  /** Workload labels selecting pods (exclusive with targetRefs). */
  selector?: Record<string, string>;
  /** Policy targets (exclusive with selector). */
  targetRefs?: TargetRef[];
  match?: TrafficMatch[];
  /** VM environment variables with fixed values (valueFrom INLINE). */
  env?: Record<string, string>;
  /** Names of proxy environment variables exposed to the VM (valueFrom HOST). */
  hostEnv?: string[];
  type?: PluginType;
  imagePullPolicy?: PullPolicy;
  imagePullSecret?: string;
}

/** A Kubernetes resource object (what YAML documents parse to). */
export interface IstioResource {
  apiVersion: string;
  kind: "WasmPlugin" | "TrafficExtension";
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  spec: Record<string, unknown>;
}

/** The CRD group/version both resources use. */
export const ISTIO_EXTENSIONS_API = "extensions.istio.io/v1alpha1";

/**
 * Builds a WasmPlugin from `metadata` and validates it against the WasmPlugin CRD of `options.istioVersion`;
 * throws a {@link PackagingError} listing every problem in the API server's words.
 */
export function buildWasmPlugin(metadata: PluginMetadata, options: IstioTargetOptions = {}): IstioResource {
  checkMetadataShape(metadata);
  const spec: Record<string, unknown> = { ...targeting(metadata), ...moduleFields(metadata) };
  if (spec.phase === "UNSPECIFIED") spec.phase = "UNSPECIFIED_PHASE";
  const resource: IstioResource = {
    apiVersion: ISTIO_EXTENSIONS_API,
    kind: "WasmPlugin",
    metadata: { name: metadata.name, namespace: metadata.namespace ?? "default" },
    spec,
  };
  return assertValidResource(resource, options);
}

/** Builds a TrafficExtension (Istio ≥ 1.30, WasmPlugin's successor) from `metadata` and validates it against its CRD. */
export function buildTrafficExtension(metadata: PluginMetadata, options: IstioTargetOptions = {}): IstioResource {
  checkMetadataShape(metadata);
  const { phase, priority, match, ...rest } = targeting(metadata);
  const resource: IstioResource = {
    apiVersion: ISTIO_EXTENSIONS_API,
    kind: "TrafficExtension",
    metadata: { name: metadata.name, namespace: metadata.namespace ?? "default" },
    spec: {
      ...rest,
      ...defined({ phase: phase === "UNSPECIFIED_PHASE" ? "UNSPECIFIED" : phase, priority, match }),
      wasm: moduleFields(metadata),
    },
  };
  return assertValidResource(resource, options);
}

/**
 * Validates a WasmPlugin or TrafficExtension object as the API server of `options.istioVersion` would (its
 * real CRD: schema, list-map uniqueness, CEL rules; plus Kubernetes' object-name rules); returns the problems
 * as "<field path>: <message>", empty when valid.
 */
export function validateResource(resource: unknown, options: IstioTargetOptions = {}): string[] {
  const kind = (resource as IstioResource | undefined)?.kind;
  if (kind !== "WasmPlugin" && kind !== "TrafficExtension")
    return [`kind must be WasmPlugin or TrafficExtension (got ${JSON.stringify(kind)})`];
  const version = versionOf(options);
  const spec = (resource as IstioResource).spec ?? {};
  const problems = [
    ...objectMetaProblems((resource as IstioResource).metadata),
    ...validateAgainstCrd(kind, version, resource).map((v) => `${v.path}: ${v.message}`),
    ...matchLabelsProblems(
      "spec.selector.matchLabels",
      (spec.selector as { matchLabels?: unknown } | undefined)?.matchLabels,
    ),
  ];
  const module = (kind === "WasmPlugin" ? spec : (spec.wasm ?? {})) as { url?: unknown; sha256?: unknown };
  const pinned = typeof module.url === "string" ? /@sha256:([a-f0-9]{64})/.exec(module.url)?.[1] : undefined;
  if (pinned && typeof module.sha256 === "string" && module.sha256 !== "" && module.sha256 !== pinned) {
    problems.push(
      `spec${kind === "WasmPlugin" ? "" : ".wasm"}.sha256: does not match the @sha256 digest in the url (${pinned})`,
    );
  }
  return problems;
}

/** Returns `resource` if valid for `options.istioVersion`; else throws a {@link PackagingError} listing every problem. */
export function assertValidResource(resource: IstioResource, options: IstioTargetOptions = {}): IstioResource {
  const problems = validateResource(resource, options);
  if (problems.length > 0) {
    const version = versionOf(options);
    const source = crdProvenance(version);
    throw new PackagingError(
      `invalid ${resource.kind} "${resource.metadata?.name}" for Istio ${version.minor}:\n  - ${problems.join("\n  - ")}`,
      {
        hint: `fix the listed fields (checked against the ${resource.kind} CRD of ${source.module}@${source.version}, as the API server does)`,
      },
    );
  }
  return resource;
}

function versionOf(options: IstioTargetOptions): IstioVersion {
  return pinnedIstioVersion(options.istioVersion);
}

/** Renders resources as one multi-document YAML text (what `kubectl apply -f` takes). */
export function resourcesToYaml(resources: readonly IstioResource[]): string {
  return resources.map((r) => stringify(r, { lineWidth: 0 })).join("---\n");
}

/**
 * Parses YAML text and returns its WasmPlugin/TrafficExtension documents, validated for `options.istioVersion`
 * (others are ignored). Alias expansion is bounded by {@link MAX_YAML_ALIASES}; every problem is a {@link PackagingError}.
 */
export function parseResourcesYaml(text: string, source = "YAML", options: IstioTargetOptions = {}): IstioResource[] {
  const documents = yamlDocuments(text, source, (problem) =>
    problem.kind === "aliases"
      ? new PackagingError(problem.message, {
          hint: "write the resource out without nested YAML aliases (*name); `npx proxy-wasm-as istio wasmplugin` writes none",
          cause: problem.cause,
        })
      : new PackagingError(problem.message, {
          hint: "fix the YAML at the line and column given",
          cause: problem.cause,
        }),
  );
  const resources = (documents as (IstioResource | null)[])
    .filter((value) => value?.kind === "WasmPlugin" || value?.kind === "TrafficExtension")
    .map((value) => assertValidResource(value!, options));
  if (resources.length === 0)
    throw new PackagingError(`${source} contains no WasmPlugin or TrafficExtension`, {
      hint: "pass a file written by `npx proxy-wasm-as istio wasmplugin`",
    });
  return resources;
}

/** Catches metadata mistakes the schema would report less clearly (wrong JS types, conflicting options). */
function checkMetadataShape(m: PluginMetadata): void {
  const problems: string[] = [];
  if (typeof m.name !== "string" || m.name === "")
    problems.push('name is required (the resource name, e.g. "headers")');
  if (typeof m.url !== "string" || m.url === "")
    problems.push("url is required (e.g. oci://registry.example.com/filters/headers:v1)");
  if (
    m.pluginConfig !== undefined &&
    (typeof m.pluginConfig !== "object" || m.pluginConfig === null || Array.isArray(m.pluginConfig))
  ) {
    problems.push("pluginConfig must be a JSON object (Istio's pluginConfig is a protobuf Struct)");
  }
  const both = Object.keys(m.env ?? {}).filter((k) => m.hostEnv?.includes(k));
  if (both.length) problems.push(`VM env ${both.join(", ")} is set both inline (env) and from the host (hostEnv)`);
  if (problems.length) throw new PackagingError(`invalid plugin metadata:\n  - ${problems.join("\n  - ")}`);
}

function targeting(m: PluginMetadata) {
  return defined({
    selector: m.selector ? { matchLabels: m.selector } : undefined,
    targetRefs: m.targetRefs,
    phase: m.phase,
    priority: m.priority,
    match: m.match,
  });
}

function moduleFields(m: PluginMetadata) {
  const env = [
    ...Object.entries(m.env ?? {}).map(([name, value]) => ({ name, value })),
    ...(m.hostEnv ?? []).map((name) => ({ name, valueFrom: "HOST" })),
  ];
  return defined({
    url: m.url,
    sha256: m.sha256,
    imagePullPolicy: m.imagePullPolicy,
    imagePullSecret: m.imagePullSecret,
    pluginName: m.pluginName,
    pluginConfig: m.pluginConfig,
    failStrategy: m.failStrategy,
    vmConfig: env.length ? { env } : undefined,
    type: m.type,
  });
}

function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}
