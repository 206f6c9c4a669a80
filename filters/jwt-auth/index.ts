// jwt-auth: verifies HS256 JSON Web Tokens (RFC 7519) sent as "Authorization: Bearer <jwt>": the HMAC-SHA256
// signature (RFC 7515), "exp", "nbf", and optionally "iss" and "aud". Valid tokens continue with selected
// claims copied into request headers; invalid ones get 401, genuine tokens meant for someone else get 403.
// See README.md for the configuration.
import {
  RootContext, HttpContext, Configuration, ConfigSchema, Action, Counter, JsonObject, JsonValue, JsonKind, JsonNumber, parseJson,
  registerRoot, currentTimeNanoseconds, decodeUtf8Strict, logDebug, logInfo,
} from "@proxy-wasm-as/sdk";
import { hmacSha256, constantTimeEqual, base64UrlDecode, SHA256_DIGEST_BYTES } from "@proxy-wasm-as/sdk/assembly/crypto";
import { bearerToken, replyWithError, readCredentialHeader } from "../shared/auth";

const allowed = new Counter("jwt_auth.allowed");
const deniedMissing = new Counter("jwt_auth.denied_missing");
const deniedInvalid = new Counter("jwt_auth.denied_invalid");
const deniedExpired = new Counter("jwt_auth.denied_expired");
const deniedForbidden = new Counter("jwt_auth.denied_forbidden");

/** Outcome of verifying one token. */
enum Verdict { Valid, Malformed, BadSignature, Expired, NotYetValid, WrongIssuer, WrongAudience }

/** A claim copied into a request header when the token is valid. */
class ForwardedClaim {
  constructor(public readonly claim: string, public readonly header: string) {}
}

/** The configuration (README.md). */
const claimSchema = new ConfigSchema();
const CLAIM = claimSchema.string("claim").required().nonEmpty();
const HEADER = claimSchema.string("header").required().nonEmpty();
const schema = new ConfigSchema();
const SECRET = schema.string("secret").required().nonEmpty();
const ISSUER = schema.string("issuer");
const AUDIENCES = schema.stringList("audiences");
const CLOCK_SKEW_SECONDS = schema.integer("clockSkewSeconds").range(0, 3600).default(60);
const REQUIRE_EXP = schema.bool("requireExp").default(true);
const REALM = schema.string("realm").default("api");
const FORWARD_CLAIMS = schema.objectList("forwardClaims", claimSchema);

/** Plugin configuration, parsed once per (re)configuration. */
class JwtAuthRoot extends RootContext {
  secret: ArrayBuffer = new ArrayBuffer(0);
  issuer: string = "";
  audiences: string[] = [];
  clockSkewSeconds: f64 = 60;
  requireExpiry: bool = true;
  forwardedClaims: ForwardedClaim[] = [];
  challenge: string = "";

  onConfigure(configuration: Configuration): bool {
    const config = schema.read(configuration);
    if (config == null) return false;
    const secret = config.string(SECRET);
    const issuer = config.string(ISSUER);
    const audiences = config.stringList(AUDIENCES);
    const clockSkewSeconds = config.integer(CLOCK_SKEW_SECONDS);
    const requireExpiry = config.bool(REQUIRE_EXP);
    const realm = config.string(REALM);
    const claims = config.objectList(FORWARD_CLAIMS);
    const forwardedClaims = new Array<ForwardedClaim>();
    for (let i = 0; i < claims.length; i++) {
      const entry = unchecked(claims[i]);
      forwardedClaims.push(new ForwardedClaim(entry.string(CLAIM), entry.string(HEADER).toLowerCase()));
    }
    if (secret.length < 32) return config.refuse(SECRET, "must be at least 32 characters (RFC 7518 §3.2: a key as long as the hash)");
    this.secret = String.UTF8.encode(secret);
    this.issuer = issuer;
    this.audiences = audiences;
    this.clockSkewSeconds = <f64>clockSkewSeconds;
    this.requireExpiry = requireExpiry;
    this.forwardedClaims = forwardedClaims;
    this.challenge = "Bearer realm=\"" + realm + "\"";
    logInfo("jwt-auth: configured (issuer " + (issuer.length > 0 ? issuer : "any") + ", " + audiences.length.toString() + " audience(s))");
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null { return new JwtAuthRequest(this); }
}

/** Result of verifying a token: the verdict and, when valid, its claims. */
class Verification {
  constructor(public readonly verdict: Verdict, public readonly claims: JsonObject | null = null) {}
}

/** Parses base64url-encoded JSON into an object; null if either step fails. */
function decodeJsonObject(segment: string): JsonObject | null {
  const bytes = base64UrlDecode(segment);
  if (bytes == null) return null;
  const text = decodeUtf8Strict(bytes); // RFC 7519 §7.2: the JSON must be UTF-8; anything else is malformed
  if (text == null) return null;
  const parsed = parseJson(text);
  const value = parsed.value;
  return parsed.error == null && value != null ? value.asObject() : null;
}

/** NumericDate claim `name` (RFC 7519 §2): its value, NaN when absent, null when present but not a number. */
function numericClaim(claims: JsonObject, name: string): JsonNumber | null {
  const value = claims.get(name);
  if (value == null) return new JsonNumber(f64.NaN);
  return value.kind == JsonKind.Number ? changetype<JsonNumber>(value) : null;
}

/** True if claim "aud" (a string or an array of strings, RFC 7519 §4.1.3) names one of `audiences`. */
function audienceMatches(claims: JsonObject, audiences: string[]): bool {
  const value = claims.get("aud");
  if (value == null) return false;
  const single = value.asString();
  if (single != null) return audiences.includes(single);
  const list = value.asArray();
  if (list == null) return false;
  for (let i = 0; i < list.length; i++) {
    const item = list.at(i)!.asString();
    if (item != null && audiences.includes(item)) return true;
  }
  return false;
}

/** Verifies `token` under the configuration of `root` at `nowSeconds`. */
export function verify(root: JwtAuthRoot, token: string, nowSeconds: f64): Verification {
  const firstDot = token.indexOf(".");
  const secondDot = firstDot < 0 ? -1 : token.indexOf(".", firstDot + 1);
  if (secondDot < 0 || token.indexOf(".", secondDot + 1) >= 0) return new Verification(Verdict.Malformed);
  const header = decodeJsonObject(token.substring(0, firstDot));
  if (header == null || header.getString("alg") != "HS256") return new Verification(Verdict.Malformed);
  const signature = base64UrlDecode(token.substring(secondDot + 1));
  if (signature == null || signature.byteLength != SHA256_DIGEST_BYTES) return new Verification(Verdict.Malformed);
  const expected = hmacSha256(root.secret, String.UTF8.encode(token.substring(0, secondDot)));
  if (!constantTimeEqual(signature, expected)) return new Verification(Verdict.BadSignature);
  // Only a correctly signed token's payload is parsed.
  const claims = decodeJsonObject(token.substring(firstDot + 1, secondDot));
  if (claims == null) return new Verification(Verdict.Malformed);
  const expiryClaim = numericClaim(claims, "exp");
  const notBeforeClaim = numericClaim(claims, "nbf");
  if (expiryClaim == null || notBeforeClaim == null) return new Verification(Verdict.Malformed);
  const expiry = expiryClaim.value;
  if (isNaN(expiry) ? root.requireExpiry : nowSeconds >= expiry + root.clockSkewSeconds) return new Verification(Verdict.Expired);
  const notBefore = notBeforeClaim.value;
  if (!isNaN(notBefore) && nowSeconds + root.clockSkewSeconds < notBefore) return new Verification(Verdict.NotYetValid);
  if (root.issuer.length > 0 && claims.getString("iss") != root.issuer) return new Verification(Verdict.WrongIssuer);
  if (root.audiences.length > 0 && !audienceMatches(claims, root.audiences)) return new Verification(Verdict.WrongAudience);
  return new Verification(Verdict.Valid, claims);
}

/** Header text for a claim value: strings as they are, numbers and booleans as JSON; null for other kinds. */
function claimText(value: JsonValue): string | null {
  if (value.kind == JsonKind.String) return value.asString();
  if (value.kind == JsonKind.Bool) return value.asBool() ? "true" : "false";
  if (value.kind == JsonKind.Number) {
    const number = value.asNumber();
    return number == Math.floor(number) && Math.abs(number) < 9007199254740992 ? (<i64>number).toString() : number.toString();
  }
  return null;
}

/** One request: verifies its token in onRequestHeaders. */
class JwtAuthRequest extends HttpContext {
  constructor(private readonly root: JwtAuthRoot) { super(); }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root;
    const headers = this.requestHeaders;
    // Claim headers come only from a verified token, never from the client.
    for (let i = 0; i < root.forwardedClaims.length; i++) headers.remove(unchecked(root.forwardedClaims[i]).header);
    const authorization = readCredentialHeader(headers, "authorization");
    const authorizationText = authorization.text;
    if (authorization.present && authorizationText == null) {
      // Compared as received: a header that is not UTF-8 is refused, never decoded lossily into a valid token.
      return this.rejectInvalid(deniedInvalid, "authorization header is not valid UTF-8", "jwt_malformed");
    }
    const token = authorizationText != null ? bearerToken(authorizationText) : null;
    if (token == null) {
      deniedMissing.increment();
      logDebug("jwt-auth: denied, no bearer token");
      replyWithError(this, 401, "unauthorized", "missing bearer token", root.challenge, "jwt_missing");
      return Action.Pause;
    }
    const nowSeconds = <f64>(currentTimeNanoseconds() / 1_000_000_000);
    const result = verify(root, token, nowSeconds);
    switch (result.verdict) {
      case Verdict.Valid: break;
      case Verdict.Expired:
        return this.rejectInvalid(deniedExpired, "token expired", "jwt_expired");
      case Verdict.NotYetValid:
        return this.rejectInvalid(deniedExpired, "token not yet valid", "jwt_not_yet_valid");
      case Verdict.BadSignature:
        return this.rejectInvalid(deniedInvalid, "invalid signature", "jwt_bad_signature");
      case Verdict.WrongIssuer:
        return this.reject403("token issuer not accepted", "jwt_wrong_issuer");
      case Verdict.WrongAudience:
        return this.reject403("token audience not accepted", "jwt_wrong_audience");
      default:
        return this.rejectInvalid(deniedInvalid, "malformed token (expected an HS256 JWT)", "jwt_malformed");
    }
    const claims = result.claims!;
    for (let i = 0; i < root.forwardedClaims.length; i++) {
      const forwarded = unchecked(root.forwardedClaims[i]);
      const value = claims.get(forwarded.claim);
      const text = value != null ? claimText(value) : null;
      if (text != null) headers.set(forwarded.header, text);
    }
    allowed.increment();
    logDebug("jwt-auth: allowed");
    return Action.Continue;
  }

  /** 401 with error="invalid_token" (RFC 6750 §3.1), counting on `counter`. */
  private rejectInvalid(counter: Counter, message: string, details: string): Action {
    counter.increment();
    logDebug("jwt-auth: denied, " + message);
    const challenge = this.root.challenge + ", error=\"invalid_token\", error_description=\"" + message + "\"";
    replyWithError(this, 401, "invalid_token", message, challenge, details);
    return Action.Pause;
  }

  /** 403: a genuine, current token that is not meant for this service. */
  private reject403(message: string, details: string): Action {
    deniedForbidden.increment();
    logDebug("jwt-auth: denied, " + message);
    replyWithError(this, 403, "forbidden", message, "", details);
    return Action.Pause;
  }
}

registerRoot<JwtAuthRoot>();
