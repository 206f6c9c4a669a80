// `proxy-wasm-as gateway envoy`: run as a subprocess the way a user runs it. A good policy prints the bootstrap
// (parsed back and checked); bad input ends in one error line plus its "Fix:" line, never a stack trace.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { afterAll, describe, expect, test } from "vitest";

const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pwas-gateway-envoy-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SHA = "a".repeat(64);

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const policy = (
  wasm: string,
  targets = "  targetRefs:\n  - { group: gateway.networking.k8s.io, kind: HTTPRoute, name: orders }",
) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: { name: stamp, namespace: shop }
spec:
${targets}
  wasm:
${wasm}
`;
const httpWasm = `  - name: stamp\n    rootID: stamp-root\n    code: { type: HTTP, http: { url: "https://m.example.com/stamp.wasm", sha256: "${SHA}" } }\n    config: { b: 1, a: [true] }\n    failOpen: true\n    env: { hostKeys: [POD_NAME] }`;
const imageWasm = `  - code: { type: Image, image: { url: "registry.example.com/stamp" } }`;

function gateway(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, "gateway", ...args],
      { encoding: "utf8", timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

// Each case starts a Node process; on a loaded machine that takes seconds.
describe("proxy-wasm-as gateway envoy", { timeout: 60_000 }, () => {
  test("prints the bootstrap: the disabled filter, the route enabling it, the untargeted route, wasm_cluster", async () => {
    const { code, stdout } = await gateway(
      "envoy",
      file("good.yaml", policy(httpWasm)),
      "--listener-port",
      "8081",
      "--upstream",
      "http://127.0.0.1:9000",
    );
    expect(code).toBe(0);
    const bootstrap = parse(stdout);
    const hcm = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    const name = "envoy.filters.http.wasm/envoyextensionpolicy/shop/stamp/wasm/0";
    expect(hcm.http_filters.map((f: { name: string }) => f.name)).toEqual([name, "envoy.filters.http.router"]);
    const filter = hcm.http_filters[0];
    expect(filter.disabled).toBe(true);
    expect(filter.typed_config.config).toMatchObject({
      name: "stamp",
      root_id: "stamp-root",
      fail_open: true,
      configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: '{"a":[true],"b":1}' },
      vm_config: {
        vm_id: "envoyextensionpolicy/shop/stamp/wasm/0",
        environment_variables: { host_env_keys: ["POD_NAME"] },
        code: { remote: { sha256: SHA, http_uri: { cluster: "wasm_cluster", timeout: "10s" } } },
      },
    });
    const routes = hcm.route_config.virtual_hosts[0].routes;
    expect(routes.map((r: { match: unknown }) => r.match)).toEqual([
      { path_separated_prefix: "/orders" },
      { prefix: "/" },
    ]);
    expect(Object.keys(routes[0].typed_per_filter_config)).toEqual([name]);
    expect(routes[1].typed_per_filter_config).toBeUndefined();
    expect(hcm.stat_prefix).toBe("http-8081");
    expect(bootstrap.static_resources.clusters[0].name).toBe("wasm_cluster");
  });

  const refused: [string, () => string[], RegExp, RegExp][] = [
    [
      "a missing file",
      () => ["envoy", join(dir, "nope.yaml")],
      /^cannot read .*nope\.yaml: ENOENT$/,
      /^Fix: pass the EnvoyExtensionPolicy YAML/,
    ],
    ["no policy file", () => ["envoy"], /^missing the policy file$/, /^Fix: proxy-wasm-as gateway envoy policy\.yaml/],
    [
      "YAML that is not YAML",
      () => ["envoy", file("bad.yaml", "kind: [")],
      /document 1 is not valid YAML/,
      /^Fix: fix the YAML/,
    ],
    [
      "a file without a policy",
      () => ["envoy", file("none.yaml", "kind: HTTPRoute\nmetadata: { name: x }\n")],
      /holds no EnvoyExtensionPolicy$/,
      /^Fix: pass the policy/,
    ],
    [
      "a policy without targets",
      () => ["envoy", file("notarget.yaml", policy(httpWasm, "  targetRefs: []"))],
      /has no spec\.targetRefs$/,
      /^Fix: target a Gateway or an HTTPRoute/,
    ],
    [
      "an Image source without the module file",
      () => ["envoy", file("image.yaml", policy(imageWasm))],
      /no sha256 for oci:\/\/registry\.example\.com\/stamp:latest$/,
      /^Fix: Envoy checks the \.wasm file's sha256, not the image digest/,
    ],
    [
      "a --module for a URL no extension fetches",
      () => ["envoy", file("m.yaml", policy(httpWasm)), "--module", "https://other/x.wasm=x.wasm"],
      /no extension of the policies fetches https:\/\/other\/x\.wasm$/,
      /^Fix: use one of: https:\/\/m\.example\.com\/stamp\.wasm$/,
    ],
    [
      "a bad --listener-port",
      () => ["envoy", file("p.yaml", policy(httpWasm)), "--listener-port", "99999"],
      /--listener-port must be a port number/,
      /^Fix: e\.g\. --listener-port 10080$/,
    ],
    [
      "a bad --upstream",
      () => ["envoy", file("u.yaml", policy(httpWasm)), "--upstream", "localhost"],
      /--upstream must be http:\/\/<IPv4 address>:<port>/,
      /^Fix: e\.g\. --upstream/,
    ],
    ["an unknown gateway command", () => ["render"], /unknown gateway command "render"/, /^Fix: commands: /],
  ];
  for (const [what, args, message, fix] of refused) {
    test(`refuses ${what} in one line with a hint`, async () => {
      const { code, stdout, stderr } = await gateway(...args());
      expect(code).toBeGreaterThan(0);
      expect(stdout).toBe("");
      const lines = stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(2);
      // The CLI's own usage errors read "error: …" / "hint: …", the harness's errors "…" / "Fix: …".
      expect(lines[0]!.replace(/^error: /, "")).toMatch(message);
      expect(lines[1]!.replace(/^hint: /, "Fix: ")).toMatch(fix);
    });
  }
});
