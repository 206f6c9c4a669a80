// HS256 token verification on the bytes Envoy hands the filter (RFC 7519 / RFC 7515): no string is made for the
// token, its segments or its claims. The HMAC key is prepared once per configuration (HmacSha256), segments are
// base64url-decoded into one reused buffer, and the header and claims are read with json-scan.as.ts, which accepts
// and refuses exactly what the SDK's parseJson does. Verified tokens are cached (cache.as.ts).
import { isValidUtf8 } from "@proxy-wasm-as/sdk";
import { HmacSha256, SHA256_DIGEST_BYTES, base64UrlDecodeInto, base64UrlDecodedLength, constantTimeEqual } from "@proxy-wasm-as/sdk/assembly/crypto";
import { CLOCK_STALENESS_SECONDS, TickClock } from "./clock.as";
import { TokenCache } from "./cache.as";
import { MemberScanner, ScannedValue, StringItems, ValueKind, numberValue, stringEquals, stringValue } from "./json-scan.as";

/** Outcome of verifying one token. */
export enum Verdict { Valid, Malformed, BadSignature, Expired, NotYetValid, WrongIssuer, WrongAudience }

/** The decode buffer grows for a larger token, and goes back to its first size after one over this size. */
const MAX_KEPT_SCRATCH_BYTES: i32 = 16 * 1024;
const SCRATCH_BYTES: i32 = 512;
const DOT: u8 = 0x2e;
// Indexes of the registered claims among the names the claims scanner looks for (forwarded claims follow).
const EXP: i32 = 0;
const NBF: i32 = 1;
const ISS: i32 = 2;
const AUD: i32 = 3;
const REGISTERED_CLAIMS: i32 = 4;

const TRUE_BYTES = String.UTF8.encode("true");
const FALSE_BYTES = String.UTF8.encode("false");
const HS256 = "HS256";
const HS256_BYTES = String.UTF8.encode(HS256);

/** What a verifier checks: one configuration of the filter. */
export class VerifierSettings {
  constructor(
    public readonly secret: ArrayBuffer,
    /** Required `iss`; "" accepts any. */
    public readonly issuer: string,
    /** Accepted `aud` values; empty accepts any. */
    public readonly audiences: string[],
    public readonly clockSkewSeconds: f64,
    public readonly requireExpiry: bool,
    /** Claims whose values are forwarded (in this order). */
    public readonly forwardedClaims: string[],
  ) {}
}

/** Verifies tokens under one configuration; after a Valid verdict, claimValues holds the forwarded claims. */
export class TokenVerifier {
  private readonly mac: HmacSha256;
  private readonly issuerBytes: ArrayBuffer;
  private readonly audienceBytes: StaticArray<ArrayBuffer>;
  private readonly headerScanner: MemberScanner = new MemberScanner(["alg"]);
  private claimsScanner: MemberScanner = new MemberScanner([]);
  private readonly cache: TokenCache = new TokenCache();
  private readonly items: StringItems = new StringItems();
  private readonly item: ScannedValue = new ScannedValue();
  private scratch: ArrayBuffer = new ArrayBuffer(SCRATCH_BYTES);
  private readonly signature: ArrayBuffer = new ArrayBuffer(SHA256_DIGEST_BYTES);
  private readonly expected: ArrayBuffer = new ArrayBuffer(SHA256_DIGEST_BYTES);
  /** After a Valid verdict: the header value (bytes) of each forwarded claim, null when it sets no header. */
  claimValues: StaticArray<ArrayBuffer | null> = new StaticArray<ArrayBuffer | null>(0);

  constructor(private readonly settings: VerifierSettings) {
    this.mac = new HmacSha256(settings.secret);
    this.issuerBytes = String.UTF8.encode(settings.issuer);
    const audiences = settings.audiences;
    this.audienceBytes = new StaticArray<ArrayBuffer>(audiences.length);
    for (let i = 0; i < audiences.length; i++) unchecked(this.audienceBytes[i] = String.UTF8.encode(unchecked(audiences[i])));
    const names = ["exp", "nbf", "iss", "aud"];
    for (let i = 0; i < settings.forwardedClaims.length; i++) names.push(unchecked(settings.forwardedClaims[i]));
    this.claimsScanner = new MemberScanner(names);
    this.claimValues = new StaticArray<ArrayBuffer | null>(settings.forwardedClaims.length);
  }

  /** Verifies the token in bytes [start, end) of `token` now, as `clock` tells (see clock.as.ts). */
  verify(token: ArrayBuffer, start: i32, end: i32, clock: TickClock): Verdict {
    const cached = this.cache.find(token, start, end);
    if (cached != null) {
      // Everything but the time limits was checked when it was cached, under this same configuration.
      const verdict = this.timeVerdictNow(cached.expiry, cached.notBefore, clock);
      if (verdict == Verdict.Valid) this.claimValues = cached.claimValues;
      return verdict;
    }
    const verdict = this.verifyFully(token, start, end, clock);
    if (verdict == Verdict.Valid) {
      const values = this.claimsScanner.values;
      this.cache.insert(token, start, end, this.numericClaim(unchecked(values[EXP])), this.numericClaim(unchecked(values[NBF])), this.claimValues);
    }
    if (this.scratch.byteLength > MAX_KEPT_SCRATCH_BYTES) this.scratch = new ArrayBuffer(SCRATCH_BYTES); // bounded state
    return verdict;
  }

  private verifyFully(token: ArrayBuffer, start: i32, end: i32, clock: TickClock): Verdict {
    const firstDot = indexOfDot(token, start, end);
    const secondDot = firstDot < 0 ? -1 : indexOfDot(token, firstDot + 1, end);
    if (secondDot < 0 || indexOfDot(token, secondDot + 1, end) >= 0) return Verdict.Malformed;
    // Header: {"alg": "HS256", ...}; nothing else is accepted (no "none", no other algorithm).
    const headerLength = this.decodeSegment(token, start, firstDot);
    if (headerLength < 0 || !this.headerScanner.scan(this.scratch, 0, headerLength)) return Verdict.Malformed;
    const alg = unchecked(this.headerScanner.values[0]);
    if (alg.kind != ValueKind.String || !stringEquals(this.scratch, alg, HS256_BYTES, HS256)) return Verdict.Malformed;
    // Signature: exactly 32 bytes of base64url, the HMAC-SHA256 of the ASCII bytes "header.payload" as sent.
    if (base64UrlDecodedLength(end - secondDot - 1) != SHA256_DIGEST_BYTES) return Verdict.Malformed;
    if (base64UrlDecodeInto(token, secondDot + 1, end, this.signature, 0) < 0) return Verdict.Malformed;
    this.mac.macInto(token, start, secondDot, this.expected, 0);
    if (!constantTimeEqual(this.signature, this.expected)) return Verdict.BadSignature;
    // Only a correctly signed token's claims are read.
    const claimsLength = this.decodeSegment(token, firstDot + 1, secondDot);
    if (claimsLength < 0 || !this.claimsScanner.scan(this.scratch, 0, claimsLength)) return Verdict.Malformed;
    const values = this.claimsScanner.values;
    const expiryClaim = unchecked(values[EXP]);
    const notBeforeClaim = unchecked(values[NBF]);
    if (!isNumericDate(expiryClaim) || !isNumericDate(notBeforeClaim)) return Verdict.Malformed;
    const timeVerdict = this.timeVerdictNow(this.numericClaim(expiryClaim), this.numericClaim(notBeforeClaim), clock);
    if (timeVerdict != Verdict.Valid) return timeVerdict;
    const settings = this.settings;
    if (settings.issuer.length > 0) {
      const issuer = unchecked(values[ISS]);
      if (issuer.kind != ValueKind.String || !stringEquals(this.scratch, issuer, this.issuerBytes, settings.issuer)) return Verdict.WrongIssuer;
    }
    if (settings.audiences.length > 0 && !this.audienceMatches(unchecked(values[AUD]))) return Verdict.WrongAudience;
    const claimValues = new StaticArray<ArrayBuffer | null>(settings.forwardedClaims.length);
    for (let i = 0; i < claimValues.length; i++) unchecked(claimValues[i] = this.headerValue(unchecked(values[REGISTERED_CLAIMS + i])));
    this.claimValues = claimValues;
    return Verdict.Valid;
  }

  /**
   * The time verdict now: from the clock's last reading when the verdict is the same there and
   * CLOCK_STALENESS_SECONDS later (a step function of time: then it is the same at every instant between), else
   * from a fresh reading.
   */
  private timeVerdictNow(expiry: f64, notBefore: f64, clock: TickClock): Verdict {
    const last = clock.lastReadSeconds;
    if (!isNaN(last)) {
      const verdict = this.timeVerdict(expiry, notBefore, last);
      if (verdict == this.timeVerdict(expiry, notBefore, last + CLOCK_STALENESS_SECONDS)) return verdict;
    }
    return this.timeVerdict(expiry, notBefore, clock.read());
  }

  /** `exp` / `nbf` rules with the configured clock skew (NaN: the claim is absent). */
  private timeVerdict(expiry: f64, notBefore: f64, nowSeconds: f64): Verdict {
    const skew = this.settings.clockSkewSeconds;
    if (isNaN(expiry) ? this.settings.requireExpiry : nowSeconds >= expiry + skew) return Verdict.Expired;
    if (!isNaN(notBefore) && nowSeconds + skew < notBefore) return Verdict.NotYetValid;
    return Verdict.Valid;
  }

  /** A NumericDate claim's value (RFC 7519 §2), NaN when absent. */
  private numericClaim(value: ScannedValue): f64 {
    return value.kind == ValueKind.Number ? numberValue(this.scratch, value) : f64.NaN;
  }

  /** True if claim "aud" (a string or an array of strings, RFC 7519 §4.1.3) names one of the audiences. */
  private audienceMatches(aud: ScannedValue): bool {
    if (aud.kind == ValueKind.String) return this.isAudience(aud);
    if (aud.kind != ValueKind.Array) return false;
    const items = this.items.reset(this.scratch, aud);
    const item = this.item;
    while (items.next(item)) if (this.isAudience(item)) return true;
    return false;
  }

  private isAudience(value: ScannedValue): bool {
    const audiences = this.settings.audiences;
    for (let i = 0; i < audiences.length; i++) {
      if (stringEquals(this.scratch, value, unchecked(this.audienceBytes[i]), unchecked(audiences[i]))) return true;
    }
    return false;
  }

  /** Header text for a claim value: strings as they are, numbers and booleans as JSON; null for other kinds. */
  private headerValue(value: ScannedValue): ArrayBuffer | null {
    switch (value.kind) {
      case ValueKind.String: {
        if (value.escaped) return String.UTF8.encode(stringValue(this.scratch, value));
        const length = value.end - value.start;
        const bytes = new ArrayBuffer(length);
        memory.copy(changetype<usize>(bytes), changetype<usize>(this.scratch) + <usize>value.start, <usize>length);
        return bytes;
      }
      case ValueKind.True: return TRUE_BYTES;
      case ValueKind.False: return FALSE_BYTES;
      case ValueKind.Number: {
        const number = numberValue(this.scratch, value);
        const text = number == Math.floor(number) && Math.abs(number) < 9007199254740992 ? (<i64>number).toString() : number.toString();
        return String.UTF8.encode(text);
      }
      default: return null;
    }
  }

  /**
   * Decodes the base64url segment in bytes [start, end) of `token` into the scratch buffer; returns its length,
   * or -1 when it is not canonical base64url or not well-formed UTF-8 (RFC 7519 §7.2: the JSON is UTF-8).
   */
  private decodeSegment(token: ArrayBuffer, start: i32, end: i32): i32 {
    const length = base64UrlDecodedLength(end - start);
    if (length < 0) return -1;
    if (length > this.scratch.byteLength) this.scratch = new ArrayBuffer(max(length, this.scratch.byteLength << 1));
    if (base64UrlDecodeInto(token, start, end, this.scratch, 0) < 0) return -1;
    return isValidUtf8(this.scratch, 0, length) ? length : -1;
  }
}

/** A NumericDate claim is absent or a number; anything else makes the token malformed. */
function isNumericDate(value: ScannedValue): bool {
  return value.kind == ValueKind.Absent || value.kind == ValueKind.Number;
}

const DOTS: u64 = 0x2e2e2e2e2e2e2e2e;
const LOW_BITS: u64 = 0x0101010101010101;
const HIGH_BITS: u64 = 0x8080808080808080;

/** Offset of the first '.' in bytes [start, end) of `token`, or -1 (eight bytes at a time). */
function indexOfDot(token: ArrayBuffer, start: i32, end: i32): i32 {
  const at = changetype<usize>(token);
  let i = start;
  for (; i + 8 <= end; i += 8) {
    // A zero byte of x is a '.' of the token; the lowest flagged byte is the first zero byte (exact: a borrow
    // can only flag bytes above a real zero byte).
    const x = load<u64>(at + <usize>i) ^ DOTS;
    const zero = (x - LOW_BITS) & ~x & HIGH_BITS;
    if (zero != 0) return i + <i32>(ctz<u64>(zero) >> 3);
  }
  for (; i < end; i++) if (load<u8>(at + <usize>i) == DOT) return i;
  return -1;
}
