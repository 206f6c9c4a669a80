// ext-authz: asks an HTTP authorization service about every request before it goes upstream. The request
// waits (paused at its headers) while the filter calls the service; then:
//   2xx            → the request continues, with the service's matching headers (default x-auth-*) added;
//   other non-5xx  → denied with the service's status, body, content-type and www-authenticate;
//   5xx, reset, timeout, or the call cannot be made → the configured failure mode: fail open (continue) or
//                    fail closed (503).
// See README.md for the configuration.
import {
  RootContext, HttpContext, Configuration, ConfigSchema, Action, Counter, Header, GrpcStatus, registerRoot,
  httpCallResponseHeaders, httpCallResponseBody, logDebug, logInfo, logWarn,
} from "@proxy-wasm-as/sdk";

const allowed = new Counter("ext_authz.allowed");
const denied = new Counter("ext_authz.denied");
const unavailable = new Counter("ext_authz.unavailable");
const failedOpen = new Counter("ext_authz.failed_open");

/** Response headers of a denial that are passed on to the client. */
const DENIAL_HEADERS: string[] = ["content-type", "www-authenticate", "location"];

/** The configuration (README.md). */
const schema = new ConfigSchema();
const CLUSTER = schema.string("cluster").required().nonEmpty();
const AUTHORITY = schema.string("authority");
const PATH_PREFIX = schema.string("pathPrefix");
const TIMEOUT_MS = schema.integer("timeoutMs").range(1, 60_000).default(500);
const FAIL_OPEN = schema.bool("failOpen");
const FORWARD_HEADERS = schema.stringList("forwardHeaders").default(["authorization", "cookie", "x-request-id"]);
const UPSTREAM_HEADERS = schema.stringList("upstreamHeaders").default(["x-auth-*"]);

/** Plugin configuration. */
class ExtAuthzRoot extends RootContext {
  cluster: string = "";
  authority: string = "";
  pathPrefix: string = "";
  timeoutMs: u32 = 500;
  failOpen: bool = false;
  forwardHeaders: string[] = [];
  upstreamHeaders: string[] = [];

  onConfigure(configuration: Configuration): bool {
    const config = schema.read(configuration);
    if (config == null) return false;
    const cluster = config.string(CLUSTER);
    const authority = config.has(AUTHORITY) ? config.string(AUTHORITY) : cluster;
    const pathPrefix = config.string(PATH_PREFIX);
    const timeoutMs = config.integer(TIMEOUT_MS);
    const failOpen = config.bool(FAIL_OPEN);
    const forwardHeaders = lowerCased(config.stringList(FORWARD_HEADERS));
    const upstreamHeaders = lowerCased(config.stringList(UPSTREAM_HEADERS));
    if (pathPrefix.length > 0 && !pathPrefix.startsWith("/")) return config.refuse(PATH_PREFIX, "must start with \"/\"");
    this.cluster = cluster;
    this.authority = authority;
    this.pathPrefix = pathPrefix;
    this.timeoutMs = <u32>timeoutMs;
    this.failOpen = failOpen;
    this.forwardHeaders = forwardHeaders;
    this.upstreamHeaders = upstreamHeaders;
    logInfo("ext-authz: checking with cluster " + cluster + ", timeout " + timeoutMs.toString() + " ms, " + (failOpen ? "fail open" : "fail closed"));
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null { return new ExtAuthzRequest(this); }
}

function lowerCased(names: string[]): string[] {
  for (let i = 0; i < names.length; i++) unchecked(names[i] = unchecked(names[i]).toLowerCase());
  return names;
}

/** True if header `name` matches one of `patterns` (exact names, or prefixes written "prefix*"). */
export function matchesAny(name: string, patterns: string[]): bool {
  for (let i = 0; i < patterns.length; i++) {
    const pattern = unchecked(patterns[i]);
    if (pattern.endsWith("*") ? name.startsWith(pattern.substring(0, pattern.length - 1)) : name == pattern) return true;
  }
  return false;
}

/** One request: paused while the authorization service decides. */
class ExtAuthzRequest extends HttpContext {
  constructor(private readonly root: ExtAuthzRoot) { super(); }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root;
    const request = this.requestHeaders;
    const all = request.getAll();
    const check: Header[] = [new Header(":authority", root.authority)];
    for (let i = 0; i < all.length; i++) {
      const header = unchecked(all[i]);
      if (header.name == ":method") check.push(header);
      else if (header.name == ":path") check.push(new Header(":path", root.pathPrefix + header.value));
      else if (matchesAny(header.name, root.forwardHeaders)) check.push(header);
      // Headers the service may add are never taken from the client.
      if (matchesAny(header.name, root.upstreamHeaders)) request.remove(header.name);
    }
    const token = this.httpCall(root.cluster, check, null, null, root.timeoutMs);
    if (token == 0) return this.onServiceUnavailable("the check request could not be sent");
    return Action.Pause;
  }

  onHttpCallResponse(token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {
    if (headerCount == 0) {
      this.resume(this.onServiceUnavailable("the authorization service reset the call"));
      return;
    }
    const statusText = httpCallResponseHeaders.get(":status");
    const status = statusText != null ? I32.parseInt(statusText) : 0;
    if (status >= 200 && status < 300) {
      const response = httpCallResponseHeaders.getAll();
      for (let i = 0; i < response.length; i++) {
        const header = unchecked(response[i]);
        if (matchesAny(header.name, this.root.upstreamHeaders)) this.requestHeaders.add(header.name, header.value);
      }
      allowed.increment();
      logDebug("ext-authz: allowed");
      this.continueRequest();
      return;
    }
    if (status < 200 || status >= 500) {
      this.resume(this.onServiceUnavailable("the authorization service answered " + status.toString()));
      return;
    }
    denied.increment();
    logDebug("ext-authz: denied with " + status.toString());
    const headers = new Array<Header>();
    for (let i = 0; i < DENIAL_HEADERS.length; i++) {
      const value = httpCallResponseHeaders.get(unchecked(DENIAL_HEADERS[i]));
      if (value != null) headers.push(new Header(unchecked(DENIAL_HEADERS[i]), value));
    }
    this.sendLocalResponseBytes(<u32>status, httpCallResponseBody.getBytes(), headers, GrpcStatus.None, "ext_authz_denied");
  }

  /** Applies the failure mode; returns Continue (fail open) or Pause after a 503 (fail closed). */
  private onServiceUnavailable(reason: string): Action {
    unavailable.increment();
    if (this.root.failOpen) {
      failedOpen.increment();
      logWarn("ext-authz: " + reason + "; failing open");
      return Action.Continue;
    }
    logWarn("ext-authz: " + reason + "; failing closed");
    const headers: Header[] = [new Header("content-type", "application/json")];
    this.sendLocalResponse(503, "{\"error\":\"authorization_unavailable\",\"message\":\"" + reason + "\"}\n", headers, GrpcStatus.None, "ext_authz_unavailable");
    return Action.Pause;
  }

  /** After an asynchronous decision: continue the paused request unless a local reply was sent. */
  private resume(action: Action): void {
    if (action == Action.Continue) this.continueRequest();
  }
}

registerRoot<ExtAuthzRoot>();
