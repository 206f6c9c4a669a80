// `istio wasmplugin --selector` (and buildWasmPlugin / validateResource) check label keys and values by Kubernetes'
// label rules (issue #24 item 7): a key is an optional DNS-1123 subdomain prefix (≤ 253) and '/', then a name of
// ≤ 63 characters [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?; a value is empty or such a name.
import { describe, expect, test } from "vitest";
import { runCli } from "./cli.ts";
import { labelKeyProblems, labelValueProblems } from "./labels.ts";
import { buildWasmPlugin, validateResource } from "./wasmplugin.ts";

const name63 = "a".repeat(63);
/** A DNS-1123 subdomain of exactly 253 characters, the longest prefix. */
const prefix253 = `${"p".repeat(63)}.${"q".repeat(63)}.${"r".repeat(63)}.${"s".repeat(61)}`;

describe("label keys", () => {
  test("the longest prefix is 253 characters", () => expect(prefix253).toHaveLength(253));

  test.each([
    "app",
    "App_1.x-y",
    "9",
    name63,
    "app.kubernetes.io/name",
    "example.com/MyName",
    `${prefix253}/${name63}`,
  ])("%s is a label key", (key) => {
    expect(labelKeyProblems(key)).toEqual([]);
  });

  test.each([
    ["", /^name part must be non-empty$/],
    ["a b", /^name part must consist of alphanumeric characters/],
    ["-app", /^name part must consist of alphanumeric characters/],
    ["app-", /^name part must consist of alphanumeric characters/],
    ["app*", /^name part must consist of alphanumeric characters/],
    [`${name63}a`, /^name part must be no more than 63 characters$/],
    ["/app", /^prefix part must be non-empty$/],
    ["Example.com/app", /^prefix part a lowercase RFC 1123 subdomain must consist of/],
    ["example_com/app", /^prefix part a lowercase RFC 1123 subdomain must consist of/],
    [`${prefix253}x/app`, /^prefix part must be no more than 253 characters$/],
    ["example.com/", /^name part must be non-empty$/],
    ["a/b/c", /^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/'/],
  ] as const)("%j is refused", (key, message) => {
    const problems = labelKeyProblems(key);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(message);
  });
});

describe("label values", () => {
  test.each(["", "web", "v1.2_3-x", name63])("%j is a label value", (value) => {
    expect(labelValueProblems(value)).toEqual([]);
  });

  test.each([
    [`${name63}a`, /^must be no more than 63 characters$/],
    ["a b", /^a valid label must be an empty string or consist of/],
    ["-web", /^a valid label must be an empty string or consist of/],
    ["web/x", /^a valid label must be an empty string or consist of/],
  ] as const)("%j is refused", (value, message) => {
    expect(labelValueProblems(value)[0]).toMatch(message);
  });
});

describe("selectors of generated and read resources", () => {
  const metadata = { name: "headers", url: "oci://127.0.0.1:5000/headers:v1" };

  test("buildWasmPlugin refuses a selector key Kubernetes refuses, naming the field and the key", () => {
    expect(() => buildWasmPlugin({ ...metadata, selector: { "my app": "web" } })).toThrow(
      /spec\.selector\.matchLabels: Invalid value: "my app": name part must consist of .*no pod can carry this label/,
    );
    expect(buildWasmPlugin({ ...metadata, selector: { "app.kubernetes.io/name": "web" } }).spec.selector).toEqual({
      matchLabels: { "app.kubernetes.io/name": "web" },
    });
  });

  test("validateResource checks TrafficExtension selectors too", () => {
    const resource = {
      apiVersion: "extensions.istio.io/v1alpha1",
      kind: "TrafficExtension",
      metadata: { name: "headers", namespace: "default" },
      spec: { selector: { matchLabels: { app: "-web" } }, wasm: { url: metadata.url } },
    };
    expect(validateResource(resource, { istioVersion: "1.32" })).toEqual([
      expect.stringMatching(/^spec\.selector\.matchLabels: Invalid value: "-web": a valid label must be/),
    ]);
  });

  test("`istio wasmplugin --selector` refuses a bad key with exit code 1 and accepts a prefixed one", async () => {
    let out = "";
    const print = (text: string) => {
      out += `${text}\n`;
    };
    const args = ["wasmplugin", "--name", "headers", "--url", metadata.url];
    expect(await runCli([...args, "--selector", "my app=web"], print)).toBe(1);
    expect(out).toMatch(
      /^error: invalid WasmPlugin "headers" for Istio .*\n {2}- spec\.selector\.matchLabels: Invalid value: "my app": name part/,
    );
    expect(out).not.toMatch(/^ {4}at /m);
    out = "";
    expect(await runCli([...args, "--selector", "Team/app=web"], print)).toBe(1);
    expect(out).toMatch(/prefix part a lowercase RFC 1123 subdomain/);
    out = "";
    expect(await runCli([...args, "--selector", "example.com/app=web"], print)).toBe(0);
    expect(out).toMatch(/example\.com\/app: web/);
  });
});
