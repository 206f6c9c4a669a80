// Reads the input of the Envoy Gateway renderer from YAML: EnvoyExtensionPolicy documents, and optionally the
// Gateway and HTTPRoutes they target (for the listener name and the routes' hostnames and paths). Without
// HTTPRoutes, each HTTPRoute a policy targets gets a route on `/<route name>`, and a route on `/` that no policy
// targets is added, so a local run shows the filter where the policy attaches it and not elsewhere.
import { parseAllDocuments } from "yaml";
import { GATEWAY_API_GROUP, targetRefsOf } from "./render.ts";
import { GatewayError } from "./errors.ts";
import type { RenderGateway, RenderPolicy, RenderRoute } from "./render-types.ts";

/** The largest YAML input read (a policy file is a few KiB). */
export const MAX_RENDER_INPUT_BYTES = 1024 * 1024;
/** YAML aliases allowed in one document ("billion laughs" inputs are refused). */
const MAX_YAML_ALIASES = 100;
/** The name of the route added on `/` that no policy targets. */
export const NOT_TARGETED_ROUTE = "not-targeted";
/** The port Envoy Gateway's golden files give the HTTP listener. */
export const DEFAULT_GATEWAY_PORT = 10080;

/** What a YAML input holds for the renderer. */
export interface RenderInput {
  policies: RenderPolicy[];
  gateway: RenderGateway;
  routes: RenderRoute[];
}

interface HttpRouteDoc {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    hostnames?: string[];
    rules?: { name?: string; matches?: { path?: { type?: string; value?: string } }[] }[];
  };
}

interface GatewayDoc {
  metadata?: { name?: string; namespace?: string };
  spec?: { listeners?: { name?: string; port?: number; protocol?: string }[] };
}

/** Parses `text` (one or more YAML documents) into policies, the Gateway and the routes; `file` names it in errors. */
export function parseRenderInput(text: string, file: string, options: { port?: number } = {}): RenderInput {
  if (Buffer.byteLength(text) > MAX_RENDER_INPUT_BYTES) {
    throw new GatewayError(`${file} is larger than ${MAX_RENDER_INPUT_BYTES} bytes`, {
      hint: "pass the EnvoyExtensionPolicy YAML (and the HTTPRoutes it targets), not a whole cluster dump",
    });
  }
  const policies: RenderPolicy[] = [];
  const httpRoutes: HttpRouteDoc[] = [];
  const gateways: GatewayDoc[] = [];
  for (const [index, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length > 0) {
      throw new GatewayError(
        `${file}: document ${index + 1} is not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}`,
        {
          hint: "fix the YAML (`npx proxy-wasm-as gateway policy` writes a valid policy)",
        },
      );
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (cause) {
      throw new GatewayError(`${file}: document ${index + 1}: ${(cause as Error).message}`, {
        hint: "write the YAML without alias chains",
        cause,
      });
    }
    if (value === null || value === undefined) continue;
    const kind = (value as { kind?: unknown }).kind;
    if (kind === "EnvoyExtensionPolicy") policies.push(checkedPolicy(value, file, index));
    else if (kind === "HTTPRoute") httpRoutes.push(value as HttpRouteDoc);
    else if (kind === "Gateway") gateways.push(value as GatewayDoc);
  }
  if (policies.length === 0) {
    throw new GatewayError(`${file} holds no EnvoyExtensionPolicy`, {
      hint: "pass the policy `npx proxy-wasm-as gateway policy --out policy.yaml` wrote",
    });
  }
  // Policies without Wasm (extProc, lua) are not rendered, but still decide which policy applies to a route.
  if (!policies.some((p) => (p.spec.wasm?.length ?? 0) > 0)) {
    throw new GatewayError(`${file}: no EnvoyExtensionPolicy in it has spec.wasm`, {
      hint: "only Wasm extensions are rendered (add spec.wasm[] with code.type HTTP or Image)",
    });
  }
  const gateway = gatewayOf(policies, gateways, options.port ?? DEFAULT_GATEWAY_PORT);
  const routes = httpRoutes.length > 0 ? routesOf(httpRoutes) : defaultRoutes(policies, gateway);
  return { policies, gateway, routes: sortRoutes(routes) };
}

function checkedPolicy(value: unknown, file: string, index: number): RenderPolicy {
  const policy = value as Partial<RenderPolicy>;
  const where = `${file}: EnvoyExtensionPolicy (document ${index + 1})`;
  if (typeof policy.metadata?.name !== "string") {
    throw new GatewayError(`${where} has no metadata.name`, { hint: "give the policy a metadata.name" });
  }
  if (!policy.spec || typeof policy.spec !== "object") {
    throw new GatewayError(`${where} has no spec`, { hint: "add spec.targetRefs and spec.wasm" });
  }
  if (policy.spec.wasm !== undefined && !Array.isArray(policy.spec.wasm)) {
    throw new GatewayError(`${where} "${policy.metadata.name}": spec.wasm is not a list`, {
      hint: "write spec.wasm as a list: - code: { type: HTTP, http: { url, sha256 } }",
    });
  }
  for (const [i, w] of (policy.spec.wasm ?? []).entries()) {
    if (!w || typeof w !== "object" || !w.code || typeof w.code !== "object") {
      throw new GatewayError(`${where} "${policy.metadata.name}": spec.wasm[${i}] has no code`, {
        hint: "set spec.wasm[].code: { type: HTTP, http: { url, sha256 } }",
      });
    }
  }
  if (targetRefsOf(policy as RenderPolicy).length === 0) {
    throw new GatewayError(`${where} "${policy.metadata.name}" has no spec.targetRefs`, {
      hint: "target a Gateway or an HTTPRoute (spec.targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: … }])",
    });
  }
  return policy as RenderPolicy;
}

/** The Gateway: from a Gateway document, else from the policies' Gateway targetRef, else one named "gateway". */
function gatewayOf(policies: RenderPolicy[], gateways: GatewayDoc[], port: number): RenderGateway {
  const doc = gateways[0];
  if (doc?.metadata?.name) {
    const listener = doc.spec?.listeners?.find((l) => l.protocol === "HTTP") ?? doc.spec?.listeners?.[0];
    return {
      namespace: doc.metadata.namespace ?? "default",
      name: doc.metadata.name,
      listener: listener?.name ?? "http",
      port,
    };
  }
  for (const policy of policies) {
    const ref = targetRefsOf(policy).find(
      (r) => r.kind === "Gateway" && (r.group ?? GATEWAY_API_GROUP) === GATEWAY_API_GROUP,
    );
    if (ref)
      return {
        namespace: policy.metadata.namespace ?? "default",
        name: ref.name,
        listener: ref.sectionName ?? "http",
        port,
      };
  }
  return { namespace: policies[0]!.metadata.namespace ?? "default", name: "gateway", listener: "http", port };
}

/** One route per match of every rule of every HTTPRoute (a rule without matches matches `/`). */
function routesOf(docs: HttpRouteDoc[]): RenderRoute[] {
  const routes: RenderRoute[] = [];
  for (const doc of docs) {
    const name = doc.metadata?.name;
    if (!name)
      throw new GatewayError("an HTTPRoute has no metadata.name", {
        hint: "give every HTTPRoute a metadata.name",
      });
    const hostnames = doc.spec?.hostnames?.length ? doc.spec.hostnames : ["*"];
    for (const [rule, r] of (doc.spec?.rules ?? [{}]).entries()) {
      const matches = r.matches?.length ? r.matches : [{}];
      for (const hostname of hostnames) {
        for (const [match, m] of matches.entries()) {
          const type = m.path?.type === "Exact" ? "Exact" : "PathPrefix";
          routes.push({
            namespace: doc.metadata?.namespace ?? "default",
            name,
            rule,
            ...(r.name ? { ruleName: r.name } : {}),
            match,
            hostname,
            path: { type, value: m.path?.value ?? "/" },
          });
        }
      }
    }
  }
  return routes;
}

/** Without HTTPRoutes: `/<name>` for each targeted HTTPRoute, then `/` for a route no policy targets. */
function defaultRoutes(policies: RenderPolicy[], gateway: RenderGateway): RenderRoute[] {
  const routes: RenderRoute[] = [];
  const seen = new Set<string>();
  for (const policy of policies) {
    const namespace = policy.metadata.namespace ?? "default";
    for (const ref of targetRefsOf(policy)) {
      const key = `${namespace}/${ref.name}/${ref.sectionName ?? ""}`;
      if (ref.kind !== "HTTPRoute" || seen.has(key)) continue;
      seen.add(key);
      const path = ref.sectionName ? `/${ref.name}/${ref.sectionName}` : `/${ref.name}`;
      routes.push({
        namespace,
        name: ref.name,
        rule: 0,
        ...(ref.sectionName ? { ruleName: ref.sectionName } : {}),
        match: 0,
        hostname: "*",
        path: { type: "PathPrefix", value: path },
      });
    }
  }
  routes.push({
    namespace: gateway.namespace,
    name: NOT_TARGETED_ROUTE,
    rule: 0,
    match: 0,
    hostname: "*",
    path: { type: "PathPrefix", value: "/" },
  });
  return routes;
}

/** Envoy Gateway's order: exact paths first, then longer prefixes first; the input order otherwise. */
function sortRoutes(routes: RenderRoute[]): RenderRoute[] {
  const rank = (r: RenderRoute) => (r.path.type === "Exact" ? 0 : 1);
  return routes
    .map((route, index) => ({ route, index }))
    .sort(
      (a, b) =>
        rank(a.route) - rank(b.route) || b.route.path.value.length - a.route.path.value.length || a.index - b.index,
    )
    .map((x) => x.route);
}
