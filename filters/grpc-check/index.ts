// grpc-check: asks a gRPC authorization service (authz.v1.Check/Allow, see authz.proto) about every request before
// it goes upstream. The request waits, paused at its headers, while the filter makes a unary gRPC call with the
// request's method, path, selected headers and client id, encoded as protobuf. Then:
//   allowed                         → the request continues with the service's headers set on it;
//   denied                          → local reply with the service's status (403 by default) and reason;
//   gRPC error, timeout, invalid answer, or the call cannot be made
//                                   → the configured failure mode: fail open (continue) or fail closed (503).
// See README.md for the configuration, the contract and what the filter logs and counts.
import {
  RootContext, HttpContext, Configuration, ConfigSchema, Action, Counter, Header, GrpcStatus, ProtobufWriter, ProtobufReader,
  registerRoot, grpcReceiveBuffer, getProperty, getStatus, lastStatus, logDebug, logInfo, logWarn,
} from "@proxy-wasm-as/sdk";

const allowedCount = new Counter("grpc_check.allowed");
const deniedCount = new Counter("grpc_check.denied");
const unavailableCount = new Counter("grpc_check.unavailable");
const failedOpenCount = new Counter("grpc_check.failed_open");
const abandonedCount = new Counter("grpc_check.abandoned");

// Field numbers of authz.proto.
const HEADER_NAME: u32 = 1;
const HEADER_VALUE: u32 = 2;
const REQUEST_METHOD: u32 = 1;
const REQUEST_PATH: u32 = 2;
const REQUEST_HEADERS: u32 = 3;
const REQUEST_CLIENT_ID: u32 = 4;
const RESPONSE_ALLOWED: u32 = 1;
const RESPONSE_STATUS_CODE: u32 = 2;
const RESPONSE_REASON: u32 = 3;
const RESPONSE_HEADERS: u32 = 4;
// Field numbers of envoy.config.core.v3.GrpcService and its EnvoyGrpc.
const GRPC_SERVICE_ENVOY_GRPC: u32 = 1;
const ENVOY_GRPC_CLUSTER_NAME: u32 = 1;
const ENVOY_GRPC_AUTHORITY: u32 = 2;

/** The configuration (README.md). */
const schema = new ConfigSchema();
const CLUSTER = schema.string("cluster").required().nonEmpty();
const AUTHORITY = schema.string("authority");
const SERVICE = schema.string("service").nonEmpty().default("authz.v1.Check");
const METHOD = schema.string("method").nonEmpty().default("Allow");
const TIMEOUT_MS = schema.integer("timeoutMs").range(1, 60_000).default(500);
const FAIL_OPEN = schema.bool("failOpen");
const FORWARD_HEADERS = schema.stringList("forwardHeaders").default(["authorization"]);
const UPSTREAM_HEADERS = schema.stringList("upstreamHeaders").default(["x-auth-*"]);
const CLIENT_ID_HEADER = schema.string("clientIdHeader").default("x-client-id");

/** Plugin configuration, read once in onConfigure. */
class GrpcCheckRoot extends RootContext {
  /** The serialized envoy.config.core.v3.GrpcService naming the service's cluster (and authority). */
  grpcService: ArrayBuffer = new ArrayBuffer(0);
  serviceName: string = "";
  methodName: string = "";
  timeoutMs: u32 = 500;
  failOpen: bool = false;
  forwardHeaders: string[] = [];
  upstreamHeaders: string[] = [];
  clientIdHeader: string = "";

  onConfigure(configuration: Configuration): bool {
    const config = schema.read(configuration);
    if (config == null) return false;
    const cluster = config.string(CLUSTER);
    const authority = config.string(AUTHORITY);
    const serviceName = config.string(SERVICE);
    const methodName = config.string(METHOD);
    const timeoutMs = config.integer(TIMEOUT_MS);
    const failOpen = config.bool(FAIL_OPEN);
    const forwardHeaders = lowerCased(config.stringList(FORWARD_HEADERS));
    const upstreamHeaders = lowerCased(config.stringList(UPSTREAM_HEADERS));
    const clientIdHeader = config.string(CLIENT_ID_HEADER).toLowerCase();
    const envoyGrpc = new ProtobufWriter().string(ENVOY_GRPC_CLUSTER_NAME, cluster);
    if (authority.length > 0) envoyGrpc.string(ENVOY_GRPC_AUTHORITY, authority);
    this.grpcService = new ProtobufWriter().message(GRPC_SERVICE_ENVOY_GRPC, envoyGrpc).finish();
    this.serviceName = serviceName;
    this.methodName = methodName;
    this.timeoutMs = <u32>timeoutMs;
    this.failOpen = failOpen;
    this.forwardHeaders = forwardHeaders;
    this.upstreamHeaders = upstreamHeaders;
    this.clientIdHeader = clientIdHeader;
    logInfo("grpc-check: asking /" + serviceName + "/" + methodName + " on cluster " + cluster + ", timeout " + timeoutMs.toString() + " ms, " + (failOpen ? "fail open" : "fail closed"));
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null { return new GrpcCheckRequest(this); }
}

function lowerCased(names: string[]): string[] {
  for (let i = 0; i < names.length; i++) unchecked(names[i] = unchecked(names[i]).toLowerCase());
  return names;
}

/** True if header `name` matches one of `patterns` (exact names, or prefixes written "prefix*"). */
function matchesAny(name: string, patterns: string[]): bool {
  for (let i = 0; i < patterns.length; i++) {
    const pattern = unchecked(patterns[i]);
    if (pattern.endsWith("*") ? name.startsWith(pattern.substring(0, pattern.length - 1)) : name == pattern) return true;
  }
  return false;
}

/**
 * True if `name` is a lower-case HTTP field name (RFC 9110 token, not a pseudo-header) and `value` has no
 * control characters other than tab: what the filter accepts from the service before setting it on a request.
 */
function isSafeHeader(name: string, value: string): bool {
  if (name.length == 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const letterOrDigit = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    if (!letterOrDigit && "!#$%&'*+-.^_`|~".indexOf(String.fromCharCode(c)) < 0) return false;
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c != 0x09) || c == 0x7f) return false;
  }
  return true;
}

/** The service's decision, decoded from an AllowResponse. */
class Decision {
  allowed: bool = false;
  statusCode: u32 = 0;
  reason: string = "";
  headers: Header[] = [];
  /** Why the AllowResponse could not be used (malformed protobuf, unsafe header), or null. */
  problem: string | null = null;
}

/** Decodes an AllowResponse (unknown fields are skipped; malformed input sets `problem`). */
function decodeDecision(message: ArrayBuffer): Decision {
  const decision = new Decision();
  const reader = new ProtobufReader(message);
  while (reader.next()) {
    if (reader.field == RESPONSE_ALLOWED) decision.allowed = reader.bool();
    else if (reader.field == RESPONSE_STATUS_CODE) decision.statusCode = reader.uint32();
    else if (reader.field == RESPONSE_REASON) decision.reason = reader.string();
    else if (reader.field == RESPONSE_HEADERS) {
      const header = reader.message();
      let name = "";
      let value = "";
      while (header.next()) {
        if (header.field == HEADER_NAME) name = header.string();
        else if (header.field == HEADER_VALUE) value = header.string();
      }
      if (reader.error == null && !isSafeHeader(name, value)) {
        decision.problem = "a header is not a lower-case name with a printable value";
        return decision;
      }
      decision.headers.push(new Header(name, value));
    }
  }
  decision.problem = reader.error;
  return decision;
}

/** One request: paused while the service decides. */
class GrpcCheckRequest extends HttpContext {
  /** True while the request waits for the service (its answer may still arrive). */
  private waiting: bool = false;

  constructor(private readonly root: GrpcCheckRoot) { super(); }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root;
    const request = this.requestHeaders;
    const all = request.getAll();
    const check = new ProtobufWriter(256);
    let clientId: string | null = null;
    for (let i = 0; i < all.length; i++) {
      const header = unchecked(all[i]);
      const name = header.name;
      if (name == ":method") check.string(REQUEST_METHOD, header.value);
      else if (name == ":path") check.string(REQUEST_PATH, header.value);
      if (name == root.clientIdHeader && clientId == null) clientId = header.value;
      if (matchesAny(name, root.forwardHeaders)) {
        check.message(REQUEST_HEADERS, new ProtobufWriter().string(HEADER_NAME, name).string(HEADER_VALUE, header.value));
      }
      // Headers the service may set are never taken from the client.
      if (matchesAny(name, root.upstreamHeaders)) request.remove(name);
    }
    if (clientId == null) clientId = getProperty(["source", "address"]);
    if (clientId != null) check.string(REQUEST_CLIENT_ID, clientId);
    const token = this.grpcCallBytes(root.grpcService, root.serviceName, root.methodName, null, check.finish(), root.timeoutMs);
    if (token == 0) return this.onServiceUnavailable("the call could not be started (status " + (<i32>lastStatus()).toString() + ")");
    this.waiting = true;
    return Action.Pause;
  }

  /** The service answered (a unary call that succeeded ends here): apply its decision. */
  onGrpcReceive(token: u32, messageSize: u32): void {
    this.waiting = false;
    const decision = decodeDecision(grpcReceiveBuffer.getBytes());
    const problem = decision.problem;
    if (problem != null) {
      this.resume(this.onServiceUnavailable("the answer is not a valid AllowResponse: " + problem));
      return;
    }
    if (decision.allowed) {
      const headers = decision.headers;
      for (let i = 0; i < headers.length; i++) {
        const header = unchecked(headers[i]);
        if (matchesAny(header.name, this.root.upstreamHeaders)) this.requestHeaders.add(header.name, header.value);
        else logDebug("grpc-check: ignoring header " + header.name + " (not in upstreamHeaders)");
      }
      allowedCount.increment();
      logDebug("grpc-check: allowed");
      this.continueRequest();
      return;
    }
    let status = decision.statusCode;
    if (status < 400 || status > 599) {
      if (status != 0) logWarn("grpc-check: the service denied with status " + status.toString() + ", not 400-599; answering 403");
      status = 403;
    }
    const reason = decision.reason.length > 0 ? decision.reason : "access denied";
    deniedCount.increment();
    logDebug("grpc-check: denied with " + status.toString() + ": " + reason);
    const headers: Header[] = [new Header("content-type", "text/plain; charset=utf-8")];
    this.sendLocalResponse(status, reason + "\n", headers, GrpcStatus.None, "grpc_check_denied");
  }

  /** The call failed: a gRPC error status from the service or from Envoy (timeout, no upstream, reset). */
  onGrpcClose(token: u32, status: GrpcStatus): void {
    this.waiting = false;
    const message = getStatus().message;
    this.resume(this.onServiceUnavailable("the call failed with gRPC status " + (<i32>status).toString() + (message.length > 0 ? " (" + message + ")" : "")));
  }

  /** The stream ended (e.g. the client went away) before the answer; the late answer will be dropped. */
  onDelete(): void {
    if (!this.waiting) return;
    abandonedCount.increment();
    logDebug("grpc-check: the request ended before the service answered");
  }

  /** Applies the failure mode; returns Continue (fail open) or Pause after a 503 (fail closed). */
  private onServiceUnavailable(reason: string): Action {
    unavailableCount.increment();
    if (this.root.failOpen) {
      failedOpenCount.increment();
      logWarn("grpc-check: " + reason + "; failing open");
      return Action.Continue;
    }
    logWarn("grpc-check: " + reason + "; failing closed");
    const headers: Header[] = [new Header("content-type", "application/json")];
    this.sendLocalResponse(503, "{\"error\":\"authorization_unavailable\"}\n", headers, GrpcStatus.None, "grpc_check_unavailable");
    return Action.Pause;
  }

  /** After an asynchronous outcome: continue the paused request unless a local reply was sent. */
  private resume(action: Action): void {
    if (action == Action.Continue) this.continueRequest();
  }
}

registerRoot<GrpcCheckRoot>();
