// canary-router: decides per request whether it goes to the canary or the stable backend and writes the
// decision into a routing header (default x-canary: "true" / "false") that an Envoy route matches on.
// The decision, first rule that applies:
//   1. an override header (e.g. x-canary-override: canary | stable), for testers;
//   2. an override cookie (e.g. canary=canary | stable), for opted-in users;
//   3. the configured percentage: a deterministic bucket of a key header (e.g. x-user-id), so a user always
//      lands on the same side, or a random one when the key is absent.
// Changing request headers in on_request_headers makes Envoy clear its route cache (ABI 0.2.1), so the router
// picks the route again from the new header. See README.md.
import { RootContext, HttpContext, Configuration, ConfigSchema, Action, Counter, registerRoot, formatNumber, logDebug, logInfo } from "@proxy-wasm-as/sdk";

const toCanary = new Counter("canary_router.canary");
const toStable = new Counter("canary_router.stable");
const overridden = new Counter("canary_router.overridden");

/** Buckets a request falls in: the percentage is kept in hundredths of a percent. */
const BUCKETS: u32 = 10_000;

/** The configuration (README.md). */
const schema = new ConfigSchema();
const PERCENTAGE = schema.number("percentage").required().range(0, 100);
const ROUTING_HEADER = schema.string("routingHeader").default("x-canary");
const HASH_KEY_HEADER = schema.string("hashKeyHeader");
const OVERRIDE_HEADER = schema.string("overrideHeader");
const OVERRIDE_COOKIE = schema.string("overrideCookie");

/** Plugin configuration. */
class CanaryRouterRoot extends RootContext {
  /** Share of requests (in BUCKETS) routed to the canary. */
  canaryBuckets: u32 = 0;
  routingHeader: string = "x-canary";
  hashKeyHeader: string = "";
  overrideHeader: string = "";
  overrideCookie: string = "";

  onConfigure(configuration: Configuration): bool {
    const config = schema.read(configuration);
    if (config == null) return false;
    const percentage = config.number(PERCENTAGE);
    const routingHeader = config.string(ROUTING_HEADER).toLowerCase();
    const hashKeyHeader = config.string(HASH_KEY_HEADER).toLowerCase();
    const overrideHeader = config.string(OVERRIDE_HEADER).toLowerCase();
    const overrideCookie = config.string(OVERRIDE_COOKIE);
    if (routingHeader.length == 0 || routingHeader.startsWith(":")) return config.refuse(ROUTING_HEADER, "must be a non-empty regular header name");
    this.canaryBuckets = <u32>Math.round(percentage * <f64>BUCKETS / 100);
    this.routingHeader = routingHeader;
    this.hashKeyHeader = hashKeyHeader;
    this.overrideHeader = overrideHeader;
    this.overrideCookie = overrideCookie;
    logInfo("canary-router: " + formatNumber(percentage) + "% to the canary by " + (hashKeyHeader.length > 0 ? "hash of " + hashKeyHeader : "random draw") +
      "; decision in header " + routingHeader);
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null { return new CanaryDecision(this); }
}

/** FNV-1a (32-bit) of the UTF-8 bytes of `key`: the documented, reproducible bucket hash. */
function fnv1a(key: string): u32 {
  const bytes = Uint8Array.wrap(String.UTF8.encode(key));
  let hash: u32 = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= <u32>unchecked(bytes[i]);
    hash *= 0x01000193;
  }
  return hash;
}

/** "canary" → 1, "stable" → 0, anything else → -1 (not an override). */
function overrideChoice(value: string): i32 {
  if (value == "canary") return 1;
  if (value == "stable") return 0;
  return -1;
}

/** Value of cookie `name` in a Cookie header ("a=1; b=2"); null if absent. */
function cookieValue(header: string, name: string): string | null {
  const pairs = header.split(";");
  for (let i = 0; i < pairs.length; i++) {
    const pair = unchecked(pairs[i]).trim();
    const equals = pair.indexOf("=");
    if (equals > 0 && pair.substring(0, equals) == name) return pair.substring(equals + 1);
  }
  return null;
}

/** One request: decides in onRequestHeaders and writes the routing header. */
class CanaryDecision extends HttpContext {
  constructor(private readonly root: CanaryRouterRoot) { super(); }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root;
    const canary = this.decide();
    // Always written, so a client cannot pick the backend by sending the routing header itself.
    this.requestHeaders.set(root.routingHeader, canary ? "true" : "false");
    if (canary) toCanary.increment();
    else toStable.increment();
    return Action.Continue;
  }

  private decide(): bool {
    const root = this.root;
    if (root.overrideHeader.length > 0) {
      const value = this.requestHeaders.get(root.overrideHeader);
      if (value != null && overrideChoice(value) >= 0) return this.forced(overrideChoice(value) == 1, "header " + root.overrideHeader);
    }
    if (root.overrideCookie.length > 0) {
      const cookies = this.requestHeaders.get("cookie");
      const value = cookies != null ? cookieValue(cookies, root.overrideCookie) : null;
      if (value != null && overrideChoice(value) >= 0) return this.forced(overrideChoice(value) == 1, "cookie " + root.overrideCookie);
    }
    if (root.hashKeyHeader.length > 0) {
      const key = this.requestHeaders.get(root.hashKeyHeader);
      if (key != null && key.length > 0) return fnv1a(key) % BUCKETS < root.canaryBuckets;
    }
    return <u32>(Math.random() * <f64>BUCKETS) < root.canaryBuckets;
  }

  private forced(canary: bool, by: string): bool {
    overridden.increment();
    logDebug("canary-router: " + (canary ? "canary" : "stable") + " forced by " + by);
    return canary;
  }
}

registerRoot<CanaryRouterRoot>();
