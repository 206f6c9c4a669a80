// WebAssembly Hub's job in any OCI registry (#23 item 5), against a real registry on loopback (docker-registry):
// three sample filters pushed by the real CLI (`istio push`, one per image format) carry the OCI annotations and
// their module facts; `inspect` and `list` (real CLI, in process) print them, and the facts are checked against the
// modules themselves, read with WebAssembly.Module (not our parser) and node:crypto. Istio's fetch rules still
// accept every annotated image, and the same inputs with SOURCE_DATE_EPOCH give the same digest.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runProxyWasmAs } from "../cli/index.ts";
import { listRepositories } from "./catalog.ts";
import { imageFromParts, packageWasm, type ImageFormat } from "./image.ts";
import { inspectImage, listModules, type ImageInspection, type RegistryModules } from "./inspect.ts";
import { pullWasmLikeIstio } from "./istio-fetch.ts";
import { startLocalRegistry, type LocalRegistry } from "./local-registry.ts";
import * as mt from "./media-types.ts";
import { pushImage } from "./registry.ts";
import { sampleWasm } from "./test-support.ts";

const BUILD = (name: string) => fileURLToPath(new URL(`../../../build/${name}.wasm`, import.meta.url));
/** The three sample filters pushed, one per image format. */
const MODULES: { name: string; format: ImageFormat }[] = [
  { name: "headers", format: "compat" },
  { name: "api-key-auth", format: "compat-docker" },
  { name: "rate-limit", format: "artifact" },
];
const EPOCH = "1765148400"; // 2025-12-07T23:00:00Z

/** What the module is, found without the harness's own wasm reader. */
function expectedFacts(wasm: Buffer) {
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(new Uint8Array(wasm)))
    .filter((e) => e.kind === "function")
    .map((e) => e.name);
  return {
    sha256: createHash("sha256").update(wasm).digest("hex"),
    size: wasm.length,
    abiVersions: exports.filter((n) => n.startsWith("proxy_abi_version_")).map((n) => n.slice(18).replaceAll("_", ".")),
    exports: exports.filter((n) => n.startsWith("proxy_on_")).sort(),
  };
}

/** Runs `proxy-wasm-as <args>` in process; stdout and stderr captured. */
async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runProxyWasmAs(args, { print: (t) => void out.push(t), info: (t) => void err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** `istio push` of sample filter `name` to filters/<name>:<tag>, with the same descriptive flags every time. */
function push(name: string, format: ImageFormat, tag: string, ...more: string[]) {
  return cli(
    "istio",
    "push",
    BUILD(name),
    `${registry.host}/filters/${name}:${tag}`,
    "--format",
    format,
    "--version",
    "1.4.0",
    "--source",
    `https://example.com/filters/${name}`,
    "--description",
    `the ${name} sample filter`,
    "--root-id",
    name,
    ...more,
  );
}

let registry: LocalRegistry;
const pushed = new Map<string, { wasm: Buffer; digest: string }>();
let savedEpoch: string | undefined;

beforeAll(async () => {
  registry = await startLocalRegistry();
  savedEpoch = process.env.SOURCE_DATE_EPOCH;
  process.env.SOURCE_DATE_EPOCH = EPOCH;
  for (const { name, format } of MODULES) {
    const file = BUILD(name);
    const { code, out, err } = await push(name, format, "v1");
    expect(code, `${out}\n${err}`).toBe(0);
    pushed.set(name, { wasm: readFileSync(file), digest: /^digest: (sha256:[0-9a-f]{64})$/m.exec(out)![1]! });
  }
  // Not a proxy-wasm image: an OCI image with a text layer, which `list` must count but not list.
  const notes = Buffer.from("release notes");
  const config = Buffer.from("{}");
  const describe = (mediaType: string, blob: Buffer) => ({
    mediaType,
    digest: `sha256:${createHash("sha256").update(blob).digest("hex")}`,
    size: blob.length,
  });
  await pushImage(
    imageFromParts(
      "compat",
      {
        schemaVersion: 2,
        mediaType: mt.OCI_MANIFEST,
        config: describe(mt.OCI_CONFIG, config),
        layers: [describe("text/plain", notes)],
      },
      [config, notes],
    ),
    `${registry.host}/other/notes:latest`,
  );
}, 120_000);

afterAll(async () => {
  if (savedEpoch === undefined) delete process.env.SOURCE_DATE_EPOCH;
  else process.env.SOURCE_DATE_EPOCH = savedEpoch;
  await registry?.stop();
});

describe("inspect: the facts of three pushed sample filters", () => {
  test.each(MODULES)(
    "$name ($format): --json facts equal the module's sha256, size, ABI and exports",
    async ({ name, format }) => {
      const { code, out } = await cli("inspect", `${registry.host}/filters/${name}:v1`, "--json");
      expect(code).toBe(0);
      const inspection = JSON.parse(out) as ImageInspection;
      const { wasm, digest } = pushed.get(name)!;
      expect(inspection.digest).toBe(digest);
      expect(inspection.layout).toBe(format);
      expect(inspection.metadata).toEqual({
        title: name, // the file name: not the main module of the nearest package.json (this repository's)
        version: "1.4.0",
        source: `https://example.com/filters/${name}`,
        description: `the ${name} sample filter`,
        created: "2025-12-07T23:00:00Z",
        module: { ...expectedFacts(wasm), rootIds: [name] },
      });
      expect(inspection.metadata.module!.exports.length).toBeGreaterThan(2);
      expect(inspection.metadata.module!.abiVersions).toEqual(["0.2.1"]);
    },
  );

  test("the table for people, and --verify downloads the module and finds every fact true", async () => {
    const { code, out } = await cli("inspect", `${registry.host}/filters/headers:v1`, "--verify");
    expect(code, out).toBe(0);
    const facts = expectedFacts(pushed.get("headers")!.wasm);
    expect(out).toMatch(new RegExp(`^image +${registry.host}/filters/headers:v1$`, "m"));
    expect(out).toMatch(new RegExp(`^module sha256 +${facts.sha256}$`, "m"));
    expect(out).toMatch(new RegExp(`^module size +${facts.size} bytes$`, "m"));
    expect(out).toMatch(/^ABI +0\.2\.1$/m);
    expect(out).toMatch(/^root ids +"headers"$/m);
    expect(out).toContain(`exports        ${facts.exports.join(", ")}`);
    expect(out).toMatch(/^verified +the module matches every annotated fact$/m);
  });

  test("--verify catches annotations that lie about the module (exit 1, the differences named)", async () => {
    const wasm = sampleWasm(4000, "liar");
    const honest = packageWasm(wasm, { format: "artifact" });
    const manifest = {
      ...honest.manifest,
      annotations: { ...honest.manifest.annotations, [mt.MODULE_SIZE]: "12", [mt.MODULE_EXPORTS]: '["proxy_on_log"]' },
    };
    const liar = imageFromParts("artifact", manifest, [...honest.blobs.values()]);
    await pushImage(liar, `${registry.host}/tampered/m:v1`);
    const { code, out } = await cli("inspect", `${registry.host}/tampered/m:v1`, "--verify");
    expect(code).toBe(1);
    expect(out).toContain(`size: annotated 12, module has ${wasm.length}`);
    expect(out).toContain('exports: annotated ["proxy_on_log"], module has []');
  });

  test("Istio's fetcher accepts every annotated image and yields the module byte for byte", async () => {
    for (const { name } of MODULES) {
      const { wasm, digest } = pushed.get(name)!;
      const got = await pullWasmLikeIstio(`${registry.host}/filters/${name}:v1`, { sha256: digest.slice(7) });
      expect(got.wasm.equals(wasm), name).toBe(true);
    }
  });

  test("SOURCE_DATE_EPOCH makes the push reproducible: the same inputs give the same digest, another time another", async () => {
    const again = await push("headers", "compat", "again");
    expect(again.out).toContain(`digest: ${pushed.get("headers")!.digest}`);
    const later = await push("headers", "compat", "later", "--created", "2026-01-01T00:00:00Z");
    expect(later.code).toBe(0);
    expect(later.out).not.toContain(pushed.get("headers")!.digest);
  });
});

describe("list: the modules a registry holds, from its catalog and tags", () => {
  test("the whole registry: the three filters with their facts; the non-wasm image skipped, saying why", async () => {
    const { code, out } = await cli("list", registry.host, "--json");
    expect(code).toBe(0);
    const listing = JSON.parse(out) as RegistryModules;
    const modules = listing.tags.filter((t) => t.inspection?.metadata.module);
    for (const { name } of MODULES) {
      const tag = modules.find((t) => t.repository === `filters/${name}` && t.tag === "v1");
      expect(tag?.inspection?.metadata.module, name).toEqual({
        ...expectedFacts(pushed.get(name)!.wasm),
        rootIds: [name],
      });
      expect(tag?.inspection?.digest).toBe(pushed.get(name)!.digest);
    }
    expect(listing.tags.find((t) => t.repository === "other/notes")?.skipped).toMatch(
      /other\/notes:latest is not a proxy-wasm image \(no module facts; layers: text\/plain\)/,
    );
  });

  test("a prefix: only the repositories under it, as a table with one row per module", async () => {
    const { code, out, err } = await cli("list", `${registry.host}/filters`, "--max-tags", "1");
    expect(code, err).toBe(0);
    const rows = out.split("\n");
    expect(rows[0]).toMatch(/^MODULE +TITLE VERSION +ABI +SIZE +MODULE SHA256 +DIGEST +EXPORTS/);
    expect(rows).toHaveLength(1 + MODULES.length);
    for (const { name } of MODULES) {
      const { wasm, digest } = pushed.get(name)!;
      const facts = expectedFacts(wasm);
      const row = rows.find((r) => r.startsWith(`filters/${name}:`));
      expect(row, name).toContain(`0.2.1  ${facts.size}  ${facts.sha256.slice(0, 12)}…  ${digest.slice(0, 19)}`);
    }
    expect(out).not.toContain("other/notes");
    expect(err).toContain(`3 module(s) on ${registry.host}/filters`);
    expect(err).toContain("more tags than --max-tags in: filters/headers"); // v1, again, later
  });

  test("pagination follows the registry's Link headers; limits cut the listing and say so", async () => {
    const all = await listRepositories(registry.host, "", { pageSize: 1 });
    expect(all).toEqual({
      entries: ["filters/api-key-auth", "filters/headers", "filters/rate-limit", "other/notes", "tampered/m"],
      truncated: false,
    });
    expect(await listRepositories(registry.host, "filters", { pageSize: 2, limit: 2 })).toEqual({
      entries: ["filters/api-key-auth", "filters/headers"],
      truncated: true,
    });
    const listed = await listModules(registry.host, { maxRepositories: 1 });
    expect(listed.repositoriesTruncated).toBe(true);
    expect(listed.tags.map((t) => t.repository)).toEqual(["filters/api-key-auth"]);
    await expect(inspectImage(`${registry.host}/other/notes:latest`)).rejects.toThrow(
      /not a proxy-wasm image[\s\S]*Fix: push filters with `proxy-wasm-as istio push/,
    );
  });
});

describe("list with an authenticated registry (token service: the catalog scope)", () => {
  test("asks for credentials without them, lists with them", async () => {
    await using secured = await startLocalRegistry({ auth: "token" });
    const creds = { username: secured.username, password: secured.password };
    await pushImage(packageWasm(sampleWasm(500, "secured")), `${secured.host}/team/m:v1`, creds);
    const denied = await cli("list", secured.host);
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(
      /^error: registry 127\.0\.0\.1:\d+ refused access to its catalog: it requires credentials\nFix: pass --username/,
    );
    const listing = await listModules(secured.host, creds);
    expect(listing.tags.map((t) => `${t.repository}:${t.tag}`)).toEqual(["team/m:v1"]);
    expect(listing.tags[0]!.inspection!.metadata.module!.size).toBe(sampleWasm(500, "secured").length);
  }, 60_000);
});
