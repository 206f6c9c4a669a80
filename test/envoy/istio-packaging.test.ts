// (Lives in test/envoy: it uses the real-Envoy test fixtures, and nothing under harness/src imports test/.)
// End to end without Kubernetes: package → push to a real registry (basic auth) → pull back with
// istio-agent's rules → store where the agent would → render the WasmPlugin the way Istio does → run it
// in real Envoy through the harness runner and watch it change traffic.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startEnvoy, startHttpUpstream, type HttpUpstream } from "@proxy-wasm-as/harness";
import { validateEnvoyConfig } from "@proxy-wasm-as/harness/envoy";
import { HEADERS_WASM, RUNNERS, fixture } from "./support.ts";
import {
  agentCachePath,
  renderIstioFilter,
  toHarnessFilter,
  type IstioEnvoyFilter,
} from "../../harness/src/packaging/envoy-render.ts";
import { packageWasm, type ImageFormat } from "../../harness/src/packaging/image.ts";
import { pullWasmLikeIstio } from "../../harness/src/packaging/istio-fetch.ts";
import { startLocalRegistry, type LocalRegistry } from "../../harness/src/packaging/local-registry.ts";
import { pushImage } from "../../harness/src/packaging/registry.ts";
import {
  buildWasmPlugin,
  parseResourcesYaml,
  resourcesToYaml,
  type PluginMetadata,
} from "../../harness/src/packaging/wasmplugin.ts";

let registry: LocalRegistry;
let upstream: HttpUpstream;
let dataDir: string;
beforeAll(async () => {
  registry = await startLocalRegistry({ auth: "basic" });
  upstream = await startHttpUpstream();
  dataDir = await mkdtemp(join(tmpdir(), "pwas-istio-data-"));
});
afterAll(async () => {
  await upstream?.close();
  await registry?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Ships `wasmFile` as Istio would see it; returns the rendered filter and the local module path. */
async function shipThroughRegistry(
  wasmFile: string,
  format: ImageFormat,
  metadata: Omit<PluginMetadata, "url" | "sha256">,
  istioVersion = "1.32",
) {
  const creds = { username: registry.username, password: registry.password };
  const url = `oci://${registry.host}/filters/${metadata.name}:${format}`;
  const pushed = await pushImage(packageWasm(await readFile(wasmFile), { format }), url, creds);
  const sha256 = pushed.digest.slice("sha256:".length);
  // The WasmPlugin goes through YAML and back, as it would through kubectl.
  const yaml = resourcesToYaml([buildWasmPlugin({ ...metadata, url, sha256 }, { istioVersion })]);
  const [plugin] = parseResourcesYaml(yaml, "WasmPlugin", { istioVersion });
  const pulled = await pullWasmLikeIstio(url, { ...creds, sha256, istioVersion });
  const localPath = agentCachePath(url, sha256, dataDir);
  await mkdir(dirname(localPath), { recursive: true });
  await writeFile(localPath, pulled.wasm);
  return {
    rendered: renderIstioFilter(plugin!, { localWasmPath: localPath, resourceVersion: "42", istioVersion }),
    localPath,
    pulled,
  };
}

describe.each(RUNNERS)("WasmPlugin from a registry runs in Envoy (%s runner)", (runner) => {
  test.each([
    ["compat", "1.32", "shop.wat-compat~istio-translated-wasmplugin"],
    ["artifact", "1.29", "shop.wat-artifact"],
  ] as const)(
    "%s image, Istio %s: the rendered config loads and configures the module",
    async (format, istioVersion, pluginName) => {
      const pluginConfig = { greeting: "hello", answer: 42 };
      const { rendered, localPath } = await shipThroughRegistry(
        fixture("ok"),
        format,
        {
          name: `wat-${format}`,
          namespace: "shop",
          pluginName: "wat-root",
          pluginConfig,
          failStrategy: "FAIL_OPEN",
          env: { MODE: "test" },
        },
        istioVersion,
      );
      expect(rendered.name).toBe(pluginName);
      expect((rendered.pluginConfig.vm_config as { code: unknown }).code).toEqual({ local: { filename: localPath } });

      await using envoy = await startEnvoy({ runner, filters: [toHarnessFilter(rendered, localPath)], upstream });
      const res = await envoy.request("/through-istio-config");
      expect(res.status).toBe(200);
      // The fixture echoes its plugin configuration into x-wat: Istio passes pluginConfig as compact JSON, keys sorted.
      expect(res.headers["x-wat"]).toBe('{"answer":42,"greeting":"hello"}');
      expect(upstream.last().header("x-wat-req")).toBe("1");
      const configured = envoy.wasmLogs().find((l) => l.message === "configured");
      expect(configured?.prefix[0]).toBe("wat-root"); // root_id = pluginName
      // istio-agent consumed and stripped the ISTIO_META_* keys; the user's env reaches the VM.
      expect(envoy.configYaml).not.toContain("ISTIO_META_");
      expect(envoy.configYaml).toContain("MODE");
    },
  );

  test.skipIf(!existsSync(HEADERS_WASM))(
    "SDK-built headers filter shipped as a compat-docker image sets headers from pluginConfig",
    async () => {
      const { rendered, localPath } = await shipThroughRegistry(HEADERS_WASM, "compat-docker", {
        name: "headers",
        pluginName: "headers",
        pluginConfig: {
          request: { set: { "x-from-istio": "yes" } },
          response: { set: { "x-served-by": "proxy-wasm-as" } },
        },
      });
      await using envoy = await startEnvoy({ runner, filters: [toHarnessFilter(rendered, localPath)], upstream });
      const res = await envoy.request("/headers");
      expect(res.status).toBe(200);
      expect(res.headers["x-served-by"]).toBe("proxy-wasm-as");
      expect(upstream.last().header("x-from-istio")).toBe("yes");
    },
  );
});

test("Istio's raw filter entry (ECDS name extensions.istio.io/trafficextension/<ns>.<name>~istio-translated-wasmplugin) is accepted by Envoy in an HTTP connection manager", async () => {
  const { rendered } = await shipThroughRegistry(fixture("ok"), "compat-docker", {
    name: "raw-entry",
    namespace: "istio-system",
    pluginName: "wat-root",
    pluginConfig: { k: "v" },
    failStrategy: "FAIL_RELOAD",
    hostEnv: ["HOME"],
  });
  expect(rendered.filter.name).toBe(
    "extensions.istio.io/trafficextension/istio-system.raw-entry~istio-translated-wasmplugin",
  );
  await expect(validateEnvoyConfig(bootstrapWith(rendered))).resolves.toContain("istio-system.raw-entry");
});

/** A minimal bootstrap with `filter` before the router, as Istio's chain ends. */
function bootstrapWith(filter: IstioEnvoyFilter): string {
  return stringify({
    static_resources: {
      listeners: [
        {
          name: "ingress",
          address: { socket_address: { address: "127.0.0.1", port_value: 0 } },
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type":
                      "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    stat_prefix: "ingress",
                    route_config: {
                      virtual_hosts: [
                        {
                          name: "all",
                          domains: ["*"],
                          routes: [{ match: { prefix: "/" }, direct_response: { status: 200 } }],
                        },
                      ],
                    },
                    http_filters: [
                      filter.filter,
                      {
                        name: "envoy.filters.http.router",
                        typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  });
}
