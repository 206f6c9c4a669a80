// Attachment and naming rules the golden files do not exercise: rule (sectionName) and listener targets, a route's
// policy without Wasm replacing its Gateway's, image URLs completed as Envoy Gateway completes them, local module
// sources, and the inputs the renderer refuses.
import { describe, expect, test } from "vitest";
import { originalUrlOf } from "./render.ts";
import { renderGatewayEnvoy } from "./render-envoy.ts";
import { parseRenderInput } from "./render-parse.ts";

const SHA = "b".repeat(64);
const wasm = (name: string) =>
  `  wasm:\n  - name: ${name}\n    code: { type: HTTP, http: { url: "https://m.example.com/${name}.wasm", sha256: "${SHA}" } }`;
const policyDoc = (name: string, targets: string, body = wasm(name)) =>
  `kind: EnvoyExtensionPolicy\nmetadata: { name: ${name}, namespace: app }\nspec:\n  targetRefs: ${targets}\n${body}\n`;
const routeDoc = `kind: HTTPRoute
metadata: { name: web, namespace: app }
spec:
  hostnames: [shop.example.com]
  rules:
  - name: api
    matches: [{ path: { type: PathPrefix, value: /api } }]
  - name: login
    matches: [{ path: { type: Exact, value: /login } }]
`;
const gatewayDoc =
  "kind: Gateway\nmetadata: { name: edge, namespace: app }\nspec:\n  listeners: [{ name: https, protocol: HTTP, port: 443 }]\n";

function attached(...docs: string[]) {
  const rendered = renderGatewayEnvoy(parseRenderInput(docs.join("---\n"), "test.yaml"));
  return Object.fromEntries(
    rendered.attached.map((a) => [`${a.route.name}/${a.route.ruleName}`, a.wasms.map((w) => w.wasmName)]),
  );
}

describe("which policy runs on which route", () => {
  test("a rule's sectionName beats the route, the route beats the listener, the listener beats the Gateway", () => {
    const gateway = policyDoc("on-gateway", "[{ kind: Gateway, name: edge }]");
    const listener = policyDoc("on-listener", "[{ kind: Gateway, name: edge, sectionName: https }]");
    const route = policyDoc("on-route", "[{ kind: HTTPRoute, name: web }]");
    const rule = policyDoc("on-rule", "[{ kind: HTTPRoute, name: web, sectionName: login }]");
    expect(attached(gatewayDoc, routeDoc, gateway)).toEqual({ "web/api": ["on-gateway"], "web/login": ["on-gateway"] });
    expect(attached(gatewayDoc, routeDoc, gateway, listener)).toEqual({
      "web/api": ["on-listener"],
      "web/login": ["on-listener"],
    });
    expect(attached(gatewayDoc, routeDoc, gateway, listener, route, rule)).toEqual({
      "web/api": ["on-route"],
      "web/login": ["on-rule"],
    });
    // A listener name that is not this Gateway's selects nothing.
    expect(
      attached(gatewayDoc, routeDoc, policyDoc("elsewhere", "[{ kind: Gateway, name: edge, sectionName: other }]")),
    ).toEqual({
      "web/api": [],
      "web/login": [],
    });
  });

  test("a route's policy without Wasm still replaces its Gateway's Wasm policy", () => {
    const gateway = policyDoc("on-gateway", "[{ kind: Gateway, name: edge }]");
    const luaOnly = policyDoc(
      "lua-only",
      "[{ kind: HTTPRoute, name: web, sectionName: api }]",
      "  lua: [{ type: Inline, inline: 'x' }]",
    );
    expect(attached(gatewayDoc, routeDoc, gateway, luaOnly)).toEqual({ "web/api": [], "web/login": ["on-gateway"] });
  });

  test("routes: Exact first, then longer prefixes; Envoy Gateway's route names and matches", () => {
    const rendered = renderGatewayEnvoy(
      parseRenderInput([gatewayDoc, routeDoc, policyDoc("p", "[{ kind: Gateway, name: edge }]")].join("---\n"), "t"),
    );
    type Hcm = { route_config: { virtual_hosts: { name: string; routes: { name: string; match: unknown }[] }[] } };
    const listener = rendered.listener as { filter_chains: { filters: { typed_config: Hcm }[] }[] };
    const hcm = listener.filter_chains[0]!.filters[0]!.typed_config;
    expect(hcm.route_config.virtual_hosts[0]!.name).toBe("app/edge/https/shop_example_com");
    expect(hcm.route_config.virtual_hosts[0]!.routes.map((r) => [r.name, r.match])).toEqual([
      ["httproute/app/web/rule/1/match/0/shop_example_com", { path: "/login" }],
      ["httproute/app/web/rule/0/match/0/shop_example_com", { path_separated_prefix: "/api" }],
    ]);
  });
});

describe("module sources", () => {
  test("image URLs get oci:// and :latest as Envoy Gateway adds them", () => {
    const image = (url: string) => originalUrlOf({ code: { type: "Image", image: { url } } }, "t");
    expect(image("www.example.com:8080/wasm-filter-3")).toBe("oci://www.example.com:8080/wasm-filter-3:latest");
    expect(image("oci://r.example.com/f:v1")).toBe("oci://r.example.com/f:v1");
    expect(image(`r.example.com/f@sha256:${SHA}`)).toBe(`oci://r.example.com/f@sha256:${SHA}`);
  });

  test("locally, an image's sha256 is the module file's, never the image digest", () => {
    const doc = policyDoc(
      "img",
      "[{ kind: HTTPRoute, name: web }]",
      `  wasm:\n  - code: { type: Image, image: { url: "r.example.com/f:v1", sha256: "${SHA}" } }`,
    );
    const fileSha = "c".repeat(64);
    const rendered = renderGatewayEnvoy(parseRenderInput(doc, "t"), {
      moduleSha256s: new Map([["oci://r.example.com/f:v1", fileSha]]),
    });
    expect(rendered.wasms[0]!.sha256).toBe(fileSha);
    expect(rendered.wasms[0]!.servingUrl).toMatch(/^http:\/\/127\.0\.0\.1:18002\/[0-9a-f]{64}\.wasm$/);
  });
});

describe("refused input", () => {
  test("mergeType is refused, not merged wrongly", () => {
    const merging = policyDoc("m", "[{ kind: HTTPRoute, name: web }]", `${wasm("m")}\n  mergeType: StrategicMerge`);
    expect(() => attached(routeDoc, merging)).toThrow(
      /sets mergeType: StrategicMerge, which this renderer does not merge/,
    );
  });

  test("a module server that is not an IPv4 http URL", () => {
    const doc = policyDoc("p", "[{ kind: HTTPRoute, name: web }]");
    expect(() => renderGatewayEnvoy(doc, { wasmServerUrl: "https://cache.local:18002" })).toThrow(
      /must be http:\/\/<IPv4 address>:<port>/,
    );
  });

  test("an unknown code type", () => {
    const doc = policyDoc("p", "[{ kind: HTTPRoute, name: web }]", "  wasm:\n  - code: { type: ConfigMap }");
    expect(() => renderGatewayEnvoy(doc)).toThrow(/code\.type "ConfigMap" is not HTTP or Image/);
  });
});
