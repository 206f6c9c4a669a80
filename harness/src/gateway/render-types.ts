// What the Envoy Gateway renderer (render.ts) reads and returns. The input is a plain structural subset of the
// EnvoyExtensionPolicy (gateway.envoyproxy.io/v1alpha1) with the CRD's exact field names, so a policy typed by
// policy-types.ts (or parsed from YAML) is accepted as it is; the Gateway API objects (Gateway, HTTPRoute) are read
// only for what decides where the filters run: listener names and ports, route hostnames and path matches.
/** `spec.targetRef` / `spec.targetRefs[]` (Gateway API LocalPolicyTargetReferenceWithSectionName). */
export interface RenderTargetRef {
  group?: string;
  kind: string;
  name: string;
  /** Gateway: a listener name; HTTPRoute: a rule name. */
  sectionName?: string;
}

/** `spec.wasm[]`: one Wasm extension. */
export interface RenderWasmExtension {
  name?: string;
  rootID?: string;
  code: {
    type: string;
    http?: { url: string; sha256?: string };
    image?: { url: string; sha256?: string };
    pullPolicy?: string;
  };
  config?: unknown;
  failOpen?: boolean;
  env?: { hostKeys?: string[] };
}

/** The parts of an EnvoyExtensionPolicy the renderer reads. */
export interface RenderPolicy {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: {
    targetRef?: RenderTargetRef;
    targetRefs?: RenderTargetRef[];
    wasm?: RenderWasmExtension[];
    /** Merging a route's policy with its Gateway's (StrategicMerge, JSONMerge): not rendered, refused. */
    mergeType?: string;
  };
}

/** The Gateway whose listener carries the routes (Envoy Gateway makes one Envoy listener per Gateway listener). */
export interface RenderGateway {
  namespace: string;
  name: string;
  /** The Gateway listener's name (a Gateway targetRef's sectionName selects it). */
  listener: string;
  /** The port Envoy listens on (0: the kernel picks one; Envoy Gateway's golden files use 10080). */
  port: number;
}

/** One match of one HTTPRoute rule: one Envoy route. */
export interface RenderRoute {
  /** The HTTPRoute's namespace and name. */
  namespace: string;
  name: string;
  /** Index of the rule in `spec.rules`, and its name when it has one (an HTTPRoute targetRef's sectionName). */
  rule: number;
  ruleName?: string;
  /** Index of the match in the rule's `matches`. */
  match: number;
  /** The route's hostname ("*" when the HTTPRoute has none). */
  hostname: string;
  /** Gateway API path match: PathPrefix (Envoy `path_separated_prefix`, `prefix` for "/") or Exact (`path`). */
  path: { type: "PathPrefix" | "Exact"; value: string };
}

/** What Envoy Gateway's translator knows of one Wasm extension on a route (its IR `Wasm`). */
export interface RenderedWasm {
  /** `envoyextensionpolicy/<namespace>/<policy>/wasm/<index>`: the VM id and the filter name's suffix. */
  name: string;
  /** The plugin name Envoy logs and counts under: the extension's `name`, else {@link RenderedWasm.name}. */
  wasmName: string;
  rootID?: string;
  config: unknown;
  failOpen: boolean;
  hostKeys?: string[];
  /** The URL the policy names (an image URL gets `oci://` and `:latest` as Envoy Gateway adds them). */
  originalUrl: string;
  /** Where Envoy fetches the module from (Envoy Gateway's Wasm cache; a loopback server for local runs). */
  servingUrl: string;
  /** sha256 of the .wasm file Envoy checks what it fetched against. */
  sha256: string;
}

/** Where the module of one extension is served, and the sha256 Envoy must check. */
export interface ModuleSource {
  servingUrl: string;
  sha256: string;
}
