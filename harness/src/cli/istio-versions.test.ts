// `proxy-wasm-as istio … --istio-version`: the current Istio (1.32) is served from its own pinned CRDs, and an Istio
// newer than the pinned ones is refused with one error saying what to do, before anything is generated or fetched.
import { parseAllDocuments } from "yaml";
import { describe, expect, test } from "vitest";
import { crdProvenance, pinnedIstioMinors } from "../packaging/crds.ts";
import { validateResource, type IstioResource } from "../packaging/wasmplugin.ts";
import { runProxyWasmAs } from "./index.ts";

async function istio(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runProxyWasmAs(["istio", ...args], {
    print: (t) => void out.push(t),
    info: (t) => void err.push(t),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const SHA = "b".repeat(64);
const wasmplugin = (...extra: string[]) =>
  istio(
    "wasmplugin",
    "--name",
    "headers",
    "--url",
    "oci://registry.example.com/filters/headers:v1",
    "--sha256",
    SHA,
    "--plugin-name",
    "headers",
    ...extra,
  );

describe("proxy-wasm-as istio --istio-version", () => {
  test("wasmplugin --istio-version 1.32 generates both kinds and validates them against the 1.32 CRDs", async () => {
    expect(crdProvenance("1.32").version).toMatch(/^v1\.32\.\d+$/);
    const { code, out } = await wasmplugin("--kind", "both", "--istio-version", "1.32", "--phase", "AUTHZ");
    expect(code, out).toBe(0);
    const resources = parseAllDocuments(out).map((d) => d.toJS() as IstioResource);
    expect(resources.map((r) => r.kind)).toEqual(["WasmPlugin", "TrafficExtension"]);
    for (const resource of resources) expect(validateResource(resource, { istioVersion: "1.32" })).toEqual([]);
    expect(resources[1]!.spec).toMatchObject({ phase: "AUTHZ", wasm: { sha256: SHA, pluginName: "headers" } });
  });

  test("wasmplugin --istio-version 1.32 refuses what the 1.32 CRD refuses, naming that CRD", async () => {
    const { code, out } = await wasmplugin("--istio-version", "1.32", "--fail-strategy", "FAIL_LATER");
    expect(code).toBe(1);
    expect(out).toContain('invalid WasmPlugin "headers" for Istio 1.32:');
    expect(out).toContain('spec.failStrategy: Unsupported value: "FAIL_LATER"');
    expect(out).toContain(`checked against the WasmPlugin CRD of istio.io/api@${crdProvenance("1.32").version}`);
  });

  test("without --istio-version the newest pinned Istio applies", async () => {
    const newest = pinnedIstioMinors().at(-1)!;
    const { out } = await wasmplugin("--fail-strategy", "FAIL_LATER");
    expect(out).toContain(`for Istio ${newest}:`);
    expect(out).toContain(`istio.io/api@${crdProvenance(newest).version}`);
  });

  test("a newer Istio is one error with the upgrade and the pin command, for every command", async () => {
    const next = `1.${Number(pinnedIstioMinors().at(-1)!.split(".")[1]) + 1}`;
    const results = [
      await wasmplugin("--istio-version", next),
      // No registry listens on port 1: the version is refused before anything is fetched.
      await istio("check", "127.0.0.1:1/filters/headers:v1", "--istio-version", `${next}.0`),
    ];
    for (const { code, out } of results) {
      expect(code).toBe(1);
      const lines = out.split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(
        new RegExp(`^error: Istio ${next.replace(".", "\\.")} is newer than the Istio versions`),
      );
      expect(lines[1]).toMatch(
        /^Fix: upgrade @proxy-wasm-as\/harness \(`npm install --save-dev @proxy-wasm-as\/harness@latest`\)/,
      );
      expect(lines[1]).toContain(`\`node scripts/refresh-istio-crds.ts --add ${next}\``);
    }
  });
});
