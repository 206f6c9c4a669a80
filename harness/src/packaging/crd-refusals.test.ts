// Invalid WasmPlugin / TrafficExtension manifests, each refused with the message the API server gives for the
// real CRD of the pinned istio.io/api version (the CEL rule's own `message`, or the structural-schema wording).
// The same cases are the refusal table in README.md; the last test keeps the two in sync.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parseResourcesYaml, resourcesToYaml, validateResource, type IstioResource } from "./wasmplugin.ts";

type Spec = Record<string, unknown>;
const WASM: Spec = { url: "oci://registry.example.com/filters/headers:v1", pluginName: "headers" };

/** [what is wrong, kind, Istio version, spec (or whole-resource change), the refusal]. */
const REFUSALS: [string, "WasmPlugin" | "TrafficExtension", string, Spec | ((r: IstioResource) => void), string][] = [
  [
    "phase not in the enum",
    "WasmPlugin",
    "1.32",
    { ...WASM, phase: "AUTH" },
    'spec.phase: Unsupported value: "AUTH": supported values: "UNSPECIFIED_PHASE", "AUTHN", "AUTHZ", "STATS"',
  ],
  [
    "WasmPlugin's phase spelling in a TrafficExtension",
    "TrafficExtension",
    "1.32",
    { phase: "UNSPECIFIED_PHASE", wasm: WASM },
    'spec.phase: Unsupported value: "UNSPECIFIED_PHASE": supported values: "UNSPECIFIED", "AUTHN", "AUTHZ", "STATS"',
  ],
  [
    "registry:port/repo without scheme",
    "WasmPlugin",
    "1.32",
    { url: "registry.example.com:5000/f/h:v1" },
    'spec.url: Invalid value: "string": url must have schema one of [http, https, file, oci]',
  ],
  [
    "ftp url",
    "TrafficExtension",
    "1.32",
    { wasm: { url: "ftp://example.com/h.wasm" } },
    'spec.wasm.url: Invalid value: "string": url must have schema one of [http, https, file, oci]',
  ],
  [
    "empty url",
    "TrafficExtension",
    "1.32",
    { wasm: { url: "" } },
    'spec.wasm.url: Invalid value: "": spec.wasm.url in body should be at least 1 chars long',
  ],
  [
    "sha256 not 64 hex",
    "WasmPlugin",
    "1.32",
    { ...WASM, sha256: "abc123" },
    "spec.sha256: Invalid value: \"abc123\": spec.sha256 in body should match '(^$|^[a-f0-9]{64}$)'",
  ],
  [
    "FAIL_RELOAD before 1.27",
    "WasmPlugin",
    "1.26",
    { ...WASM, failStrategy: "FAIL_RELOAD" },
    'spec.failStrategy: Unsupported value: "FAIL_RELOAD": supported values: "FAIL_CLOSE", "FAIL_OPEN"',
  ],
  [
    "selector and targetRefs",
    "WasmPlugin",
    "1.32",
    { ...WASM, selector: { matchLabels: { app: "web" } }, targetRefs: [{ kind: "Service", name: "web" }] },
    'spec: Invalid value: "object": only one of targetRefs or selector can be set',
  ],
  [
    "selector and targetRefs (TrafficExtension)",
    "TrafficExtension",
    "1.32",
    { wasm: WASM, selector: { matchLabels: { app: "web" } }, targetRefs: [{ kind: "Service", name: "web" }] },
    'spec: Invalid value: "object": only one of targetRefs or selector can be set',
  ],
  [
    "wildcard label value",
    "WasmPlugin",
    "1.32",
    { ...WASM, selector: { matchLabels: { app: "web-*" } } },
    'spec.selector.matchLabels[app]: Invalid value: "string": wildcard not allowed in label value match',
  ],
  [
    "wildcard label key",
    "WasmPlugin",
    "1.32",
    { ...WASM, selector: { matchLabels: { "app*": "web" } } },
    'spec.selector.matchLabels: Invalid value: "object": wildcard not allowed in label key match',
  ],
  [
    "empty label key",
    "TrafficExtension",
    "1.32",
    { wasm: WASM, selector: { matchLabels: { "": "web" } } },
    'spec.selector.matchLabels: Invalid value: "object": key must not be empty',
  ],
  [
    "targetRef in another namespace",
    "WasmPlugin",
    "1.32",
    {
      ...WASM,
      targetRefs: [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "ingress", namespace: "other" }],
    },
    'spec.targetRefs[0].namespace: Invalid value: "string": cross namespace referencing is not currently supported',
  ],
  [
    "deprecated targetRef to a Deployment",
    "WasmPlugin",
    "1.24",
    { ...WASM, targetRef: { group: "apps", kind: "Deployment", name: "web" } },
    'spec.targetRef: Invalid value: "object": Support kinds are core/Service, networking.istio.io/ServiceEntry, gateway.networking.k8s.io/Gateway',
  ],
  [
    "17 targetRefs",
    "WasmPlugin",
    "1.32",
    { ...WASM, targetRefs: Array.from({ length: 17 }, (_, i) => ({ kind: "Service", name: `s${i}` })) },
    "spec.targetRefs: Too many: 17: must have at most 16 items",
  ],
  [
    "targetRef kind with a space",
    "TrafficExtension",
    "1.32",
    { wasm: WASM, targetRefs: [{ kind: "Cool Service", name: "web" }] },
    "spec.targetRefs[0].kind: Invalid value: \"Cool Service\": spec.targetRefs[0].kind in body should match '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$'",
  ],
  [
    "repeated port",
    "WasmPlugin",
    "1.32",
    { ...WASM, match: [{ ports: [{ number: 8080 }, { number: 8080 }] }] },
    'spec.match[0].ports[1]: Duplicate value: {"number":8080}',
  ],
  [
    "repeated port (TrafficExtension)",
    "TrafficExtension",
    "1.32",
    { wasm: WASM, match: [{ ports: [{ number: 443 }, { number: 443 }] }] },
    'spec.match[0].ports[1]: Duplicate value: {"number":443}',
  ],
  [
    "port 0",
    "WasmPlugin",
    "1.32",
    { ...WASM, match: [{ ports: [{ number: 0 }] }] },
    "spec.match[0].ports[0].number: Invalid value: 0: spec.match[0].ports[0].number in body should be greater than or equal to 1",
  ],
  [
    "match mode not in the enum",
    "WasmPlugin",
    "1.32",
    { ...WASM, match: [{ mode: "INBOUND" }] },
    'spec.match[0].mode: Unsupported value: "INBOUND": supported values: "UNDEFINED", "CLIENT", "SERVER", "CLIENT_AND_SERVER"',
  ],
  [
    "repeated env name",
    "WasmPlugin",
    "1.32",
    {
      ...WASM,
      vmConfig: {
        env: [
          { name: "MODE", value: "a" },
          { name: "MODE", value: "b" },
        ],
      },
    },
    'spec.vmConfig.env[1]: Duplicate value: {"name":"MODE"}',
  ],
  [
    "repeated env name (TrafficExtension)",
    "TrafficExtension",
    "1.32",
    {
      wasm: {
        ...WASM,
        vmConfig: {
          env: [
            { name: "POD", valueFrom: "HOST" },
            { name: "POD", valueFrom: "HOST" },
          ],
        },
      },
    },
    'spec.wasm.vmConfig.env[1]: Duplicate value: {"name":"POD"}',
  ],
  [
    "HOST env with a value",
    "WasmPlugin",
    "1.32",
    { ...WASM, vmConfig: { env: [{ name: "POD", valueFrom: "HOST", value: "x" }] } },
    'spec.vmConfig.env[0]: Invalid value: "object": value may only be set when valueFrom is INLINE',
  ],
  [
    "env source not in the enum",
    "WasmPlugin",
    "1.32",
    { ...WASM, vmConfig: { env: [{ name: "POD", valueFrom: "SECRET" }] } },
    'spec.vmConfig.env[0].valueFrom: Unsupported value: "SECRET": supported values: "INLINE", "HOST"',
  ],
  [
    "env value over 2048 bytes",
    "WasmPlugin",
    "1.32",
    { ...WASM, vmConfig: { env: [{ name: "BIG", value: "x".repeat(2049) }] } },
    "spec.vmConfig.env[0].value: Too long: may not be more than 2048 bytes",
  ],
  [
    "empty pluginName",
    "WasmPlugin",
    "1.32",
    { ...WASM, pluginName: "" },
    'spec.pluginName: Invalid value: "": spec.pluginName in body should be at least 1 chars long',
  ],
  [
    "pull policy Never",
    "WasmPlugin",
    "1.32",
    { ...WASM, imagePullPolicy: "Never" },
    'spec.imagePullPolicy: Unsupported value: "Never": supported values: "UNSPECIFIED_POLICY", "IfNotPresent", "Always"',
  ],
  [
    "type TCP",
    "TrafficExtension",
    "1.32",
    { wasm: { ...WASM, type: "TCP" } },
    'spec.wasm.type: Unsupported value: "TCP": supported values: "UNSPECIFIED_PLUGIN_TYPE", "HTTP", "NETWORK"',
  ],
  [
    "priority as text",
    "WasmPlugin",
    "1.32",
    { ...WASM, priority: "high" },
    'spec.priority: Invalid value: "high": spec.priority in body must be of type integer: "string"',
  ],
  [
    "misspelt field",
    "WasmPlugin",
    "1.32",
    { ...WASM, pluginConfg: { a: 1 } },
    'spec.pluginConfg: unknown field "spec.pluginConfg"',
  ],
  [
    "both wasm and lua",
    "TrafficExtension",
    "1.32",
    { wasm: WASM, lua: { inlineCode: "function envoy_on_request(h) end" } },
    'spec: Invalid value: "object": exactly one of wasm or lua must be set',
  ],
  [
    "neither wasm nor lua",
    "TrafficExtension",
    "1.32",
    { phase: "STATS" },
    'spec: Invalid value: "object": exactly one of wasm or lua must be set',
  ],
  [
    "empty lua code",
    "TrafficExtension",
    "1.32",
    { lua: { inlineCode: "" } },
    'spec.lua.inlineCode: Invalid value: "": spec.lua.inlineCode in body should be at least 1 chars long',
  ],
  [
    "upper-case resource name",
    "WasmPlugin",
    "1.32",
    (r) => {
      r.metadata.name = "Headers_Filter";
    },
    'metadata.name: Invalid value: "Headers_Filter": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters',
  ],
];

function manifest(kind: "WasmPlugin" | "TrafficExtension", change: Spec | ((r: IstioResource) => void)): IstioResource {
  const resource: IstioResource = {
    apiVersion: "extensions.istio.io/v1alpha1",
    kind,
    metadata: { name: "headers", namespace: "shop" },
    spec: typeof change === "function" ? { ...WASM } : change,
  };
  if (typeof change === "function") change(resource);
  return resource;
}

describe("invalid manifests are refused with the CRD's message", () => {
  test("the table has at least 20 cases, each different", () => {
    expect(REFUSALS.length).toBeGreaterThanOrEqual(20);
    expect(new Set(REFUSALS.map((r) => r[0])).size).toBe(REFUSALS.length);
  });

  test.each(REFUSALS)("%s (%s, Istio %s)", (_, kind, version, change, message) => {
    const resource = manifest(kind, change);
    const problems = validateResource(resource, { istioVersion: version });
    expect(
      problems.some((p) => p.startsWith(message)),
      `got:\n${problems.join("\n")}`,
    ).toBe(true);
    // Through YAML, as `kubectl apply -f` would send it, the refusal is the same and names the version.
    expect(() => parseResourcesYaml(resourcesToYaml([resource]), "manifest", { istioVersion: version })).toThrow(
      `for Istio ${version}`,
    );
  });

  test("each case becomes valid when its one mistake is fixed (the cases test the rule, not something else)", () => {
    const fixed: IstioResource[] = [
      manifest("WasmPlugin", {
        ...WASM,
        phase: "AUTHN",
        sha256: "a".repeat(64),
        selector: { matchLabels: { app: "web" } },
        match: [{ mode: "SERVER", ports: [{ number: 8080 }, { number: 8443 }] }],
        vmConfig: {
          env: [
            { name: "MODE", value: "a" },
            { name: "POD", valueFrom: "HOST" },
          ],
        },
        priority: -5,
      }),
      manifest("WasmPlugin", {
        ...WASM,
        targetRefs: [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "ingress" }],
        failStrategy: "FAIL_OPEN",
      }),
      manifest("WasmPlugin", { ...WASM, targetRef: { group: "", kind: "Service", name: "web" } }),
      manifest("TrafficExtension", {
        phase: "UNSPECIFIED",
        wasm: { ...WASM, url: "registry.example.com/f/h:v1", type: "NETWORK" },
      }),
      manifest("TrafficExtension", { lua: { inlineCode: "function envoy_on_request(h) end" } }),
    ];
    for (const resource of fixed) expect(validateResource(resource, { istioVersion: "1.32" })).toEqual([]);
    expect(
      validateResource(manifest("WasmPlugin", { ...WASM, failStrategy: "FAIL_OPEN" }), { istioVersion: "1.24" }),
    ).toEqual([]);
  });

  test("TrafficExtension does not exist before Istio 1.30", () => {
    expect(() => validateResource(manifest("TrafficExtension", { wasm: WASM }), { istioVersion: "1.29" })).toThrow(
      /Istio 1\.29 has no TrafficExtension resource[\s\S]*needs Istio 1\.30/,
    );
  });

  test("README.md lists every refusal with its message", () => {
    const readme = readFileSync(new URL("./README.md", import.meta.url), "utf8");
    for (const [what, , , , message] of REFUSALS) {
      expect(readme, what).toContain(`| ${what} |`);
      expect(readme, what).toContain(message.replace(/\|/g, "\\|"));
    }
  });
});
