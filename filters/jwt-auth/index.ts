// jwt-auth: verifies HS256 JSON Web Tokens (RFC 7519) sent as "Authorization: Bearer <jwt>": the HMAC-SHA256
// signature (RFC 7515), "exp", "nbf", and optionally "iss" and "aud". Valid tokens continue with selected
// claims copied into request headers; invalid ones get 401, genuine tokens meant for someone else get 403.
// See README.md for the configuration.
import {
  RootContext, HttpContext, Configuration, ConfigSchema, Action, Counter, registerRoot, isValidUtf8,
  logDebug, logInfo,
} from "@proxy-wasm-as/sdk";
import { replyWithError } from "../shared/auth";
import { TICK_PERIOD_MS, TickClock } from "./clock.as";
import { TokenVerifier, Verdict, VerifierSettings } from "./token.as";

const allowed = new Counter("jwt_auth.allowed");
const deniedMissing = new Counter("jwt_auth.denied_missing");
const deniedInvalid = new Counter("jwt_auth.denied_invalid");
const deniedExpired = new Counter("jwt_auth.denied_expired");
const deniedForbidden = new Counter("jwt_auth.denied_forbidden");
/**
 * Allowed requests not yet added to `jwt_auth.allowed`: counted here and added with one host call per tick, so
 * Envoy's counter lags by at most one tick period (README.md, "Logs and metrics"). No flush in onDone: declaring
 * it would cost the stateless streams (the SDK keeps per-stream contexts for a module that declares it).
 */
let allowedNotFlushed: u64 = 0;
/** Envoy's clock as the filter reads it (clock.as.ts): on the tick, and per request only when a verdict needs it. */
const clock = new TickClock();

function flushAllowed(): void {
  if (allowedNotFlushed == 0) return;
  allowed.increment(allowedNotFlushed);
  allowedNotFlushed = 0;
}

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
    clock.read();
    this.setTickPeriod(TICK_PERIOD_MS);
    logInfo("jwt-auth: configured (issuer " + (issuer.length > 0 ? issuer : "any") + ", " + audiences.length.toString() + " audience(s))");
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null { return new JwtAuthRequest(this); }

  /** Every TICK_PERIOD_MS: a fresh reading of the clock, and the allowed requests counted since the last tick. */
  onTick(): void {
    clock.read();
    flushAllowed();
  }

  // Every stream's context is the same (stateless streams: see sdk/README.md): the filter keeps nothing per
  // stream, so Envoy enters the module only for the request headers (and to copy the token in).
  static readonly statelessStreams: bool = true;

  private verifier: TokenVerifier | null = null;
  private verifierSecret: ArrayBuffer | null = null;

  /** The verifier of the current configuration, made on the first request after (re)configuration. */
  tokenVerifier(): TokenVerifier {
    let verifier = this.verifier;
    if (verifier == null || this.verifierSecret !== this.secret) {
      const claims = new Array<string>(this.forwardedClaims.length);
      for (let i = 0; i < claims.length; i++) unchecked(claims[i] = unchecked(this.forwardedClaims[i]).claim);
      verifier = new TokenVerifier(new VerifierSettings(this.secret, this.issuer, this.audiences, this.clockSkewSeconds, this.requireExpiry, claims));
      this.verifier = verifier;
      this.verifierSecret = this.secret;
      this.removeClaimHeadersFirst = claimHeadersOverlap(this.forwardedClaims);
    }
    return verifier;
  }

  /**
   * True when two forwarded claims share a header, or one goes into `authorization`: then every claim header is
   * removed before the token is read, and set afterwards (see onRequestHeaders).
   */
  removeClaimHeadersFirst: bool = false;
}

function claimHeadersOverlap(claims: ForwardedClaim[]): bool {
  for (let i = 0; i < claims.length; i++) {
    const header = unchecked(claims[i]).header;
    if (header == "authorization") return true;
    for (let j = 0; j < i; j++) if (unchecked(claims[j]).header == header) return true;
  }
  return false;
}

/**
 * Offset of the token in an `Authorization` value "Bearer <token>" (scheme case-insensitive, RFC 6750 §2.1: one
 * or more spaces after it; the token is taken exactly as sent, Envoy already strips the value's outer
 * whitespace), or -1 when the value is not that. The value is well-formed UTF-8, so its first 7 bytes are
 * "bearer " in any case exactly when its first 7 characters are.
 */
function bearerTokenStart(authorization: ArrayBuffer): i32 {
  const length = authorization.byteLength;
  if (length <= 7) return -1;
  const at = changetype<usize>(authorization);
  // "bearer" as little-endian bytes, compared with ASCII upper case folded to lower case ('B' | 0x20 == 'b').
  if ((load<u32>(at) | 0x20202020) != 0x72616562 || (<u32>load<u16>(at + 4) | 0x2020) != 0x7265 || load<u8>(at + 6) != 0x20) return -1;
  let start = 7;
  while (start < length && load<u8>(at + <usize>start) == 0x20) start++;
  return start < length ? start : -1;
}

/** One request: verifies its token in onRequestHeaders. */
class JwtAuthRequest extends HttpContext {
  constructor(private readonly root: JwtAuthRoot) { super(); }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root;
    const verifier = root.tokenVerifier();
    const headers = this.requestHeaders;
    const claims = root.forwardedClaims;
    // Claim headers come only from a verified token, never from the client: each one is replaced by the token's
    // claim, or removed, below (setting a header replaces every value the client sent).
    if (root.removeClaimHeadersFirst) for (let i = 0; i < claims.length; i++) headers.remove(unchecked(claims[i]).header);
    const authorization = headers.getBytes("authorization");
    // Compared as received: a header that is not UTF-8 is refused, never decoded lossily into a valid token.
    if (authorization != null && !isValidUtf8(authorization)) {
      return this.rejectInvalid(deniedInvalid, "authorization header is not valid UTF-8", "jwt_malformed");
    }
    const tokenStart = authorization != null ? bearerTokenStart(authorization) : -1;
    if (tokenStart < 0) {
      this.removeClaimHeaders();
      deniedMissing.increment();
      logDebug("jwt-auth: denied, no bearer token");
      replyWithError(this, 401, "unauthorized", "missing bearer token", root.challenge, "jwt_missing");
      return Action.Pause;
    }
    switch (verifier.verify(authorization!, tokenStart, authorization!.byteLength, clock)) {
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
    const values = verifier.claimValues;
    for (let i = 0; i < claims.length; i++) {
      const value = unchecked(values[i]);
      const header = unchecked(claims[i]).header;
      if (value != null) headers.setBytes(header, value);
      else if (!root.removeClaimHeadersFirst) headers.remove(header);
    }
    allowedNotFlushed++;
    logDebug("jwt-auth: allowed");
    return Action.Continue;
  }

  /** 401 with error="invalid_token" (RFC 6750 §3.1), counting on `counter`. */
  /**
   * On a refusal: the claim headers the client sent are removed too (the request never reaches the upstream, but
   * the access log must not show them as if they came from a token).
   */
  private removeClaimHeaders(): void {
    const root = this.root;
    if (root.removeClaimHeadersFirst) return; // already done
    const claims = root.forwardedClaims;
    for (let i = 0; i < claims.length; i++) this.requestHeaders.remove(unchecked(claims[i]).header);
  }

  private rejectInvalid(counter: Counter, message: string, details: string): Action {
    this.removeClaimHeaders();
    counter.increment();
    logDebug("jwt-auth: denied, " + message);
    const challenge = this.root.challenge + ", error=\"invalid_token\", error_description=\"" + message + "\"";
    replyWithError(this, 401, "invalid_token", message, challenge, details);
    return Action.Pause;
  }

  /** 403: a genuine, current token that is not meant for this service. */
  private reject403(message: string, details: string): Action {
    this.removeClaimHeaders();
    deniedForbidden.increment();
    logDebug("jwt-auth: denied, " + message);
    replyWithError(this, 403, "forbidden", message, "", details);
    return Action.Pause;
  }
}

registerRoot<JwtAuthRoot>();
