// The images `push` writes, read the way Envoy Gateway's image fetcher reads them (facts from internal/wasm/
// imagefetcher.go of the pinned github.com/envoyproxy/gateway release; the rules are restated here, not its code):
//   - the policy's `sha256` is compared with the manifest digest;
//   - a Docker v2 manifest: the LAST layer must be application/vnd.docker.image.rootfs.diff.tar.gzip, and the module
//     is the first tar entry whose basename is plugin.wasm;
//   - any other manifest: first as the "compat" variant (LAST layer application/vnd.oci.image.layer.v1.tar+gzip,
//     plugin.wasm as above), else as the "oci" variant (EXACTLY two layers, one of them
//     application/vnd.module.wasm.content.layer.v1+wasm, whose blob is the raw module); else refused;
//   - tar reading and the raw layer stop at 256 MiB (maxWasmSize).
// Each format of packageWasm is checked against those rules (the module read back is the module packaged), an image
// outside them (the CNCF single-layer wasm artifact) is refused, and the packaging README states the same per format.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { IMAGE_FORMATS, packageWasm, sha256Digest, type WasmImage } from "../packaging/image.ts";
import * as mt from "../packaging/media-types.ts";
import { findInTarGz } from "../packaging/tar.ts";
import { sampleWasm } from "../packaging/test-support.ts";

/** Envoy Gateway's maxWasmSize (internal/wasm/httpfetcher.go): 256 MiB. */
const EG_MAX_WASM_BYTES = 256 * 1024 * 1024;

type Verdict = { variant: "docker compat" | "compat" | "oci"; wasm: Uint8Array } | { refused: string };

async function pluginWasm(image: WasmImage, layer: { digest: string }): Promise<Uint8Array | undefined> {
  const search = await findInTarGz(image.blobs.get(layer.digest)!, (n) => n.split("/").at(-1) === mt.COMPAT_WASM_FILE, {
    maxTarBytes: EG_MAX_WASM_BYTES,
    what: `layer ${layer.digest}`,
  });
  return search.found?.data;
}

/** What Envoy Gateway's fetcher makes of `image` (see the rules above). */
async function readLikeEnvoyGateway(image: WasmImage): Promise<Verdict> {
  const layers = image.manifest.layers;
  const last = layers.at(-1);
  if (!last) return { refused: "number of layers must be greater than zero" };
  if (image.manifestMediaType === mt.DOCKER_MANIFEST) {
    if (last.mediaType !== mt.DOCKER_LAYER_TAR_GZIP) return { refused: `invalid media type ${last.mediaType}` };
    const wasm = await pluginWasm(image, last);
    return wasm ? { variant: "docker compat", wasm } : { refused: "plugin.wasm not found in the archive" };
  }
  if (last.mediaType === mt.OCI_LAYER_TAR_GZIP) {
    const wasm = await pluginWasm(image, last);
    if (wasm) return { variant: "compat", wasm };
  }
  if (layers.length !== 2) return { refused: `number of layers must be 2 but got ${layers.length}` };
  const raw = layers.find((l) => l.mediaType === mt.WASM_CONTENT_LAYER);
  if (!raw) return { refused: `could not find the layer of type ${mt.WASM_CONTENT_LAYER}` };
  const wasm = image.blobs.get(raw.digest)!;
  return wasm.length > EG_MAX_WASM_BYTES
    ? { refused: "wasm layer size exceeds maximum size" }
    : { variant: "oci", wasm };
}

/** The CNCF / wasm-to-oci single-layer artifact (not a `push` format): one raw application/vnd.wasm.content.layer.v1+wasm layer. */
function cncfArtifact(wasm: Uint8Array): WasmImage {
  const config = Buffer.from("{}");
  const layer = Buffer.from(wasm);
  const manifest = {
    schemaVersion: 2 as const,
    mediaType: mt.OCI_MANIFEST,
    config: { mediaType: "application/vnd.wasm.config.v0+json", digest: sha256Digest(config), size: config.length },
    layers: [{ mediaType: mt.CNCF_WASM_LAYER, digest: sha256Digest(layer), size: layer.length }],
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return {
    format: "artifact",
    manifestMediaType: mt.OCI_MANIFEST,
    manifestBytes,
    manifest,
    digest: sha256Digest(manifestBytes),
    blobs: new Map([
      [sha256Digest(config), config],
      [sha256Digest(layer), layer],
    ]),
  };
}

/** The packaging README's Envoy Gateway column per format: "accepted (<variant>)…" or "refused…". */
function readmeVerdicts(): Map<string, string> {
  const readme = readFileSync(new URL("../packaging/README.md", import.meta.url), "utf8");
  const start = readme.indexOf("<!-- envoy-gateway-image-formats -->");
  const end = readme.indexOf("<!-- /envoy-gateway-image-formats -->");
  expect(start, "the packaging README's Envoy Gateway format table").toBeGreaterThan(0);
  const rows = readme
    .slice(start, end)
    .split("\n")
    .filter((l) => /^\| `[^`]+` \|/.test(l));
  return new Map(rows.map((row) => [/^\| `([^`]+)`/.exec(row)![1]!, row.split("|").at(-2)!.trim()]));
}

const MODULE = sampleWasm(4096);

describe("the images `push` writes, read as Envoy Gateway's image fetcher reads them", () => {
  test.each(IMAGE_FORMATS)("--format %s is accepted and yields the module", async (format) => {
    const verdict = await readLikeEnvoyGateway(packageWasm(MODULE, { format, rootIds: ["headers"] }));
    expect(verdict).toEqual({
      variant: { compat: "compat", "compat-docker": "docker compat", artifact: "oci" }[format],
      wasm: expect.anything(),
    });
    expect(Buffer.from((verdict as { wasm: Uint8Array }).wasm).equals(MODULE)).toBe(true);
  });

  test("the CNCF single-layer wasm artifact is refused (not a variant Envoy Gateway knows)", async () => {
    expect(await readLikeEnvoyGateway(cncfArtifact(MODULE))).toEqual({
      refused: "number of layers must be 2 but got 1",
    });
  });

  test("the policy's sha256 for an image is the manifest digest `push` prints, not the module's", () => {
    const image = packageWasm(MODULE);
    expect(image.digest).toBe(sha256Digest(image.manifestBytes));
    expect(image.digest).not.toBe(sha256Digest(MODULE));
  });

  test("the packaging README states the same verdict per format", async () => {
    const stated = readmeVerdicts();
    expect([...stated.keys()].sort()).toEqual([...IMAGE_FORMATS, "cncf"].sort());
    for (const format of IMAGE_FORMATS) {
      const verdict = (await readLikeEnvoyGateway(packageWasm(MODULE, { format }))) as { variant: string };
      expect(stated.get(format), format).toMatch(new RegExp(`^accepted \\(${verdict.variant}\\)`));
    }
    expect(stated.get("cncf")).toMatch(/^refused/);
  });
});
