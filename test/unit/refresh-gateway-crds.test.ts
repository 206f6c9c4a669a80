// scripts/refresh-gateway-crds.ts against a Go module proxy on loopback (the GOPROXY protocol: @v/list, @v/<v>.zip,
// sumdb lookup) serving github.com/envoyproxy/gateway versions made here from the committed schema: the pin is
// written with its provenance (go.sum hash equal to the checksum database's), --check reports a newer release with
// the command that pins it, --version moves the pin, and a zip the checksum database disagrees with is refused
// without touching anything.
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
const SCRIPT = join(REPO, "scripts", "refresh-gateway-crds.ts");
const MODULE = "github.com/envoyproxy/gateway";
const CRD_FILE = "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_envoyextensionpolicies.yaml";
const COMMITTED = JSON.parse(readFileSync(join(REPO, "harness", "crds", "envoy-gateway.json"), "utf8")) as {
  schemas: { EnvoyExtensionPolicy: Record<string, unknown> };
};
const MARKERS = [
  "<!-- pinned-gateway-crds: written by scripts/refresh-gateway-crds.ts -->",
  "<!-- /pinned-gateway-crds -->",
];
const LISTED = ["v1.9.0", "v1.9.1", "v1.10.0", "v1.11.0-rc.1"];

/** Go's dirhash Hash1 (the go.sum "h1:" of a module zip), written from its specification. */
function h1(files: Record<string, Uint8Array>): string {
  const summary = Object.keys(files)
    .sort()
    .map((name) => `${createHash("sha256").update(files[name]!).digest("hex")}  ${name}\n`)
    .join("");
  return `h1:${createHash("sha256").update(summary).digest("base64")}`;
}

const zips = new Map<string, Uint8Array>();
/** The module zip of `version`: the committed schema with descriptions, plus a field only v1.10.0 has. */
function moduleZip(version: string): Uint8Array {
  const known = zips.get(version);
  if (known) return known;
  const schema: Record<string, unknown> = {
    description: "EnvoyExtensionPolicy allows the user to configure various envoy extensibility options.",
    ...structuredClone(COMMITTED.schemas.EnvoyExtensionPolicy),
  };
  if (version === "v1.10.0") {
    const spec = (schema.properties as { spec: { properties: Record<string, unknown> } }).spec;
    spec.properties.newInTen = { description: "new in 1.10", type: "string" };
  }
  const crd = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "envoyextensionpolicies.gateway.envoyproxy.io" },
    spec: {
      group: "gateway.envoyproxy.io",
      names: { kind: "EnvoyExtensionPolicy" },
      versions: [{ name: "v1alpha1", served: true, storage: true, schema: { openAPIV3Schema: schema } }],
    },
  };
  const prefix = `${MODULE}@${version}/`;
  const zip = zipSync({
    [`${prefix}go.mod`]: Buffer.from(`module ${MODULE}\n`),
    [`${prefix}${CRD_FILE}`]: Buffer.from(stringify(crd)),
  });
  zips.set(version, zip);
  return zip;
}

let server: Server;
let proxy = "";
const tampered = new Set<string>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? "";
    const zip = new RegExp(`^/${MODULE}/@v/(v[\\w.-]+)\\.zip$`).exec(path);
    const lookup = new RegExp(`^/sumdb/sum\\.golang\\.org/lookup/${MODULE}@(v[\\w.-]+)$`).exec(path);
    if (path === `/${MODULE}/@v/list`) response.end(`${LISTED.join("\n")}\n`);
    else if (zip && LISTED.includes(zip[1]!)) response.end(moduleZip(zip[1]!));
    else if (lookup && LISTED.includes(lookup[1]!)) {
      const hash = tampered.has(lookup[1]!)
        ? `h1:${Buffer.alloc(32).toString("base64")}`
        : h1(unzipSync(moduleZip(lookup[1]!)));
      response.end(
        `4242\n${MODULE} ${lookup[1]} ${hash}\n${MODULE} ${lookup[1]}/go.mod h1:x\n\ngo.sum database tree\n`,
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

/** A checkout pinning v1.9.1 with stale contents. */
function checkout(): string {
  const root = mkdtempSync(join(tmpdir(), "pwas-refresh-gateway-crds-"));
  mkdirSync(join(root, "harness", "crds"), { recursive: true });
  mkdirSync(join(root, "harness", "src", "gateway"), { recursive: true });
  writeFileSync(
    join(root, "harness", "crds", "envoy-gateway.json"),
    JSON.stringify({ module: MODULE, version: "v1.9.1", goSum: "h1:stale", schemas: {} }),
  );
  writeFileSync(
    join(root, "harness", "src", "gateway", "README.md"),
    `# gateway\n\n${MARKERS[0]}\nold line\n${MARKERS[1]}\n\nThe rest stays.\n`,
  );
  return root;
}

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
  JSON.parse(read(root, "harness", "crds", "envoy-gateway.json")) as {
    version: string;
    goSum: string;
    zipSha256: string;
    schemas: { EnvoyExtensionPolicy: { properties: { spec: { properties: Record<string, unknown> } } } };
  };

describe("scripts/refresh-gateway-crds.ts", { timeout: 60_000 }, () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  test("writes the pin with its provenance; --check names the newer release; --version moves the pin", async () => {
    const root = checkout();
    roots.push(root);
    const refreshed = await refresh(root);
    expect(refreshed.code, refreshed.err).toBe(0);
    const pinned = data(root);
    expect(pinned.version).toBe("v1.9.1");
    expect(pinned.goSum).toBe(h1(unzipSync(moduleZip("v1.9.1"))));
    expect(pinned.zipSha256).toBe(createHash("sha256").update(moduleZip("v1.9.1")).digest("hex"));
    expect(pinned.schemas.EnvoyExtensionPolicy).toEqual(COMMITTED.schemas.EnvoyExtensionPolicy);
    expect(read(root, "harness", "src", "gateway", "README.md")).toContain(
      `${MARKERS[0]}\nEnvoy Gateway **v1.9.1**: \`${MODULE}@v1.9.1\` (go.sum \`${pinned.goSum}\``,
    );
    expect(read(root, "harness", "src", "gateway", "README.md")).toMatch(
      /<!-- \/pinned-gateway-crds -->\n\nThe rest stays\.\n$/,
    );

    const check = await refresh(root, "--check");
    expect(check.code).toBe(1);
    expect(check.err).toContain(
      "Envoy Gateway v1.10.0 is served, v1.9.1 is pinned: run node scripts/refresh-gateway-crds.ts --version v1.10.0",
    );

    const moved = await refresh(root, "--version", "newest");
    expect(moved.code, moved.err).toBe(0);
    expect(data(root).version).toBe("v1.10.0");
    expect(data(root).schemas.EnvoyExtensionPolicy.properties.spec.properties.newInTen).toEqual({ type: "string" });
    expect(read(root, "harness", "crds", "envoy-gateway.json")).not.toContain('"description"');

    const again = await refresh(root, "--check");
    expect(again.code, again.err).toBe(0);
    expect(again.err).toContain("up to date: Envoy Gateway v1.10.0");
  });

  test("a zip the checksum database disagrees with is refused, and nothing is written", async () => {
    const root = checkout();
    roots.push(root);
    const before = read(root, "harness", "crds", "envoy-gateway.json");
    tampered.add("v1.10.0");
    try {
      const moved = await refresh(root, "--version", "v1.10.0");
      expect(moved.code).toBe(1);
      expect(moved.err).toMatch(
        /error: github\.com\/envoyproxy\/gateway@v1\.10\.0: zip hashes to h1:\S+, the checksum database says h1:A{43}=/,
      );
    } finally {
      tampered.delete("v1.10.0");
    }
    expect(read(root, "harness", "crds", "envoy-gateway.json")).toBe(before);
  });

  test("a version that is not a release is one error line", async () => {
    const root = checkout();
    roots.push(root);
    expect((await refresh(root, "--version", "1.9")).err).toContain(
      'error: --version takes a release such as v1.9.1, or "newest" (got "1.9")',
    );
  });
});
