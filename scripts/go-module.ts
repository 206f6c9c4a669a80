// Fetching a Go module from the Go module proxy and proving it is the one the Go checksum database recorded: what
// scripts/refresh-istio-crds.ts and scripts/refresh-gateway-crds.ts pin CRD schemas with.
// GOPROXY_URL chooses the proxy (default https://proxy.golang.org).
import { createHash } from "node:crypto";
import { unzipSync } from "fflate";

/** The Go module proxy these scripts talk to (GOPROXY protocol: @v/list, @v/<v>.zip, sumdb lookups). */
export const GO_PROXY = (process.env.GOPROXY_URL ?? "https://proxy.golang.org").replace(/\/$/, "");

/** GET `url` as bytes; an HTTP error is an Error naming the URL and status. */
export async function download(url: string): Promise<Buffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Every version of `module` the proxy lists (`@v/list`), as listed. */
export async function listedVersions(module: string): Promise<string[]> {
  const list = (await download(`${GO_PROXY}/${module}/@v/list`)).toString("utf8");
  return list
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

/**
 * The go.sum "h1:" hash of a module zip (golang.org/x/mod/sumdb/dirhash Hash1): sha256 over the sorted lines
 * "<sha256 hex of file>  <path in zip>\n". Hand-written because no npm package computes it; 6 lines.
 */
export function goSumHash(files: Record<string, Uint8Array>): string {
  const lines = Object.keys(files)
    .filter((name) => !name.endsWith("/"))
    .sort()
    .map((name) => `${createHash("sha256").update(files[name]!).digest("hex")}  ${name}\n`);
  return `h1:${createHash("sha256").update(lines.join("")).digest("base64")}`;
}

/** The h1 hash the Go checksum database records for `module@version` (fetched through the proxy's sumdb endpoint). */
export async function publishedGoSum(module: string, version: string): Promise<string> {
  const text = (await download(`${GO_PROXY}/sumdb/sum.golang.org/lookup/${module}@${version}`)).toString("utf8");
  const line = text.split("\n").find((l) => l.startsWith(`${module} ${version} h1:`));
  if (!line) throw new Error(`checksum database has no zip hash for ${module}@${version}:\n${text.slice(0, 300)}`);
  return line.split(" ")[2]!;
}

/** A module zip that hashed to what the checksum database records. */
export interface VerifiedModule {
  /** Files of the zip by path (`<module>@<version>/…`). */
  files: Record<string, Uint8Array>;
  /** Its go.sum hash, equal to the checksum database's. */
  goSum: string;
  /** sha256 (hex) of the zip as the proxy served it. */
  zipSha256: string;
}

/** Downloads `module@version`'s zip and checks it against the checksum database; throws when they differ. */
export async function fetchVerifiedModule(module: string, version: string): Promise<VerifiedModule> {
  const zip = await download(`${GO_PROXY}/${module}/@v/${version}.zip`);
  const files = unzipSync(new Uint8Array(zip));
  const goSum = goSumHash(files);
  const published = await publishedGoSum(module, version);
  if (goSum !== published)
    throw new Error(`${module}@${version}: zip hashes to ${goSum}, the checksum database says ${published}`);
  return { files, goSum, zipSha256: createHash("sha256").update(zip).digest("hex") };
}

/** `node` without its `description` texts (CRD schemas are kept without them: they are documentation only). */
export function stripDescriptions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripDescriptions);
  if (node && typeof node === "object") {
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k]) => k !== "description")
        .map(([k, v]) => [k, stripDescriptions(v)]),
    );
  }
  return node;
}
