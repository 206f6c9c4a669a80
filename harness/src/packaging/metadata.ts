// What a wasm image says about itself: the standard OCI annotations (title, version, source, description, created)
// and this project's facts about the module (`dev.proxy-wasm-as.module.*`: sha256, size, ABI versions, proxy_on_*
// exports, declared root ids). Pure: builds the annotation map `image.ts` writes and reads one back.
import { createHash } from "node:crypto";
import { ABI_MARKERS, readModuleInterface } from "../abi/index.ts";
import { PackagingError } from "./errors.ts";
import * as mt from "./media-types.ts";

/** What the publisher says about an image: the standard OCI annotations, each optional. */
export interface ImageDescription {
  /** `org.opencontainers.image.title`, e.g. the package name. */
  title?: string;
  /** `org.opencontainers.image.version`, e.g. "1.2.0". */
  version?: string;
  /** `org.opencontainers.image.source`: URL of the source code. */
  source?: string;
  /** `org.opencontainers.image.description`. */
  description?: string;
  /** `org.opencontainers.image.created`: RFC 3339 date-time, e.g. "2026-12-07T23:00:00Z". */
  created?: string;
}

/** Facts about a module, read from its bytes by {@link moduleFacts}. */
export interface ModuleFacts {
  /** sha256 of the module, 64 hex. */
  sha256: string;
  /** Size in bytes. */
  size: number;
  /** ABI versions its `proxy_abi_version_*` marker exports declare, in export order (Envoy uses the first), e.g. ["0.2.1"]. */
  abiVersions: string[];
  /** Its `proxy_on_*` function exports, sorted. */
  exports: string[];
  /** Root ids the publisher declared; undefined when none were (a module picks its roots at run time). */
  rootIds?: string[];
}

/** What an image's annotations say, parsed: the description and, when present, the module facts. */
export interface ImageMetadata extends ImageDescription {
  /** The module facts, when the image carries this project's `dev.proxy-wasm-as.module.*` annotations. */
  module?: ModuleFacts;
}

/** Longest annotation value `push` writes (a description read from package.json stays far below it). */
export const MAX_ANNOTATION_VALUE_BYTES = 64 * 1024;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads the facts of `wasm` (sha256, size, ABI markers, proxy_on_* exports); `rootIds` are recorded as declared.
 * Throws a {@link PackagingError} when the bytes are not a readable WebAssembly binary.
 */
export function moduleFacts(wasm: Uint8Array, rootIds?: readonly string[]): ModuleFacts {
  let exports: readonly { name: string; kind: string }[];
  try {
    exports = readModuleInterface(wasm).exports;
  } catch (cause) {
    throw new PackagingError(`the module cannot be read as WebAssembly: ${(cause as Error).message}`, {
      hint: "pass the .wasm file your build wrote (`npx proxy-wasm-as build`), not a damaged or truncated copy",
      cause,
    });
  }
  const functions = exports.filter((e) => e.kind === "function").map((e) => e.name);
  return {
    sha256: createHash("sha256").update(wasm).digest("hex"),
    size: wasm.length,
    abiVersions: functions.flatMap((name) => (ABI_MARKERS[name] ? [ABI_MARKERS[name]] : [])),
    exports: functions.filter((name) => name.startsWith("proxy_on_")).sort(),
    ...(rootIds && rootIds.length > 0 ? { rootIds: [...rootIds] } : {}),
  };
}

/**
 * The annotations of an image holding a module with `facts`, described by `description` (absent fields are left
 * out), plus `extra` annotations. Keys sorted, so the same inputs give the same manifest bytes. Throws a
 * {@link PackagingError} for a `created` that is not RFC 3339 or a value over {@link MAX_ANNOTATION_VALUE_BYTES}.
 */
export function imageAnnotations(
  facts: ModuleFacts,
  description: ImageDescription = {},
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  if (description.created !== undefined && !RFC3339.test(description.created)) {
    throw new PackagingError(`created "${description.created}" is not an RFC 3339 date-time`, {
      hint: "write it like 2026-12-07T23:00:00Z, or set SOURCE_DATE_EPOCH (seconds since 1970) instead",
    });
  }
  const all: Record<string, string | undefined> = {
    ...extra,
    [mt.OCI_TITLE]: description.title,
    [mt.OCI_VERSION]: description.version,
    [mt.OCI_SOURCE]: description.source,
    [mt.OCI_DESCRIPTION]: description.description,
    [mt.OCI_CREATED]: description.created,
    [mt.MODULE_SHA256]: facts.sha256,
    [mt.MODULE_SIZE]: String(facts.size),
    [mt.MODULE_ABI_VERSIONS]: JSON.stringify(facts.abiVersions),
    [mt.MODULE_EXPORTS]: JSON.stringify(facts.exports),
    [mt.MODULE_ROOT_IDS]: facts.rootIds ? JSON.stringify(facts.rootIds) : undefined,
  };
  const out: Record<string, string> = {};
  for (const key of Object.keys(all).sort()) {
    const value = all[key];
    if (value === undefined || value === "") continue;
    if (key === "")
      throw new PackagingError("an annotation has an empty key", { hint: "write --annotation key=value" });
    if (Buffer.byteLength(value) > MAX_ANNOTATION_VALUE_BYTES) {
      throw new PackagingError(
        `annotation ${key} is ${Buffer.byteLength(value)} bytes, over ${MAX_ANNOTATION_VALUE_BYTES}`,
        {
          hint: "shorten it (a registry keeps the whole manifest in memory; most refuse manifests over 4 MiB)",
        },
      );
    }
    out[key] = value;
  }
  return out;
}

/**
 * Parses the annotations of an image (manifest annotations, or a Docker image's config labels) into
 * {@link ImageMetadata}. Values come from a registry, so they are untrusted: a malformed module annotation leaves
 * `module` undefined rather than throwing.
 */
export function parseImageMetadata(annotations: Readonly<Record<string, unknown>>): ImageMetadata {
  const text = (key: string) => {
    const value = annotations[key];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const out: ImageMetadata = {};
  const description: [keyof ImageDescription, string][] = [
    ["title", mt.OCI_TITLE],
    ["version", mt.OCI_VERSION],
    ["source", mt.OCI_SOURCE],
    ["description", mt.OCI_DESCRIPTION],
    ["created", mt.OCI_CREATED],
  ];
  for (const [field, key] of description) {
    const value = text(key);
    if (value !== undefined) out[field] = value;
  }
  const sha256 = text(mt.MODULE_SHA256);
  const size = Number(text(mt.MODULE_SIZE));
  const abiVersions = stringList(text(mt.MODULE_ABI_VERSIONS));
  const exports = stringList(text(mt.MODULE_EXPORTS));
  const rootIds = stringList(text(mt.MODULE_ROOT_IDS));
  if (sha256 && /^[0-9a-f]{64}$/.test(sha256) && Number.isSafeInteger(size) && size >= 0 && abiVersions && exports) {
    out.module = { sha256, size, abiVersions, exports, ...(rootIds ? { rootIds } : {}) };
  }
  return out;
}

/** A JSON array of strings, or undefined when `text` is not one. */
function stringList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `annotations` carry this project's module facts. */
export function hasModuleFacts(annotations: Readonly<Record<string, unknown>>): boolean {
  return typeof annotations[mt.MODULE_SHA256] === "string";
}

/**
 * RFC 3339 text (UTC, whole seconds) of `SOURCE_DATE_EPOCH`-style `seconds` since 1970. Throws a
 * {@link PackagingError} when `seconds` is not a non-negative whole number.
 */
export function createdFromEpoch(seconds: string): string {
  const n = Number(seconds);
  if (!/^\d+$/.test(seconds.trim()) || !Number.isSafeInteger(n) || n * 1000 > 8.64e15) {
    throw new PackagingError(`SOURCE_DATE_EPOCH "${seconds}" is not a number of seconds since 1970`, {
      hint: "set it to a whole number, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
    });
  }
  return rfc3339(new Date(n * 1000));
}

/** RFC 3339 text (UTC, whole seconds) of `date`. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
