// WasmPlugin/TrafficExtension generation and validation against the real CRDs (harness/crds/), Istio's Envoy
// rendering, the example YAML in istio/, and the CLI.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "./cli.ts";
import { crdProvenance } from "./crds.ts";
import {
  agentCachePath,
  orderLikeIstio,
  renderIstioFilter,
  toHarnessFilter,
  WASM_PULL_POLICY_ENV,
  WASM_PULL_SECRET_ENV,
  WASM_RESOURCE_VERSION_ENV,
} from "./envoy-render.ts";
import { DEFAULT_ISTIO_VERSION } from "./istio-versions.ts";
import { startLocalRegistry } from "./local-registry.ts";
import { sampleWasm } from "./test-support.ts";
import {
  buildTrafficExtension,
  buildWasmPlugin,
  parseResourcesYaml,
  resourcesToYaml,
  validateResource,
  type PluginMetadata,
} from "./wasmplugin.ts";

const SHA = "a".repeat(64);
/** The repository's istio/ folder: example resources for the sample headers filter. */
const EXAMPLES_DIR = fileURLToPath(new URL("../../../istio/", import.meta.url));
const base: PluginMetadata = {
  name: "headers",
  namespace: "shop",
  url: "oci://registry.example.com/filters/headers:v1",
  sha256: SHA,
  pluginName: "headers",
};

describe("WasmPlugin generation and CRD validation", () => {
  test("every field lands where the CRD expects it, and the YAML round-trips valid", () => {
    const plugin = buildWasmPlugin({
      ...base,
      phase: "AUTHZ",
      priority: 5,
      failStrategy: "FAIL_RELOAD",
      pluginConfig: { header: "x-a" },
      selector: { app: "web" },
      match: [{ mode: "SERVER", ports: [{ number: 8080 }] }],
      env: { MODE: "strict" },
      hostEnv: ["POD_NAME"],
      type: "HTTP",
      imagePullPolicy: "Always",
      imagePullSecret: "regcred",
    });
    expect(plugin).toEqual({
      apiVersion: "extensions.istio.io/v1alpha1",
      kind: "WasmPlugin",
      metadata: { name: "headers", namespace: "shop" },
      spec: {
        selector: { matchLabels: { app: "web" } },
        phase: "AUTHZ",
        priority: 5,
        match: [{ mode: "SERVER", ports: [{ number: 8080 }] }],
        url: base.url,
        sha256: SHA,
        imagePullPolicy: "Always",
        imagePullSecret: "regcred",
        pluginName: "headers",
        pluginConfig: { header: "x-a" },
        failStrategy: "FAIL_RELOAD",
        vmConfig: {
          env: [
            { name: "MODE", value: "strict" },
            { name: "POD_NAME", valueFrom: "HOST" },
          ],
        },
        type: "HTTP",
      },
    });
    expect(parseResourcesYaml(resourcesToYaml([plugin]))).toEqual([plugin]);
  });

  test("TrafficExtension nests the module under wasm and validates", () => {
    const ext = buildTrafficExtension({
      ...base,
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "ingress" }],
      phase: "STATS",
    });
    expect(ext.kind).toBe("TrafficExtension");
    expect(ext.spec).toMatchObject({
      phase: "STATS",
      targetRefs: [{ kind: "Gateway", name: "ingress" }],
      wasm: { url: base.url, sha256: SHA, pluginName: "headers" },
    });
    expect(validateResource(ext)).toEqual([]);
  });

  test.each([
    [
      "bad phase",
      { phase: "AUTH" },
      /spec\.phase: Unsupported value: "AUTH": supported values: "UNSPECIFIED_PHASE", "AUTHN", "AUTHZ", "STATS"/,
    ],
    [
      "short sha256",
      { sha256: "abc123" },
      /spec\.sha256: Invalid value: "abc123": spec\.sha256 in body should match '\(\^\$\|\^\[a-f0-9\]\{64\}\$\)'/,
    ],
    [
      "sha256 with prefix",
      { sha256: `sha256:${SHA}` },
      /spec\.sha256: Invalid value: "sha256:a+": spec\.sha256 in body should match/,
    ],
    [
      "selector and targetRefs",
      { selector: { app: "a" }, targetRefs: [{ kind: "Gateway", name: "g" }] },
      /spec: Invalid value: "object": only one of targetRefs or selector can be set/,
    ],
    [
      "url scheme",
      { url: "ftp://example.com/x.wasm" },
      /spec\.url: Invalid value: "string": url must have schema one of \[http, https, file, oci\]/,
    ],
    [
      "fail strategy",
      { failStrategy: "FAIL_CLOSED" },
      /spec\.failStrategy: Unsupported value: "FAIL_CLOSED": supported values: "FAIL_CLOSE", "FAIL_OPEN", "FAIL_RELOAD"/,
    ],
    [
      "too many targetRefs",
      { targetRefs: Array.from({ length: 17 }, (_, i) => ({ kind: "Gateway", name: `g${i}` })) },
      /spec\.targetRefs: Too many: 17: must have at most 16 items/,
    ],
    [
      "port out of range",
      { match: [{ ports: [{ number: 70000 }] }] },
      /spec\.match\[0\]\.ports\[0\]\.number: Invalid value: 70000: spec\.match\[0\]\.ports\[0\]\.number in body should be less than or equal to 65535/,
    ],
    [
      "resource name",
      { name: "Headers_Filter" },
      /metadata\.name: Invalid value: "Headers_Filter": a lowercase RFC 1123 subdomain/,
    ],
    [
      "url digest vs sha256",
      { url: `oci://r.example.com/f/h@sha256:${"b".repeat(64)}` },
      /spec\.sha256: does not match the @sha256 digest in the url/,
    ],
    ["missing url", { url: "" }, /url is required/],
    [
      "env both inline and host",
      { env: { A: "1" }, hostEnv: ["A"] },
      /VM env A is set both inline \(env\) and from the host/,
    ],
    ["pluginConfig not an object", { pluginConfig: ["a"] }, /pluginConfig must be a JSON object/],
  ] as const)("invalid metadata (%s) is a clear error", (_, change, message) => {
    expect(() => buildWasmPlugin({ ...base, ...(change as Partial<PluginMetadata>) })).toThrow(message);
  });

  test("several problems are reported together, with the schema to look at", () => {
    const build = () => buildWasmPlugin({ ...base, phase: "X" as never, sha256: "0", type: "TCP" as never });
    expect(build).toThrow(
      /invalid WasmPlugin "headers" for Istio [\d.]+:\n {2}- spec\.phase[^\n]*\n {2}- spec\.sha256[^\n]*\n {2}- spec\.type/,
    );
    // Without --istio-version: the newest pinned Istio, and its CRD is the one named.
    expect(build).toThrow(`for Istio ${DEFAULT_ISTIO_VERSION}:`);
    expect(build).toThrow(
      `Fix: fix the listed fields (checked against the WasmPlugin CRD of istio.io/api@${crdProvenance(DEFAULT_ISTIO_VERSION).version}, as the API server does)`,
    );
  });

  test("hand-written YAML: unknown fields and HOST env with a value are refused", () => {
    const yaml = `apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: w}
spec:
  url: oci://r.example.com/w:v1
  pluginConfg: {a: 1}
  vmConfig: {env: [{name: A, valueFrom: HOST, value: x}]}
`;
    expect(() => parseResourcesYaml(yaml)).toThrow(
      /spec\.pluginConfg: unknown field "spec\.pluginConfg"[\s\S]*spec\.vmConfig\.env\[0\]: Invalid value: "object": value may only be set when valueFrom is INLINE/,
    );
    expect(() => parseResourcesYaml("kind: ConfigMap\n")).toThrow(/contains no WasmPlugin or TrafficExtension/);
  });

  test("the example YAML in istio/ validates and matches what its metadata generates", async () => {
    const metadata = parse(await readFile(join(EXAMPLES_DIR, "headers.metadata.yaml"), "utf8")) as PluginMetadata;
    const files = (await readdir(EXAMPLES_DIR)).filter((f) => /\.(wasmplugin|trafficextension)\.yaml$/.test(f));
    expect(files.sort()).toEqual(["headers.trafficextension.yaml", "headers.wasmplugin.yaml"]);
    const [plugin] = parseResourcesYaml(await readFile(join(EXAMPLES_DIR, "headers.wasmplugin.yaml"), "utf8"));
    const [ext] = parseResourcesYaml(await readFile(join(EXAMPLES_DIR, "headers.trafficextension.yaml"), "utf8"));
    expect(plugin).toEqual(buildWasmPlugin(metadata));
    expect(ext).toEqual(buildTrafficExtension(metadata));
  });
});

describe("Envoy config Istio renders", () => {
  const plugin = buildWasmPlugin({
    ...base,
    pluginConfig: { z: 1, a: { y: true, b: "x" } },
    failStrategy: "FAIL_OPEN",
    env: { MODE: "strict" },
    hostEnv: ["POD_NAME"],
    imagePullPolicy: "Always",
    imagePullSecret: "regcred",
  });

  test("agent stage: local file in the agent cache, JSON StringValue config, env without the ISTIO_META_* keys", () => {
    const r = renderIstioFilter(plugin, { resourceVersion: "7", istioVersion: "1.29" });
    expect(r.filter).toEqual({
      name: "extensions.istio.io/wasmplugin/shop.headers",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
        config: {
          name: "shop.headers",
          root_id: "headers",
          configuration: {
            "@type": "type.googleapis.com/google.protobuf.StringValue",
            value: '{"a":{"b":"x","y":true},"z":1}',
          },
          failure_policy: "FAIL_OPEN",
          vm_config: {
            runtime: "envoy.wasm.runtime.v8",
            code: { local: { filename: agentCachePath(base.url, SHA) } },
            environment_variables: {
              host_env_keys: ["POD_NAME"],
              key_values: { MODE: "strict" }, // the agent consumed and stripped the ISTIO_META_* keys
            },
          },
        },
      },
    });
    expect(agentCachePath(base.url, SHA)).toMatch(new RegExp(`^/var/lib/istio/data/[0-9a-f]{64}/${SHA}\\.wasm$`));
    expect(agentCachePath(base.url, SHA)).toBe(agentCachePath("oci://registry.example.com/filters/headers:v2", SHA)); // tag is not part of the name
  });

  test('istiod stage: remote http_uri with cluster "_", 30 s timeout, sha256, pull secret content in env', () => {
    const r = renderIstioFilter(plugin, { stage: "istiod", pullSecretContent: '{"auths":{}}' });
    const vm = (
      r.pluginConfig as { vm_config: { code: unknown; environment_variables: { key_values: Record<string, string> } } }
    ).vm_config;
    expect(vm.code).toEqual({ remote: { http_uri: { uri: base.url, cluster: "_", timeout: "30s" }, sha256: SHA } });
    expect(vm.environment_variables.key_values).toEqual({
      [WASM_PULL_SECRET_ENV]: '{"auths":{}}',
      [WASM_PULL_POLICY_ENV]: "Always",
      [WASM_RESOURCE_VERSION_ENV]: "1",
      MODE: "strict",
    });
  });

  test("defaults: FAIL_CLOSE ⇒ FAIL_CLOSED, scheme-less url ⇒ oci://, NETWORK type ⇒ network filter", () => {
    const r = renderIstioFilter(
      buildWasmPlugin({ name: "tcp", url: "registry.example.com/f/tcp:v1", sha256: SHA, type: "NETWORK" }),
      { stage: "istiod" },
    );
    expect(r.name).toBe("default.tcp~istio-translated-wasmplugin");
    expect(r.filter.typed_config["@type"]).toBe("type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm");
    expect(r.pluginConfig).toMatchObject({
      failure_policy: "FAIL_CLOSED",
      vm_config: { code: { remote: { http_uri: { uri: "oci://registry.example.com/f/tcp:v1" } } } },
    });
    expect(r.pluginConfig).not.toHaveProperty("configuration");
    expect(toHarnessFilter(r, "/tmp/x.wasm").kind).toBe("network");
  });

  test("harness filter carries the same plugin settings", () => {
    const r = renderIstioFilter(plugin);
    expect(toHarnessFilter(r, "/data/m.wasm")).toEqual({
      kind: "http",
      wasm: "/data/m.wasm",
      name: "shop.headers~istio-translated-wasmplugin",
      rootId: "headers",
      config: '{"a":{"b":"x","y":true},"z":1}',
      env: { MODE: "strict" },
      hostEnvKeys: ["POD_NAME"],
      failurePolicy: "FAIL_OPEN",
      runtime: "envoy.wasm.runtime.v8",
    });
  });

  test("chain order: AUTHN, AUTHZ, STATS, unspecified; higher priority first; ties by name", () => {
    const make = (name: string, phase?: PluginMetadata["phase"], priority?: number) =>
      renderIstioFilter(buildWasmPlugin({ name, url: base.url, sha256: SHA, phase, priority }), {
        istioVersion: "1.29",
      });
    const order = orderLikeIstio([
      make("last"),
      make("stats", "STATS"),
      make("authz-lo", "AUTHZ", 1),
      make("authz-hi", "AUTHZ", 9),
      make("authn", "AUTHN"),
      make("b-tie", "STATS"),
    ]);
    expect(order.map((f) => f.name)).toEqual([
      "default.authn",
      "default.authz-hi",
      "default.authz-lo",
      "default.b-tie",
      "default.stats",
      "default.last",
    ]);
  });
});

describe("CLI", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const code = await runCli(argv, (t) => out.push(t));
    return { code, out: out.join("\n") };
  };

  test("--help lists every command; bad usage is a clear error", async () => {
    const help = await cli("--help");
    expect(help.code).toBe(0);
    for (const command of ["package", "push", "check", "wasmplugin", "envoy"])
      expect(help.out).toContain(`  ${command} `);
    expect(await cli("deploy")).toEqual({
      code: 1,
      out: expect.stringMatching(/unknown command "deploy"[\s\S]*use package, push, check, wasmplugin or envoy/),
    });
    expect(await cli("push", "only-one-arg")).toEqual({
      code: 1,
      out: expect.stringMatching(/expected: push <file\.wasm> <host\[:port\]\/repo:tag> \(got 1 argument\(s\)\)/),
    });
    expect(await cli("wasmplugin", "--bogus")).toEqual({
      code: 2,
      out: expect.stringMatching(/Unknown option '--bogus'[\s\S]*--help/),
    });
    expect((await cli("package", "/nonexistent.wasm", "--out", "/tmp/x")).out).toMatch(
      /cannot read \/nonexistent\.wasm[\s\S]*build the filter first/,
    );
  });

  test("push → check → wasmplugin → envoy against a real registry", async () => {
    await using registry = await startLocalRegistry({ auth: "basic" });
    const dir = await mkdtemp(join(tmpdir(), "pwas-cli-"));
    dirs.push(dir);
    const wasmPath = join(dir, "m.wasm");
    await writeFile(wasmPath, sampleWasm(5000));
    const ref = `${registry.host}/cli/m:v1`;

    const denied = await cli("push", wasmPath, ref);
    expect(denied).toEqual({ code: 1, out: expect.stringMatching(/requires credentials/) });
    const pushed = await cli(
      "push",
      wasmPath,
      ref,
      "--format",
      "artifact",
      "--username",
      registry.username!,
      "--password",
      registry.password!,
    );
    expect(pushed.code).toBe(0);
    const sha = /sha256 for the WasmPlugin: ([0-9a-f]{64})/.exec(pushed.out)![1]!;

    const check = await cli(
      "check",
      ref,
      "--sha256",
      sha,
      "--username",
      registry.username!,
      "--password",
      registry.password!,
      "--out",
      join(dir, "back.wasm"),
    );
    expect(check.out).toContain(`Istio ${DEFAULT_ISTIO_VERSION} (latest patch) accepts ${ref}: oci-artifact image`);
    expect((await readFile(join(dir, "back.wasm"))).equals(await readFile(wasmPath))).toBe(true);

    const yamlPath = join(dir, "wp.yaml");
    const wp = await cli(
      "wasmplugin",
      "--name",
      "m",
      "--url",
      `oci://${ref}`,
      "--sha256",
      sha,
      "--plugin-name",
      "m",
      "--config",
      '{"k":"v"}',
      "--selector",
      "app=web",
      "--kind",
      "both",
      "--out",
      yamlPath,
    );
    expect(wp).toEqual({ code: 0, out: `wrote WasmPlugin and TrafficExtension to ${yamlPath}` });
    const envoy = await cli("envoy", yamlPath, "--wasm-path", "/data/m.wasm");
    expect(envoy.code).toBe(0);
    const filters = parse(envoy.out) as {
      name: string;
      typed_config: { config: { configuration: { value: string }; vm_config: { code: unknown } } };
    }[];
    // The default Istio (the newest pinned, 1.30 or later): the WasmPlugin is translated into a TrafficExtension; same phase and no priority, so ties go by name.
    expect(filters.map((f) => f.name)).toEqual([
      "extensions.istio.io/trafficextension/default.m",
      "extensions.istio.io/trafficextension/default.m~istio-translated-wasmplugin",
    ]);
    for (const f of filters) {
      expect(f.typed_config.config.configuration.value).toBe('{"k":"v"}');
      expect(f.typed_config.config.vm_config.code).toEqual({ local: { filename: "/data/m.wasm" } });
    }
    const old = await cli("envoy", yamlPath, "--wasm-path", "/data/m.wasm", "--istio-version", "1.29");
    expect(old.out).toMatch(/Istio 1\.29 has no TrafficExtension/);

    const bad = await cli("wasmplugin", "--name", "m", "--url", `oci://${ref}`, "--sha256", "xyz", "--phase", "LATE");
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/spec\.phase: Unsupported value: "LATE"[\s\S]*spec\.sha256: Invalid value: "xyz"/);
  });
});
