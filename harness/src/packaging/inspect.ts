// What a registry holds, WebAssembly Hub style: `inspectImage` reads one image's metadata (manifest annotations, or a
// Docker image's config labels) without downloading the module, and with `verify` downloads it the way Istio does and
// checks the facts; `listModules` walks the catalog and tags of a registry (or a prefix of it) and inspects every tag.
// Everything a registry sends is untrusted: manifests, configs, pages and counts are bounded.
import { PackagingError } from "./errors.ts";
import type { ImageManifest } from "./image.ts";
import { extractWasmLikeIstio, ISTIO_MAX_WASM_BYTES, linuxAmd64Child } from "./istio-fetch.ts";
import {
  CatalogUnsupportedError,
  DEFAULT_LIST_LIMIT,
  listRepositories,
  listTags,
  type ListingOptions,
} from "./catalog.ts";
import * as mt from "./media-types.ts";
import { moduleFacts, parseImageMetadata, type ImageMetadata, type ModuleFacts } from "./metadata.ts";
import { parseReference, RegistrySession, type RegistryOptions } from "./registry.ts";
import { sha256Digest } from "./image.ts";

/** How an image is laid out, from its manifest alone. */
export type ImageLayout =
  /** OCI manifest, last layer tar+gzip (Istio's and Envoy Gateway's compat image). */
  | "compat"
  /** Docker manifest, last layer Docker tar+gzip. */
  | "compat-docker"
  /** Two layers, one of them the raw wasm module (Istio's oci variant). */
  | "artifact"
  /** One raw wasm layer (wasm-to-oci / CNCF); Istio refuses it. */
  | "wasm-single-layer"
  /** Anything else. */
  | "other";

/** One image's metadata, read by {@link inspectImage}. */
export interface ImageInspection {
  /** `registry/repository:tag` (or `@digest`) as inspected. */
  reference: string;
  /** "sha256:<hex>" of the manifest: the `sha256` of an Istio WasmPlugin or an Envoy Gateway Image code source. */
  digest: string;
  /** The manifest's media type. */
  mediaType: string;
  layout: ImageLayout;
  /** The raw annotations (a Docker image's config labels), string values only. */
  annotations: Record<string, string>;
  /** The annotations parsed. */
  metadata: ImageMetadata;
  /** With `verify`: the facts of the module Istio extracts, and how they differ from the annotated ones. */
  verification?: {
    facts: ModuleFacts;
    /** Empty when every annotated fact matches the module; else one line per difference. */
    differences: string[];
  };
}

/** Options of {@link inspectImage}. */
export interface InspectOptions extends RegistryOptions {
  /** Download the module as istio-agent does and check the annotated facts against it. */
  verify?: boolean;
  /** With `verify`: most bytes of a layer (default {@link ISTIO_MAX_WASM_BYTES}). */
  maxLayerBytes?: number;
}

/** Largest image config read (for a Docker image's labels). A wasm image's config is a few hundred bytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads the metadata of image `reference` (an index resolves to its linux/amd64 child). Throws a
 * {@link PackagingError} when the registry cannot be reached or refuses access, the image is missing, or it is not a
 * proxy-wasm image (no module facts and not a wasm layout; with `verify`, when Istio would not extract a module).
 */
export async function inspectImage(reference: string, options: InspectOptions = {}): Promise<ImageInspection> {
  const ref = parseReference(reference);
  const maxLayerBytes = options.maxLayerBytes ?? ISTIO_MAX_WASM_BYTES;
  const session = new RegistrySession(ref, { maxBlobBytes: maxLayerBytes, ...options }, "pull");
  let fetched = await session.manifest(ref.digest ?? ref.tag ?? "latest");
  if (fetched.mediaType === mt.OCI_INDEX || fetched.mediaType === mt.DOCKER_MANIFEST_LIST) {
    fetched = await session.manifest(linuxAmd64Child(fetched).digest);
  }
  const shown = `${ref.registry}/${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? "latest"}`}`;
  const manifest = manifestObject(fetched.bytes, fetched.digest);
  const mediaType = manifest.mediaType ?? fetched.mediaType;
  const layout = layoutOf(mediaType, manifest.layers);
  const annotations =
    mediaType === mt.DOCKER_MANIFEST
      ? await dockerLabels(session, manifest)
      : strings(manifest.annotations as Record<string, unknown> | undefined);
  const metadata = parseImageMetadata(annotations);
  const inspection: ImageInspection = {
    reference: shown,
    digest: fetched.digest,
    mediaType,
    layout,
    annotations,
    metadata,
  };
  const looksLikeWasm =
    metadata.module !== undefined ||
    layout === "artifact" ||
    layout === "wasm-single-layer" ||
    annotations[mt.VARIANT_ANNOTATION] === "compat";
  if (!options.verify) {
    if (!looksLikeWasm) throw notProxyWasm(shown, manifest.layers, "--verify reads the module to be sure");
    return inspection;
  }
  const extracted = await extractWasmLikeIstio(fetched, (digest) => session.blob(digest), { maxLayerBytes }).catch(
    (cause: unknown) => {
      if (!looksLikeWasm && cause instanceof PackagingError) throw notProxyWasm(shown, manifest.layers, "");
      throw cause;
    },
  );
  const facts = moduleFacts(extracted.wasm, metadata.module?.rootIds);
  return { ...inspection, verification: { facts, differences: differences(metadata.module, facts) } };
}

/** How the annotated facts differ from the module's. */
function differences(annotated: ModuleFacts | undefined, actual: ModuleFacts): string[] {
  if (!annotated)
    return ["the image carries no module facts (dev.proxy-wasm-as.module.*): it was not pushed by proxy-wasm-as"];
  const out: string[] = [];
  const compare = (what: string, said: unknown, is: unknown) => {
    if (JSON.stringify(said) !== JSON.stringify(is))
      out.push(`${what}: annotated ${JSON.stringify(said)}, module has ${JSON.stringify(is)}`);
  };
  compare("sha256", annotated.sha256, actual.sha256);
  compare("size", annotated.size, actual.size);
  compare("ABI versions", annotated.abiVersions, actual.abiVersions);
  compare("exports", annotated.exports, actual.exports);
  return out;
}

function notProxyWasm(reference: string, layers: readonly { mediaType: string }[], more: string): PackagingError {
  const types = layers.map((l) => l.mediaType).join(", ") || "none";
  return new PackagingError(`${reference} is not a proxy-wasm image (no module facts; layers: ${types})`, {
    hint: `push filters with \`proxy-wasm-as istio push <file.wasm> <reference>\`, which records what the module is${more ? `; ${more}` : ""}`,
  });
}

/** The manifest JSON as an object with a list of layer descriptors; a {@link PackagingError} otherwise. */
function manifestObject(bytes: Buffer, digest: string): ImageManifest {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    value = undefined;
  }
  const layers = (value as { layers?: unknown } | undefined)?.layers;
  if (
    typeof value !== "object" ||
    value === null ||
    !Array.isArray(layers) ||
    !layers.every(
      (l) => typeof l === "object" && l !== null && typeof (l as { mediaType?: unknown }).mediaType === "string",
    )
  ) {
    throw new PackagingError(`manifest ${digest} is not an image manifest (a JSON object with a list of layers)`, {
      hint: "the registry holds a damaged or hand-made manifest; push the module again with `proxy-wasm-as istio push`",
    });
  }
  return value as ImageManifest;
}

function layoutOf(mediaType: string, layers: readonly { mediaType: string }[]): ImageLayout {
  const types = layers.map((l) => l.mediaType);
  if (types.length === 1 && (types[0] === mt.CNCF_WASM_LAYER || types[0] === mt.WASM_CONTENT_LAYER))
    return "wasm-single-layer";
  if (types.length === 2 && types.includes(mt.WASM_CONTENT_LAYER)) return "artifact";
  if (mediaType === mt.DOCKER_MANIFEST && types.at(-1) === mt.DOCKER_LAYER_TAR_GZIP) return "compat-docker";
  if (mediaType !== mt.DOCKER_MANIFEST && types.at(-1) === mt.OCI_LAYER_TAR_GZIP) return "compat";
  return "other";
}

/** A Docker image's config labels (its manifest has no annotations). */
async function dockerLabels(session: RegistrySession, manifest: ImageManifest): Promise<Record<string, string>> {
  const digest = (manifest.config as { digest?: unknown } | undefined)?.digest;
  if (typeof digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(digest)) return {};
  const response = await session.request("GET", `blobs/${digest}`);
  if (response.status !== 200) await session.expect(response, [200], `fetch the image config ${digest}`);
  const bytes = await session.body(
    response,
    MAX_CONFIG_BYTES,
    `image config ${digest}`,
    "a wasm image's config is a few hundred bytes: this image is not a proxy-wasm image",
  );
  if (sha256Digest(bytes) !== digest) {
    throw new PackagingError(`image config ${digest} hashes to ${sha256Digest(bytes)}`, {
      hint: "the registry served corrupted content",
    });
  }
  try {
    const config = JSON.parse(bytes.toString("utf8")) as { config?: { Labels?: Record<string, unknown> } } | null;
    return strings(config?.config?.Labels ?? undefined);
  } catch {
    return {};
  }
}

/** The string-valued entries of an untrusted record. */
function strings(record: Record<string, unknown> | null | undefined): Record<string, string> {
  if (typeof record !== "object" || record === null || Array.isArray(record)) return {};
  return Object.fromEntries(Object.entries(record).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** Options of {@link listModules}. */
export interface ListModulesOptions extends RegistryOptions {
  /** Most repositories read from the catalog; default {@link DEFAULT_LIST_LIMIT}. */
  maxRepositories?: number;
  /** Most tags read per repository; default {@link DEFAULT_TAGS_PER_REPOSITORY}. */
  maxTags?: number;
  /** Called with a line of progress (a repository being read). */
  onProgress?: (message: string) => void;
}

/** Default of {@link ListModulesOptions.maxTags}. */
export const DEFAULT_TAGS_PER_REPOSITORY = 20;

/** A tag {@link listModules} looked at: its inspection, or why it is not listed as a module. */
export interface ListedTag {
  repository: string;
  tag: string;
  /** The image's metadata, when it is a proxy-wasm image. */
  inspection?: ImageInspection;
  /** Why it is not listed as a module (not a proxy-wasm image, unreadable manifest, …): one line. */
  skipped?: string;
}

/** What {@link listModules} found. */
export interface RegistryModules {
  registry: string;
  /** The repository prefix listed ("" for the whole registry). */
  prefix: string;
  /** Every tag looked at, by repository then tag, in the registry's order. */
  tags: ListedTag[];
  /** True when the catalog had more repositories than `maxRepositories`. */
  repositoriesTruncated: boolean;
  /** Repositories that had more tags than `maxTags`. */
  tagsTruncated: string[];
  /** Set when the registry serves no catalog and `prefix` was listed as one repository. */
  note?: string;
}

/**
 * Lists the proxy-wasm modules `location` (`host[:port]` or `host[:port]/prefix`) holds: repositories from the catalog
 * (under `prefix`), tags of each, and each tag's metadata (manifest only, no module download). Bounded by
 * `maxRepositories` and `maxTags`, each request by the registry timeout. Throws a {@link PackagingError} when the
 * registry is unreachable, refuses access or (without a prefix) serves no catalog.
 */
export async function listModules(location: string, options: ListModulesOptions = {}): Promise<RegistryModules> {
  const { registry, prefix } = parseLocation(location);
  const listing: ListingOptions = { ...options, limit: options.maxRepositories ?? DEFAULT_LIST_LIMIT };
  let repositories: string[];
  let repositoriesTruncated = false;
  let note: string | undefined;
  try {
    const found = await listRepositories(registry, prefix, listing);
    repositories = found.entries;
    repositoriesTruncated = found.truncated;
  } catch (err) {
    if (!(err instanceof CatalogUnsupportedError) || prefix === "") throw err;
    repositories = [prefix];
    note = `${registry} serves no catalog: listed ${prefix} as one repository`;
  }
  const result: RegistryModules = {
    registry,
    prefix,
    tags: [],
    repositoriesTruncated,
    tagsTruncated: [],
    ...(note ? { note } : {}),
  };
  for (const [i, repository] of repositories.entries()) {
    options.onProgress?.(`reading ${registry}/${repository} (${i + 1}/${repositories.length})`);
    const tags = await listTags(registry, repository, {
      ...options,
      limit: options.maxTags ?? DEFAULT_TAGS_PER_REPOSITORY,
    });
    if (tags.truncated) result.tagsTruncated.push(repository);
    const inspected = await mapLimited(tags.entries, INSPECT_CONCURRENCY, async (tag): Promise<ListedTag> => {
      try {
        return { repository, tag, inspection: await inspectImage(`${registry}/${repository}:${tag}`, options) };
      } catch (err) {
        if (!(err instanceof PackagingError)) throw err;
        return { repository, tag, skipped: err.message.split("\n")[0]! };
      }
    });
    result.tags.push(...inspected);
  }
  return result;
}

/** Manifests read at once while listing. */
const INSPECT_CONCURRENCY = 4;

async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await work(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const LOCATION =
  /^(?<registry>[^/]+)(?:\/(?<prefix>[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*))?\/?$/;

/** Parses `host[:port][/prefix]` (an `oci://` scheme is dropped). Throws a {@link PackagingError} for anything else. */
export function parseLocation(location: string): { registry: string; prefix: string } {
  const m = LOCATION.exec(location.replace(/^oci:\/\//, ""));
  const host = m?.groups?.registry ?? "";
  if (!m || !(host.includes(".") || host.includes(":") || host === "localhost")) {
    throw new PackagingError(`"${location}" is not a registry address`, {
      hint: "write it as host[:port] or host[:port]/prefix, e.g. 127.0.0.1:5000 or registry.example.com/filters (lower-case prefix, no tag)",
    });
  }
  return { registry: host, prefix: m.groups?.prefix ?? "" };
}
