// Every manifest `wasmplugin` generates for the sample filters (filters/*), both kinds, validated against the real
// CRD of every pinned Istio version that serves the kind: WasmPlugin for 1.24–1.32, TrafficExtension for 1.30–1.32.
// Generated through the CLI (as a user would), parsed back from its YAML output, and checked independently with
// validateResource for each version.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments, stringify } from "yaml";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "./cli.ts";
import { kindsServedBy, pinnedIstioMinors } from "./crds.ts";
import { packageWasm } from "./image.ts";
import { validateResource, type IstioResource } from "./wasmplugin.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FILTERS = readdirSync(join(ROOT, "filters"))
  .filter((name) => existsSync(join(ROOT, "filters", name, "index.ts")))
  .sort();
const METADATA = parse(readFileSync(join(ROOT, "istio", "filters.metadata.yaml"), "utf8")) as Record<
  string,
  Record<string, unknown>
>;

/** The digest `push` would print: from the built module when there is one (npm test builds them), else of the source. */
function sha256Of(filter: string): string {
  const built = join(ROOT, "build", `${filter}.wasm`);
  if (!existsSync(built)) return "";
  return packageWasm(readFileSync(built)).digest.slice("sha256:".length);
}

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function generate(filter: string, kind: string, istioVersion: string): Promise<IstioResource[]> {
  const dir = await mkdtemp(join(tmpdir(), "pwas-sample-"));
  dirs.push(dir);
  const metadataFile = join(dir, "metadata.yaml");
  await writeFile(metadataFile, stringify({ name: filter, pluginName: filter, ...METADATA[filter] }));
  const sha = sha256Of(filter);
  const out: string[] = [];
  const args = [
    "wasmplugin",
    "--metadata",
    metadataFile,
    "--url",
    `oci://registry.example.com/proxy-wasm-as/${filter}:v0.1.0`,
    "--kind",
    kind,
    "--istio-version",
    istioVersion,
  ];
  const code = await runCli(sha ? [...args, "--sha256", sha] : args, (t) => out.push(t));
  expect(code, out.join("\n")).toBe(0);
  return parseAllDocuments(out.join("\n")).map((d) => d.toJS() as IstioResource);
}

test("every sample filter has Istio metadata", () => {
  expect(Object.keys(METADATA).sort()).toEqual(FILTERS);
});

describe.each(pinnedIstioMinors())("Istio %s", (istioVersion) => {
  test.each(FILTERS)("%s: every kind this Istio serves is generated and valid against its CRD", async (filter) => {
    const kinds = kindsServedBy(istioVersion);
    const kind = kinds.length === 2 ? "both" : kinds[0]!;
    const resources = await generate(filter, kind, istioVersion);
    expect(resources.map((r) => r.kind)).toEqual(kinds);
    for (const resource of resources) {
      expect(validateResource(resource, { istioVersion })).toEqual([]);
      expect(resource.metadata.name).toBe(filter);
    }
  });
});

test("asking for a TrafficExtension from an Istio without it is a clear error", async () => {
  const out: string[] = [];
  expect(
    await runCli(
      [
        "wasmplugin",
        "--name",
        "headers",
        "--url",
        "oci://r.example.com/h:v1",
        "--kind",
        "TrafficExtension",
        "--istio-version",
        "1.29",
      ],
      (t) => out.push(t),
    ),
  ).toBe(1);
  expect(out.join("\n")).toMatch(/Istio 1\.29 has no TrafficExtension resource[\s\S]*needs Istio 1\.30/);
});
