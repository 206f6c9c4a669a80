// rate-limit: a token bucket per client, shared by every Envoy worker through proxy-wasm shared data with
// compare-and-swap. The client is the value of a configured header, or else the source IP address.
// Over the limit: 429 with Retry-After and X-RateLimit-* headers. See README.md for the configuration.
import {
  RootContext, HttpContext, Configuration, ConfigSchema, Action, Counter, Gauge, Header, Status, GrpcStatus, registerRoot,
  getSharedData, setSharedData, SharedValue, getProperty, currentTimeNanoseconds, logDebug, logInfo, logWarn,
} from "@proxy-wasm-as/sdk";
import { sha256String, hexEncode } from "@proxy-wasm-as/sdk/assembly/crypto";

const allowed = new Counter("rate_limit.allowed");
const limited = new Counter("rate_limit.limited");
const contended = new Counter("rate_limit.cas_exhausted");
const evicted = new Counter("rate_limit.evicted");
const expired = new Counter("rate_limit.expired");
const tracked = new Gauge("rate_limit.tracked_clients");

/** Tokens are kept in thousandths so refills of a fraction of a token are not lost. */
const MILLI: i64 = 1000;
/** Attempts at the read-modify-CAS cycle before giving up (the request is then allowed). */
const MAX_CAS_ATTEMPTS = 8;
/** Prefix of the shared-data keys, so the buckets do not collide with other plugins' data in the VM. */
const KEY_PREFIX = "rate-limit/";
/** Slots looked at for one client, starting at its hash (open addressing). */
const PROBES: i32 = 4;
/** Longer client keys are stored as "sha256:<hex>" (71 characters), so a slot's size is bounded. */
const MAX_STORED_KEY_CHARS: i32 = 64;
/** Slots the expiry sweep looks at per tick and worker. */
const SWEEP_SLOTS_PER_TICK: i32 = 1024;
const DEFAULT_MAX_CLIENTS: i64 = 10_000;
const DEFAULT_SWEEP_SECONDS: i64 = 10;

/** The configuration (README.md). */
const schema = new ConfigSchema();
const CAPACITY = schema.integer("capacity").required().range(1, 1_000_000);
const REFILL_PER_SECOND = schema.integer("refillPerSecond").required().range(1, 1_000_000);
const KEY_HEADER = schema.string("keyHeader");
const MAX_CLIENTS = schema.integer("maxClients").range(1, 1_000_000).default(DEFAULT_MAX_CLIENTS);
const SWEEP_SECONDS = schema.integer("sweepSeconds").range(1, 3600).default(DEFAULT_SWEEP_SECONDS);

/** Plugin configuration. */
class RateLimitRoot extends RootContext {
  capacity: i64 = 0;
  refillPerSecond: i64 = 0;
  keyHeader: string = "";
  maxClients: i32 = <i32>DEFAULT_MAX_CLIENTS;
  /** Next slot the expiry sweep looks at. */
  private sweepCursor: i32 = 0;

  onConfigure(configuration: Configuration): bool {
    const config = schema.read(configuration);
    if (config == null) return false;
    const capacity = config.integer(CAPACITY);
    const refillPerSecond = config.integer(REFILL_PER_SECOND);
    const keyHeader = config.string(KEY_HEADER).toLowerCase();
    const maxClients = config.integer(MAX_CLIENTS);
    const sweepSeconds = config.integer(SWEEP_SECONDS);
    this.capacity = capacity;
    this.refillPerSecond = refillPerSecond;
    this.keyHeader = keyHeader;
    this.maxClients = <i32>maxClients;
    this.setTickPeriod(<u32>(sweepSeconds * 1000));
    logInfo("rate-limit: " + capacity.toString() + " burst, " + refillPerSecond.toString() + "/s per " + (keyHeader.length > 0 ? "header " + keyHeader : "source address") +
      ", at most " + maxClients.toString() + " clients tracked, expiry sweep every " + sweepSeconds.toString() + " s");
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null { return new RateLimitRequest(this); }

  /** Expiry: frees the slots whose bucket has refilled to capacity (a full bucket is the same as none). */
  onTick(): void {
    const nowMs = nowMilliseconds();
    const count = min(SWEEP_SLOTS_PER_TICK, this.maxClients);
    for (let i = 0; i < count; i++) {
      const key = slotKey(this.sweepCursor);
      this.sweepCursor = (this.sweepCursor + 1) % this.maxClients;
      const stored = getSharedData(key);
      if (stored == null || stored.value.length == 0) continue;
      const entry = Bucket.parse(stored.value);
      if (entry != null && !isFull(entry, this, nowMs)) continue;
      // A CAS mismatch means a worker just used the slot: leave it.
      if (setSharedData(key, "", stored.cas) == Status.Ok) { tracked.add(-1); expired.increment(); }
    }
  }
}

/** Milliseconds since the epoch. */
function nowMilliseconds(): i64 { return <i64>(currentTimeNanoseconds() / 1_000_000); }

/** Shared-data key of slot `index`. */
function slotKey(index: i32): string { return KEY_PREFIX + index.toString(); }

/**
 * A slot's bucket as stored in shared data: "<millitokens>:<last refill, ms since the epoch>:<client key>"; an
 * empty value is a free slot.
 */
class Bucket {
  constructor(public milliTokens: i64, public lastRefillMs: i64, public client: string) {}

  static parse(text: string): Bucket | null {
    const first = text.indexOf(":");
    const second = first <= 0 ? -1 : text.indexOf(":", first + 1);
    if (second < 0) return null;
    return new Bucket(I64.parseInt(text.substring(0, first)), I64.parseInt(text.substring(first + 1, second)), text.substring(second + 1));
  }

  toString(): string { return this.milliTokens.toString() + ":" + this.lastRefillMs.toString() + ":" + this.client; }
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

/** True if `bucket` has refilled to capacity by `nowMs`: forgetting it changes nothing (it has expired). */
function isFull(bucket: Bucket, root: RateLimitRoot, nowMs: i64): bool {
  const elapsedMs = max<i64>(0, nowMs - bucket.lastRefillMs);
  return bucket.milliTokens + elapsedMs * root.refillPerSecond >= root.capacity * MILLI;
}

/** The key stored for `clientKey`: itself, or its SHA-256 when longer than MAX_STORED_KEY_CHARS. */
function storedKey(clientKey: string): string {
  return clientKey.length <= MAX_STORED_KEY_CHARS ? clientKey : "sha256:" + hexEncode(sha256String(clientKey));
}

/** FNV-1a over the UTF-16 units of `text`: the client's first slot. */
function slotHash(text: string): u32 {
  let hash: u32 = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = (hash ^ <u32>text.charCodeAt(i)) * 0x01000193;
  return hash;
}

/**
 * Takes one token from the bucket of `clientKey` in shared data, retrying when another worker changed the
 * slot between our read and write (CasMismatch). Returns null if the slot stayed contended.
 *
 * The client's bucket lives in one of PROBES slots from its hash. A new client takes a free slot, else one
 * whose bucket has refilled to capacity (expired), else the least recently refilled one (evicted: that client
 * starts again with a full bucket when it returns). So at most maxClients buckets exist, whatever the traffic.
 */
function takeToken(root: RateLimitRoot, clientKey: string): Decision | null {
  const client = storedKey(clientKey);
  const home = <i32>(slotHash(client) % <u32>root.maxClients);
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const nowMs = nowMilliseconds();
    let target = -1;
    let targetStored: SharedValue | null = null;
    let targetBucket: Bucket | null = null;
    let reuse = 0; // for a new client: 0 free slot, 1 expired bucket, 2 evicted bucket
    for (let probe = 0; probe < min(PROBES, root.maxClients); probe++) {
      const slot = (home + probe) % root.maxClients;
      const stored = getSharedData(slotKey(slot));
      const bucket = stored != null && stored.value.length > 0 ? Bucket.parse(stored.value) : null;
      if (bucket != null && bucket.client == client) { target = slot; targetStored = stored; targetBucket = bucket; reuse = -1; break; }
      const kind = bucket == null ? 0 : isFull(bucket, root, nowMs) ? 1 : 2;
      if (target < 0 || kind < reuse || (kind == 2 && reuse == 2 && bucket!.lastRefillMs < targetBucket!.lastRefillMs)) {
        target = slot; targetStored = stored; targetBucket = bucket; reuse = kind;
      }
    }
    const bucket = reuse < 0 ? targetBucket! : new Bucket(root.capacity * MILLI, nowMs, client);
    refill(bucket, root, nowMs);
    if (bucket.milliTokens < MILLI) {
      // Denied: nothing to write; the next request refills from the same stored time.
      const waitMs = ((MILLI - bucket.milliTokens) + root.refillPerSecond - 1) / root.refillPerSecond;
      return new Decision(false, 0, max<i64>(1, (waitMs + 999) / 1000));
    }
    bucket.milliTokens -= MILLI;
    // cas 0 = unconditional write, used only when the slot's key does not exist yet.
    const status = setSharedData(slotKey(target), bucket.toString(), targetStored != null ? targetStored.cas : 0);
    if (status == Status.Ok) {
      if (reuse == 0) tracked.add(1);
      else if (reuse == 1) expired.increment();
      else if (reuse == 2) evicted.increment();
      return new Decision(true, bucket.milliTokens / MILLI, 0);
    }
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
