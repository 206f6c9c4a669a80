// rate-limit: a token bucket per client, shared by every Envoy worker through proxy-wasm shared data with
// compare-and-swap. The client is the value of a configured header, or else the source IP address.
// Over the limit: 429 with Retry-After and X-RateLimit-* headers. See README.md for the configuration.
import {
  RootContext, HttpContext, Configuration, Action, Counter, Header, Status, GrpcStatus, registerRoot,
  getSharedData, setSharedData, getProperty, currentTimeNanoseconds, logDebug, logInfo, logWarn,
} from "@proxy-wasm-as/sdk";
import { ConfigReader } from "../shared/config";

const allowed = new Counter("rate_limit.allowed");
const limited = new Counter("rate_limit.limited");
const contended = new Counter("rate_limit.cas_exhausted");

/** Tokens are kept in thousandths so refills of a fraction of a token are not lost. */
const MILLI: i64 = 1000;
/** Attempts at the read-modify-CAS cycle before giving up (the request is then allowed). */
const MAX_CAS_ATTEMPTS = 8;
/** Prefix of the shared-data keys, so the buckets do not collide with other plugins' data in the VM. */
const KEY_PREFIX = "rate-limit/";

/** Plugin configuration. */
class RateLimitRoot extends RootContext {
  capacity: i64 = 0;
  refillPerSecond: i64 = 0;
  keyHeader: string = "";

  onConfigure(configuration: Configuration): bool {
    const config = ConfigReader.parse(configuration);
    if (config == null) return false;
    if (!config.has("capacity")) config.fail("capacity", "is required");
    if (!config.has("refillPerSecond")) config.fail("refillPerSecond", "is required");
    const capacity = config.integer("capacity", 1, 1, 1_000_000);
    const refillPerSecond = config.integer("refillPerSecond", 1, 1, 1_000_000);
    const keyHeader = config.string("keyHeader", "").toLowerCase();
    if (!config.finish()) return false;
    this.capacity = capacity;
    this.refillPerSecond = refillPerSecond;
    this.keyHeader = keyHeader;
    logInfo("rate-limit: " + capacity.toString() + " burst, " + refillPerSecond.toString() + "/s per " + (keyHeader.length > 0 ? "header " + keyHeader : "source address"));
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null { return new RateLimitRequest(this); }
}

/** A bucket as stored in shared data: "<millitokens>:<last refill, ms since the epoch>". */
class Bucket {
  constructor(public milliTokens: i64, public lastRefillMs: i64) {}

  static parse(text: string): Bucket | null {
    const colon = text.indexOf(":");
    if (colon <= 0) return null;
    return new Bucket(I64.parseInt(text.substring(0, colon)), I64.parseInt(text.substring(colon + 1)));
  }

  toString(): string { return this.milliTokens.toString() + ":" + this.lastRefillMs.toString(); }
}

/** The outcome of taking a token: whether it was granted, tokens left, and the wait for the next token. */
class Decision {
  constructor(public readonly granted: bool, public readonly remaining: i64, public readonly retryAfterSeconds: i64) {}
}

/** Refills `bucket` up to `nowMs` (in place). */
function refill(bucket: Bucket, root: RateLimitRoot, nowMs: i64): void {
  const elapsedMs = max<i64>(0, nowMs - bucket.lastRefillMs);
  // refillPerSecond tokens per second = refillPerSecond millitokens per millisecond
  bucket.milliTokens = min<i64>(root.capacity * MILLI, bucket.milliTokens + elapsedMs * root.refillPerSecond);
  bucket.lastRefillMs = max<i64>(nowMs, bucket.lastRefillMs);
}

/**
 * Takes one token from the bucket of `clientKey` in shared data, retrying when another worker changed the
 * bucket between our read and write (CasMismatch). Returns null if the bucket stayed contended.
 */
function takeToken(root: RateLimitRoot, clientKey: string): Decision | null {
  const key = KEY_PREFIX + clientKey;
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const nowMs = <i64>(currentTimeNanoseconds() / 1_000_000);
    const stored = getSharedData(key);
    const parsed = stored != null ? Bucket.parse(stored.value) : null;
    const bucket = parsed != null ? parsed : new Bucket(root.capacity * MILLI, nowMs);
    refill(bucket, root, nowMs);
    if (bucket.milliTokens < MILLI) {
      // Denied: nothing to write; the next request refills from the same stored time.
      const waitMs = ((MILLI - bucket.milliTokens) + root.refillPerSecond - 1) / root.refillPerSecond;
      return new Decision(false, 0, max<i64>(1, (waitMs + 999) / 1000));
    }
    bucket.milliTokens -= MILLI;
    // cas 0 = unconditional write, used only when the key does not exist yet.
    const status = setSharedData(key, bucket.toString(), stored != null ? stored.cas : 0);
    if (status == Status.Ok) return new Decision(true, bucket.milliTokens / MILLI, 0);
    if (status != Status.CasMismatch) {
      logWarn("rate-limit: could not store the bucket (status " + (<i32>status).toString() + "); allowing the request");
      return null;
    }
  }
  return null;
}

/** The client's source IP from Envoy's source.address ("1.2.3.4:5678" or "[::1]:5678"), without the port. */
function sourceIp(): string {
  const address = getProperty(["source", "address"]);
  if (address == null) return "unknown";
  const colon = address.lastIndexOf(":");
  return colon > 0 ? address.substring(0, colon) : address;
}

/** One request: takes a token in onRequestHeaders, reports the remaining budget on the response. */
class RateLimitRequest extends HttpContext {
  private remaining: i64 = -1;

  constructor(private readonly root: RateLimitRoot) { super(); }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root;
    let clientKey: string | null = root.keyHeader.length > 0 ? this.requestHeaders.get(root.keyHeader) : null;
    if (clientKey == null || clientKey.length == 0) clientKey = "ip:" + sourceIp();
    else clientKey = "h:" + clientKey;
    const decision = takeToken(root, clientKey);
    if (decision == null) {
      contended.increment();
      return Action.Continue; // fail open: never block traffic because the shared store is busy
    }
    if (decision.granted) {
      allowed.increment();
      this.remaining = decision.remaining;
      return Action.Continue;
    }
    limited.increment();
    logDebug("rate-limit: limited " + clientKey);
    const retryAfter = decision.retryAfterSeconds.toString();
    const headers: Header[] = [
      new Header("retry-after", retryAfter),
      new Header("x-ratelimit-limit", root.capacity.toString()),
      new Header("x-ratelimit-remaining", "0"),
      new Header("content-type", "application/json"),
    ];
    const body = "{\"error\":\"rate_limited\",\"message\":\"too many requests, retry after " + retryAfter + " s\"}\n";
    this.sendLocalResponse(429, body, headers, GrpcStatus.None, "rate_limited");
    return Action.Pause;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    if (this.remaining >= 0) {
      this.responseHeaders.set("x-ratelimit-limit", this.root.capacity.toString());
      this.responseHeaders.set("x-ratelimit-remaining", this.remaining.toString());
    }
    return Action.Continue;
  }
}

registerRoot<RateLimitRoot>();
