// buildExtensionPolicy and the YAML reader: what each input becomes in the policy, and the mistakes refused before
// the CRD is consulted (each with its hint).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { sampleWasm } from "../packaging/test-support.ts";
import { gatewayCrdProvenance } from "./crds.ts";
import { GatewayError } from "./errors.ts";
import {
  buildExtensionPolicy,
  type ExtensionPolicyMetadata,
  extensionPoliciesToYaml,
  parseExtensionPoliciesYaml,
} from "./policy.ts";

const BASE: ExtensionPolicyMetadata = {
  name: "headers",
  url: "https://wasm.example.com/headers.wasm",
  targetRefs: [{ kind: "HTTPRoute", name: "backend" }],
};
const SHA = "c".repeat(64);

/** A module exporting only network-filter callbacks (what tcp-guard is). */
function networkModule(): Uint8Array {
  // type 0: () -> (); function 0 of type 0; export it as proxy_on_new_connection; empty body.
  const name = Buffer.from("proxy_on_new_connection");
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00],
    ...[0x03, 0x02, 0x01, 0x00],
    ...[0x07, name.length + 4, 0x01, name.length, ...name, 0x00, 0x00],
    ...[0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b],
  ]);
}

function refusal(metadata: ExtensionPolicyMetadata): GatewayError {
  try {
    buildExtensionPolicy(metadata);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).hint).not.toBe("");
    return error as GatewayError;
  }
  throw new Error("expected a refusal");
}

describe("buildExtensionPolicy", () => {
  test("every field lands where the CRD has it", () => {
    const policy = buildExtensionPolicy({
      ...BASE,
      namespace: "edge",
      targetRefs: [
        { kind: "Gateway", name: "eg", sectionName: "https" },
        { kind: "HTTPRoute", name: "backend", sectionName: "rule-1" },
      ],
      sha256: SHA,
      extensionName: "headers-v1",
      rootID: "headers",
      config: ["any", "json", 1],
      failOpen: true,
      hostKeys: ["POD_NAME", "POD_NAMESPACE"],
      pullPolicy: "Always",
    });
    expect(policy).toEqual({
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "EnvoyExtensionPolicy",
      metadata: { name: "headers", namespace: "edge" },
      spec: {
        targetRefs: [
          { group: "gateway.networking.k8s.io", kind: "Gateway", name: "eg", sectionName: "https" },
          { group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "backend", sectionName: "rule-1" },
        ],
        wasm: [
          {
            name: "headers-v1",
            rootID: "headers",
            code: { type: "HTTP", http: { url: BASE.url, sha256: SHA }, pullPolicy: "Always" },
            config: ["any", "json", 1],
            failOpen: true,
            env: { hostKeys: ["POD_NAME", "POD_NAMESPACE"] },
          },
        ],
      },
    });
  });

  test("an image reference (oci:// or none) is code type Image, with its pull secret", () => {
    for (const url of ["registry.example.com:5000/f/headers:v1", "oci://registry.example.com/f/headers:v1"]) {
      const policy = buildExtensionPolicy({ ...BASE, url, sha256: SHA, pullSecret: "regcred" });
      expect(policy.spec.wasm![0]!.code).toEqual({
        type: "Image",
        image: { url, sha256: SHA, pullSecretRef: { kind: "Secret", name: "regcred" } },
      });
    }
  });

  test("the module's sha256 is computed from its bytes, and a different --sha256 is refused", () => {
    const wasm = sampleWasm(2048);
    const sha = createHash("sha256").update(wasm).digest("hex");
    expect(buildExtensionPolicy({ ...BASE, wasm }).spec.wasm![0]!.code.http!.sha256).toBe(sha);
    expect(buildExtensionPolicy({ ...BASE, wasm, sha256: sha }).spec.wasm![0]!.code.http!.sha256).toBe(sha);
    expect(refusal({ ...BASE, wasm, sha256: SHA }).message).toContain(
      `sha256 ${SHA} is not the module's: its sha256 is ${sha}`,
    );
  });

  test("refusals before the CRD: image with a module file, not Wasm, a network filter, missing fields", () => {
    expect(refusal({ ...BASE, url: "registry.example.com/f/h:v1", wasm: sampleWasm(64) }).hint).toContain(
      "manifest digest",
    );
    expect(refusal({ ...BASE, wasm: Buffer.from("not wasm") }).message).toMatch(
      /^the module file is not a WebAssembly module/,
    );
    expect(refusal({ ...BASE, wasm: networkModule() }).message).toMatch(/network \(TCP\) filter.*HTTP filters only/);
    const missing = refusal({ name: "", url: "", targetRefs: [] } as ExtensionPolicyMetadata).message;
    expect(missing).toContain("name is required");
    expect(missing).toContain("url is required");
    expect(missing).toContain("a target is required");
    expect(refusal({ ...BASE, pullSecret: "regcred" }).message).toContain("pullSecret applies to OCI images only");
  });

  test("a mistake the CRD catches names the pinned release and lists every problem", () => {
    const error = refusal({ ...BASE, targetRefs: [{ kind: "Service", name: "web", sectionName: "Bad_Name" }] });
    expect(error.message).toContain(`for Envoy Gateway ${gatewayCrdProvenance().version}`);
    expect(error.message).toContain("this policy can only have a targetRefs[*].kind of Gateway/");
    expect(error.message).toContain("spec.targetRefs[0].sectionName: Invalid value");
  });
});

describe("YAML", () => {
  test("what extensionPoliciesToYaml writes, parseExtensionPoliciesYaml reads back (other kinds skipped)", () => {
    const policy = buildExtensionPolicy({ ...BASE, rootID: "headers", config: { header: "x" } });
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n---\n${extensionPoliciesToYaml([policy, policy])}`;
    expect(parseExtensionPoliciesYaml(text)).toEqual([policy, policy]);
  });

  test("bad YAML, an alias bomb, and a file without a policy are one error each", () => {
    expect(() => parseExtensionPoliciesYaml("a: [", "p.yaml")).toThrow(/^p\.yaml is not valid YAML: /);
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...["b", "c", "d", "e", "f"].map((n, i) => `${n}: &${n} [${Array(9).fill(`*${"abcde"[i]}`).join(",")}]`),
      "kind: EnvoyExtensionPolicy",
    ].join("\n");
    expect(() => parseExtensionPoliciesYaml(bomb, "bomb.yaml")).toThrow(/^bomb\.yaml cannot be read: .*alias/i);
    expect(() => parseExtensionPoliciesYaml("kind: ConfigMap\n", "cm.yaml")).toThrow(
      /^cm\.yaml contains no EnvoyExtensionPolicy/,
    );
  });
});

test("the pinned CRD is the one the README names, from the Go module proxy", () => {
  const source = gatewayCrdProvenance();
  expect(source.module).toBe("github.com/envoyproxy/gateway");
  expect(source.goSum).toMatch(/^h1:[A-Za-z0-9+/]{43}=$/);
  expect(source.zipSha256).toMatch(/^[a-f0-9]{64}$/);
  const readme = readFileSync(new URL("./README.md", import.meta.url), "utf8");
  expect(readme).toContain(`\`${source.module}@${source.version}\` (go.sum \`${source.goSum}\``);
});
