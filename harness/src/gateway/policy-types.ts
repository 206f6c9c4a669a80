// The EnvoyExtensionPolicy resource (gateway.envoyproxy.io/v1alpha1) as the pinned Envoy Gateway CRD defines it
// (charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_envoyextensionpolicies.yaml of
// github.com/envoyproxy/gateway, see harness/crds/envoy-gateway.json). Field names are the CRD's, exactly; only
// the parts a Wasm policy uses are typed in detail (extProc, lua and dynamicModule stay opaque).

/** The group/version of the resource. */
export const ENVOY_GATEWAY_API = "gateway.envoyproxy.io/v1alpha1";
/** The resource kind. */
export const ENVOY_EXTENSION_POLICY_KIND = "EnvoyExtensionPolicy";

/** Where a Wasm extension's code comes from (`spec.wasm[].code.type`). The CRD also lists ConfigMap in an allOf, which its first enum refuses. */
export type WasmCodeSourceType = "HTTP" | "Image";

/** When Envoy Gateway pulls the module again (`spec.wasm[].code.pullPolicy`); only applies without `sha256`. */
export type WasmPullPolicy = "IfNotPresent" | "Always";

/** A Gateway API SecretObjectReference (`tls.caCertificateRef`, `image.pullSecretRef`). */
export interface SecretObjectReference {
  /** API group of the referent; default "" (core). */
  group?: string;
  /** Kind of the referent; default "Secret" (pullSecretRef must be a Secret). */
  kind?: string;
  name: string;
  /** Namespace of the referent; another namespace needs a ReferenceGrant. */
  namespace?: string;
}

/** TLS settings when fetching the code (`code.http.tls`, `code.image.tls`). */
export interface WasmCodeSourceTLSConfig {
  /** ConfigMap, Secret or ClusterTrustBundle holding the CA certificates to trust. */
  caCertificateRef: SecretObjectReference;
}

/** `spec.wasm[].code.http`: a module served over HTTP(S). */
export interface HTTPWasmCodeSource {
  /** URL of the .wasm file (reachable from Envoy Gateway, which serves it to Envoy from its cache). */
  url: string;
  /** sha256 (64 lowercase hex) of the .wasm file; unset means not verified. */
  sha256?: string;
  tls?: WasmCodeSourceTLSConfig;
}

/** `spec.wasm[].code.image`: a module in an OCI image. */
export interface ImageWasmCodeSource {
  /** `registry/image:tag` or `registry/image@sha256:digest` (no scheme). */
  url: string;
  /** sha256 (64 lowercase hex) of the image (the manifest digest); unset means not verified. */
  sha256?: string;
  /** Secret with the registry credentials (kind must be Secret). */
  pullSecretRef?: SecretObjectReference;
  tls?: WasmCodeSourceTLSConfig;
}

/** `spec.wasm[].code`: a union on `type` (CEL: http set iff HTTP, image set iff Image). */
export interface WasmCodeSource {
  type: WasmCodeSourceType;
  http?: HTTPWasmCodeSource;
  image?: ImageWasmCodeSource;
  pullPolicy?: WasmPullPolicy;
}

/** `spec.wasm[].env`: environment of the Wasm VM. */
export interface WasmEnv {
  /** Names of environment variables of the Envoy process passed into the VM. */
  hostKeys?: string[];
}

/** One Wasm extension (`spec.wasm[]`; at most 16, loaded in order). */
export interface WasmExtension {
  /** Unique name of the extension; Envoy Gateway generates one when unset. */
  name?: string;
  /** Envoy `root_id`: must match the root id the module registers. */
  rootID?: string;
  code: WasmCodeSource;
  /** Configuration: any JSON value, passed to the module as a JSON string. */
  config?: unknown;
  /** true: bypass the extension on fatal errors (and invalid configuration); default false (HTTP 5xx). */
  failOpen?: boolean;
  env?: WasmEnv;
}

/** A Gateway API LocalPolicyTargetReferenceWithSectionName (`spec.targetRef`, `spec.targetRefs[]`). */
export interface PolicyTargetReference {
  /** Must be gateway.networking.k8s.io. */
  group: string;
  /** Gateway, ListenerSet, HTTPRoute, GRPCRoute, UDPRoute, TCPRoute or TLSRoute. */
  kind: string;
  name: string;
  /** Gateway: a listener name; HTTPRoute: a rule name. */
  sectionName?: string;
}

/** A Kubernetes LabelSelectorRequirement. */
export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

/** A Kubernetes LabelSelector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** `spec.targetSelectors[]`: targets chosen by labels. */
export interface TargetSelector {
  /** Default gateway.networking.k8s.io (the only one allowed). */
  group?: string;
  kind: string;
  namespaces?: { from: "Same" | "All" | "Selector"; selector?: LabelSelector };
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** `spec` of an EnvoyExtensionPolicy. */
export interface EnvoyExtensionPolicySpec {
  /** Deprecated single target (use targetRefs). */
  targetRef?: PolicyTargetReference;
  /** What the policy attaches to (each in the policy's namespace). */
  targetRefs?: PolicyTargetReference[];
  /** Targets chosen by labels. */
  targetSelectors?: TargetSelector[];
  /** How a route policy merges with its parent's (xRoute targets only; not Replace). */
  mergeType?: string;
  /** Wasm extensions, loaded in this order (at most 16). */
  wasm?: WasmExtension[];
  /** External processing filters (not typed here). */
  extProc?: unknown[];
  /** Lua filters (not typed here). */
  lua?: unknown[];
  /** Dynamic module filters (not typed here). */
  dynamicModule?: unknown[];
}

/** An EnvoyExtensionPolicy resource object (what its YAML document parses to). */
export interface EnvoyExtensionPolicy {
  /** Always gateway.envoyproxy.io/v1alpha1. */
  apiVersion: typeof ENVOY_GATEWAY_API;
  /** Always EnvoyExtensionPolicy. */
  kind: typeof ENVOY_EXTENSION_POLICY_KIND;
  /** Kubernetes object metadata: the name (DNS-1123 subdomain) and namespace, at least. */
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  /** What the policy attaches, to what. */
  spec: EnvoyExtensionPolicySpec;
}
