// Test helper: signs HS256 JWTs with node:crypto (independent of the filter's own HMAC), for the jwt-auth tests
// and the demo.
import { createHmac } from "node:crypto";

const encodeSegment = (value: object | string) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** An HS256 JWT for `claims`, signed with `secret`; `header` overrides the JOSE header. */
export function signJwt(claims: object, secret: string, header: object = { alg: "HS256", typ: "JWT" }): string {
  const signingInput = `${encodeSegment(header)}.${encodeSegment(claims)}`;
  return `${signingInput}.${createHmac("sha256", secret).update(signingInput).digest("base64url")}`;
}
