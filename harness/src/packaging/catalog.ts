// The distribution API's listing endpoints: the catalog (`GET /v2/_catalog`) and a repository's tags
// (`GET /v2/<name>/tags/list`), both paginated with `n` / `last` and a `Link: <…>; rel="next"` header (Docker
// Registry HTTP API V2, "Listing Repositories" and "Listing Image Tags"). A registry is untrusted input: every page is
// size-limited, the number of pages and entries is bounded, a `next` link must stay on the registry's origin (the
// credentials go with it) and must move forward.
import { PackagingError } from "./errors.ts";
import { RegistrySession, type RegistryOptions } from "./registry.ts";

/** Thrown by {@link listRepositories} when the registry does not serve the catalog API (Docker Hub, GHCR, …). */
export class CatalogUnsupportedError extends PackagingError {}

/** Options of {@link listRepositories} and {@link listTags}. */
export interface ListingOptions extends RegistryOptions {
  /** Most entries returned; the listing stops there and says it was truncated. Default {@link DEFAULT_LIST_LIMIT}. */
  limit?: number;
  /** Entries asked per page (`n`); default {@link LIST_PAGE_SIZE}. */
  pageSize?: number;
}

/** A bounded listing: the entries, and whether the registry had more than the limit. */
export interface Listing {
  entries: string[];
  /** True when the limit cut the listing. */
  truncated: boolean;
}

/** Default of {@link ListingOptions.limit}. */
export const DEFAULT_LIST_LIMIT = 100;
/** Default of {@link ListingOptions.pageSize} (the distribution registry's default page is 100 as well). */
export const LIST_PAGE_SIZE = 100;
/** Largest listing page read; a page of 100 repository names is a few KiB. */
export const MAX_LIST_PAGE_BYTES = 1024 * 1024;

/**
 * Repository names of `registry` (host[:port]) from its catalog, in the registry's (lexical) order. With `prefix`,
 * only `prefix` itself and names under `prefix/`, starting the catalog just before `prefix` (`last`) and stopping
 * past them. Throws a {@link PackagingError} when the registry does not serve the catalog, refuses access or is unreachable.
 */
export async function listRepositories(registry: string, prefix = "", options: ListingOptions = {}): Promise<Listing> {
  const session = new RegistrySession({ registry, repository: "" }, options, "catalog");
  const inPrefix = (name: string) => prefix === "" || name === prefix || name.startsWith(`${prefix}/`);
  return paginate(session, "_catalog", "repositories", options, justBefore(prefix), (name) => {
    if (inPrefix(name)) return "take";
    // The catalog is in lexical order: names starting with the prefix come right after it, so past them we stop.
    return prefix !== "" && name > prefix && !name.startsWith(prefix) ? "stop" : "skip";
  });
}

/**
 * A `last` marker sorting just before `prefix` and after every name that does not start with it (repository names
 * use [a-z0-9._/-], all below "~"), so the catalog page starts with `prefix` itself when it is a repository.
 */
function justBefore(prefix: string): string {
  if (prefix === "") return "";
  return `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) - 1)}~`;
}

/** Tags of `repository` on `registry`, in the registry's order. Throws a {@link PackagingError} as {@link listRepositories}. */
export async function listTags(registry: string, repository: string, options: ListingOptions = {}): Promise<Listing> {
  const session = new RegistrySession({ registry, repository }, options, "pull");
  return paginate(session, "tags/list", "tags", options, "", () => "take");
}

async function paginate(
  session: RegistrySession,
  path: string,
  field: "repositories" | "tags",
  options: ListingOptions,
  start: string,
  classify: (entry: string) => "take" | "skip" | "stop",
): Promise<Listing> {
  const limit = options.limit ?? DEFAULT_LIST_LIMIT;
  const pageSize = Math.max(1, Math.min(options.pageSize ?? LIST_PAGE_SIZE, 1000));
  const entries: string[] = [];
  let url: URL | undefined = new URL(path, session.base);
  url.searchParams.set("n", String(pageSize));
  if (start) url.searchParams.set("last", start);
  const seen = new Set<string>();
  // Skipped entries (outside the prefix) also cost pages: bound the pages, not just the entries kept.
  const maxPages = Math.ceil(limit / pageSize) + 50;
  for (let page = 0; url; page++) {
    if (page >= maxPages) return { entries, truncated: true };
    if (seen.has(url.href)) {
      throw new PackagingError(`registry ${session.base.host} sent a ${field} page that links back to itself`, {
        hint: "the registry's pagination is broken; list a narrower prefix",
      });
    }
    seen.add(url.href);
    const response = await session.request("GET", url, { headers: { accept: "application/json" } });
    if (response.status !== 200) await refuse(session, response, path);
    const body = parseListing(
      await session.body(
        response,
        MAX_LIST_PAGE_BYTES,
        `the ${field} list`,
        `the registry ignored the page size (n=${pageSize}) or is not a registry; list a narrower prefix, or check the address`,
      ),
      field,
      session,
    );
    for (const entry of body) {
      const verdict = classify(entry);
      if (verdict === "stop") return { entries, truncated: false };
      if (verdict === "skip") continue;
      if (entries.length >= limit) return { entries, truncated: true };
      entries.push(entry);
    }
    url = nextPage(response.headers.get("link"), session.base);
  }
  return { entries, truncated: false };
}

/** The `rel="next"` URL of a Link header, resolved against the registry; refused when it leaves the registry. */
function nextPage(link: string | null, base: URL): URL | undefined {
  const match = link && /<([^>]*)>\s*;[^,]*rel="?next"?/.exec(link);
  if (!match) return undefined;
  const url = new URL(match[1]!, base);
  if (url.origin !== base.origin) {
    throw new PackagingError(`registry ${base.host} sent a next-page link to another origin (${url.origin})`, {
      hint: "a registry's pages stay on the registry; the listing stops here so credentials are not sent elsewhere",
    });
  }
  return url;
}

/** Parses a listing page: `{ "<field>": [string…] }` (null or missing means empty, as the distribution registry sends). */
function parseListing(bytes: Buffer, field: "repositories" | "tags", session: RegistrySession): string[] {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new PackagingError(
      `registry ${session.base.host} answered the ${field} list with something that is not JSON`,
      {
        hint: "check that the address is a registry (the distribution API under /v2/)",
      },
    );
  }
  const list = (value as Record<string, unknown> | null)?.[field] ?? [];
  if (!Array.isArray(list) || !list.every((e) => typeof e === "string")) {
    throw new PackagingError(`registry ${session.base.host} answered the ${field} list without a list of names`, {
      hint: "check that the address is a registry (the distribution API under /v2/)",
    });
  }
  return list;
}

async function refuse(session: RegistrySession, response: Response, path: string): Promise<never> {
  const host = session.base.host;
  if (path === "_catalog" && (response.status === 404 || response.status === 405)) {
    await response.body?.cancel().catch(() => undefined);
    throw new CatalogUnsupportedError(
      `registry ${host} does not serve the catalog API (GET /v2/_catalog: HTTP ${response.status})`,
      {
        hint: `some registries (Docker Hub, GHCR) list no catalog: list one repository instead, e.g. \`proxy-wasm-as list ${host}/<repository>\``,
      },
    );
  }
  if (response.status === 404) {
    await response.body?.cancel().catch(() => undefined);
    throw new PackagingError(`repository ${session.base.pathname.replace(/^\/v2\/|\/$/g, "")} not found on ${host}`, {
      hint: "check the repository name (`proxy-wasm-as list <registry>` shows the repositories)",
    });
  }
  await session.expect(response, [200], `list ${path}`);
  throw new Error("unreachable");
}
