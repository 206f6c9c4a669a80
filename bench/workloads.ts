// The work every variant does, in one place: the header edits of the `headers` workload (our filter's
// configuration, and what the other variants have compiled in), and the JWT of the `jwt` workload (secret,
// claims, a signed token and both filters' configurations). Pure: no I/O.
import { createHmac } from "node:crypto";

/** Configuration of our AssemblyScript `headers` filter for the bench; every other variant does the same edits. */
export const HEADER_EDITS = {
  request: { set: { "x-bench-env": "prod" }, add: { "x-bench-tag": "filter" }, remove: ["x-internal"] },
  response: { set: { "cache-control": "no-store" }, add: { "x-bench-filter": "1" }, remove: ["x-upstream-secret"] },
} as const;

/** Headers the load generator sends with every request of the `headers` workload (x-internal is removed). */
export const HEADERS_WORKLOAD_REQUEST_HEADERS: Record<string, string> = { "x-internal": "secret" };

/** Headers the upstream answers with: cache-control is replaced, x-upstream-secret is removed by the variants. */
export const UPSTREAM_RESPONSE_HEADERS: Record<string, string> = {
  "cache-control": "max-age=60",
  "x-upstream-secret": "s3cret",
};

/** HMAC secret of the `jwt` workload (32+ characters, as RFC 7518 §3.2 and jwt-auth require). */
export const JWT_SECRET = "bench-secret-0123456789abcdef-0123456789";
/** Issuer every `jwt` variant requires. */
export const JWT_ISSUER = "https://auth.bench.local";
/** Audience every `jwt` variant requires. */
export const JWT_AUDIENCE = "bench-api";
/** The claim forwarded to the upstream, and the request header it goes into. */
export const JWT_FORWARDED_CLAIM = { claim: "sub", header: "x-user-id" } as const;

/** Configuration of our `jwt-auth` filter and of the Go counterpart (a shared subset of jwt-auth's options). */
export const JWT_FILTER_CONFIG = {
  secret: JWT_SECRET,
  issuer: JWT_ISSUER,
  audiences: [JWT_AUDIENCE],
  clockSkewSeconds: 60,
  forwardClaims: [JWT_FORWARDED_CLAIM],
};

function base64Url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

/** A valid HS256 token for the `jwt` workload, expiring in a day (every request carries the same token). */
export function benchToken(nowSeconds = Math.floor(Date.now() / 1000)): string {
  const header = base64Url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const claims = {
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
    sub: "user-42",
    tenant: "acme",
    iat: nowSeconds,
    nbf: nowSeconds - 10,
    exp: nowSeconds + 86_400,
  };
  const payload = base64Url(JSON.stringify(claims));
  const signature = createHmac("sha256", JWT_SECRET).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}

/** The JWKS Envoy's native jwt_authn filter verifies the same tokens with (one symmetric "oct" key). */
export function benchJwks(): string {
  return JSON.stringify({ keys: [{ kty: "oct", alg: "HS256", k: base64Url(JWT_SECRET) }] });
}
