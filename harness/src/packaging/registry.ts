// A distribution-API (OCI registry v2) client: push a WasmImage (blobs: HEAD to skip, POST + monolithic PUT;
// manifest: PUT) and fetch manifests and blobs back, with anonymous, basic and bearer-token auth
// (WWW-Authenticate challenge → token endpoint). Uses the global fetch; knows nothing about Istio.
import { PackagingError } from "./errors.ts";
import { sha256Digest, type WasmImage } from "./image.ts";
import * as mt from "./media-types.ts";

/** A parsed image reference `host[:port]/repo/path[:tag][@sha256:hex]`. */
export interface ImageReference {
  /** Registry host with optional port, e.g. "127.0.0.1:5000" or "ghcr.io". */
  registry: string;
  /** Repository path, e.g. "team/headers". */
  repository: string;
  tag?: string;
  /** "sha256:<hex>" when the reference pins a digest. */
  digest?: string;
}

/** How to reach and authenticate to a registry. */
export interface RegistryOptions {
  /** Username for basic auth or for the token endpoint. */
  username?: string;
  password?: string;
  /** "https" or "http"; default "http" for loopback registries (127.0.0.0/8, localhost, [::1]), else "https". */
  scheme?: "http" | "https";
  /**
   * Called with the WWW-Authenticate header(s) of every 401 before the client answers it; throw to refuse the
   * challenge (the istio-fetch layer applies istio-agent's realm rules here).
   */
  checkChallenge?: (wwwAuthenticate: string) => void;
  /**
   * Milliseconds each registry request (token service included) may take, from connecting to the last body byte;
   * default {@link DEFAULT_REGISTRY_TIMEOUT_MS}. Reaching it throws a {@link PackagingError}.
   */
  timeoutMs?: number;
  /**
   * Most bytes a blob download may have; default {@link DEFAULT_MAX_BLOB_BYTES}. A larger blob is refused as soon as
   * its Content-Length or its bytes pass the limit, before it is held in memory.
   */
  maxBlobBytes?: number;
}

/**
 * Default of {@link RegistryOptions.timeoutMs}: 30 s, the deadline istiod gives istio-agent for a whole module pull
 * (pilot/pkg/model/extensions.go sets the remote data source's http_uri timeout to 30 s; pkg/wasm/cache.go applies it).
 */
export const DEFAULT_REGISTRY_TIMEOUT_MS = 30_000;

/** Default of {@link RegistryOptions.maxBlobBytes}: 256 MiB, istio-agent's `ISTIO_WASM_MAX_BINARY_SIZE_BYTES` default. */
export const DEFAULT_MAX_BLOB_BYTES = 256 * 1024 * 1024;

/** Manifests and indexes larger than this are refused (the distribution spec asks registries to take at least 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** What {@link pushImage} did. */
export interface PushResult {
  /** "sha256:<hex>" the registry reported for the manifest (checked equal to the image's own digest). */
  digest: string;
  /** The reference pinned by digest: `registry/repository@sha256:…`. */
  pinned: string;
  /** Blobs uploaded and blobs the registry already had. */
  uploaded: number;
  skipped: number;
}

/** Manifest bytes as served, with their media type and digest. */
export interface FetchedManifest {
  mediaType: string;
  bytes: Buffer;
  /** "sha256:<hex>" of `bytes` (verified against the registry's Docker-Content-Digest when sent). */
  digest: string;
}

const REFERENCE =
  /^(?<registry>[^/]+)\/(?<repository>[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

/**
 * Parses `host[:port]/repo[:tag][@sha256:…]` (an `oci://` prefix is accepted and dropped). The registry host
 * must be explicit. Throws a {@link PackagingError} explaining the expected shape otherwise.
 */
export function parseReference(reference: string): ImageReference {
  const text = reference.replace(/^oci:\/\//, "");
  const m = REFERENCE.exec(text);
  const host = m?.groups?.registry ?? "";
  if (!m || !(host.includes(".") || host.includes(":") || host === "localhost")) {
    throw new PackagingError(`"${reference}" is not an image reference with an explicit registry`, {
      hint: "write it as host[:port]/repository[:tag][@sha256:<64 hex>], e.g. 127.0.0.1:5000/filters/headers:v1 (lower-case repository)",
    });
  }
  const g = m.groups!;
  return { registry: g.registry!, repository: g.repository!, tag: g.tag, digest: g.digest };
}

/** `registry/repository[:tag][@digest]` text of a reference. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/**
 * Pushes `image` to `reference` (tag default "latest"): uploads missing blobs, then PUTs the manifest, and
 * checks the registry's digest equals the image's. Throws a {@link PackagingError} on auth or protocol failures.
 */
export async function pushImage(
  image: WasmImage,
  reference: string,
  options: RegistryOptions = {},
): Promise<PushResult> {
  const ref = parseReference(reference);
  if (ref.digest) {
    throw new PackagingError(`cannot push to a digest reference (${reference})`, {
      hint: "push to a tag (repo:tag); the digest is computed from the image",
    });
  }
  const session = new RegistrySession(ref, options, "pull,push");
  let uploaded = 0;
  let skipped = 0;
  for (const [digest, bytes] of image.blobs) {
    const head = await session.request("HEAD", `blobs/${digest}`);
    if (head.status === 200) {
      skipped++;
      continue;
    }
    const start = await session.request("POST", "blobs/uploads/");
    await session.expect(start, [202], "start a blob upload");
    const location = start.headers.get("location");
    if (!location)
      throw new PackagingError(`${ref.registry} did not return a Location for the blob upload`, {
        hint: "the registry does not follow the distribution API",
      });
    const url = new URL(location, session.base);
    url.searchParams.set("digest", digest);
    const put = await session.request("PUT", url, {
      body: bytes,
      headers: { "content-type": "application/octet-stream" },
    });
    await session.expect(put, [201], `upload blob ${digest}`);
    uploaded++;
  }
  const tag = ref.tag ?? "latest";
  const put = await session.request("PUT", `manifests/${tag}`, {
    body: image.manifestBytes,
    headers: { "content-type": image.manifestMediaType },
  });
  await session.expect(put, [201], `put the manifest for tag ${tag}`);
  const reported = put.headers.get("docker-content-digest");
  if (reported && reported !== image.digest) {
    throw new PackagingError(
      `${ref.registry} stored the manifest as ${reported}, but its bytes hash to ${image.digest}`,
      {
        hint: "the registry rewrote the manifest (some registries convert media types); use a registry that stores manifests verbatim",
      },
    );
  }
  return { digest: image.digest, pinned: `${ref.registry}/${ref.repository}@${image.digest}`, uploaded, skipped };
}

/** Fetches the manifest (or index) `reference` points to, accepting OCI and Docker media types, and verifies its digest. */
export async function fetchManifest(reference: string, options: RegistryOptions = {}): Promise<FetchedManifest> {
  const ref = parseReference(reference);
  return new RegistrySession(ref, options, "pull").manifest(ref.digest ?? ref.tag ?? "latest");
}

/** Fetches blob `digest` of `reference`'s repository and verifies its sha256. */
export async function fetchBlob(reference: string, digest: string, options: RegistryOptions = {}): Promise<Buffer> {
  return new RegistrySession(parseReference(reference), options, "pull").blob(digest);
}

/**
 * One repository on one registry, with credentials: sends distribution-API requests and answers auth
 * challenges (basic, or bearer via the challenge's token realm), caching the token. Exported for the
 * istio-fetch layer, which reads manifest and blobs through one session.
 */
export class RegistrySession {
  /** "<scheme>://<registry>/v2/<repository>/". */
  readonly base: URL;
  private readonly ref: ImageReference;
  private readonly options: RegistryOptions;
  private readonly actions: string;
  private authorization: string | undefined;

  /**
   * `actions` "pull" or "pull,push" for `ref.repository`; "catalog" for the registry's `/v2/` itself (the catalog
   * API, token scope `registry:catalog:*`; `ref.repository` is ignored).
   */
  constructor(ref: ImageReference, options: RegistryOptions, actions: "pull" | "pull,push" | "catalog") {
    this.ref = ref;
    this.options = options;
    this.actions = actions;
    const scheme = options.scheme ?? (isLoopback(ref.registry) ? "http" : "https");
    this.base = new URL(`${scheme}://${ref.registry}/v2/${actions === "catalog" ? "" : `${ref.repository}/`}`);
  }

  /** Sends `method path` (relative to {@link base}), authenticating on a 401 challenge and retrying once. */
  async request(
    method: string,
    path: string | URL,
    init: { body?: Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const url = path instanceof URL ? path : new URL(path, this.base);
    const send = () =>
      fetch(url, {
        method,
        body: init.body as unknown as BodyInit | undefined,
        headers: { ...init.headers, ...(this.authorization ? { authorization: this.authorization } : {}) },
        redirect: "follow",
        signal: AbortSignal.timeout(this.timeoutMs),
      }).catch((cause: unknown) => {
        if (isTimeout(cause)) throw this.timedOut(`${method} ${url.href}`, cause);
        throw new PackagingError(
          `cannot reach registry ${this.ref.registry} (${method} ${url.href}): ${String((cause as Error).cause ?? cause)}`,
          {
            hint: "check the registry address and that it is running; use scheme http for a plain-HTTP registry",
            cause,
          },
        );
      });
    let response = await send();
    if (response.status === 401) {
      const challenge = response.headers.get("www-authenticate") ?? "";
      await discard(response);
      this.options.checkChallenge?.(challenge);
      if (this.authorization?.startsWith("Basic") && /^basic/i.test(challenge)) {
        throw this.denied("the username or password was rejected");
      }
      this.authorization = await this.authorize(challenge);
      response = await send();
      if (response.status === 401) {
        await discard(response);
        this.options.checkChallenge?.(response.headers.get("www-authenticate") ?? "");
        throw this.denied("the credentials were rejected");
      }
    }
    return response;
  }

  /** Throws a {@link PackagingError} with the registry's error text unless `response.status` is one of `ok`. */
  async expect(response: Response, ok: number[], action: string): Promise<void> {
    if (ok.includes(response.status)) {
      await discard(response);
      return;
    }
    const text = (await this.body(response, ERROR_TEXT_BYTES, "the error text").catch(() => Buffer.alloc(0)))
      .toString("utf8")
      .slice(0, 500);
    const hint =
      response.status === 403
        ? "the account lacks permission for this repository (push needs push rights)"
        : response.status === 404
          ? "check the repository and tag"
          : "see the registry's answer above";
    throw new PackagingError(`could not ${action} on ${formatReference(this.ref)}: HTTP ${response.status} ${text}`, {
      hint,
    });
  }

  /** GETs manifest `reference` (tag or digest) with every manifest media type accepted. */
  async manifest(reference: string): Promise<FetchedManifest> {
    const accept = [mt.OCI_MANIFEST, mt.DOCKER_MANIFEST, mt.OCI_INDEX, mt.DOCKER_MANIFEST_LIST].join(", ");
    const response = await this.request("GET", `manifests/${reference}`, { headers: { accept } });
    if (response.status === 404) {
      await discard(response);
      throw new PackagingError(
        `manifest ${formatReference({ ...this.ref, tag: undefined, digest: undefined })}:${reference} not found`,
        {
          hint: "check the repository and tag (push it first with `istio push`)",
        },
      );
    }
    if (response.status !== 200) await this.expect(response, [200], `fetch manifest ${reference}`);
    const bytes = await this.body(response, MAX_MANIFEST_BYTES, `manifest ${reference}`);
    const digest = sha256Digest(bytes);
    const served = response.headers.get("docker-content-digest");
    if ((served && served !== digest) || (reference.startsWith("sha256:") && reference !== digest)) {
      throw new PackagingError(`manifest ${reference} hashes to ${digest}, not ${served ?? reference}`, {
        hint: "the registry served corrupted or altered content",
      });
    }
    const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]!.trim();
    return { mediaType, bytes, digest };
  }

  /** GETs blob `digest` (at most {@link RegistryOptions.maxBlobBytes} bytes) and verifies its sha256. */
  async blob(digest: string): Promise<Buffer> {
    const response = await this.request("GET", `blobs/${digest}`);
    if (response.status !== 200) await this.expect(response, [200], `fetch blob ${digest}`);
    const bytes = await this.body(response, this.options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES, `blob ${digest}`);
    if (sha256Digest(bytes) !== digest) {
      throw new PackagingError(`blob ${digest} hashes to ${sha256Digest(bytes)}`, {
        hint: "the registry served corrupted content",
      });
    }
    return bytes;
  }

  /** {@link RegistryOptions.timeoutMs} or its default. */
  private get timeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_REGISTRY_TIMEOUT_MS;
  }

  /** The error for a request (`what`: method and URL) that did not finish within the timeout. */
  private timedOut(what: string, cause: unknown): PackagingError {
    return new PackagingError(
      `registry ${this.ref.registry} did not answer ${what} within ${formatSeconds(this.timeoutMs)}`,
      {
        hint: "check that the registry is up and reachable from here; for a slow registry raise the limit with --timeout <seconds> (RegistryOptions.timeoutMs)",
        cause,
      },
    );
  }

  /**
   * Reads `response`'s body, refusing it once its Content-Length or its bytes pass `max` (the rest is not
   * downloaded), and turning a timeout or a broken connection into a {@link PackagingError}. `tooLargeHint` is the
   * hint when the limit is reached (default: about blobs and --max-layer-bytes).
   */
  async body(response: Response, max: number, what: string, tooLargeHint?: string): Promise<Buffer> {
    const tooLarge = (size: string) =>
      new PackagingError(`${what} from ${this.ref.registry} is ${size}, over the limit of ${max} bytes`, {
        hint:
          tooLargeHint ??
          "check that the reference names a wasm filter image; to accept larger ones raise --max-layer-bytes (RegistryOptions.maxBlobBytes)",
      });
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (declared > max) {
      await discard(response);
      throw tooLarge(`${declared} bytes`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body ?? []) {
        size += chunk.length;
        if (size > max) throw tooLarge("larger");
        chunks.push(chunk);
      }
    } catch (cause) {
      if (cause instanceof PackagingError) throw cause;
      if (isTimeout(cause)) throw this.timedOut(`GET ${response.url} (while sending ${what})`, cause);
      throw new PackagingError(
        `the connection to ${this.ref.registry} broke while reading ${what}: ${String((cause as Error).cause ?? cause)}`,
        { hint: "retry; if it persists, check the registry's logs", cause },
      );
    }
    return Buffer.concat(chunks, size);
  }

  private basic(): string | undefined {
    const { username, password } = this.options;
    if (username === undefined) return undefined;
    return `Basic ${Buffer.from(`${username}:${password ?? ""}`).toString("base64")}`;
  }

  private denied(why: string): PackagingError {
    const withCreds = this.options.username !== undefined;
    const what = this.actions === "catalog" ? "its catalog" : this.ref.repository;
    return new PackagingError(
      `registry ${this.ref.registry} refused access to ${what}: ${withCreds ? why : "it requires credentials"}`,
      {
        hint: withCreds
          ? "check --username/--password (or the token service's account)"
          : "pass --username and --password (or RegistryOptions.username/password)",
      },
    );
  }

  private async authorize(challenge: string): Promise<string> {
    const scheme = challenge.split(/\s+/, 1)[0]!.toLowerCase();
    if (scheme === "basic") {
      const basic = this.basic();
      if (!basic) throw this.denied("");
      return basic;
    }
    if (scheme !== "bearer") {
      throw new PackagingError(`registry ${this.ref.registry} asked for unsupported auth "${challenge}"`, {
        hint: "use a registry with basic or bearer-token auth",
      });
    }
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]),
    );
    if (!params.realm)
      throw new PackagingError(`registry ${this.ref.registry} sent a bearer challenge without a realm: ${challenge}`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set("service", params.service);
    url.searchParams.set(
      "scope",
      this.actions === "catalog" ? "registry:catalog:*" : `repository:${this.ref.repository}:${this.actions}`,
    );
    const basic = this.basic();
    const response = await fetch(url, {
      headers: basic ? { authorization: basic } : {},
      signal: AbortSignal.timeout(this.timeoutMs),
    }).catch((cause: unknown) => {
      if (isTimeout(cause)) throw this.timedOut(`the token request to ${url.origin}`, cause);
      throw new PackagingError(`cannot reach the token service ${url.origin} named by ${this.ref.registry}`, {
        hint: "check the registry's auth realm",
        cause,
      });
    });
    if (response.status === 401 || response.status === 403) {
      await discard(response);
      throw this.denied("the token service rejected the credentials");
    }
    const text = (await this.body(response, TOKEN_BYTES, "the token")).toString("utf8");
    if (response.status !== 200) {
      throw new PackagingError(`token service ${url.origin} answered HTTP ${response.status}: ${text.slice(0, 300)}`, {
        hint: "check the registry's auth realm and the token service's logs",
      });
    }
    let body: { token?: string; access_token?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (cause) {
      throw new PackagingError(`token service ${url.origin} answered something that is not JSON`, {
        hint: "the token service does not follow the Docker token spec",
        cause,
      });
    }
    const token = body.token ?? body.access_token;
    if (!token)
      throw new PackagingError(`token service ${url.origin} returned no token`, {
        hint: "the token service does not follow the Docker token spec",
      });
    return `Bearer ${token}`;
  }
}

/** Error texts of failed requests are read up to this many bytes (only the first 500 characters are shown). */
const ERROR_TEXT_BYTES = 64 * 1024;
/** A token service's answer is read up to this many bytes. */
const TOKEN_BYTES = 1024 * 1024;

/** Whether `err` is the abort of an `AbortSignal.timeout` (fetch rejects with it, and so does reading the body). */
function isTimeout(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === "TimeoutError";
}

/** Drops a response's body without reading it (the connection is closed, nothing more is downloaded). */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

function formatSeconds(ms: number): string {
  return `${ms / 1000} s`;
}

function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
