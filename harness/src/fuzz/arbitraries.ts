// fast-check arbitraries for hostile HTTP traffic: header sets (invalid characters, huge values, many headers),
// methods, paths, bodies (JSON, deeply nested, truncated, binary, large) cut at random chunk boundaries,
// trailers and client resets. Every arbitrary shrinks towards "GET / with nothing else".
import fc from "fast-check";
import { type FuzzRequest, type FuzzReset, printable } from "./request.ts";

/** A header list as the fuzzer generates it (names may repeat). */
export type HeaderPairs = ReadonlyArray<readonly [string, string]>;

/** What {@link fuzzRequests} generates; every field is optional and has a hostile default. */
export interface TrafficOptions {
  /** Request methods; default the common ones, lower-case variants and random tokens. */
  readonly methods?: fc.Arbitrary<string>;
  /** Paths; default {@link hostilePaths}. */
  readonly paths?: fc.Arbitrary<string>;
  /** Header names the module reads (e.g. "authorization", "x-api-key"): generated far more often than random names. */
  readonly headerNames?: readonly string[];
  /**
   * Credential headers added to each request (your valid credentials, forged ones, and none): the fuzzer mixes
   * them into the generated headers, so that the security invariant meets valid and invalid credentials alike.
   */
  readonly credentials?: fc.Arbitrary<HeaderPairs>;
  /** Request bodies; default {@link hostileBodies} up to `maxBodyBytes`. */
  readonly bodies?: fc.Arbitrary<Uint8Array | string>;
  /** Content types sent with bodies (and sometimes without); default JSON variants, text, form and binary. */
  readonly contentTypes?: readonly string[];
  /** Most generated headers per request; default 40. */
  readonly maxHeaders?: number;
  /** Longest generated header value ("huge values"); default 16 KiB. */
  readonly maxHeaderValueLength?: number;
  /** Largest default body; default 96 KiB (over the usual 64 KiB body limits). */
  readonly maxBodyBytes?: number;
  /** Most body chunks; default 8. */
  readonly maxChunks?: number;
  /** Generate request trailers; default true. */
  readonly trailers?: boolean;
  /** Generate client resets; default true. */
  readonly resets?: boolean;
}

const COMMON_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const COMMON_HEADER_NAMES = [
  "content-type",
  "accept",
  "user-agent",
  "cookie",
  "authorization",
  "x-forwarded-for",
  "x-request-id",
  "te",
  "x-api-key",
  "host",
];
const DEFAULT_CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/problem+json",
  "APPLICATION/JSON",
  "text/plain",
  "application/x-www-form-urlencoded",
  "application/octet-stream",
  "application/grpc",
];
/**
 * Characters that break naive parsers but that Envoy's codecs still pass to a filter in a header value.
 * NUL, CR and LF are left out: Envoy rejects them before any filter runs, so a filter never sees them.
 */
const HOSTILE_CHARS = [
  "\t",
  "\x01",
  "\x1f",
  "\x7f",
  "\x80",
  "\xc3",
  "\xff",
  "\ud800",
  "\udfff",
  "\ufffd",
  "\u202e",
  " ",
  ",",
  ";",
  "=",
  '"',
  "\\",
  "%",
  "%00",
  "..",
];

/** An HTTP token (header name or method): lower-case letters, digits and dashes. */
const token = (maxLength: number) => fc.stringMatching(new RegExp(`^[a-z0-9-]{1,${maxLength}}$`));

/** Methods: the common ones, lower-case variants and random tokens. */
export function hostileMethods(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...COMMON_METHODS) },
    { weight: 1, arbitrary: fc.constantFrom("get", "Post", "CONNECT", "TRACE") },
    { weight: 1, arbitrary: token(12).map((m) => m.toUpperCase()) },
  );
}

/** Paths: web paths with queries, traversal, encoded slashes, odd characters and very long ones. */
export function hostilePaths(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant("/") },
    { weight: 6, arbitrary: fc.webPath().map((p) => (p.startsWith("/") ? p : `/${p}`)) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.webPath(), fc.webQueryParameters())
        .map(([p, q]) => `${p.startsWith("/") ? p : `/${p}`}?${q}`),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "//",
        "/..",
        "/../../etc/passwd",
        "/%2e%2e/%2F",
        "/a/./b/../c",
        "/%00",
        "/?",
        "/#frag",
        "*",
        "/a;b=c",
        "/\u00e9",
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 8192 }).map((n) => `/${"a".repeat(n)}`) },
  );
}

/** Header values: plain, unicode, hostile characters, and huge values up to `maxLength`. */
export function hostileHeaderValues(maxLength = 16 * 1024): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
    {
      weight: 3,
      arbitrary: fc
        .array(fc.oneof(fc.constantFrom(...HOSTILE_CHARS), fc.string({ maxLength: 4 })), { maxLength: 8 })
        .map((parts) => parts.join("")),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.integer({ min: 1024, max: Math.max(1024, maxLength) }),
          fc.constantFrom("a", "%", "=", "\xff", "\u00e9"),
        )
        .map(([n, c]) => c.repeat(n)),
    },
  );
}

/** One header: a name from `names` (or a common or random one) and a hostile value. */
export function hostileHeader(
  names: readonly string[] = [],
  maxValueLength?: number,
): fc.Arbitrary<readonly [string, string]> {
  const pool = [...new Set([...names, ...COMMON_HEADER_NAMES])];
  const name = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...pool) },
    { weight: 1, arbitrary: token(20) },
    { weight: 1, arbitrary: fc.constantFrom(...pool).map((n) => n.toUpperCase()) },
  );
  return fc.tuple(name, hostileHeaderValues(maxValueLength));
}

/** Bodies: empty, text, JSON, deeply nested or truncated JSON, binary bytes, and large bodies up to `maxBytes`. */
export function hostileBodies(maxBytes = 96 * 1024): fc.Arbitrary<Uint8Array | string> {
  const nestedDepth = Math.max(1, Math.floor(maxBytes / 2));
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant("") },
    { weight: 3, arbitrary: fc.string({ maxLength: 64 }) },
    { weight: 5, arbitrary: fc.json({ maxDepth: 4 }) },
    {
      weight: 2,
      arbitrary: fc.json({ maxDepth: 4 }).chain((json) => fc.nat(json.length).map((cut) => json.slice(0, cut))),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: nestedDepth }), fc.constantFrom("[]", "{}", "[{"), fc.boolean())
        .map(([depth, kind, closed]) => nested(depth, kind, closed)),
    },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 256 }) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1024, max: Math.max(1024, maxBytes) })
        .map((n) => `{"data":"${"x".repeat(Math.max(0, n - 11))}"}`),
    },
  );
}

/** `depth` levels of nesting of `kind` ("[]", "{}" or alternating "[{"), closed or cut off. */
function nested(depth: number, kind: "[]" | "{}" | "[{", closed: boolean): string {
  if (kind === "[{") {
    const open = '[{"a":'.repeat(Math.ceil(depth / 2));
    return closed ? `${open}1${"}]".repeat(Math.ceil(depth / 2))}` : open;
  }
  return kind[0]!.repeat(depth) + (closed ? kind[1]!.repeat(depth) : "");
}

/** Splits a body of `length` bytes at the given cut points into chunk sizes (each > 0, summing to `length`). */
function chunkSizes(length: number, cuts: readonly number[]): number[] {
  if (length === 0) return [];
  const points = [...new Set(cuts.map((c) => c % length).filter((c) => c > 0))].sort((a, b) => a - b);
  const sizes: number[] = [];
  let previous = 0;
  for (const point of [...points, length]) {
    sizes.push(point - previous);
    previous = point;
  }
  return sizes;
}

const encoder = new TextEncoder();

/**
 * Generated requests for {@link TrafficOptions}: method, path, a hostile header set (with your credentials mixed
 * in), a content type, a body cut into random chunks, maybe trailers and maybe a client reset. Printable with
 * fast-check's reporter and {@link formatRequest}.
 */
export function fuzzRequests(options: TrafficOptions = {}): fc.Arbitrary<FuzzRequest> {
  const header = hostileHeader(options.headerNames, options.maxHeaderValueLength);
  const headers = fc.array(header, { maxLength: options.maxHeaders ?? 40, size: "small" });
  const credentials = options.credentials ?? fc.constant<HeaderPairs>([]);
  const contentType = fc.option(fc.constantFrom(...(options.contentTypes ?? DEFAULT_CONTENT_TYPES)), { freq: 3 });
  const body = (options.bodies ?? hostileBodies(options.maxBodyBytes)).map((b) =>
    typeof b === "string" ? encoder.encode(b) : b,
  );
  const cuts = fc.array(fc.nat(), { maxLength: Math.max(0, (options.maxChunks ?? 8) - 1) });
  const trailers =
    options.trailers === false
      ? fc.constant(null)
      : fc.option(fc.array(hostileHeader([], 256), { minLength: 1, maxLength: 3 }), { freq: 6 });
  const reset =
    options.resets === false
      ? fc.constant(null)
      : fc.option(fc.constantFrom<FuzzReset>("after-headers", "mid-body", "before-response", "mid-response"), {
          freq: 6,
        });
  return fc
    .record({
      method: options.methods ?? hostileMethods(),
      path: options.paths ?? hostilePaths(),
      authority: fc.oneof(
        { weight: 9, arbitrary: fc.constant("example.com") },
        { weight: 1, arbitrary: hostileHeaderValues(64) },
      ),
      credentials,
      headers,
      contentType,
      body,
      cuts,
      trailers,
      reset,
    })
    .map((r) =>
      printable({
        method: r.method,
        path: r.path,
        authority: r.authority,
        // Credentials first (where a client puts them); a generated header of the same name may follow.
        headers: [
          ...r.credentials,
          ...(r.contentType === null ? [] : [["content-type", r.contentType] as const]),
          ...r.headers,
        ],
        body: r.body,
        chunks: chunkSizes(r.body.length, r.cuts),
        trailers: r.trailers,
        reset: r.reset,
      }),
    );
}
