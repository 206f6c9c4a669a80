// What Envoy Gateway renders for a Wasm EnvoyExtensionPolicy, run in real Envoy: the module is fetched over HTTP/2
// by `remote.http_uri` from a loopback server (Envoy Gateway's Wasm cache in a cluster) with its sha256 pinned,
// the filter runs on the route the policy targets and not on the other one, and a wrong sha256 is refused by Envoy
// with the harness saying why in one line.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startHttpUpstream, type HttpUpstream } from "../traffic/index.ts";
import { startGatewayEnvoy } from "./render-run.ts";

const HEADERS_WASM = resolve(import.meta.dirname, "../../../build/headers.wasm");
const MODULE_URL = "https://modules.example.com/headers.wasm";
const sha256Of = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** A policy attaching the `headers` sample filter to HTTPRoute "orders", with `sha256`. */
function policy(sha256: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata:
  name: stamp
  namespace: shop
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    name: orders
  wasm:
  - name: stamp-headers
    code:
      type: HTTP
      http:
        url: ${MODULE_URL}
        sha256: "${sha256}"
    config:
      request:
        set:
          x-stamped: "by-gateway-policy"
      response:
        set:
          x-gateway-wasm: "on"
    failOpen: false
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: orders
  namespace: shop
spec:
  rules:
  - matches:
    - path: { type: PathPrefix, value: /orders }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: catalog
  namespace: shop
spec:
  rules:
  - matches:
    - path: { type: PathPrefix, value: /catalog }
`;
}

describe("Envoy Gateway's rendering of a Wasm policy, in real Envoy", () => {
  let upstream: HttpUpstream;
  beforeAll(async () => {
    upstream = await startHttpUpstream();
  });
  afterAll(() => upstream.close());

  test("the module comes over remote.http_uri with sha256, and runs on the targeted route only", async () => {
    const sha256 = sha256Of(HEADERS_WASM);
    await using envoy = await startGatewayEnvoy(policy(sha256), {
      modules: new Map([[MODULE_URL, HEADERS_WASM]]),
      upstream: { host: "127.0.0.1", port: upstream.port },
    });
    // Envoy got the code from the loopback "Wasm cache", once, and checked it against the pinned sha256.
    expect(envoy.configYaml).toContain(`sha256: ${sha256}`);
    expect(envoy.configYaml).toMatch(
      /http_uri:\n\s+uri: http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{64}\.wasm\n\s+cluster: wasm_cluster/,
    );
    expect([...envoy.modules.modules.values()].map((m) => m.fetches)).toEqual([1]);

    const attached = await envoy.request("/orders/42");
    expect(attached.status).toBe(200);
    expect(attached.headers["x-gateway-wasm"]).toBe("on");
    expect(upstream.last().header("x-stamped")).toBe("by-gateway-policy");

    const other = await envoy.request("/catalog/7");
    expect(other.status).toBe(200);
    expect(other.headers["x-gateway-wasm"]).toBeUndefined();
    expect(upstream.last().path).toBe("/catalog/7");
    expect(upstream.last().header("x-stamped")).toBeUndefined();
  });

  test("a wrong sha256 is refused by Envoy, and the harness says why in one line", async () => {
    const wrong = createHash("sha256").update("not the module").digest("hex");
    const started = performance.now();
    const error = await startGatewayEnvoy(policy(wrong), {
      modules: new Map([[MODULE_URL, HEADERS_WASM]]),
      upstream: { host: "127.0.0.1", port: upstream.port },
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    const elapsedMs = performance.now() - started;
    expect(error?.message).toBeDefined();
    const [line, fix, ...rest] = error!.message.split("\n");
    expect(line).toContain("Envoy refused the module of envoyextensionpolicy/shop/stamp/wasm/0");
    expect(line).toContain(
      `sha256 mismatch, the policy pins ${wrong} but the module served is ${sha256Of(HEADERS_WASM)}`,
    );
    expect(fix).toMatch(/^Fix: put the module's sha256 in the policy \(code\.http\.sha256: [0-9a-f]{64}/);
    expect(rest).toEqual([]);
    // Envoy's own refusal: it fetched the module again after rejecting the first answer.
    expect(line).toMatch(/Envoy fetched it [2-9] times/);
    console.log(`wrong sha256 refused after ${Math.round(elapsedMs)} ms: ${line}`);
  });

  /** Two policies: `everywhere` on Gateway "edge" and `orders-only` on HTTPRoute "orders", with the two routes. */
  function twoPolicies(
    gatewayModule: { url: string; sha256: string; config: string },
    routeModule: { url: string; sha256: string; config: string },
  ): string {
    const extension = (name: string, m: typeof gatewayModule) => `  wasm:
  - name: ${name}
    code: { type: HTTP, http: { url: "${m.url}", sha256: "${m.sha256}" } }
    config: ${m.config}`;
    const routes = policy(sha256Of(HEADERS_WASM)).split("---\n").slice(1).join("---\n");
    return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: { name: everywhere, namespace: shop }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: edge }]
${extension("gateway-wide", gatewayModule)}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: { name: orders-only, namespace: shop }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: orders }]
${extension("orders-only", routeModule)}
---
${routes}`;
  }

  test("a policy on the HTTPRoute overrides the one on the Gateway; the Gateway's runs on the other route", async () => {
    const ADD_HEADER_WASM = resolve(import.meta.dirname, "../../../build/add-header.wasm");
    const ADD_HEADER_URL = "https://modules.example.com/add-header.wasm";
    const yaml = twoPolicies(
      { url: ADD_HEADER_URL, sha256: sha256Of(ADD_HEADER_WASM), config: "{}" },
      {
        url: MODULE_URL,
        sha256: sha256Of(HEADERS_WASM),
        config: '{ response: { set: { x-from-route: "orders-only" } } }',
      },
    );
    await using envoy = await startGatewayEnvoy(yaml, {
      modules: new Map([
        [MODULE_URL, HEADERS_WASM],
        [ADD_HEADER_URL, ADD_HEADER_WASM],
      ]),
      upstream: { host: "127.0.0.1", port: upstream.port },
    });
    const orders = await envoy.request("/orders/1");
    expect(orders.headers["x-from-route"]).toBe("orders-only");
    expect(orders.headers["x-powered-by"]).toBeUndefined(); // the Gateway's add-header does not run here
    const catalog = await envoy.request("/catalog/1");
    expect(catalog.headers["x-powered-by"]).toBe("proxy-wasm-as");
    expect(catalog.headers["x-from-route"]).toBeUndefined();
    expect(envoy.rendered.attached.map((a) => [a.route.name, a.policy])).toEqual([
      ["catalog", "shop/everywhere"],
      ["orders", "shop/orders-only"],
    ]);
  });

  test("the same module in two extensions of one listener: Envoy fails the second, the harness says why", async () => {
    const sha256 = sha256Of(HEADERS_WASM);
    const yaml = twoPolicies(
      { url: MODULE_URL, sha256, config: '{ response: { set: { x-a: "1" } } }' },
      { url: MODULE_URL, sha256, config: '{ response: { set: { x-b: "1" } } }' },
    );
    const error = await startGatewayEnvoy(yaml, { modules: new Map([[MODULE_URL, HEADERS_WASM]]) }).then(
      () => undefined,
      (e: Error) => e,
    );
    const [line, fix, ...rest] = (error?.message ?? "").split("\n");
    expect(line).toMatch(
      /^Envoy did not load envoyextensionpolicy\/shop\/\S+\/wasm\/0 \(plugin \S+\): its module has the same sha256/,
    );
    expect(line).toContain('("createWasm: failed to load (in progress)")');
    expect(fix).toMatch(/^Fix: attach each module once per listener/);
    expect(rest).toEqual([]);
  });
});
