// rate-limit: a token bucket per client, shared by every Envoy worker through proxy-wasm shared data with
// compare-and-swap. The client is the value of a configured header, or else the source IP address.
// Over the limit: 429 with Retry-After and X-RateLimit-* headers. See README.md for the configuration.
import {
  RootContext, HttpContext, Configuration, ConfigSchema, Action, Counter, Gauge, Header, Status, GrpcStatus, registerRoot,
  getSharedData, setSharedData, SharedValue, getProperty, currentTimeNanoseconds, logDebug, logInfo, logWarn, logError,
} from "@proxy-wasm-as/sdk";
import { sha256String, hexEncode } from "@proxy-wasm-as/sdk/assembly/crypto";
import { SipKey, sipHashString } from "./siphash.as";

// WASI's random source (Envoy implements it, from the host's cryptographic random generator).
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function random_get(buffer: usize, length: usize): u16;

const allowed = new Counter("rate_limit.allowed");
const limited = new Counter("rate_limit.limited");
const contended = new Counter("rate_limit.cas_exhausted");
const tableFull = new Counter("rate_limit.table_full");
const expired = new Counter("rate_limit.expired");
const tracked = new Gauge("rate_limit.tracked_clients");

/** Tokens are kept in thousandths so refills of a fraction of a token are not lost. */
const MILLI: i64 = 1000;
/** Attempts at the read-modify-CAS cycle before giving up (the request is then allowed). */
const MAX_CAS_ATTEMPTS = 8;
/** Prefix of the shared-data keys, so the buckets do not collide with other plugins' data in the VM. */
const KEY_PREFIX = "rate-limit/";
/** Slots one client may use (open addressing with double hashing from its keyed hash). */
const PROBES: i32 = 8;
/** Shared-data key of the slot hash's SipHash key ("<k0>:<k1>", decimal u64 words), the same for every VM of the plugin. */
const HASH_KEY_KEY = "rate-limit/hash-key";
/** Shared-data key saying the slots of a table of that many clients exist: "rate-limit/slots/<maxClients>". */
const SLOTS_CREATED_PREFIX = "rate-limit/slots/";
/**
 * Slots created at configuration (createSlots): enough for the default table many times over, few enough that
 * configuring stays well under a second (a million took over 5 s on the emulator).
 */
const PRECREATED_SLOTS: i32 = 65_536;
/** Random bytes of a SipHash key (128 bits). */
const HASH_KEY_BYTES = 16;
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
  /** The slot hash's key, shared by every VM of the plugin through shared data (sharedHashKey). */
  hashKey: SipKey = new SipKey(0, 0);
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
    const hashKey = sharedHashKey();
    if (hashKey == null) return false;
    this.hashKey = hashKey;
    createSlots(this.maxClients);
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

/**
 * The slot hash's key: read from shared data, or drawn from the host's random source and stored there by the
 * first VM to configure (Envoy configures its main-thread canary before any worker VM exists, and every VM of
 * the plugin must find a client's bucket in the same slots). A CAS write keeps the first key if two VMs race.
 * Null (after logging why) if the host gives no random bytes.
 */
function sharedHashKey(): SipKey | null {
  let stored = getSharedData(HASH_KEY_KEY);
  let key = stored != null ? parseHashKey(stored.value) : null;
  if (key != null) return key;
  const bytes = new ArrayBuffer(HASH_KEY_BYTES);
  if (random_get(changetype<usize>(bytes), HASH_KEY_BYTES) != 0) {
    logError("rate-limit: the host's random source (wasi random_get) failed, so the slot hash cannot be keyed; refusing the configuration");
    return null;
  }
  const drawn = load<u64>(changetype<usize>(bytes)).toString() + ":" + load<u64>(changetype<usize>(bytes), 8).toString();
  setSharedData(HASH_KEY_KEY, drawn, stored != null ? stored.cas : 0);
  stored = getSharedData(HASH_KEY_KEY); // ours, or the key of a VM that won the race
  key = stored != null ? parseHashKey(stored.value) : null;
  if (key == null) logError("rate-limit: could not store the slot hash key in shared data; refusing the configuration");
  return key;
}

/** "<k0>:<k1>" (decimal u64 words) as a SipKey, or null if malformed. */
function parseHashKey(text: string): SipKey | null {
  const colon = text.indexOf(":");
  if (colon <= 0 || colon == text.length - 1) return null;
  return new SipKey(U64.parseInt(text.substring(0, colon)), U64.parseInt(text.substring(colon + 1)));
}

/**
 * Creates the table's first PRECREATED_SLOTS slots (empty) once per table size, so that every later write of a
 * bucket there is compare-and-swap: ABI 0.2.1 has no "create if absent", and an unconditional first write could
 * overwrite a bucket another worker just created. Envoy runs this in the main-thread canary, before workers take
 * traffic. Slots beyond are created on first use (takeToken), where that race remains (README.md, margins).
 */
function createSlots(maxClients: i32): void {
  const marker = SLOTS_CREATED_PREFIX + maxClients.toString();
  if (getSharedData(marker) != null) return;
  const count = min(maxClients, PRECREATED_SLOTS);
  for (let slot = 0; slot < count; slot++) {
    const key = slotKey(slot);
    if (getSharedData(key) == null) setSharedData(key, "", 0);
  }
  setSharedData(marker, "created", 0);
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
  constructor(
    public readonly granted: bool, public readonly remaining: i64, public readonly retryAfterSeconds: i64,
    /** Refused because every slot the client may use holds another client's bucket that is still refilling. */
    public readonly tableFull: bool = false,
  ) {}
}

/** Refills `bucket` up to `nowMs` (in place). */
function refill(bucket: Bucket, root: RateLimitRoot, nowMs: i64): void {
  const elapsedMs = max<i64>(0, nowMs - bucket.lastRefillMs);
  // refillPerSecond tokens per second = refillPerSecond millitokens per millisecond
  bucket.milliTokens = min<i64>(root.capacity * MILLI, bucket.milliTokens + elapsedMs * root.refillPerSecond);
  bucket.lastRefillMs = max<i64>(nowMs, bucket.lastRefillMs);
}

/** Milliseconds until `bucket` has refilled to capacity (0 if it already has). */
function msUntilFull(bucket: Bucket, root: RateLimitRoot, nowMs: i64): i64 {
  const elapsedMs = max<i64>(0, nowMs - bucket.lastRefillMs);
  const missing = root.capacity * MILLI - bucket.milliTokens - elapsedMs * root.refillPerSecond;
  return missing <= 0 ? 0 : (missing + root.refillPerSecond - 1) / root.refillPerSecond;
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

/**
 * The PROBES slots a client may use: double hashing from its keyed SipHash (low word: first slot, high word: odd
 * step). Without the key, which no client sees, a client cannot choose keys that share slots.
 */
function probeSlots(root: RateLimitRoot, client: string, slots: StaticArray<i32>): void {
  const hash = sipHashString(root.hashKey, client);
  const count = <u64>root.maxClients;
  const first = (hash & 0xffffffff) % count;
  const step = ((hash >>> 32) | 1) % count;
  for (let probe = 0; probe < PROBES; probe++) slots[probe] = <i32>((first + <u64>probe * step) % count);
}

/** Reused by every request of a VM (one request at a time per VM). */
const probeScratch = new StaticArray<i32>(PROBES);

/**
 * Takes one token from the bucket of `clientKey` in shared data, retrying when another worker changed a slot
 * between our read and write (CasMismatch). Returns null if the slots stayed contended.
 *
 * The client's bucket lives in one of its PROBES slots. A client without a bucket takes a free slot, else one
 * whose bucket has refilled to capacity (expired: forgetting a full bucket changes nothing). A bucket that is not
 * full is never replaced: when every slot of a new client holds one, the new client is refused (table full) until
 * one of them refills. So a client's bucket is never reset early, whatever keys others send, and at most
 * maxClients buckets exist.
 */
function takeToken(root: RateLimitRoot, clientKey: string): Decision | null {
  const client = storedKey(clientKey);
  const slots = probeScratch;
  probeSlots(root, client, slots);
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const nowMs = nowMilliseconds();
    let target = -1;
    let targetStored: SharedValue | null = null;
    let own: Bucket | null = null;
    let reusesExpired = false;
    let soonestFullMs: i64 = I64.MAX_VALUE; // when the first of the other clients' buckets is full again
    for (let probe = 0; probe < PROBES; probe++) {
      const slot = slots[probe];
      const stored = getSharedData(slotKey(slot));
      const bucket = stored != null && stored.value.length > 0 ? Bucket.parse(stored.value) : null;
      if (bucket != null && bucket.client == client) { target = slot; targetStored = stored; own = bucket; break; }
      if (bucket == null || isFull(bucket, root, nowMs)) {
        // The first usable slot in probe order, so two workers adding the same client pick the same slot.
        if (target < 0) { target = slot; targetStored = stored; reusesExpired = bucket != null; }
      } else {
        soonestFullMs = min(soonestFullMs, msUntilFull(bucket, root, nowMs));
      }
    }
    if (target < 0) {
      // Table full for this client: refused, and nobody's bucket is touched (a collision costs the newcomer).
      return new Decision(false, 0, max<i64>(1, (soonestFullMs + 999) / 1000), true);
    }
    const bucket = own != null ? own : new Bucket(root.capacity * MILLI, nowMs, client);
    refill(bucket, root, nowMs);
    if (bucket.milliTokens < MILLI) {
      // Denied: nothing to write; the next request refills from the same stored time.
      const waitMs = ((MILLI - bucket.milliTokens) + root.refillPerSecond - 1) / root.refillPerSecond;
      return new Decision(false, 0, max<i64>(1, (waitMs + 999) / 1000));
    }
    bucket.milliTokens -= MILLI;
    // The slot exists (createSlots, or just above), so the write is compare-and-swap.
    if (targetStored == null) {
      // Not created at configuration (beyond PRECREATED_SLOTS): create it empty, then decide again with CAS.
      setSharedData(slotKey(target), "", 0);
      continue;
    }
    const status = setSharedData(slotKey(target), bucket.toString(), targetStored.cas);
    if (status == Status.Ok) {
      if (own == null && !reusesExpired) tracked.add(1);
      else if (own == null) expired.increment();
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
    if (decision.tableFull) {
      tableFull.increment();
      logDebug("rate-limit: limited " + clientKey + " (new client, and every slot it may use holds a bucket still refilling)");
    } else {
      logDebug("rate-limit: limited " + clientKey);
    }
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
