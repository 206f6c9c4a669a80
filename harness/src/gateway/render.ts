// What Envoy Gateway makes of a Wasm EnvoyExtensionPolicy before it writes xDS: which extensions run on which route
// and under which names (Envoy Gateway v1.9.1, internal/gatewayapi/envoyextensionpolicy.go buildWasm/buildWasms,
// helpers.go irConfigName; facts only, no code of it):
//   - each extension is named `envoyextensionpolicy/<namespace>/<policy>/wasm/<index>` (the VM id and the HTTP
//     filter name's suffix); the plugin name is the extension's `name`, else that same string;
//   - `failOpen` defaults to false, `rootID` is passed when set, `env.hostKeys` become the VM's host env keys,
//     `config` is kept as JSON (null when unset);
//   - an Image URL without a scheme gets `oci://`, and one with neither tag nor digest gets `:latest`;
//   - the module is fetched by Envoy Gateway's Wasm cache (internal/wasm), which serves it to Envoy over HTTP on
//     port 18002 of `envoy-gateway.<controller namespace>.svc.cluster.local` under an unguessable path; the sha256
//     Envoy checks is the .wasm file's (for an image, NOT the image digest `code.image.sha256` names);
//   - one policy applies to a route, the most specific: a policy targeting the HTTPRoute rule (sectionName) over one
//     targeting the HTTPRoute, over one targeting the Gateway listener (sectionName), over one targeting the Gateway.
//     Envoy Gateway breaks ties between equally specific policies by creation time, then namespace/name; without
//     creation times this renderer uses namespace/name.
import { createHash } from "node:crypto";
import { GatewayError } from "./errors.ts";
import type {
  ModuleSource,
  RenderGateway,
  RenderPolicy,
  RenderRoute,
  RenderTargetRef,
  RenderWasmExtension,
  RenderedWasm,
} from "./render-types.ts";

/** The Gateway API group every targetRef names. */
export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";
/** The port Envoy Gateway's Wasm cache serves modules on (internal/wasm/httpserver.go). */
export const WASM_CACHE_PORT = 18002;
/** The namespace Envoy Gateway runs in by default (its Wasm cache's Service lives there). */
export const DEFAULT_CONTROLLER_NAMESPACE = "envoy-gateway-system";

/** Decides where an extension's module is served and which sha256 Envoy checks (see {@link localModuleSource}). */
export type ModuleSourceResolver = (
  wasm: Omit<RenderedWasm, "servingUrl" | "sha256">,
  extension: RenderWasmExtension,
) => ModuleSource;

/** The extensions each route runs, in route order, as Envoy Gateway attaches them. */
export interface AttachedRoute {
  route: RenderRoute;
  /** The policy that applies to the route (namespace/name), or undefined when none does. */
  policy?: string;
  wasms: RenderedWasm[];
}

/** The plugin/VM name Envoy Gateway gives extension `index` of `policy`. */
export function wasmIrName(policy: RenderPolicy, index: number): string {
  return `envoyextensionpolicy/${policy.metadata.namespace ?? "default"}/${policy.metadata.name}/wasm/${index}`;
}

/** The URL Envoy Gateway's cache fetches for an extension: `code.http.url`, or the image URL as it completes it. */
export function originalUrlOf(extension: RenderWasmExtension, where: string): string {
  const { code } = extension;
  if (code.type === "HTTP") {
    if (!code.http?.url)
      throw new GatewayError(`${where}: code.type is HTTP but code.http.url is missing`, {
        hint: "set code.http.url to the module's URL",
      });
    return code.http.url;
  }
  if (code.type === "Image") {
    if (!code.image?.url)
      throw new GatewayError(`${where}: code.type is Image but code.image.url is missing`, {
        hint: "set code.image.url to the module's image (registry/name:tag)",
      });
    let url = code.image.url.startsWith("oci://") ? code.image.url : `oci://${code.image.url}`;
    const lastSegment = url.slice("oci://".length).split("/").pop() ?? "";
    if (!url.includes("@") && !lastSegment.includes(":")) url += ":latest";
    return url;
  }
  throw new GatewayError(`${where}: code.type "${code.type}" is not HTTP or Image`, {
    hint: "set code.type to HTTP (code.http.url) or Image (code.image.url)",
  });
}

/**
 * The module source for local runs: Envoy fetches every module from the loopback server at `serverUrl` (what
 * `serveWasmModules` starts), under `<sha256 hex of the original URL>.wasm`, as it fetches from Envoy Gateway's Wasm
 * cache in a cluster. The sha256 Envoy checks is the policy's `code.http.sha256` for an HTTP source (so a wrong one
 * is refused by Envoy, as Envoy Gateway's own cache would refuse it), else the sha256 of the local module file
 * given for that URL in `moduleSha256s` (always for an image: its `sha256` is the image digest, not the module's).
 */
export function localModuleSource(
  serverUrl: string,
  moduleSha256s: ReadonlyMap<string, string> = new Map(),
): ModuleSourceResolver {
  const base = serverUrl.replace(/\/$/, "");
  return (wasm, extension) => {
    const pinned = extension.code.type === "HTTP" ? extension.code.http?.sha256 : undefined;
    const sha256 = pinned ?? moduleSha256s.get(wasm.originalUrl);
    if (!sha256) {
      throw new GatewayError(`${wasm.name}: no sha256 for ${wasm.originalUrl}`, {
        hint:
          extension.code.type === "Image"
            ? `Envoy checks the .wasm file's sha256, not the image digest: pass the module file (--module ${wasm.originalUrl}=build/filter.wasm)`
            : `set code.http.sha256 in the policy, or pass the module file (--module ${wasm.originalUrl}=build/filter.wasm)`,
      });
    }
    return { servingUrl: `${base}/${servingPath(wasm.originalUrl)}`, sha256 };
  };
}

/** The path a module is served under locally: the sha256 hex of its original URL, plus `.wasm`. */
export function servingPath(originalUrl: string): string {
  return `${createHash("sha256").update(originalUrl).digest("hex")}.wasm`;
}

/** The extensions of `policy`, as Envoy Gateway's translator turns them into IR (names, defaults, module source). */
export function renderPolicyWasms(policy: RenderPolicy, resolve: ModuleSourceResolver): RenderedWasm[] {
  return (policy.spec.wasm ?? []).map((extension, index) => {
    const name = wasmIrName(policy, index);
    const base = {
      name,
      wasmName: extension.name ?? name,
      ...(extension.rootID !== undefined ? { rootID: extension.rootID } : {}),
      config: extension.config ?? null,
      failOpen: extension.failOpen ?? false,
      ...(extension.env?.hostKeys?.length ? { hostKeys: [...extension.env.hostKeys] } : {}),
      originalUrl: originalUrlOf(extension, `${name}`),
    };
    return { ...base, ...resolve(base, extension) };
  });
}

/** Specificity of a targetRef for `route` on `gateway` (higher wins), or 0 when it does not select the route. */
function specificity(
  ref: RenderTargetRef,
  policyNamespace: string,
  route: RenderRoute,
  gateway: RenderGateway,
): number {
  if ((ref.group ?? GATEWAY_API_GROUP) !== GATEWAY_API_GROUP) return 0;
  if (ref.kind === "HTTPRoute") {
    if (ref.name !== route.name || policyNamespace !== route.namespace) return 0;
    if (ref.sectionName === undefined) return 3;
    return ref.sectionName === route.ruleName ? 4 : 0;
  }
  if (ref.kind === "Gateway") {
    if (ref.name !== gateway.name || policyNamespace !== gateway.namespace) return 0;
    if (ref.sectionName === undefined) return 1;
    return ref.sectionName === gateway.listener ? 2 : 0;
  }
  return 0;
}

/** The targetRefs of a policy (`targetRefs`, or the deprecated single `targetRef`). */
export function targetRefsOf(policy: RenderPolicy): RenderTargetRef[] {
  return [...(policy.spec.targetRefs ?? []), ...(policy.spec.targetRef ? [policy.spec.targetRef] : [])];
}

/**
 * Attaches `policies` to `routes` of `gateway` as Envoy Gateway does: per route the most specific policy that
 * targets it (whatever extensions it has: a route's Lua-only policy still replaces its Gateway's Wasm one), its
 * Wasm extensions in order. A policy with `mergeType` is refused: merging is not rendered.
 */
export function attachPolicies(
  policies: readonly RenderPolicy[],
  routes: readonly RenderRoute[],
  gateway: RenderGateway,
  resolve: ModuleSourceResolver,
): AttachedRoute[] {
  const merging = policies.find((p) => p.spec.mergeType !== undefined);
  if (merging) {
    throw new GatewayError(
      `EnvoyExtensionPolicy ${merging.metadata.name} sets mergeType: ${merging.spec.mergeType}, which this renderer does not merge`,
      {
        hint: "render it without mergeType (the route's policy then replaces its Gateway's), and check the merged result in a cluster",
      },
    );
  }
  const rendered = new Map(policies.map((p) => [p, renderPolicyWasms(p, resolve)]));
  const key = (p: RenderPolicy) => `${p.metadata.namespace ?? "default"}/${p.metadata.name}`;
  return routes.map((route) => {
    let best: { policy: RenderPolicy; score: number } | undefined;
    for (const policy of policies) {
      const ns = policy.metadata.namespace ?? "default";
      const score = Math.max(0, ...targetRefsOf(policy).map((ref) => specificity(ref, ns, route, gateway)));
      if (score === 0) continue;
      if (!best || score > best.score || (score === best.score && key(policy) < key(best.policy)))
        best = { policy, score };
    }
    return best ? { route, policy: key(best.policy), wasms: rendered.get(best.policy)! } : { route, wasms: [] };
  });
}
