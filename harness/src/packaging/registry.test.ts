// Push and pull against a real distribution registry on loopback (docker-registry), anonymous, with basic
// auth and with bearer tokens from a loopback token service; checked by a real client (skopeo + GNU tar)
// and by istio-agent's rules: layouts, digest, and (Istio 1.30) the auth-challenge realm check, which the
// registries' realms pass because they name a loopback host NAME, not an IP literal (local-registry.ts).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  imageFromParts,
  IMAGE_FORMATS,
  packageWasm,
  sha256Digest,
  writeOciLayout,
  type ImageFormat,
  type ImageManifest,
} from "./image.ts";
import { pullWasmLikeIstio } from "./istio-fetch.ts";
import { loopbackHostName, startLocalRegistry, type LocalRegistry } from "./local-registry.ts";
import * as mt from "./media-types.ts";
import { fetchManifest, pushImage, type RegistryOptions } from "./registry.ts";
import { sampleWasm, tool } from "./test-support.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** Reads the module out of an OCI layout skopeo wrote, using GNU tar for compat layers (no code of ours). */
async function moduleFromSkopeoLayout(dir: string, format: ImageFormat): Promise<Buffer> {
  const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const blob = (digest: string) => join(dir, "blobs", "sha256", digest.slice(7));
  const manifest = JSON.parse(await readFile(blob(index.manifests[0]!.digest), "utf8")) as ImageManifest;
  if (format === "artifact") {
    return readFile(blob(manifest.layers.find((l) => l.mediaType === mt.WASM_CONTENT_LAYER)!.digest));
  }
  const out = join(dir, "rootfs");
  await tool("mkdir", ["-p", out]);
  await tool("tar", ["-xzf", blob(manifest.layers.at(-1)!.digest), "-C", out]);
  return readFile(join(out, "plugin.wasm"));
}

describe.each(["none", "basic", "token"] as const)("registry with auth %s", (auth) => {
  let registry: LocalRegistry;
  let creds: RegistryOptions;
  let skopeoCreds: string[];
  beforeAll(async () => {
    registry = await startLocalRegistry({ auth });
    if (!registry.istioAcceptsRealm)
      throw new Error("no host name resolves to 127.0.0.1 here (see loopbackHostName): add one to /etc/hosts");
    creds = { username: registry.username, password: registry.password };
    skopeoCreds = registry.username ? ["--creds", `${registry.username}:${registry.password}`] : [];
  });
  afterAll(() => registry?.stop());

  test.each(IMAGE_FORMATS)(
    "%s: pushed, then pulled by skopeo and by Istio's rules: same digest, identical module",
    async (format) => {
      const wasm = sampleWasm(150_000, `${auth}-${format}`);
      const image = packageWasm(wasm, { format, rootIds: ["headers"] });
      const reference = `${registry.host}/filters/headers:${format}`;
      const pushed = await pushImage(image, reference, creds);
      expect(pushed.digest).toBe(image.digest);
      expect(pushed.uploaded).toBe(image.blobs.size);

      const raw = await tool("skopeo", [
        "inspect",
        "--tls-verify=false",
        ...skopeoCreds,
        "--raw",
        `docker://${reference}`,
      ]);
      expect(sha256Digest(Buffer.from(raw))).toBe(image.digest);

      const dir = await mkdtemp(join(tmpdir(), "pwas-skopeo-"));
      dirs.push(dir);
      await tool("skopeo", [
        "copy",
        "--src-tls-verify=false",
        ...(registry.username ? ["--src-creds", `${registry.username}:${registry.password}`] : []),
        "--preserve-digests",
        `docker://${reference}`,
        `oci:${dir}:pulled`,
      ]);
      expect((await moduleFromSkopeoLayout(dir, format)).equals(wasm)).toBe(true);

      const istio = await pullWasmLikeIstio(reference, {
        ...creds,
        sha256: image.digest.slice(7),
        istioVersion: "1.30",
      });
      expect(istio.wasm.equals(wasm)).toBe(true);
      expect(istio.digest).toBe(image.digest);
      expect(istio.variant).toBe(
        { compat: "oci-compat", "compat-docker": "docker-compat", artifact: "oci-artifact" }[format],
      );

      // Repackaging the same module and pushing again: same digest, every blob skipped via HEAD.
      const again = await pushImage(
        packageWasm(Buffer.from(wasm), { format, rootIds: ["headers"] }),
        `${registry.host}/filters/headers:again-${format}`,
        creds,
      );
      expect(again).toMatchObject({ digest: image.digest, uploaded: 0, skipped: image.blobs.size });
      const byDigest = await fetchManifest(pushed.pinned, creds);
      expect(byDigest.bytes.equals(image.manifestBytes)).toBe(true);
    },
  );

  test.skipIf(auth === "none")("missing or wrong credentials give an actionable error", async () => {
    const image = packageWasm(sampleWasm(100));
    await expect(pushImage(image, `${registry.host}/filters/denied:v1`)).rejects.toThrow(
      /refused access to filters\/denied: it requires credentials[\s\S]*Fix: pass --username and --password/,
    );
    await expect(
      pushImage(image, `${registry.host}/filters/denied:v1`, { username: registry.username, password: "wrong" }),
    ).rejects.toThrow(/refused access to filters\/denied: .*rejected[\s\S]*Fix: check --username\/--password/);
  });
});

describe("Istio refuses wrong images from the registry", () => {
  let registry: LocalRegistry;
  beforeAll(async () => {
    registry = await startLocalRegistry();
  });
  afterAll(() => registry?.stop());

  const wasm = sampleWasm(2000);
  const config = Buffer.from('{"type":"envoy_proxy"}');
  const describeBlob = (mediaType: string, blob: Buffer) => ({
    mediaType,
    digest: sha256Digest(blob),
    size: blob.length,
  });

  test("a single-layer wasm-to-oci image: refused, saying why", async () => {
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: mt.OCI_MANIFEST,
      config: describeBlob("application/vnd.wasm.config.v1+json", config),
      layers: [describeBlob(mt.CNCF_WASM_LAYER, wasm)],
    };
    const reference = `${registry.host}/filters/single:v1`;
    await pushImage(imageFromParts("artifact", manifest, [config, wasm]), reference);
    await expect(pullWasmLikeIstio(reference)).rejects.toThrow(
      /Istio would refuse this image: single-layer wasm-to-oci image[\s\S]*Istio's reason: could not parse as compat variant: invalid media type application\/vnd\.wasm\.content\.layer\.v1\+wasm[\s\S]*could not parse as oci variant: number of layers must be 2 but got 1/,
    );
  });

  test("a three-layer image: refused, saying why", async () => {
    const notes = Buffer.from("release notes");
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: mt.OCI_MANIFEST,
      config: describeBlob(mt.WASM_CONFIG_LAYER, config),
      layers: [
        describeBlob(mt.WASM_CONFIG_LAYER, config),
        describeBlob(mt.WASM_CONTENT_LAYER, wasm),
        describeBlob("text/plain", notes),
      ],
    };
    const reference = `${registry.host}/filters/three:v1`;
    await pushImage(imageFromParts("artifact", manifest, [config, wasm, notes]), reference);
    await expect(pullWasmLikeIstio(reference)).rejects.toThrow(
      /3-layer wasm artifact[\s\S]*number of layers must be 2 but got 3/,
    );
  });

  test("sha256 that is not the manifest digest (e.g. the .wasm file's hash): refused with the right value", async () => {
    const image = packageWasm(wasm);
    const reference = `${registry.host}/filters/pinned:v1`;
    await pushImage(image, reference);
    const fileHash = sha256Digest(wasm).slice(7);
    await expect(pullWasmLikeIstio(reference, { sha256: fileHash })).rejects.toThrow(
      new RegExp(
        `checksum ${image.digest.slice(7)}, which does not match: ${fileHash}[\\s\\S]*compares sha256 with the image MANIFEST digest`,
      ),
    );
  });

  test("unknown tag and unreachable registry: clear errors", async () => {
    await expect(pullWasmLikeIstio(`${registry.host}/filters/nothing:v9`)).rejects.toThrow(
      /manifest .*filters\/nothing:v9 not found[\s\S]*Fix: check the repository and tag/,
    );
    await expect(pullWasmLikeIstio("127.0.0.1:1/filters/x:v1")).rejects.toThrow(/cannot reach registry 127\.0\.0\.1:1/);
    await expect(pullWasmLikeIstio("filters/x:v1")).rejects.toThrow(/not an image reference with an explicit registry/);
  });
});

describe("interoperability with a real client and image indexes", () => {
  let registry: LocalRegistry;
  beforeAll(async () => {
    registry = await startLocalRegistry();
  });
  afterAll(() => registry?.stop());

  test("an OCI layout written by `package` and pushed by skopeo is accepted by Istio's rules with the same digest", async () => {
    const wasm = sampleWasm(30_000, "skopeo-push");
    const dir = await mkdtemp(join(tmpdir(), "pwas-layout-"));
    dirs.push(dir);
    for (const format of ["compat", "artifact"] as const) {
      const image = packageWasm(wasm, { format });
      await writeOciLayout(image, dir, format);
      const reference = `${registry.host}/skopeo/pushed:${format}`;
      await tool("skopeo", [
        "copy",
        "--dest-tls-verify=false",
        "--preserve-digests",
        `oci:${dir}:${format}`,
        `docker://${reference}`,
      ]);
      const pulled = await pullWasmLikeIstio(reference, { sha256: image.digest.slice(7) });
      expect(pulled.wasm.equals(wasm)).toBe(true);
    }
  });

  test("a plain-HTTP registry named by host name: HTTPS first, then plain HTTP, as istio-agent falls back", async () => {
    const name = await loopbackHostName();
    if (!name) throw new Error("no host name resolves to 127.0.0.1 here (see loopbackHostName)");
    const wasm = sampleWasm(800, "fallback");
    const image = packageWasm(wasm);
    const reference = `${name}:${registry.host.split(":")[1]}/fallback/m:v1`;
    await pushImage(image, reference, { scheme: "http" });
    const pulled = await pullWasmLikeIstio(reference, { sha256: image.digest.slice(7) });
    expect(pulled).toMatchObject({ plainHttpFallback: true, digest: image.digest });
    expect(pulled.wasm.equals(wasm)).toBe(true);
    // With the scheme forced to HTTPS there is no fallback: the TLS failure is reported.
    await expect(pullWasmLikeIstio(reference, { scheme: "https" })).rejects.toThrow(/cannot reach registry/);
  });

  test("an image index resolves to its linux/amd64 child, as go-containerregistry does; without one it is refused", async () => {
    const wasm = sampleWasm(1000, "index");
    const image = packageWasm(wasm);
    await pushImage(image, `${registry.host}/multi/m:child`);
    const putIndex = async (tag: string, platform: { os: string; architecture: string }) => {
      const index = {
        schemaVersion: 2,
        mediaType: mt.OCI_INDEX,
        manifests: [
          { mediaType: image.manifestMediaType, digest: image.digest, size: image.manifestBytes.length, platform },
        ],
      };
      const res = await fetch(`http://${registry.host}/v2/multi/m/manifests/${tag}`, {
        method: "PUT",
        headers: { "content-type": mt.OCI_INDEX },
        body: JSON.stringify(index),
      });
      expect(res.status).toBe(201);
    };
    await putIndex("amd64", { os: "linux", architecture: "amd64" });
    expect((await pullWasmLikeIstio(`${registry.host}/multi/m:amd64`)).wasm.equals(wasm)).toBe(true);
    await putIndex("wasi", { os: "wasip1", architecture: "wasm" });
    await expect(pullWasmLikeIstio(`${registry.host}/multi/m:wasi`)).rejects.toThrow(
      /no child with platform linux\/amd64 in index[\s\S]*push a plain manifest/,
    );
  });
});
