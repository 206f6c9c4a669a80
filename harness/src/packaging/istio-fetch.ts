// Reads a wasm module out of an image exactly as istio-agent does (istio/istio pkg/wasm/imagefetcher.go,
// cache.go): Docker manifest ⇒ LAST layer must be a Docker tar+gzip holding a file whose basename is
// plugin.wasm; OCI manifest ⇒ first the same with the OCI tar+gzip type ("compat"), else exactly two layers,
// one of them the raw wasm content type ("oci" artifact). An index resolves to its linux/amd64 child.
// Anything else is refused with Istio's reason plus what to do about it.
import { messageWithoutHint } from "../errors.ts";
import { PackagingError } from "./errors.ts";
import { assertWasmBinary, type Descriptor, type ImageManifest, type WasmImage } from "./image.ts";
import * as mt from "./media-types.ts";
import { parseReference, RegistrySession, type FetchedManifest, type RegistryOptions } from "./registry.ts";
import { pinnedIstioVersion } from "./crds.ts";
import {
  checksChallengeRealms,
  DEFAULT_ISTIO_VERSION,
  describeVersion,
  REALM_CHECK_VERSIONS,
  type IstioVersion,
} from "./istio-versions.ts";
import { unsafeRealmReason } from "./realm.ts";
import { findInTarGz, LISTED_NAMES, TarLimitError } from "./tar.ts";

/** Which of Istio's three accepted layouts an image matched. */
export type IstioImageVariant = "docker-compat" | "oci-compat" | "oci-artifact";

/** A module extracted the way Istio does. */
export interface IstioExtraction {
  variant: IstioImageVariant;
  /** The wasm module bytes Envoy would load. */
  wasm: Buffer;
  /** "sha256:<hex>" of the image manifest: what istio-agent compares with the WasmPlugin's `sha256`. */
  digest: string;
  /** True when HTTPS was answered in plain HTTP and the pull fell back to HTTP, as istio-agent does. */
  plainHttpFallback?: boolean;
}

/** Options of {@link pullWasmLikeIstio}. */
export interface IstioPullOptions extends RegistryOptions {
  /** The WasmPlugin `sha256` (64 hex): checked against the manifest digest before any layer is read, as the agent does. */
  sha256?: string;
  /** Istio version whose istio-agent rules apply (realm checks from 1.27.8/1.28.5/1.29.1/1.30), a pinned minor; default {@link DEFAULT_ISTIO_VERSION}. */
  istioVersion?: string | IstioVersion;
  /**
   * Most bytes of a layer: of its download and of a compat layer's uncompressed tar stream (istio-agent cuts both at
   * `ISTIO_WASM_MAX_BINARY_SIZE_BYTES`); default {@link ISTIO_MAX_WASM_BYTES}. Sets
   * {@link RegistryOptions.maxBlobBytes} unless that is given.
   */
  maxLayerBytes?: number;
}

/** Options of {@link extractWasmLikeIstio}. */
export interface IstioExtractOptions {
  /** See {@link IstioPullOptions.maxLayerBytes}; default {@link ISTIO_MAX_WASM_BYTES}. */
  maxLayerBytes?: number;
}

/** Istio's binary size cap (`ISTIO_WASM_MAX_BINARY_SIZE_BYTES` default, 256 MiB). */
export const ISTIO_MAX_WASM_BYTES = 256 * 1024 * 1024;

const REBUILD_HINT =
  "package it with `npx proxy-wasm-as istio package <file.wasm>` (compat or artifact format), which Istio accepts";

/**
 * Pulls `reference` from its registry and extracts the module with istio-agent's rules. Throws a
 * {@link PackagingError} saying why Istio would refuse the image (layout, digest mismatch, not wasm).
 */
export async function pullWasmLikeIstio(reference: string, options: IstioPullOptions = {}): Promise<IstioExtraction> {
  const ref = parseReference(reference);
  const version = pinnedIstioVersion(options.istioVersion);
  const checkChallenge = (challenge: string) => {
    options.checkChallenge?.(challenge);
    const reason = checksChallengeRealms(version) ? unsafeRealmReason(challenge) : undefined;
    if (reason) {
      throw new PackagingError(
        `Istio ${describeVersion(version)} would refuse ${reference}: ${reason} (challenge: ${challenge})`,
        {
          hint:
            `istio-agent ${REALM_CHECK_VERSIONS} only follows auth realms that are http(s) URLs whose host is a name or a public IP ` +
            `(not localhost, not a private, loopback or link-local address); configure the registry's realm accordingly ` +
            `(e.g. registry auth.htpasswd.realm / auth.token.realm set to https://<registry host name>/…)`,
        },
      );
    }
  };
  const maxLayerBytes = options.maxLayerBytes ?? ISTIO_MAX_WASM_BYTES;
  const sessionOptions = { maxBlobBytes: maxLayerBytes, ...options, checkChallenge };
  let session = new RegistrySession(ref, sessionOptions, "pull");
  let manifest: FetchedManifest;
  let plainHttpFallback = false;
  try {
    manifest = await session.manifest(ref.digest ?? ref.tag ?? "latest");
  } catch (err) {
    // istio-agent (imagefetcher.go PrepareFetch) retries with plain HTTP when the server "gave HTTP response" to TLS.
    if (options.scheme !== undefined || session.base.protocol !== "https:" || !answeredTlsInPlainHttp(err)) throw err;
    session = new RegistrySession(ref, { ...sessionOptions, scheme: "http" }, "pull");
    manifest = await session.manifest(ref.digest ?? ref.tag ?? "latest");
    plainHttpFallback = true;
  }
  if (manifest.mediaType === mt.OCI_INDEX || manifest.mediaType === mt.DOCKER_MANIFEST_LIST) {
    manifest = await session.manifest(linuxAmd64Child(manifest).digest);
  }
  if (options.sha256 !== undefined) checkSha256(options.sha256, manifest.digest, reference);
  const extracted = await extractWasmLikeIstio(manifest, (digest) => session.blob(digest), { maxLayerBytes });
  return plainHttpFallback ? { ...extracted, plainHttpFallback } : extracted;
}

/** Whether `err` (from a fetch over HTTPS) means the server answered the TLS handshake in plain HTTP. */
function answeredTlsInPlainHttp(err: unknown): boolean {
  for (
    let e = err as { code?: string; message?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (
      e.code === "ERR_SSL_WRONG_VERSION_NUMBER" ||
      e.code === "ERR_SSL_PACKET_LENGTH_TOO_LONG" ||
      /wrong version number|packet length too long/.test(e.message ?? "")
    )
      return true;
  }
  return false;
}

/** Applies Istio's rules to a locally built image (no registry): what Istio would extract, or why it would refuse. */
export function extractFromImageLikeIstio(image: WasmImage): Promise<IstioExtraction> {
  const manifest: FetchedManifest = {
    mediaType: image.manifestMediaType,
    bytes: image.manifestBytes,
    digest: image.digest,
  };
  return extractWasmLikeIstio(manifest, async (digest) => {
    const blob = image.blobs.get(digest);
    if (!blob) throw new PackagingError(`image refers to blob ${digest} but does not contain it`);
    return blob;
  });
}

/**
 * Applies Istio's layout rules to `manifest`, reading layers through `readBlob`. Throws a
 * {@link PackagingError} that quotes Istio's reason and says how to fix the image.
 */
export async function extractWasmLikeIstio(
  manifest: FetchedManifest,
  readBlob: (digest: string) => Promise<Buffer>,
  options: IstioExtractOptions = {},
): Promise<IstioExtraction> {
  const maxTarBytes = options.maxLayerBytes ?? ISTIO_MAX_WASM_BYTES;
  const parsed = manifestShape(manifest);
  const layers = parsed.layers;
  const mediaType = parsed.mediaType ?? manifest.mediaType;
  let variant: IstioImageVariant;
  let wasm: Buffer;
  if (mediaType === mt.DOCKER_MANIFEST) {
    const reason = await lastLayerPlugin(layers, mt.DOCKER_LAYER_TAR_GZIP, readBlob, maxTarBytes);
    if (!Buffer.isBuffer(reason)) {
      throw refusal(
        `could not extract Wasm file from the image as Docker container: ${reasonText(reason)}`,
        layers,
        reason,
      );
    }
    variant = "docker-compat";
    wasm = reason;
  } else if (mediaType === mt.OCI_MANIFEST || mediaType === "") {
    const compat = await lastLayerPlugin(layers, mt.OCI_LAYER_TAR_GZIP, readBlob, maxTarBytes);
    if (Buffer.isBuffer(compat)) {
      variant = "oci-compat";
      wasm = compat;
    } else {
      const artifact = artifactModule(layers);
      if (typeof artifact === "string") {
        throw refusal(
          `could not parse as compat variant: ${reasonText(compat)}; could not parse as oci variant: ${artifact}`,
          layers,
          compat,
        );
      }
      variant = "oci-artifact";
      wasm = await readBlob(artifact.digest);
    }
  } else {
    throw new PackagingError(
      `manifest media type "${mediaType}" is neither a Docker v2 nor an OCI image manifest; Istio cannot read it`,
      {
        hint: REBUILD_HINT,
      },
    );
  }
  if (wasm.length > ISTIO_MAX_WASM_BYTES) {
    throw new PackagingError(`the module is ${wasm.length} bytes, over Istio's ${ISTIO_MAX_WASM_BYTES}-byte limit`, {
      hint: "shrink the module (optimize with -O3z, strip debug info) or raise ISTIO_WASM_MAX_BINARY_SIZE_BYTES on the proxies",
    });
  }
  assertWasmBinary(wasm, `the file Istio would extract from ${manifest.digest}`);
  return { variant, wasm, digest: manifest.digest };
}

/** Throws unless `expected` (a WasmPlugin sha256) equals the manifest digest `actual`. */
function checkSha256(expected: string, actual: string, reference: string): void {
  if (!/^[0-9a-f]{64}$/.test(expected)) {
    throw new PackagingError(`sha256 "${expected}" is not 64 lower-case hex characters`, {
      hint: "use the manifest digest without the sha256: prefix",
    });
  }
  if (`sha256:${expected}` !== actual) {
    throw new PackagingError(
      `module downloaded from ${reference} has checksum ${actual.slice(7)}, which does not match: ${expected}`,
      {
        hint: `for OCI images Istio compares sha256 with the image MANIFEST digest (not the .wasm file's hash); set sha256 to ${actual.slice(7)}`,
      },
    );
  }
}

/**
 * Istio's compat rule: the LAST layer has `layerType` and its tar holds a file with basename plugin.wasm. Returns the
 * module, the reason it is refused, or the {@link TarLimitError} when the layer limit cut the tar first.
 */
async function lastLayerPlugin(
  layers: Descriptor[],
  layerType: string,
  readBlob: (digest: string) => Promise<Buffer>,
  maxTarBytes: number,
): Promise<Buffer | string | TarLimitError> {
  if (layers.length === 0) return "number of layers must be greater than zero";
  const last = layers[layers.length - 1]!;
  if (last.mediaType !== layerType) return `invalid media type ${last.mediaType} (expect ${layerType})`;
  const blob = await readBlob(last.digest);
  let search: Awaited<ReturnType<typeof findInTarGz>>;
  try {
    search = await findInTarGz(blob, (name) => name.split("/").pop() === mt.COMPAT_WASM_FILE, {
      maxTarBytes,
      what: `layer ${last.digest}`,
    });
  } catch (err) {
    if (err instanceof TarLimitError) return err;
    return err instanceof PackagingError ? err.message.split("\n")[0]! : String(err);
  }
  if (search.found) return Buffer.from(search.found.data);
  const more = search.fileCount > LISTED_NAMES ? `, … (${search.fileCount} files)` : "";
  return `${mt.COMPAT_WASM_FILE} not found in the image (last layer has: ${search.names.join(", ") || "no files"}${more})`;
}

/**
 * The manifest's JSON with the shape Istio needs (an object whose `layers` is a list of descriptors with a media
 * type and a sha256 digest). Throws a {@link PackagingError} naming the first thing wrong: what a registry serves is
 * untrusted input.
 */
function manifestShape(manifest: FetchedManifest): { mediaType?: string; layers: Descriptor[] } {
  const parsed = parseJson(manifest);
  const refuse = (what: string) =>
    new PackagingError(`manifest ${manifest.digest} ${what}, so Istio cannot read the image`, {
      hint: `the registry holds a damaged or hand-made manifest; ${REBUILD_HINT} and push it again`,
    });
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw refuse(`is ${describeJson(parsed)}, not a JSON object`);
  const { mediaType, layers = [] } = parsed as Partial<Record<keyof ImageManifest, unknown>>;
  if (mediaType !== undefined && typeof mediaType !== "string")
    throw refuse(`has a "mediaType" that is ${describeJson(mediaType)}, not a string`);
  if (!Array.isArray(layers)) throw refuse(`has "layers" that is ${describeJson(layers)}, not a list`);
  layers.forEach((layer: unknown, i) => {
    if (typeof layer !== "object" || layer === null || Array.isArray(layer))
      throw refuse(`has layers[${i}] that is ${describeJson(layer)}, not a descriptor {mediaType, digest, size}`);
    const { mediaType: type, digest } = layer as Partial<Record<keyof Descriptor, unknown>>;
    if (typeof type !== "string") throw refuse(`has layers[${i}].mediaType that is ${describeJson(type)}`);
    if (typeof digest !== "string" || !/^sha256:[a-f0-9]{64}$/.test(digest))
      throw refuse(`has layers[${i}].digest that is ${describeJson(digest)}, not sha256:<64 hex>`);
  });
  return { mediaType: mediaType as string | undefined, layers: layers as Descriptor[] };
}

function parseJson(manifest: FetchedManifest): unknown {
  try {
    return JSON.parse(manifest.bytes.toString("utf8"));
  } catch (cause) {
    throw new PackagingError(
      `manifest ${manifest.digest} is not valid JSON (${(cause as Error).message}), so Istio cannot read the image`,
      { hint: `the registry holds a damaged or hand-made manifest; ${REBUILD_HINT} and push it again`, cause },
    );
  }
}

/** A short description of a JSON value for messages: `null`, `a string`, `a number`, `a list`, … */
function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "missing";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Istio's "oci" variant rule: exactly two layers, one of the wasm content type. Returns that layer or the reason. */
function artifactModule(layers: Descriptor[]): Descriptor | string {
  if (layers.length !== 2) return `number of layers must be 2 but got ${layers.length}`;
  return (
    layers.find((l) => l.mediaType === mt.WASM_CONTENT_LAYER) ??
    `could not find the layer of type ${mt.WASM_CONTENT_LAYER}`
  );
}

/** What Istio says when the compat rule fails: the reason, or for a layer cut at the limit, Go's tar reader's error. */
function reasonText(reason: string | TarLimitError): string {
  return typeof reason === "string" ? reason : "could not extract wasm binary: unexpected EOF";
}

/** Builds the refusal: Istio's own reason, then a diagnosis of the common wrong layouts (or of the layer limit). */
function refusal(istioReason: string, layers: Descriptor[], compat?: string | TarLimitError): PackagingError {
  if (compat instanceof TarLimitError) {
    return new PackagingError(
      `Istio would refuse this image: ${messageWithoutHint(compat)}.\nIstio's reason: ${istioReason}`,
      { hint: compat.hint },
    );
  }
  const types = layers.map((l) => l.mediaType);
  let diagnosis: string;
  if (layers.length === 1 && (types[0] === mt.CNCF_WASM_LAYER || types[0] === mt.WASM_CONTENT_LAYER)) {
    diagnosis = `single-layer wasm-to-oci image (${types[0]}): Istio requires a compat image (last layer tar+gzip with plugin.wasm) or the two-layer oci artifact (runtime config + ${mt.WASM_CONTENT_LAYER})`;
  } else if (layers.length > 2 && types.includes(mt.WASM_CONTENT_LAYER)) {
    diagnosis = `${layers.length}-layer wasm artifact: Istio's oci variant must have exactly 2 layers (runtime config + wasm), and a compat image must have a tar+gzip last layer`;
  } else if (types.at(-1)?.endsWith(".tar") || types.at(-1)?.endsWith("tar")) {
    diagnosis = "the last layer is an uncompressed tar: Istio only reads tar+gzip layers";
  } else {
    diagnosis = `layers are [${types.join(", ") || "none"}]: not a layout Istio accepts`;
  }
  return new PackagingError(`Istio would refuse this image: ${diagnosis}.\nIstio's reason: ${istioReason}`, {
    hint: REBUILD_HINT,
  });
}

/** The linux/amd64 child of image index `index`, as go-containerregistry picks it; a {@link PackagingError} when none. */
export function linuxAmd64Child(index: FetchedManifest): Descriptor {
  const parsed = parseJson(index) as { manifests?: unknown } | null;
  const manifests = Array.isArray(parsed?.manifests) ? (parsed.manifests as (Partial<Descriptor> | null)[]) : [];
  const child = manifests.find(
    (m): m is Descriptor =>
      m?.platform?.os === "linux" &&
      m.platform.architecture === "amd64" &&
      typeof m.digest === "string" &&
      /^sha256:[a-f0-9]{64}$/.test(m.digest),
  );
  if (!child) {
    throw new PackagingError(
      `image index ${index.digest}: no child with platform linux/amd64 in index (Istio resolves indexes to linux/amd64)`,
      {
        hint: "push a plain manifest (what `npx proxy-wasm-as istio push` does) or build with --platform linux/amd64 --provenance=false",
      },
    );
  }
  return child;
}
