// Generates Envoy Gateway EnvoyExtensionPolicy resources (gateway.envoyproxy.io/v1alpha1) for a proxy-wasm module,
// validates them against the real CRD of the pinned Envoy Gateway release (crds.ts; the same ajv + CEL machinery as
// Istio's manifests, packaging/crd-validate.ts) plus the checks Envoy Gateway's translator makes that the CRD does
// not (rules.ts), and reads them back from YAML.
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { readModuleInterface } from "../abi/wasm-binary.ts";
import { validateAgainstSchema } from "../packaging/crd-validate.ts";
import { objectMetaProblems } from "../packaging/object-meta.ts";
import { yamlDocuments } from "../packaging/yaml-documents.ts";
import { extensionPolicySchema, gatewayCrdProvenance } from "./crds.ts";
import { GatewayError } from "./errors.ts";
import {
  ENVOY_EXTENSION_POLICY_KIND,
  ENVOY_GATEWAY_API,
  type EnvoyExtensionPolicy,
  type TargetSelector,
  type WasmCodeSource,
  type WasmCodeSourceType,
  type WasmExtension,
  type WasmPullPolicy,
} from "./policy-types.ts";
import { GATEWAY_API_GROUP, translatorProblems } from "./rules.ts";

/** A policy target: a Gateway (sectionName: a listener) or an HTTPRoute (sectionName: a rule name), etc. */
export interface PolicyTarget {
  /** Default gateway.networking.k8s.io, the only group the CRD allows. */
  group?: string;
  /** Gateway, ListenerSet, HTTPRoute, GRPCRoute, TCPRoute, UDPRoute or TLSRoute. */
  kind: string;
  name: string;
  /** A listener name (Gateway) or a rule name (HTTPRoute) to attach to only that part. */
  sectionName?: string;
}

/** What an EnvoyExtensionPolicy for one module is generated from. */
export interface ExtensionPolicyMetadata {
  /** Resource name (DNS-1123 subdomain). */
  name: string;
  /** Namespace; default "default". The targets must be in the same namespace. */
  namespace?: string;
  /** What the policy attaches to (at least one target or selector). */
  targetRefs?: PolicyTarget[];
  /** Targets chosen by labels. */
  targetSelectors?: TargetSelector[];
  /**
   * Where the module comes from: http(s)://… (code type HTTP, a .wasm file) or an OCI image reference,
   * `host[:port]/repo:tag` or `host[:port]/repo@sha256:<digest>`, with or without oci:// (code type Image).
   */
  url: string;
  /** The code source type; default from the url (http/https: HTTP, else Image). */
  codeType?: WasmCodeSourceType;
  /** 64 hex: the .wasm file's sha256 (HTTP), the image manifest digest `push` prints (Image). */
  sha256?: string;
  /** The module itself (HTTP only): its sha256 is computed and written (and must equal `sha256` if both are given). */
  wasm?: Uint8Array;
  /** `spec.wasm[].name`: the extension's name (Envoy Gateway generates one when unset). */
  extensionName?: string;
  /** Envoy `root_id`: the root id the module registers. */
  rootID?: string;
  /** Configuration passed to the module as a JSON string: any JSON value. */
  config?: unknown;
  /** true: bypass the extension when it fails (default false: HTTP 5xx). */
  failOpen?: boolean;
  /** Environment variables of the Envoy process passed into the VM. */
  hostKeys?: string[];
  /** When Envoy Gateway pulls again (only applies without sha256). */
  pullPolicy?: WasmPullPolicy;
  /** Name of the Secret (type kubernetes.io/dockerconfigjson) with registry credentials (Image only). */
  pullSecret?: string;
}

/**
 * Builds an EnvoyExtensionPolicy from `metadata` and validates it like the API server does with the pinned CRD
 * (and Envoy Gateway's translator with what the CRD leaves unchecked); throws a {@link GatewayError} listing every
 * problem. May be called any time; reads the pinned CRD once.
 */
export function buildExtensionPolicy(metadata: ExtensionPolicyMetadata): EnvoyExtensionPolicy {
  checkMetadataShape(metadata);
  const type = metadata.codeType ?? codeTypeOf(metadata.url);
  const sha256 = moduleSha256(metadata, type);
  const source = defined({ url: metadata.url, sha256 });
  const code: WasmCodeSource = {
    type,
    ...(type === "HTTP"
      ? { http: source as { url: string } }
      : {
          image: {
            ...(source as { url: string }),
            ...(metadata.pullSecret ? { pullSecretRef: { kind: "Secret", name: metadata.pullSecret } } : {}),
          },
        }),
    ...defined({ pullPolicy: metadata.pullPolicy }),
  };
  const extension: WasmExtension = {
    ...defined({ name: metadata.extensionName, rootID: metadata.rootID }),
    code,
    ...defined({
      config: metadata.config,
      failOpen: metadata.failOpen,
      env: metadata.hostKeys?.length ? { hostKeys: metadata.hostKeys } : undefined,
    }),
  };
  const policy: EnvoyExtensionPolicy = {
    apiVersion: ENVOY_GATEWAY_API,
    kind: ENVOY_EXTENSION_POLICY_KIND,
    metadata: { name: metadata.name, namespace: metadata.namespace ?? "default" },
    spec: {
      ...defined({
        targetRefs: metadata.targetRefs?.map((t) => ({ group: t.group ?? GATEWAY_API_GROUP, ...t })),
        targetSelectors: metadata.targetSelectors,
      }),
      wasm: [extension],
    },
  };
  return assertValidExtensionPolicy(policy);
}

/**
 * Validates an EnvoyExtensionPolicy object as the API server would with the pinned CRD (schema, unknown fields,
 * CEL rules; Kubernetes' object-name rules) and as Envoy Gateway's translator would where the CRD is silent
 * (sha256 spelling, URL schemes, a digest in the url that contradicts sha256). Returns the problems as
 * "<field path>: <message>", empty when valid. Any object may be passed.
 */
export function validateExtensionPolicy(resource: unknown): string[] {
  const r = resource as Partial<EnvoyExtensionPolicy> | null | undefined;
  if (r?.kind !== ENVOY_EXTENSION_POLICY_KIND)
    return [`kind must be EnvoyExtensionPolicy (got ${JSON.stringify(r?.kind)})`];
  const problems: string[] = [];
  if (r.apiVersion !== ENVOY_GATEWAY_API)
    problems.push(`apiVersion must be ${ENVOY_GATEWAY_API} (got ${JSON.stringify(r.apiVersion)})`);
  problems.push(
    ...objectMetaProblems(r.metadata),
    ...validateAgainstSchema(extensionPolicySchema(), "envoy-gateway:EnvoyExtensionPolicy", resource).map(
      (v) => `${v.path}: ${v.message}`,
    ),
  );
  return [...problems, ...translatorProblems(r.spec)];
}

/** Returns `policy` if {@link validateExtensionPolicy} finds nothing; else throws a {@link GatewayError} listing every problem. */
export function assertValidExtensionPolicy(policy: EnvoyExtensionPolicy): EnvoyExtensionPolicy {
  const problems = validateExtensionPolicy(policy);
  if (problems.length > 0) {
    const source = gatewayCrdProvenance();
    throw new GatewayError(
      `invalid EnvoyExtensionPolicy "${policy.metadata?.name}" for Envoy Gateway ${source.version}:\n  - ${problems.join("\n  - ")}`,
      {
        hint: `fix the listed fields (checked against the EnvoyExtensionPolicy CRD of ${source.module}@${source.version}, as the API server does)`,
      },
    );
  }
  return policy;
}

/** Renders policies as one multi-document YAML text (what `kubectl apply -f` takes). */
export function extensionPoliciesToYaml(policies: readonly EnvoyExtensionPolicy[]): string {
  return policies.map((p) => stringify(p, { lineWidth: 0 })).join("---\n");
}

/**
 * Parses YAML text and returns its EnvoyExtensionPolicy documents, each validated (other kinds are ignored).
 * Alias expansion is bounded (packaging/yaml-documents.ts); every problem is a {@link GatewayError}; `source` names the text.
 */
export function parseExtensionPoliciesYaml(text: string, source = "YAML"): EnvoyExtensionPolicy[] {
  const documents = yamlDocuments(
    text,
    source,
    (problem) =>
      new GatewayError(problem.message, {
        hint:
          problem.kind === "aliases"
            ? "write the resource out without nested YAML aliases (*name); `npx proxy-wasm-as gateway policy` writes none"
            : "fix the YAML at the line and column given",
        cause: problem.cause,
      }),
  );
  const policies = (documents as (EnvoyExtensionPolicy | null)[])
    .filter((value) => value?.kind === ENVOY_EXTENSION_POLICY_KIND)
    .map((value) => assertValidExtensionPolicy(value!));
  if (policies.length === 0)
    throw new GatewayError(`${source} contains no EnvoyExtensionPolicy`, {
      hint: "pass a file written by `npx proxy-wasm-as gateway policy --out <file.yaml>`",
    });
  return policies;
}

/** HTTP for http:// and https:// URLs, Image for everything else (an OCI reference, oci:// optional). */
function codeTypeOf(url: string): WasmCodeSourceType {
  return /^https?:\/\//i.test(url) ? "HTTP" : "Image";
}

/** The sha256 to write: given, or computed from the module (HTTP); both must agree. */
function moduleSha256(m: ExtensionPolicyMetadata, type: WasmCodeSourceType): string | undefined {
  if (m.wasm === undefined) return m.sha256;
  if (type === "Image")
    throw new GatewayError("a module file gives the sha256 of an HTTP code source, not of an image", {
      hint: "for an OCI image pass --sha256 with the manifest digest `proxy-wasm-as istio push` printed (or a url ending in @sha256:<digest>)",
    });
  assertHttpFilter(m.wasm);
  const computed = createHash("sha256").update(m.wasm).digest("hex");
  if (m.sha256 !== undefined && m.sha256 !== computed)
    throw new GatewayError(`sha256 ${m.sha256} is not the module's: its sha256 is ${computed}`, {
      hint: "drop --sha256 (it is computed from the module file), or pass the file that was uploaded to the url",
    });
  return computed;
}

/** proxy-wasm callbacks of an HTTP filter; a module without any is a network (TCP) filter or not a filter. */
const HTTP_CALLBACKS = [
  "proxy_on_request_headers",
  "proxy_on_request_body",
  "proxy_on_request_trailers",
  "proxy_on_response_headers",
  "proxy_on_response_body",
  "proxy_on_response_trailers",
];
const NETWORK_CALLBACKS = ["proxy_on_new_connection", "proxy_on_downstream_data", "proxy_on_upstream_data"];

/**
 * Envoy Gateway inserts every Wasm extension as an HTTP filter (envoy.filters.http.wasm); a module that only has
 * network-filter callbacks would be loaded and never called. Refused with the reason.
 */
function assertHttpFilter(wasm: Uint8Array): void {
  let exports: string[];
  try {
    exports = readModuleInterface(wasm).exports.map((e) => e.name);
  } catch (cause) {
    throw new GatewayError(`the module file is not a WebAssembly module: ${(cause as Error).message.split("\n")[0]}`, {
      hint: "pass the .wasm file `proxy-wasm-as build` wrote (build/<filter>.wasm)",
      cause,
    });
  }
  if (!exports.some((e) => HTTP_CALLBACKS.includes(e)) && exports.some((e) => NETWORK_CALLBACKS.includes(e)))
    throw new GatewayError(
      "the module is a network (TCP) filter, but Envoy Gateway loads Wasm extensions as HTTP filters only",
      { hint: "ship network filters another way (Istio: `proxy-wasm-as istio wasmplugin --type NETWORK`)" },
    );
}

/** Catches metadata mistakes the schema would report less clearly (wrong JS types, conflicting options). */
function checkMetadataShape(m: ExtensionPolicyMetadata): void {
  const problems: string[] = [];
  if (typeof m.name !== "string" || m.name === "")
    problems.push('name is required (the resource name, e.g. "headers")');
  if (typeof m.url !== "string" || m.url === "")
    problems.push(
      "url is required (https://…/filter.wasm, or an image such as registry.example.com/filters/headers:v1)",
    );
  if (!m.targetRefs?.length && !m.targetSelectors?.length)
    problems.push("a target is required: a Gateway or an HTTPRoute (e.g. --target-ref Gateway/eg)");
  if (m.pullSecret !== undefined && m.url && (m.codeType ?? codeTypeOf(m.url)) === "HTTP")
    problems.push("pullSecret applies to OCI images only (an HTTP code source has no pull secret)");
  if (problems.length)
    throw new GatewayError(`invalid policy metadata:\n  - ${problems.join("\n  - ")}`, {
      hint: "see `proxy-wasm-as gateway policy --help` for the fields",
    });
}

function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}
