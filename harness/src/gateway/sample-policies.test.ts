// Every sample filter (filters/*) gets an EnvoyExtensionPolicy through the CLI, as a user would write it: once with
// its module served over HTTP (sha256 computed from build/<filter>.wasm, which the test run's global setup builds) and
// once from an OCI image (sha256: the digest `push` prints), attached to an HTTPRoute rule and to a Gateway listener.
// Each is parsed back from the YAML output and validated independently against the pinned Envoy Gateway CRD. The
// root id and configuration are the filter's Istio metadata (istio/filters.metadata.yaml). A network filter has no
// Envoy Gateway policy: Envoy Gateway loads Wasm as HTTP filters only, and the command says so.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { runProxyWasmAs } from "../cli/dispatch.ts";
import { packageWasm } from "../packaging/image.ts";
import { validateExtensionPolicy } from "./policy.ts";
import type { EnvoyExtensionPolicy } from "./policy-types.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FILTERS = readdirSync(join(ROOT, "filters"))
  .filter((name) => existsSync(join(ROOT, "filters", name, "index.ts")))
  .sort();
const METADATA = parse(readFileSync(join(ROOT, "istio", "filters.metadata.yaml"), "utf8")) as Record<
  string,
  { pluginName?: string; pluginConfig?: unknown; type?: string }
>;
const NETWORK = FILTERS.filter((f) => METADATA[f]?.type === "NETWORK");
const HTTP = FILTERS.filter((f) => !NETWORK.includes(f));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runProxyWasmAs(["gateway", "policy", ...args], {
    print: (t) => out.push(t),
    info: (t) => err.push(t),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

function moduleOf(filter: string): Buffer {
  const path = join(ROOT, "build", `${filter}.wasm`);
  expect(existsSync(path), `${path} (built by the test run's global setup)`).toBe(true);
  return readFileSync(path);
}

function common(filter: string): string[] {
  const m = METADATA[filter] ?? {};
  return [
    "--name",
    filter,
    "--root-id",
    m.pluginName ?? filter,
    ...(m.pluginConfig !== undefined ? ["--config", JSON.stringify(m.pluginConfig)] : []),
  ];
}

async function policyFrom(args: string[]): Promise<EnvoyExtensionPolicy> {
  const { code, out, err } = await cli(args);
  expect(code, err).toBe(0);
  const docs = parseAllDocuments(out).map((d) => d.toJS() as EnvoyExtensionPolicy);
  expect(docs).toHaveLength(1);
  return docs[0]!;
}

test("the sample filters are found, and tcp-guard is the network one", () => {
  expect(FILTERS.length).toBeGreaterThanOrEqual(10);
  expect(NETWORK).toEqual(["tcp-guard"]);
});

describe.each(HTTP)("%s", (filter) => {
  test("HTTP code source: sha256 of the built module, attached to an HTTPRoute rule, valid against the CRD", async () => {
    const wasm = moduleOf(filter);
    const policy = await policyFrom([
      ...common(filter),
      "--url",
      `https://wasm.example.com/proxy-wasm-as/${filter}.wasm`,
      "--wasm",
      join(ROOT, "build", `${filter}.wasm`),
      "--target-ref",
      "HTTPRoute/backend:rule-1",
    ]);
    expect(validateExtensionPolicy(policy)).toEqual([]);
    const [extension] = policy.spec.wasm!;
    expect(extension!.code).toEqual({
      type: "HTTP",
      http: {
        url: `https://wasm.example.com/proxy-wasm-as/${filter}.wasm`,
        sha256: createHash("sha256").update(wasm).digest("hex"),
      },
    });
    expect(extension!.rootID).toBe(METADATA[filter]?.pluginName ?? filter);
    expect(extension!.config).toEqual(METADATA[filter]?.pluginConfig);
    expect(policy.spec.targetRefs).toEqual([
      { group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "backend", sectionName: "rule-1" },
    ]);
  });

  test("Image code source: the pushed image's digest, attached to a Gateway listener, valid against the CRD", async () => {
    const digest = packageWasm(moduleOf(filter)).digest.slice("sha256:".length);
    const policy = await policyFrom([
      ...common(filter),
      "--url",
      `registry.example.com/proxy-wasm-as/${filter}:v0.1.0`,
      "--sha256",
      digest,
      "--target-ref",
      "Gateway/eg:http",
      "--pull-secret",
      "regcred",
      "--fail-open",
    ]);
    expect(validateExtensionPolicy(policy)).toEqual([]);
    expect(policy.spec.wasm![0]!.code).toEqual({
      type: "Image",
      image: {
        url: `registry.example.com/proxy-wasm-as/${filter}:v0.1.0`,
        sha256: digest,
        pullSecretRef: { kind: "Secret", name: "regcred" },
      },
    });
    expect(policy.spec.wasm![0]!.failOpen).toBe(true);
  });
});

test.each(NETWORK)("%s: a network filter gets no policy, and the command says why", async (filter) => {
  const { code, err } = await cli([
    ...common(filter),
    "--url",
    `https://wasm.example.com/${filter}.wasm`,
    "--wasm",
    join(ROOT, "build", `${filter}.wasm`),
    "--target-ref",
    "Gateway/eg",
  ]);
  expect(code).toBe(1);
  expect(err).toContain(
    "the module is a network (TCP) filter, but Envoy Gateway loads Wasm extensions as HTTP filters only",
  );
});
