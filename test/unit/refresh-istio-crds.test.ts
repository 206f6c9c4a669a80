// scripts/refresh-istio-crds.ts against a Go module proxy on loopback (the GOPROXY protocol: @v/list, @v/<v>.zip,
// sumdb lookup) that serves istio.io/api versions made here, so a newer minor can be released at will: --check
// reports it with the command that pins it, --add pins it (data, pinned-istio.ts, README table), and a zip whose
// go.sum hash disagrees with the checksum database is refused without touching anything.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { unzipSync, zipSync } from "fflate";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const SCRIPT = join(REPO, "scripts", "refresh-istio-crds.ts");
const COMMITTED = JSON.parse(readFileSync(join(REPO, "harness", "crds", "istio-extensions.json"), "utf8")) as {
  versions: Record<string, { schemas: Record<string, Record<string, unknown>> }>;
};
const MARKERS = ["<!-- pinned-istio-crds: written by scripts/refresh-istio-crds.ts -->", "<!-- /pinned-istio-crds -->"];
/** What the proxy lists: stable patches, a newer patch of a pinned minor, a new minor and a pre-release. */
const LISTED = ["v1.31.4", "v1.31.5", "v1.32.0", "v1.33.0", "v1.34.0-alpha.1"];

/** Go's dirhash Hash1 (the go.sum "h1:" of a module zip), written from its specification. */
function h1(files: Record<string, Uint8Array>): string {
  const summary = Object.keys(files)
    .sort()
    .map((name) => `${createHash("sha256").update(files[name]!).digest("hex")}  ${name}\n`)
    .join("");
  return `h1:${createHash("sha256").update(summary).digest("base64")}`;
}

/** A CRD document as istio/api generates it, with descriptions (which the script drops). */
function crd(group: string, kind: string, schema: Record<string, unknown>) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${kind.toLowerCase()}s.${group}` },
    spec: {
      group,
      names: { kind },
      versions: [{ name: "v1alpha1", served: true, storage: true, schema: { openAPIV3Schema: schema } }],
    },
  };
}

const zips = new Map<string, Uint8Array>();
/** The module zip of `version` (the same bytes every time): the 1.32 schemas, plus a field only 1.33 has. */
function moduleZip(version: string): Uint8Array {
  const made = zips.get(version) ?? makeZip(version);
  zips.set(version, made);
  return made;
}

function makeZip(version: string): Uint8Array {
  const schemas = structuredClone(COMMITTED.versions["1.32"]!.schemas);
  const wasmPlugin: Record<string, unknown> = { description: "Extend the Istio proxy.", ...schemas.WasmPlugin! };
  if (version.startsWith("v1.33.")) {
    const spec = (wasmPlugin.properties as { spec: { properties: Record<string, unknown> } }).spec;
    spec.properties.fetchTimeout = { description: "new in 1.33", type: "string" };
  }
  const docs = [
    crd("networking.istio.io", "Gateway", { type: "object" }),
    crd("extensions.istio.io", "WasmPlugin", wasmPlugin),
    crd("extensions.istio.io", "TrafficExtension", schemas.TrafficExtension!),
  ];
  const prefix = `istio.io/api@${version}/`;
  return zipSync({
    [`${prefix}go.mod`]: Buffer.from("module istio.io/api\n"),
    [`${prefix}kubernetes/customresourcedefinitions.gen.yaml`]: Buffer.from(
      docs.map((d) => stringify(d)).join("---\n"),
    ),
  });
}

let server: Server;
let proxy = "";
/** Versions whose checksum-database answer is tampered with. */
const tampered = new Set<string>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? "";
    const zip = /^\/istio\.io\/api\/@v\/(v[\w.-]+)\.zip$/.exec(path);
    const lookup = /^\/sumdb\/sum\.golang\.org\/lookup\/istio\.io\/api@(v[\w.-]+)$/.exec(path);
    if (path === "/istio.io/api/@v/list") response.end(`${LISTED.join("\n")}\n`);
    else if (zip && LISTED.includes(zip[1]!)) response.end(moduleZip(zip[1]!));
    else if (lookup && LISTED.includes(lookup[1]!)) {
      const hash = tampered.has(lookup[1]!)
        ? `h1:${Buffer.alloc(32).toString("base64")}`
        : h1(unzipSync(moduleZip(lookup[1]!)));
      response.end(
        `4242\nistio.io/api ${lookup[1]} ${hash}\nistio.io/api ${lookup[1]}/go.mod h1:x\n\ngo.sum database tree\n`,
      );
    } else {
      response.statusCode = 404;
      response.end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  proxy = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A checkout whose data pins 1.31 and 1.32 (with stale contents the script must replace). */
function checkout(): string {
  const root = mkdtempSync(join(tmpdir(), "pwas-refresh-crds-"));
  mkdirSync(join(root, "harness", "crds"), { recursive: true });
  mkdirSync(join(root, "harness", "src", "packaging"), { recursive: true });
  const stale = (version: string) => ({ module: "istio.io/api", version, goSum: "h1:stale", schemas: {} });
  writeFileSync(
    join(root, "harness", "crds", "istio-extensions.json"),
    JSON.stringify({ versions: { "1.31": stale("v1.31.4"), "1.32": stale("v1.32.0") } }),
  );
  writeFileSync(
    join(root, "harness", "src", "packaging", "README.md"),
    `# packaging\n\n${MARKERS[0]}\n| old table |\n${MARKERS[1]}\n\nThe rest stays.\n`,
  );
  return root;
}

/** Runs the script on `root` (asynchronously: the proxy answers from this process). */
function refresh(root: string, ...args: string[]): Promise<{ code: number; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SCRIPT, "--root", root, ...args],
      { env: { ...process.env, GOPROXY_URL: proxy }, encoding: "utf8", timeout: 50_000 },
      (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, err: stderr }),
    );
  });
}

const read = (root: string, ...path: string[]) => readFileSync(join(root, ...path), "utf8");
const data = (root: string) =>
  JSON.parse(read(root, "harness", "crds", "istio-extensions.json")) as {
    versions: Record<string, { version: string; goSum: string; schemas: Record<string, unknown> }>;
  };

describe("scripts/refresh-istio-crds.ts", { timeout: 60_000 }, () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  test("--check reports the newer minor with the command that pins it; --add pins it everywhere; then up to date", async () => {
    const root = checkout();
    roots.push(root);
    const refreshed = await refresh(root);
    expect(refreshed.code, refreshed.err).toBe(0);
    expect(data(root).versions["1.32"]!.goSum).toBe(h1(unzipSync(moduleZip("v1.32.0"))));

    const check = await refresh(root, "--check");
    expect(check.code).toBe(1);
    expect(check.err).toContain(
      "Istio 1.33 is served (istio.io/api v1.33.0) but not pinned (newest pinned: 1.32): run node scripts/refresh-istio-crds.ts --add 1.33",
    );
    expect(check.err).toContain("note: istio.io/api v1.31.5 is served, v1.31.4 is pinned for 1.31");
    expect(check.err).not.toContain("1.34");

    const add = await refresh(root, "--add", "1.33");
    expect(add.code, add.err).toBe(0);
    expect(add.err).toMatch(/add 1\.33 to the compatibility table/);
    const pinned = data(root).versions["1.33"]!;
    expect(pinned.version).toBe("v1.33.0");
    expect(pinned.goSum).toBe(h1(unzipSync(moduleZip("v1.33.0"))));
    const wasmPlugin = pinned.schemas.WasmPlugin as { properties: { spec: { properties: Record<string, unknown> } } };
    expect(wasmPlugin.properties.spec.properties.fetchTimeout).toEqual({ type: "string" });
    expect(JSON.stringify(pinned.schemas)).not.toContain('"description"');
    expect(Object.keys(pinned.schemas).sort()).toEqual(["TrafficExtension", "WasmPlugin"]);

    const module = read(root, "harness", "src", "packaging", "pinned-istio.ts");
    expect(module).toContain('export const NEWEST_PINNED_ISTIO = "1.33";');
    expect(module).toContain('  "1.33": "v1.33.0",');
    const readme = read(root, "harness", "src", "packaging", "README.md");
    expect(readme).toContain(
      `${MARKERS[0]}\n| Istio | \`istio.io/api\` | kinds |\n|---|---|---|\n| 1.31 | v1.31.4 | WasmPlugin, TrafficExtension |\n| 1.32 | v1.32.0 | WasmPlugin, TrafficExtension |\n| 1.33 | v1.33.0 | WasmPlugin, TrafficExtension |\n${MARKERS[1]}\n\nThe rest stays.\n`,
    );

    const again = await refresh(root, "--check");
    expect(again.code, again.err).toBe(0);
    expect(again.err).toContain("up to date: Istio 1.31, 1.32, 1.33");
  });

  test("a zip the checksum database disagrees with is refused, and nothing is written", async () => {
    const root = checkout();
    roots.push(root);
    const before = read(root, "harness", "crds", "istio-extensions.json");
    tampered.add("v1.33.0");
    try {
      const add = await refresh(root, "--add", "newest");
      expect(add.code).toBe(1);
      expect(add.err).toMatch(
        /error: istio\.io\/api@v1\.33\.0: zip hashes to h1:\S+, the checksum database says h1:A{43}=/,
      );
    } finally {
      tampered.delete("v1.33.0");
    }
    expect(read(root, "harness", "crds", "istio-extensions.json")).toBe(before);
  });

  test("a minor the proxy does not serve, or not a minor at all, is one error line", async () => {
    const root = checkout();
    roots.push(root);
    expect((await refresh(root, "--add", "1.40")).err).toContain(
      `error: ${proxy} lists no release of istio.io/api v1.40.x (it lists minors 1.31, 1.32, 1.33)`,
    );
    expect((await refresh(root, "--add", "latest")).err).toContain(
      'error: --add takes an Istio minor such as 1.33, or "newest"',
    );
  });
});
