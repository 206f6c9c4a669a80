// The renderer against Envoy Gateway's own golden files (github.com/envoyproxy/gateway v1.9.1, read from the
// hash-checked module zip at run time; see test-support/render-golden.ts), field by field:
//  1. policy → IR: the gatewayapi tests' inputs (policies, Gateway, HTTPRoutes) through parseRenderInput and
//     attachPolicies give, per route, the Wasm extensions their outputs list (names, plugin names, root id, config,
//     failOpen, host env keys, which policy wins on which route);
//  2. IR → xDS: the same policies through renderGatewayEnvoy in cluster mode give the HTTP filters, the routes'
//     typed_per_filter_config and the wasm_cluster of the xds translator's golden wasm.{listeners,routes,clusters}.yaml.
// Only the module's serving URL and sha256 come from the golden files themselves: they are what Envoy Gateway's
// Wasm cache answered (a salted hash, and the sha256 of a file the test never downloads).
import { stringify } from "yaml";
import { describe, expect, test } from "vitest";
import type { ModuleSourceResolver } from "./render.ts";
import { attachPolicies } from "./render.ts";
import { renderGatewayEnvoy } from "./render-envoy.ts";
import { envoyGatewayYaml, snakeKeys } from "./test-support/render-golden.ts";
import { parseRenderInput } from "./render-parse.ts";
import { routeName } from "./render-xds.ts";

const GATEWAYAPI = "internal/gatewayapi/testdata";
const XDS = "internal/xds/translator/testdata";

interface IrWasm {
  name: string;
  wasmName: string;
  rootID?: string;
  config: unknown;
  failOpen: boolean;
  hostKeys?: string[];
  httpWasmCode: { servingURL: string; sha256: string; originalDownloadingURL: string };
}
interface IrRoute {
  name: string;
  envoyExtensions?: { wasms?: IrWasm[] };
}

/** The golden IR routes of a gatewayapi test output (every HTTP listener of every gateway). */
function irRoutes(out: { xdsIR: Record<string, { http?: { routes?: IrRoute[] }[] }> }): IrRoute[] {
  return Object.values(out.xdsIR).flatMap((ir) => (ir.http ?? []).flatMap((l) => l.routes ?? []));
}

/** A resolver answering what Envoy Gateway's Wasm cache answered in the golden IR, by extension name. */
function cacheAnswers(wasms: readonly IrWasm[]): ModuleSourceResolver {
  const byName = new Map(wasms.map((w) => [w.name, w]));
  return (wasm) => {
    const golden = byName.get(wasm.name);
    if (!golden) throw new Error(`the golden IR has no extension ${wasm.name}`);
    expect(wasm.originalUrl, `${wasm.name}: the URL Envoy Gateway's cache fetches`).toBe(
      golden.httpWasmCode.originalDownloadingURL,
    );
    return { servingUrl: golden.httpWasmCode.servingURL, sha256: golden.httpWasmCode.sha256 };
  };
}

/** The gatewayapi test input as one YAML stream, the way a user's files hold the same objects. */
function asYamlStream(input: Record<string, unknown[]>): string {
  const docs = [...(input.gateways ?? []), ...(input.httpRoutes ?? []), ...(input.envoyextensionpolicies ?? [])];
  return docs.map((d) => stringify(d)).join("---\n");
}

describe("policy → IR, against internal/gatewayapi/testdata/envoyextensionpolicy-with-wasm*", () => {
  for (const name of [
    "envoyextensionpolicy-with-wasm",
    "envoyextensionpolicy-with-wasm-env-vars",
    "envoyextensionpolicy-with-wasm-targetrefs",
  ]) {
    test(name, async () => {
      const input = (await envoyGatewayYaml(`${GATEWAYAPI}/${name}.in.yaml`)) as Record<string, unknown[]>;
      const golden = irRoutes((await envoyGatewayYaml(`${GATEWAYAPI}/${name}.out.yaml`)) as never);
      const parsed = parseRenderInput(asYamlStream(input), `${name}.in.yaml`);
      const attached = attachPolicies(
        parsed.policies,
        parsed.routes,
        parsed.gateway,
        cacheAnswers(golden.flatMap((r) => r.envoyExtensions?.wasms ?? [])),
      );
      expect(attached.map((a) => routeName(a.route))).toEqual(golden.map((r) => r.name));
      for (const [i, route] of golden.entries()) {
        const expected = (route.envoyExtensions?.wasms ?? []).map((w) => ({
          name: w.name,
          wasmName: w.wasmName,
          ...(w.rootID !== undefined ? { rootID: w.rootID } : {}),
          config: w.config,
          failOpen: w.failOpen,
          ...(w.hostKeys ? { hostKeys: w.hostKeys } : {}),
          originalUrl: w.httpWasmCode.originalDownloadingURL,
          servingUrl: w.httpWasmCode.servingURL,
          sha256: w.httpWasmCode.sha256,
        }));
        expect(attached[i]!.wasms, `route ${route.name}`).toEqual(expected);
      }
      // The check can fail: every route of these tests runs at least one extension.
      expect(attached.every((a) => a.wasms.length > 0)).toBe(true);
    });
  }
});

describe("IR → xDS, against internal/xds/translator/testdata/out/xds-ir/wasm.*.yaml", async () => {
  // The xds test's input IR (in/xds-ir/wasm.yaml) is the gatewayapi "with-wasm" output, with the third extension
  // given host env keys and the route policy's module served from another URL; the same policies, so changed.
  const input = (await envoyGatewayYaml(`${GATEWAYAPI}/envoyextensionpolicy-with-wasm.in.yaml`)) as Record<
    string,
    unknown[]
  >;
  const ir = (await envoyGatewayYaml(`${XDS}/in/xds-ir/wasm.yaml`)) as { http: { routes: IrRoute[] }[] };
  const irWasms = ir.http.flatMap((l) => l.routes.flatMap((r) => r.envoyExtensions?.wasms ?? []));
  const policies = structuredClone(input.envoyextensionpolicies) as { spec: { wasm: Record<string, unknown>[] } }[];
  policies[0]!.spec.wasm[2]!.env = {
    hostKeys: irWasms.find((w) => w.name.endsWith("policy-for-gateway/wasm/2"))!.hostKeys,
  };
  const parsed = parseRenderInput(asYamlStream({ ...input, envoyextensionpolicies: policies }), "wasm.yaml", {
    port: 10080,
  });
  const byName = new Map(irWasms.map((w) => [w.name, w]));
  const rendered = renderGatewayEnvoy(parsed, {
    mode: "cluster",
    moduleSource: (w) => ({
      servingUrl: byName.get(w.name)!.httpWasmCode.servingURL,
      sha256: byName.get(w.name)!.httpWasmCode.sha256,
    }),
  });
  const listeners = snakeKeys(await envoyGatewayYaml(`${XDS}/out/xds-ir/wasm.listeners.yaml`)) as {
    default_filter_chain: { filters: { typed_config: { http_filters: { name: string }[]; stat_prefix: string } }[] };
  }[];
  const routes = snakeKeys(await envoyGatewayYaml(`${XDS}/out/xds-ir/wasm.routes.yaml`)) as {
    name: string;
    virtual_hosts: { name: string; routes: Record<string, unknown>[] }[];
  }[];
  const clusters = snakeKeys(await envoyGatewayYaml(`${XDS}/out/xds-ir/wasm.clusters.yaml`)) as { name: string }[];
  const hcm = (listener: unknown) =>
    (listener as { default_filter_chain?: unknown; filter_chains?: unknown[] }).default_filter_chain ??
    (listener as { filter_chains: unknown[] }).filter_chains[0];
  const goldenHcm = (hcm(listeners[0]) as (typeof listeners)[0]["default_filter_chain"]).filters[0]!.typed_config;
  const ourHcm = (
    hcm(rendered.listener) as { filters: { typed_config: typeof goldenHcm & { route_config: (typeof routes)[0] } }[] }
  ).filters[0]!.typed_config;

  test("the HTTP filters: one disabled Wasm filter per extension, same names, PluginConfig and code source", () => {
    const goldenWasm = goldenHcm.http_filters.filter((f) => f.name.startsWith("envoy.filters.http.wasm/"));
    expect(goldenWasm).toHaveLength(4);
    expect(rendered.httpFilters).toEqual(goldenWasm);
    // …and in the same place: before the router, which stays last.
    expect(ourHcm.http_filters.map((f) => f.name)).toEqual(goldenHcm.http_filters.map((f) => f.name));
    expect(ourHcm.stat_prefix).toBe(goldenHcm.stat_prefix);
  });

  test("the remote code source: http_uri through wasm_cluster, sha256 pinned, Envoy Gateway's retry policy", () => {
    type Code = { remote: { http_uri: unknown; sha256: string; retry_policy: unknown } };
    const code = (f: unknown) =>
      (f as { typed_config: { config: { vm_config: { code: Code } } } }).typed_config.config.vm_config.code;
    const golden = goldenHcm.http_filters.filter((f) => f.name.startsWith("envoy.filters.http.wasm/")).map(code);
    expect(rendered.httpFilters.map(code)).toEqual(golden);
    expect(golden[1]!.remote).toMatchObject({
      sha256: "746df05c8f3a0b07a46c0967cfbc5cbe5b9d48d0f79b6177eeedf8be6c8b34b5",
    });
  });

  test("the routes: names, matches and typed_per_filter_config enabling exactly the attached filters", () => {
    const goldenRoutes = routes[0]!.virtual_hosts.flatMap((v) => v.routes);
    const ourRoutes = ourHcm.route_config.virtual_hosts.flatMap((v) => v.routes);
    expect(
      ourRoutes.map((r) => ({ name: r.name, match: r.match, typed_per_filter_config: r.typed_per_filter_config })),
    ).toEqual(
      goldenRoutes.map((r) => ({ name: r.name, match: r.match, typed_per_filter_config: r.typed_per_filter_config })),
    );
    expect(ourRoutes.map((r) => r.route)).toEqual(goldenRoutes.map((r) => r.route));
    expect(ourHcm.route_config.virtual_hosts.map((v) => v.name)).toEqual(routes[0]!.virtual_hosts.map((v) => v.name));
  });

  test("the cluster: wasm_cluster exactly as Envoy Gateway writes it", () => {
    expect(rendered.wasmCluster).toEqual(clusters.find((c) => c.name === "wasm_cluster"));
  });
});
