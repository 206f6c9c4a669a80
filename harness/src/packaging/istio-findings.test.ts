// The five disagreements with Istio found in issue 14, each pinned by a test (all of these failed before the
// packaging layer validated against the real CRDs and followed istio-agent's realm rules).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCli } from "./cli.ts";
import { orderLikeIstio, renderIstioFilter, WASM_PULL_POLICY_ENV, WASM_RESOURCE_VERSION_ENV } from "./envoy-render.ts";
import { packageWasm } from "./image.ts";
import { startLocalRegistry, type LocalRegistry } from "./local-registry.ts";
import { pushImage } from "./registry.ts";
import { sampleWasm } from "./test-support.ts";
import { buildTrafficExtension, buildWasmPlugin, parseResourcesYaml, type PluginMetadata } from "./wasmplugin.ts";

const SHA = "c".repeat(64);
const base: PluginMetadata = {
  name: "headers",
  namespace: "shop",
  url: "oci://registry.example.com/filters/headers:v1",
  sha256: SHA,
  pluginName: "headers",
};

const cli = async (...argv: string[]) => {
  const out: string[] = [];
  const code = await runCli(argv, (t) => out.push(t));
  return { code, out: out.join("\n") };
};

describe("1. TrafficExtension phase uses the CRD's enum (UNSPECIFIED|AUTHN|AUTHZ|STATS)", () => {
  test("UNSPECIFIED is accepted and written as is; the WasmPlugin spelling is translated", () => {
    expect(buildTrafficExtension({ ...base, phase: "UNSPECIFIED" }).spec.phase).toBe("UNSPECIFIED");
    expect(buildTrafficExtension({ ...base, phase: "UNSPECIFIED_PHASE" }).spec.phase).toBe("UNSPECIFIED");
    expect(buildWasmPlugin({ ...base, phase: "UNSPECIFIED" }).spec.phase).toBe("UNSPECIFIED_PHASE");
  });

  test("a hand-written TrafficExtension with UNSPECIFIED_PHASE is refused with the API server's message", () => {
    const yaml = `apiVersion: extensions.istio.io/v1alpha1
kind: TrafficExtension
metadata: {name: h}
spec: {phase: UNSPECIFIED_PHASE, wasm: {url: "oci://r.example.com/h:v1"}}
`;
    expect(() => parseResourcesYaml(yaml)).toThrow(
      'spec.phase: Unsupported value: "UNSPECIFIED_PHASE": supported values: "UNSPECIFIED", "AUTHN", "AUTHZ", "STATS"',
    );
  });
});

describe("2. the CRD's url CEL rule", () => {
  test('host:port/repo without a scheme parses as scheme "host" and is refused with the CRD\'s message', () => {
    for (const build of [buildWasmPlugin, buildTrafficExtension]) {
      expect(() => build({ ...base, url: "registry.example.com:5000/f/h:v1" })).toThrow(
        /spec(\.wasm)?\.url: Invalid value: "string": url must have schema one of \[http, https, file, oci\]/,
      );
    }
  });

  test("with oci:// it is fine, and so is a scheme-less reference without a port", () => {
    expect(buildWasmPlugin({ ...base, url: "oci://registry.example.com:5000/f/h:v1" }).spec.url).toBe(
      "oci://registry.example.com:5000/f/h:v1",
    );
    expect(buildWasmPlugin({ ...base, url: "registry.example.com/f/h:v1" }).spec.url).toBe(
      "registry.example.com/f/h:v1",
    );
  });
});

describe("3. list-map uniqueness, wildcard label values, targetRef namespace", () => {
  test("repeated ports are refused as duplicates", () => {
    expect(() => buildWasmPlugin({ ...base, match: [{ ports: [{ number: 8080 }, { number: 8080 }] }] })).toThrow(
      'spec.match[0].ports[1]: Duplicate value: {"number":8080}',
    );
  });

  test("repeated env names are refused as duplicates", () => {
    const yaml = `apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: h}
spec:
  url: oci://r.example.com/h:v1
  vmConfig: {env: [{name: MODE, value: a}, {name: MODE, value: b}]}
`;
    expect(() => parseResourcesYaml(yaml)).toThrow('spec.vmConfig.env[1]: Duplicate value: {"name":"MODE"}');
  });

  test("a wildcard label value is refused", () => {
    expect(() => buildWasmPlugin({ ...base, selector: { app: "web-*" } })).toThrow(
      'spec.selector.matchLabels[app]: Invalid value: "string": wildcard not allowed in label value match',
    );
  });

  test("a targetRef namespace is refused", () => {
    expect(() =>
      buildWasmPlugin({ ...base, targetRefs: [{ kind: "Gateway", name: "ingress", namespace: "other" }] }),
    ).toThrow(
      'spec.targetRefs[0].namespace: Invalid value: "string": cross namespace referencing is not currently supported',
    );
  });
});

describe("4. registry auth realms in `check` follow istio-agent (--istio-version)", () => {
  const registries: LocalRegistry[] = [];
  let htpasswdLabel: LocalRegistry;
  let loopbackToken: LocalRegistry;
  beforeAll(async () => {
    htpasswdLabel = await startLocalRegistry({ auth: "basic", basicRealm: "proxy-wasm-as" });
    loopbackToken = await startLocalRegistry({ auth: "token", tokenRealmHost: "127.0.0.1" });
    registries.push(htpasswdLabel, loopbackToken);
    for (const r of registries)
      await pushImage(packageWasm(sampleWasm(500)), `${r.host}/realm/m:v1`, {
        username: r.username,
        password: r.password,
      });
  });
  afterAll(() => Promise.all(registries.map((r) => r.stop())));

  test("a basic realm that is not an http(s) URL and a token realm on 127.0.0.1 are refused, with the agent's reason and the versions", async () => {
    const creds = (r: LocalRegistry) => ["--username", r.username!, "--password", r.password!];
    const label = await cli(
      "check",
      `${htpasswdLabel.host}/realm/m:v1`,
      ...creds(htpasswdLabel),
      "--istio-version",
      "1.29.1",
    );
    expect(label.code).toBe(1);
    expect(label.out).toMatch(
      /Istio 1\.29\.1 would refuse .*: rejected unsafe bearer realm: realm scheme "" not allowed[\s\S]*1\.27\.8\+, 1\.28\.5\+, 1\.29\.1\+ and 1\.30\+/,
    );
    const loopback = await cli("check", `${loopbackToken.host}/realm/m:v1`, ...creds(loopbackToken));
    expect(loopback.code).toBe(1);
    expect(loopback.out).toMatch(/rejected unsafe bearer realm: realm targets private\/loopback\/link-local IP/);
    // Versions without the realm check pull both.
    expect(
      (await cli("check", `${htpasswdLabel.host}/realm/m:v1`, ...creds(htpasswdLabel), "--istio-version", "1.29.0"))
        .out,
    ).toMatch(/Istio 1\.29\.0 accepts/);
    expect(
      (await cli("check", `${loopbackToken.host}/realm/m:v1`, ...creds(loopbackToken), "--istio-version", "1.26")).out,
    ).toMatch(/Istio 1\.26 \(latest patch\) accepts/);
  });
});

describe("5. rendering per Istio version", () => {
  const plugin = buildWasmPlugin({ ...base, env: { MODE: "strict" }, imagePullPolicy: "Always" });

  test("filter and plugin names: wasmplugin/<ns>.<name> up to 1.29, trafficextension/… with the translation suffix from 1.30", () => {
    const old = renderIstioFilter(plugin, { istioVersion: "1.29" });
    expect(old.filter.name).toBe("extensions.istio.io/wasmplugin/shop.headers");
    expect(old.pluginConfig.name).toBe("shop.headers");
    const current = renderIstioFilter(plugin, { istioVersion: "1.30" });
    expect(current.filter.name).toBe("extensions.istio.io/trafficextension/shop.headers~istio-translated-wasmplugin");
    expect(current.pluginConfig.name).toBe("shop.headers~istio-translated-wasmplugin");
    const ext = renderIstioFilter(buildTrafficExtension(base), { istioVersion: "1.30" });
    expect(ext.filter.name).toBe("extensions.istio.io/trafficextension/shop.headers");
  });

  test("the agent stage strips every ISTIO_META_* VM env key; istiod's stage keeps them", () => {
    const agent = renderIstioFilter(plugin) as unknown as {
      pluginConfig: { vm_config: { environment_variables: { key_values: Record<string, string> } } };
    };
    expect(agent.pluginConfig.vm_config.environment_variables.key_values).toEqual({ MODE: "strict" });
    const istiod = renderIstioFilter(plugin, { stage: "istiod" }) as unknown as typeof agent;
    expect(istiod.pluginConfig.vm_config.environment_variables.key_values).toMatchObject({
      [WASM_PULL_POLICY_ENV]: "Always",
      [WASM_RESOURCE_VERSION_ENV]: "1",
      MODE: "strict",
    });
    const bare = renderIstioFilter(buildWasmPlugin(base)) as unknown as {
      pluginConfig: { vm_config: Record<string, unknown> };
    };
    expect(bare.pluginConfig.vm_config).not.toHaveProperty("environment_variables");
  });

  test("an unset priority sorts after every set one, negative included", () => {
    const make = (name: string, priority?: number) =>
      renderIstioFilter(buildWasmPlugin({ ...base, name, phase: "AUTHZ", priority }), { istioVersion: "1.29" });
    expect(orderLikeIstio([make("unset"), make("minus", -5), make("zero", 0)]).map((f) => f.pluginConfig.name)).toEqual(
      ["shop.zero", "shop.minus", "shop.unset"],
    );
  });

  test("`--priority -5` works like `--priority=-5`", async () => {
    const spaced = await cli("wasmplugin", "--name", "h", "--url", "oci://r.example.com/h:v1", "--priority", "-5");
    expect(spaced.code).toBe(0);
    expect(spaced.out).toMatch(/priority: -5/);
    expect(spaced.out).toBe(
      (await cli("wasmplugin", "--name", "h", "--url", "oci://r.example.com/h:v1", "--priority=-5")).out,
    );
  });
});
