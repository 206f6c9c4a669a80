// Invalid EnvoyExtensionPolicy resources, each refused with the message the API server gives for the real CRD of the
// pinned Envoy Gateway release (the CEL rule's own `message`, or the structural-schema wording), then the checks
// Envoy Gateway's translator makes where the CRD is silent (rules.ts). Every case is one mistake on a valid policy:
// the last tests show the valid policy passes, and README.md lists the refusals.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { extensionPoliciesToYaml, parseExtensionPoliciesYaml, validateExtensionPolicy } from "./policy.ts";
import type { EnvoyExtensionPolicy } from "./policy-types.ts";

const GROUP = "gateway.networking.k8s.io";
const SHA = "a".repeat(64);

/** A valid policy: an HTTP module attached to one HTTPRoute rule. */
function valid(): EnvoyExtensionPolicy {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "EnvoyExtensionPolicy",
    metadata: { name: "headers", namespace: "default" },
    spec: {
      targetRefs: [{ group: GROUP, kind: "HTTPRoute", name: "backend", sectionName: "rule-1" }],
      wasm: [
        {
          name: "headers",
          rootID: "headers",
          code: { type: "HTTP", http: { url: "https://wasm.example.com/headers.wasm", sha256: SHA } },
          config: { header: "x-hello" },
          failOpen: false,
          env: { hostKeys: ["POD_NAME"] },
        },
      ],
    },
  };
}

type Spec = Record<string, unknown>;
/** One mistake made on a policy, seen as plain JSON (the mistakes are not valid TypeScript of the resource). */
type Change = (p: { spec: Spec & { wasm: Spec[] } }) => void;
const wasm0 = (p: Parameters<Change>[0]) => p.spec.wasm[0] as unknown as Spec & { code: Spec };
const image =
  (change: Spec = {}): Change =>
  (p) => {
    wasm0(p).code = { type: "Image", image: { url: "registry.example.com/filters/headers:v1", ...change } };
  };

/** [what is wrong, the change, every refusal]: messages of the CRD (schema or CEL). */
const CRD_REFUSALS: [string, Change, string[]][] = [
  [
    "code type ConfigMap",
    (p) => {
      wasm0(p).code.type = "ConfigMap";
      delete wasm0(p).code.http;
    },
    ['spec.wasm[0].code.type: Unsupported value: "ConfigMap": supported values: "HTTP", "Image"'],
  ],
  [
    "type HTTP without http",
    (p) => {
      delete wasm0(p).code.http;
    },
    ['spec.wasm[0].code: Invalid value: "object": If type is HTTP, http field needs to be set.'],
  ],
  [
    "type Image with http instead of image",
    (p) => {
      wasm0(p).code.type = "Image";
    },
    [
      'spec.wasm[0].code: Invalid value: "object": If type is HTTP, http field needs to be set.',
      'spec.wasm[0].code: Invalid value: "object": If type is Image, image field needs to be set.',
    ],
  ],
  [
    "no code",
    (p) => {
      delete (wasm0(p) as Spec).code;
    },
    ["spec.wasm[0].code: Required value"],
  ],
  [
    "http without url",
    (p) => {
      wasm0(p).code.http = { sha256: SHA };
    },
    ["spec.wasm[0].code.http.url: Required value"],
  ],
  [
    "pull policy Never",
    (p) => {
      wasm0(p).code.pullPolicy = "Never";
    },
    ['spec.wasm[0].code.pullPolicy: Unsupported value: "Never": supported values: "IfNotPresent", "Always"'],
  ],
  [
    "pull secret of kind ConfigMap",
    image({ pullSecretRef: { kind: "ConfigMap", name: "creds" } }),
    ['spec.wasm[0].code.image.pullSecretRef: Invalid value: "object": only support Secret kind.'],
  ],
  [
    "failOpen as a string",
    (p) => {
      wasm0(p).failOpen = "yes";
    },
    ['spec.wasm[0].failOpen: Invalid value: "yes": spec.wasm[0].failOpen in body must be of type boolean: "string"'],
  ],
  [
    "Istio's vmConfig in a Wasm extension",
    (p) => {
      wasm0(p).vmConfig = { env: [{ name: "A", value: "b" }] };
    },
    ['spec.wasm[0].vmConfig: unknown field "spec.wasm[0].vmConfig"'],
  ],
  [
    "hostKeys as a string",
    (p) => {
      wasm0(p).env = { hostKeys: "POD_NAME" };
    },
    [
      'spec.wasm[0].env.hostKeys: Invalid value: "POD_NAME": spec.wasm[0].env.hostKeys in body must be of type array: "string"',
    ],
  ],
  [
    "17 Wasm extensions",
    (p) => {
      p.spec.wasm = Array.from({ length: 17 }, () => structuredClone(wasm0(p)));
    },
    ["spec.wasm: Too many: 17: must have at most 16 items"],
  ],
  [
    "target of kind Service",
    (p) => {
      p.spec.targetRefs = [{ group: GROUP, kind: "Service", name: "backend" }];
    },
    [
      'spec: Invalid value: "object": this policy can only have a targetRefs[*].kind of Gateway/ListenerSet/HTTPRoute/GRPCRoute/TCPRoute/UDPRoute/TLSRoute',
    ],
  ],
  [
    "target in the core group",
    (p) => {
      p.spec.targetRefs = [{ group: "", kind: "HTTPRoute", name: "backend" }];
    },
    ['spec: Invalid value: "object": this policy can only have a targetRefs[*].group of gateway.networking.k8s.io'],
  ],
  [
    "target without a name",
    (p) => {
      p.spec.targetRefs = [{ group: GROUP, kind: "Gateway" } as never];
    },
    ["spec.targetRefs[0].name: Required value"],
  ],
  [
    "section name with capitals",
    (p) => {
      p.spec.targetRefs = [{ group: GROUP, kind: "Gateway", name: "eg", sectionName: "HTTP_Listener" }];
    },
    [
      "spec.targetRefs[0].sectionName: Invalid value: \"HTTP_Listener\": spec.targetRefs[0].sectionName in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'",
    ],
  ],
  [
    "no target",
    (p) => {
      delete p.spec.targetRefs;
    },
    ['spec: Invalid value: "object": either targetRef or targetRefs must be used'],
  ],
  [
    "targetRef and targetRefs",
    (p) => {
      p.spec.targetRef = { group: GROUP, kind: "Gateway", name: "eg" };
    },
    ['spec: Invalid value: "object": either targetRef or targetRefs must be used'],
  ],
  [
    "mergeType on a Gateway target",
    (p) => {
      p.spec.targetRefs = [{ group: GROUP, kind: "Gateway", name: "eg" }];
      p.spec.mergeType = "StrategicMerge";
    },
    ['spec: Invalid value: "object": mergeType can only be used with xRoute targets'],
  ],
  [
    "mergeType Replace",
    (p) => {
      p.spec.mergeType = "Replace";
    },
    ['spec.mergeType: Invalid value: "string": Replace is not a valid MergeType for EnvoyExtensionPolicy'],
  ],
  [
    "target selector in another group",
    (p) => {
      delete p.spec.targetRefs;
      p.spec.targetSelectors = [{ group: "example.com", kind: "HTTPRoute", matchLabels: { app: "web" } }];
    },
    ['spec.targetSelectors[0]: Invalid value: "object": group must be gateway.networking.k8s.io'],
  ],
  [
    "namespaces from Selector without a selector",
    (p) => {
      delete p.spec.targetRefs;
      p.spec.targetSelectors = [{ kind: "HTTPRoute", namespaces: { from: "Selector" }, matchLabels: { app: "web" } }];
    },
    ['spec.targetSelectors[0].namespaces: Invalid value: "object": selector must be specified when from is Selector'],
  ],
];

/** [what is wrong, the change, every refusal]: what Envoy Gateway's translator refuses that the CRD lets through. */
const TRANSLATOR_REFUSALS: [string, Change, string[]][] = [
  [
    "sha256 in capitals",
    (p) => {
      (wasm0(p).code.http as Spec).sha256 = "A".repeat(64);
    },
    [
      `spec.wasm[0].code.http.sha256: Invalid value: "${"A".repeat(64)}": must be 64 lowercase hex digits (Envoy Gateway compares it with the hex sha256 of the download; the CRD does not check it)`,
    ],
  ],
  [
    "oci:// url as HTTP code",
    (p) => {
      (wasm0(p).code.http as Spec).url = "oci://registry.example.com/filters/headers:v1";
    },
    [
      'spec.wasm[0].code.http.url: Invalid value: "oci://registry.example.com/filters/headers:v1": unsupported Wasm module downloading URL scheme: oci (Envoy Gateway fetches HTTP code from http:// or https:// only)',
    ],
  ],
  [
    "https:// url as an image",
    image({ url: "https://registry.example.com/filters/headers:v1" }),
    [
      'spec.wasm[0].code.image.url: Invalid value: "https://registry.example.com/filters/headers:v1": an image reference is registry/repository:tag or @sha256:<digest>, with oci:// or no scheme (Envoy Gateway prefixes oci:// itself)',
    ],
  ],
  [
    "image digest in the url is not sha256",
    image({ url: `registry.example.com/filters/headers@sha256:${"b".repeat(64)}`, sha256: SHA }),
    [
      `spec.wasm[0].code.image.sha256: does not match the @sha256 digest in the url (${"b".repeat(64)}): Envoy Gateway pulls that manifest and compares its digest with sha256`,
    ],
  ],
  [
    "empty targetRefs",
    (p) => {
      p.spec.targetRefs = [];
    },
    ["spec.targetRefs: Required value: the list is empty, so the policy attaches to nothing"],
  ],
];

function broken(change: Change): EnvoyExtensionPolicy {
  const policy = valid();
  change(policy as unknown as Parameters<Change>[0]);
  return policy;
}

describe("EnvoyExtensionPolicy refusals (Envoy Gateway's CRD)", () => {
  test("the valid policy and its Image twin pass", () => {
    expect(validateExtensionPolicy(valid())).toEqual([]);
    expect(
      validateExtensionPolicy(broken(image({ sha256: SHA, pullSecretRef: { kind: "Secret", name: "creds" } }))),
    ).toEqual([]);
    expect(validateExtensionPolicy(broken(image({ url: `oci://registry.example.com/f/h@sha256:${SHA}` })))).toEqual([]);
  });

  test(`at least 15 CRD refusals (${CRD_REFUSALS.length})`, () => {
    expect(CRD_REFUSALS.length).toBeGreaterThanOrEqual(15);
  });

  test.each(CRD_REFUSALS)("%s", (_what, change, refusals) => {
    expect(validateExtensionPolicy(broken(change))).toEqual(refusals);
  });

  test.each(TRANSLATOR_REFUSALS)("Envoy Gateway's translator: %s", (_what, change, refusals) => {
    expect(validateExtensionPolicy(broken(change))).toEqual(refusals);
  });

  test("through YAML, as `kubectl apply -f` sends it, the refusal is the same and names the release", () => {
    const policy = broken(CRD_REFUSALS[1]![1]);
    expect(() => parseExtensionPoliciesYaml(extensionPoliciesToYaml([policy]), "policy.yaml")).toThrow(
      /invalid EnvoyExtensionPolicy "headers" for Envoy Gateway v\d+\.\d+\.\d+:\n {2}- spec\.wasm\[0\]\.code: Invalid value: "object": If type is HTTP, http field needs to be set\.\nFix: .*github\.com\/envoyproxy\/gateway@v/,
    );
  });

  test("README.md lists every refusal with its message", () => {
    const readme = readFileSync(new URL("./README.md", import.meta.url), "utf8");
    for (const [what, , messages] of [...CRD_REFUSALS, ...TRANSLATOR_REFUSALS]) {
      expect(readme, what).toContain(`| ${what} |`);
      expect(readme, what).toContain(messages[0]!.replace(/\|/g, "\\|"));
    }
  });
});
