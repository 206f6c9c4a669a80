// Image building without a registry: reproducible bytes, layouts a real client (skopeo, tar) reads, and
// istio-agent's layout rules applied to good and bad images.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { PackagingError } from "./errors.ts";
import { imageFromParts, IMAGE_FORMATS, packageWasm, sha256Digest, writeOciLayout } from "./image.ts";
import { extractFromImageLikeIstio } from "./istio-fetch.ts";
import * as mt from "./media-types.ts";
import { gzipReproducible, writeTar } from "./tar.ts";
import { sampleWasm, tool } from "./test-support.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pwas-image-test-"));
  dirs.push(dir);
  return dir;
}

describe("reproducible packaging", () => {
  test.each(IMAGE_FORMATS)("%s: same module ⇒ same digest; different module ⇒ different digest", (format) => {
    const a = packageWasm(sampleWasm(100_000, "a"), { format });
    const again = packageWasm(Buffer.from(sampleWasm(100_000, "a")), { format });
    const b = packageWasm(sampleWasm(100_000, "b"), { format });
    expect(again.digest).toBe(a.digest);
    expect(again.manifestBytes.equals(a.manifestBytes)).toBe(true);
    expect(b.digest).not.toBe(a.digest);
    expect(a.digest).toBe(sha256Digest(a.manifestBytes));
    for (const d of [a.manifest.config, ...a.manifest.layers]) expect(a.blobs.get(d.digest)?.length).toBe(d.size);
  });

  test("compat layer: gzip header has no timestamp and OS byte 255; tar entry has fixed owner, mode and mtime (read by GNU tar)", async () => {
    const image = packageWasm(sampleWasm(5000));
    const layer = image.blobs.get(image.manifest.layers[0]!.digest)!;
    expect([...layer.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]); // magic, deflate, no flags (no file name)
    expect(layer.readUInt32LE(4)).toBe(0); // mtime
    expect(layer[9]).toBe(0xff); // OS unknown
    const dir = await tempDir();
    await writeFile(join(dir, "layer.tgz"), layer);
    const listing = await tool("tar", ["--numeric-owner", "--full-time", "-tvzf", join(dir, "layer.tgz")]);
    expect(listing.trim()).toMatch(/^-rw-r--r-- 0\/0\s+5\d{3} 1970-01-01 00:00:00 plugin\.wasm$/);
  });

  test("OCI layout is read by skopeo with the same digest (compat, artifact; skopeo's oci: transport skips Docker manifests)", async () => {
    const dir = await tempDir();
    const wasm = sampleWasm(20_000);
    for (const format of IMAGE_FORMATS) {
      const image = packageWasm(wasm, { format, rootIds: ["headers"] });
      await writeOciLayout(image, dir, format);
      const manifestFile = join(dir, "blobs", "sha256", image.digest.slice(7));
      expect(sha256Digest(await readFile(manifestFile))).toBe(image.digest);
      if (format === "compat-docker") continue;
      const raw = await tool("skopeo", ["inspect", "--raw", `oci:${dir}:${format}`]);
      expect(sha256Digest(Buffer.from(raw))).toBe(image.digest);
    }
    const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as { manifests: unknown[] };
    expect(index.manifests).toHaveLength(3); // tags kept side by side
  });

  test("refuses input that is not a wasm binary, and unknown formats", () => {
    expect(() => packageWasm(Buffer.from("(module)"))).toThrow(
      /not a WebAssembly binary[\s\S]*Fix: pass the compiled \.wasm/,
    );
    expect(() => packageWasm(sampleWasm(10), { format: "zip" as never })).toThrow(
      /unknown image format "zip"[\s\S]*compat, compat-docker, artifact/,
    );
  });
});

describe("istio-agent layout rules on local images", () => {
  const wasm = sampleWasm(3000);

  test.each([
    ["compat", "oci-compat"],
    ["compat-docker", "docker-compat"],
    ["artifact", "oci-artifact"],
  ] as const)("%s is accepted as %s and yields the module byte for byte", async (format, variant) => {
    const got = await extractFromImageLikeIstio(packageWasm(wasm, { format }));
    expect(got.variant).toBe(variant);
    expect(got.wasm.equals(wasm)).toBe(true);
  });

  const config = Buffer.from("{}");
  const layerOf = (mediaType: string, blob: Buffer) => ({ mediaType, digest: sha256Digest(blob), size: blob.length });
  const manifestOf = (mediaType: string, layers: { mediaType: string; digest: string; size: number }[]) => ({
    schemaVersion: 2 as const,
    mediaType,
    config: layerOf(mt.OCI_CONFIG, config),
    layers,
  });

  test("single-layer wasm-to-oci image is refused, saying why", async () => {
    const image = imageFromParts("artifact", manifestOf(mt.OCI_MANIFEST, [layerOf(mt.CNCF_WASM_LAYER, wasm)]), [
      config,
      wasm,
    ]);
    await expect(extractFromImageLikeIstio(image)).rejects.toThrow(
      /single-layer wasm-to-oci image \(application\/vnd\.wasm\.content\.layer\.v1\+wasm\): Istio requires[\s\S]*number of layers must be 2 but got 1/,
    );
  });

  test("three-layer wasm artifact is refused, saying why", async () => {
    const extra = Buffer.from("extra");
    const image = imageFromParts(
      "artifact",
      manifestOf(mt.OCI_MANIFEST, [
        layerOf(mt.WASM_CONFIG_LAYER, config),
        layerOf(mt.WASM_CONTENT_LAYER, wasm),
        layerOf("application/octet-stream", extra),
      ]),
      [config, wasm, extra],
    );
    await expect(extractFromImageLikeIstio(image)).rejects.toThrow(
      /3-layer wasm artifact: Istio's oci variant must have exactly 2 layers[\s\S]*got 3/,
    );
  });

  test("uncompressed tar layer, missing plugin.wasm and Docker manifest with an OCI layer are refused", async () => {
    const tar = writeTar([{ name: "plugin.wasm", data: wasm }]);
    const plain = imageFromParts(
      "compat",
      manifestOf(mt.OCI_MANIFEST, [layerOf("application/vnd.oci.image.layer.v1.tar", tar)]),
      [config, tar],
    );
    await expect(extractFromImageLikeIstio(plain)).rejects.toThrow(/uncompressed tar: Istio only reads tar\+gzip/);

    const wrongName = gzipReproducible(writeTar([{ name: "filter.wasm", data: wasm }]));
    const missing = imageFromParts("compat", manifestOf(mt.OCI_MANIFEST, [layerOf(mt.OCI_LAYER_TAR_GZIP, wrongName)]), [
      config,
      wrongName,
    ]);
    await expect(extractFromImageLikeIstio(missing)).rejects.toThrow(
      /plugin\.wasm not found in the image \(last layer has: filter\.wasm\)/,
    );

    const nested = gzipReproducible(writeTar([{ name: "./plugin.wasm", data: wasm }]));
    const dotSlash = imageFromParts("compat", manifestOf(mt.OCI_MANIFEST, [layerOf(mt.OCI_LAYER_TAR_GZIP, nested)]), [
      config,
      nested,
    ]);
    expect((await extractFromImageLikeIstio(dotSlash)).wasm.equals(wasm)).toBe(true); // basename match, as Istio

    const layer = gzipReproducible(tar);
    const mixed = imageFromParts(
      "compat-docker",
      manifestOf(mt.DOCKER_MANIFEST, [layerOf(mt.OCI_LAYER_TAR_GZIP, layer)]),
      [config, layer],
    );
    await expect(extractFromImageLikeIstio(mixed)).rejects.toThrow(
      /as Docker container: invalid media type application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip \(expect application\/vnd\.docker\.image\.rootfs\.diff\.tar\.gzip\)/,
    );
  });

  test("a compat image whose plugin.wasm is not wasm is refused", async () => {
    const layer = gzipReproducible(writeTar([{ name: "plugin.wasm", data: Buffer.from("not wasm at all") }]));
    const image = imageFromParts("compat", manifestOf(mt.OCI_MANIFEST, [layerOf(mt.OCI_LAYER_TAR_GZIP, layer)]), [
      config,
      layer,
    ]);
    const err = await extractFromImageLikeIstio(image).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PackagingError);
    expect((err as Error).message).toMatch(/is not a WebAssembly binary/);
  });
});
