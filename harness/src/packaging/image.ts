// Builds the wasm images Istio accepts, as plain manifests (no index), byte-for-byte reproducible, and
// writes them as OCI image layouts. Pure except for writeOciLayout. No Docker daemon involved.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PackagingError } from "./errors.ts";
import * as mt from "./media-types.ts";
import { imageAnnotations, moduleFacts, type ImageDescription } from "./metadata.ts";
import { gzipReproducible, writeTar } from "./tar.ts";

/**
 * Image layouts Istio accepts (istio/istio pkg/wasm/imagefetcher.go):
 * - "compat": OCI manifest whose last (only) layer is a tar+gzip holding `plugin.wasm`.
 * - "compat-docker": the same with Docker v2 schema 2 media types (what `docker build` of `FROM scratch` + `COPY plugin.wasm` gives).
 * - "artifact": Istio's "oci variant": exactly two layers, the runtime config JSON and the raw wasm module.
 */
export type ImageFormat = "compat" | "compat-docker" | "artifact";

/** Every image format, in the order the CLI lists them. */
export const IMAGE_FORMATS: readonly ImageFormat[] = ["compat", "compat-docker", "artifact"];

/** A content descriptor (OCI image spec). */
export interface Descriptor {
  mediaType: string;
  /** "sha256:<64 hex>". */
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

/** An image manifest (OCI or Docker v2 schema 2; both share this shape). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** A built image: the exact manifest bytes, its digest and every blob it refers to. */
export interface WasmImage {
  format: ImageFormat;
  /** Media type the manifest is served with. */
  manifestMediaType: string;
  /** The manifest bytes; `digest` is their sha256 (what a WasmPlugin's `sha256` must be, without "sha256:"). */
  manifestBytes: Buffer;
  manifest: ImageManifest;
  /** "sha256:<hex>" of `manifestBytes`. */
  digest: string;
  /** Config and layer blobs by digest. */
  blobs: Map<string, Buffer>;
}

/** Options of {@link packageWasm}. */
export interface PackageOptions {
  /** Image layout; default "compat" (the one every registry and Istio version accepts). */
  format?: ImageFormat;
  /** Root ids the module registers (runtime config of the "artifact" format; default [] ). */
  rootIds?: string[];
  /** proxy-wasm ABI versions the module speaks (runtime config of the "artifact" format; default ["v0.2.1"]). */
  abiVersions?: string[];
  /**
   * The standard OCI annotations to write (title, version, source, description, created). Absent fields are left
   * out; nothing is filled from the clock, so the same module and options give the same digest.
   */
  description?: ImageDescription;
  /** More annotations to write (the module facts and `description` win on the same key). */
  annotations?: Readonly<Record<string, string>>;
}

/** "sha256:<hex>" of `data`. */
export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/**
 * Packages a wasm module as an image Istio accepts. Same module and options ⇒ same bytes and digest.
 * The image says what it holds: the module's facts (`dev.proxy-wasm-as.module.*`: sha256, size, ABI versions,
 * proxy_on_* exports, `rootIds`) and `description`'s OCI annotations, as manifest annotations (OCI formats) or as
 * image config labels (the Docker format, whose manifest has no annotations); Istio and Envoy Gateway read neither.
 * Throws a {@link PackagingError} when `wasm` is not a WebAssembly binary.
 */
export function packageWasm(wasm: Uint8Array, options: PackageOptions = {}): WasmImage {
  assertWasmBinary(wasm, "the module to package");
  const format = options.format ?? "compat";
  if (!IMAGE_FORMATS.includes(format)) {
    throw new PackagingError(`unknown image format "${String(format)}"`, {
      hint: `use one of: ${IMAGE_FORMATS.join(", ")}`,
    });
  }
  const annotations = imageAnnotations(moduleFacts(wasm, options.rootIds), options.description, options.annotations);
  return format === "artifact"
    ? buildArtifact(wasm, options, annotations)
    : buildCompat(wasm, format === "compat-docker", annotations);
}

/** Throws a {@link PackagingError} naming `what` unless `bytes` start with the WebAssembly magic and version 1. */
export function assertWasmBinary(bytes: Uint8Array, what: string): void {
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (bytes.length < 8 || magic.some((b, i) => bytes[i] !== b)) {
    throw new PackagingError(
      `${what} is not a WebAssembly binary (it must start with \\0asm version 1; got ${bytes.length} bytes)`,
      {
        hint: "pass the compiled .wasm file (the .wasm `npx proxy-wasm-as build` writes), not the .wat or source",
      },
    );
  }
}

function buildCompat(wasm: Uint8Array, docker: boolean, annotations: Record<string, string>): WasmImage {
  const tar = writeTar([{ name: mt.COMPAT_WASM_FILE, data: wasm }]);
  const layer = gzipReproducible(tar);
  const config = jsonBytes({
    architecture: "amd64",
    os: "linux",
    // Docker's manifest has no annotations: a Docker image says what it is in its config's labels (`docker inspect`).
    config: docker ? { Labels: annotations } : {},
    rootfs: { type: "layers", diff_ids: [sha256Digest(tar)] },
  });
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: docker ? mt.DOCKER_MANIFEST : mt.OCI_MANIFEST,
    config: descriptor(docker ? mt.DOCKER_CONFIG : mt.OCI_CONFIG, config),
    layers: [descriptor(docker ? mt.DOCKER_LAYER_TAR_GZIP : mt.OCI_LAYER_TAR_GZIP, layer)],
  };
  if (!docker) manifest.annotations = sortedKeys({ ...annotations, [mt.VARIANT_ANNOTATION]: "compat" });
  return finish(docker ? "compat-docker" : "compat", manifest, [config, layer]);
}

function buildArtifact(wasm: Uint8Array, options: PackageOptions, annotations: Record<string, string>): WasmImage {
  const runtimeConfig = jsonBytes({
    type: "envoy_proxy",
    abiVersions: options.abiVersions ?? ["v0.2.1"],
    config: { rootIds: options.rootIds ?? [] },
  });
  const module = Buffer.from(wasm);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: mt.OCI_MANIFEST,
    config: descriptor(mt.WASM_CONFIG_LAYER, runtimeConfig),
    layers: [
      descriptor(mt.WASM_CONFIG_LAYER, runtimeConfig, { [mt.TITLE_ANNOTATION]: mt.ARTIFACT_CONFIG_TITLE }),
      descriptor(mt.WASM_CONTENT_LAYER, module, { [mt.TITLE_ANNOTATION]: mt.ARTIFACT_WASM_TITLE }),
    ],
    annotations,
  };
  return finish("artifact", manifest, [runtimeConfig, module]);
}

function descriptor(mediaType: string, blob: Buffer, annotations?: Record<string, string>): Descriptor {
  return { mediaType, digest: sha256Digest(blob), size: blob.length, ...(annotations ? { annotations } : {}) };
}

function sortedKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

/** Assembles a {@link WasmImage} from a manifest and the blobs it refers to. */
export function imageFromParts(format: ImageFormat, manifest: ImageManifest, blobs: readonly Buffer[]): WasmImage {
  return finish(format, manifest, blobs);
}

function finish(format: ImageFormat, manifest: ImageManifest, blobs: readonly Buffer[]): WasmImage {
  const manifestBytes = jsonBytes(manifest);
  return {
    format,
    manifestMediaType: manifest.mediaType ?? mt.OCI_MANIFEST,
    manifestBytes,
    manifest,
    digest: sha256Digest(manifestBytes),
    blobs: new Map(blobs.map((b) => [sha256Digest(b), b])),
  };
}

/**
 * Writes `image` into the OCI image layout directory `dir` (created if needed) under the tag `tag`
 * (default "latest"), keeping other images already in its index.json. Readable by skopeo/umoci as `oci:<dir>:<tag>`
 * (for the OCI formats; skopeo 1.9's oci: transport does not resolve tags of Docker-media-type manifests).
 */
export async function writeOciLayout(image: WasmImage, dir: string, tag = "latest"): Promise<void> {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const blobs = new Map(image.blobs);
  blobs.set(image.digest, image.manifestBytes);
  for (const [digest, bytes] of blobs)
    await writeFile(join(dir, "blobs", "sha256", digest.slice("sha256:".length)), bytes);
  const refName = "org.opencontainers.image.ref.name";
  let manifests: Descriptor[] = [];
  try {
    const existing = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as { manifests?: Descriptor[] };
    manifests = (existing.manifests ?? []).filter((d) => d.annotations?.[refName] !== tag);
  } catch {
    // no index yet
  }
  manifests.push({
    mediaType: image.manifestMediaType,
    digest: image.digest,
    size: image.manifestBytes.length,
    annotations: { [refName]: tag },
  });
  await writeFile(
    join(dir, "index.json"),
    `${JSON.stringify({ schemaVersion: 2, mediaType: mt.OCI_INDEX, manifests }, null, 2)}\n`,
  );
}
