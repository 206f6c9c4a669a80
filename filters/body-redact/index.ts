// body-redact: buffers JSON request and/or response bodies and replaces the values of configured fields (at any
// depth) with a placeholder, e.g. {"password": "[REDACTED]"}. Bodies over the size limit are refused (request:
// 413) or cut off (response: the stream is reset); bodies nested too deep, with too many values, or (by
// default) not valid JSON are refused (request: 400) or cut off too. Nothing is passed on unredacted. See README.md.
import { RootContext, HttpContext, Configuration, ConfigSchema, Action, Counter, Header, GrpcStatus, HeaderMap, Body, registerRoot, decodeUtf8Strict, logDebug, logInfo, logWarn } from "@proxy-wasm-as/sdk";
import { redactJson, RedactLimits, RedactOutcome } from "./redact";

const redactedBodies = new Counter("body_redact.redacted_bodies");
const redactedFields = new Counter("body_redact.redacted_fields");
const oversize = new Counter("body_redact.oversize");
const unparsable = new Counter("body_redact.unparsable");
const tooDeep = new Counter("body_redact.too_deep");
const tooManyValues = new Counter("body_redact.too_many_values");
const unavailable = new Counter("body_redact.body_unavailable");

/** Defaults and ranges of the limits (see README.md). */
const DEFAULT_MAX_BODY_BYTES: i64 = 65536;
const DEFAULT_MAX_DEPTH: i64 = 64;
const MAX_MAX_DEPTH: i64 = 10_000;
const DEFAULT_MAX_VALUES: i64 = 10_000;
const MAX_MAX_VALUES: i64 = 1_000_000;

/** The configuration (README.md). */
const schema = new ConfigSchema();
const FIELDS = schema.stringList("fields").required().nonEmpty();
const REPLACEMENT = schema.string("replacement").default("[REDACTED]");
const MAX_BODY_BYTES = schema.integer("maxBodyBytes").range(1, 16 * 1024 * 1024).default(DEFAULT_MAX_BODY_BYTES);
const MAX_DEPTH = schema.integer("maxDepth").range(1, MAX_MAX_DEPTH).default(DEFAULT_MAX_DEPTH);
const MAX_VALUES = schema.integer("maxValues").range(1, MAX_MAX_VALUES).default(DEFAULT_MAX_VALUES);
const INVALID_JSON = schema.oneOf("invalidJson", ["reject", "pass"]).default("reject");
const REQUESTS = schema.bool("requests").default(true);
const RESPONSES = schema.bool("responses").default(true);

/** Plugin configuration. */
class BodyRedactRoot extends RootContext {
  fields: Set<string> = new Set<string>();
  replacementJson: string = "\"[REDACTED]\"";
  maxBodyBytes: u32 = <u32>DEFAULT_MAX_BODY_BYTES;
  limits: RedactLimits = new RedactLimits(<i32>DEFAULT_MAX_DEPTH, <i32>DEFAULT_MAX_VALUES);
  /** Refuse (true) or pass on unchanged (false) a JSON-typed body that is not valid JSON. */
  rejectInvalid: bool = true;
  requests: bool = true;
  responses: bool = true;

  onConfigure(configuration: Configuration): bool {
    const config = schema.read(configuration);
    if (config == null) return false;
    const fieldList = config.stringList(FIELDS);
    const replacement = config.string(REPLACEMENT);
    const maxBodyBytes = config.integer(MAX_BODY_BYTES);
    const maxDepth = config.integer(MAX_DEPTH);
    const maxValues = config.integer(MAX_VALUES);
    const invalidJson = config.string(INVALID_JSON);
    const requests = config.bool(REQUESTS);
    const responses = config.bool(RESPONSES);
    if (replacement.includes("\"") || replacement.includes("\\")) return config.refuse(REPLACEMENT, "must not contain quotes or backslashes");
    const fields = new Set<string>();
    for (let i = 0; i < fieldList.length; i++) fields.add(unchecked(fieldList[i]));
    this.fields = fields;
    this.replacementJson = "\"" + replacement + "\"";
    this.maxBodyBytes = <u32>maxBodyBytes;
    this.limits = new RedactLimits(<i32>maxDepth, <i32>maxValues);
    this.rejectInvalid = invalidJson == "reject";
    this.requests = requests;
    this.responses = responses;
    logInfo("body-redact: " + fields.size.toString() + " field(s), bodies up to " + maxBodyBytes.toString() + " bytes, " + maxDepth.toString() + " levels, " + maxValues.toString() + " values; invalid JSON: " + invalidJson);
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null { return new BodyRedactStream(this); }
}

/** True for application/json and any "+json" media type (e.g. application/problem+json). */
function isJson(headers: HeaderMap): bool {
  const type = headers.get("content-type");
  if (type == null) return false;
  const semicolon = type.indexOf(";");
  const mediaType = (semicolon >= 0 ? type.substring(0, semicolon) : type).trim().toLowerCase();
  return mediaType == "application/json" || mediaType.endsWith("+json");
}

/**
 * One HTTP stream; each direction is handled the same way. A body ends either in a body callback with end of
 * stream, or — when trailers follow (HTTP/1.1 chunked trailers, HTTP/2 trailing HEADERS) — in the trailers
 * callback, which then sees the body held with StopIterationAndBuffer (Envoy's decodeTrailers/encodeTrailers give
 * the buffered body, readable and writable; it goes out before the trailers). Both ends redact the same way.
 */
class BodyRedactStream extends HttpContext {
  private redactRequest: bool = false;
  private redactResponse: bool = false;
  /** Bytes of the body buffered so far in each direction (as the last body callback saw them). */
  private requestBytes: u32 = 0;
  private responseBytes: u32 = 0;

  constructor(private readonly root: BodyRedactRoot) { super(); }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    this.redactRequest = this.root.requests && !endOfStream && isJson(this.requestHeaders);
    // The body's length changes: let Envoy frame it (chunked / HTTP/2 DATA) instead of a stale content-length.
    if (this.redactRequest) this.requestHeaders.remove("content-length");
    return Action.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    if (!this.redactRequest) return Action.Continue;
    if (bodySize > this.root.maxBodyBytes) {
      this.redactRequest = false;
      oversize.increment();
      logDebug("body-redact: request body over " + this.root.maxBodyBytes.toString() + " bytes, refused");
      const headers: Header[] = [new Header("content-type", "application/json")];
      this.sendLocalResponse(413, "{\"error\":\"payload_too_large\",\"message\":\"JSON bodies are limited to " + this.root.maxBodyBytes.toString() + " bytes\"}\n", headers, GrpcStatus.None, "body_redact_too_large");
      return Action.Pause;
    }
    this.requestBytes = bodySize;
    if (!endOfStream) return Action.Pause; // keep buffering until the whole body (or the trailers) is here
    return this.finishRequest();
  }

  /** The request ends with trailers: the buffered body is redacted now, before it goes on with them. */
  onRequestTrailers(trailerCount: u32): Action {
    if (!this.redactRequest) return Action.Continue;
    return this.finishRequest();
  }

  /** Redacts the whole buffered request body, or refuses the request (400); never lets it go on unredacted. */
  private finishRequest(): Action {
    this.redactRequest = false;
    const problem = this.redact(this.requestBody, this.requestBytes);
    if (problem == null) return Action.Continue;
    const headers: Header[] = [new Header("content-type", "application/json")];
    this.sendLocalResponse(400, "{\"error\":\"invalid_json\",\"message\":\"" + problem + "\"}\n", headers, GrpcStatus.None, "body_redact_invalid_json");
    return Action.Pause;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    this.redactResponse = this.root.responses && !endOfStream && isJson(this.responseHeaders);
    if (this.redactResponse) this.responseHeaders.remove("content-length");
    return Action.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): Action {
    if (!this.redactResponse) return Action.Continue;
    if (bodySize > this.root.maxBodyBytes) {
      // The status line is already on its way: the only safe answer left is to cut the response off.
      this.redactResponse = false;
      oversize.increment();
      logWarn("body-redact: response body over " + this.root.maxBodyBytes.toString() + " bytes, resetting the stream");
      this.closeResponse();
      return Action.Pause;
    }
    this.responseBytes = bodySize;
    if (!endOfStream) return Action.Pause;
    return this.finishResponse();
  }

  /** The response ends with trailers (e.g. gRPC-style JSON): the buffered body is redacted now. */
  onResponseTrailers(trailerCount: u32): Action {
    if (!this.redactResponse) return Action.Continue;
    return this.finishResponse();
  }

  /** Redacts the whole buffered response body, or resets the stream; never lets it go on unredacted. */
  private finishResponse(): Action {
    this.redactResponse = false;
    const problem = this.redact(this.responseBody, this.responseBytes);
    if (problem == null) return Action.Continue;
    // As above: too late for a status; the body is never passed on unredacted.
    logWarn("body-redact: response body refused (" + problem + "), resetting the stream");
    this.closeResponse();
    return Action.Pause;
  }

  /**
   * Redacts the whole buffered `body` in place. Returns null when the body may go on (redacted, or invalid
   * JSON with invalidJson "pass"), else why it must be refused (for the 400 body; no quotes). `expectedBytes` is
   * the size the last body callback reported: a host that gives less (a body it no longer holds) is refused, as
   * the filter could not look at what would be forwarded.
   */
  private redact(body: Body, expectedBytes: u32): string | null {
    const root = this.root;
    const bytes = body.getBytes();
    if (<u32>bytes.byteLength != expectedBytes) {
      unavailable.increment();
      logWarn("body-redact: the buffered body is not readable here (" + bytes.byteLength.toString() + " of " + expectedBytes.toString() + " bytes), refused");
      return "body could not be inspected";
    }
    // JSON is UTF-8 (RFC 8259 §8.1): invalid bytes make the body invalid JSON instead of being altered.
    const text = decodeUtf8Strict(bytes);
    const result = text != null ? redactJson(text, root.fields, root.replacementJson, root.limits) : null;
    const outcome = result != null ? result.outcome : RedactOutcome.Malformed;
    if (outcome == RedactOutcome.TooDeep) {
      tooDeep.increment();
      logDebug("body-redact: body nested deeper than " + root.limits.maxDepth.toString() + " levels, refused");
      return "JSON nested deeper than " + root.limits.maxDepth.toString() + " levels";
    }
    if (outcome == RedactOutcome.TooManyValues) {
      tooManyValues.increment();
      logDebug("body-redact: body has more than " + root.limits.maxValues.toString() + " JSON values, refused");
      return "JSON with more than " + root.limits.maxValues.toString() + " values";
    }
    if (outcome == RedactOutcome.Malformed) {
      unparsable.increment();
      if (!root.rejectInvalid) { logDebug("body-redact: body is not valid JSON, passed on unchanged"); return null; }
      logDebug("body-redact: body is not valid JSON, refused");
      return "body is not valid JSON";
    }
    const redacted = result!;
    if (redacted.count == 0) return null;
    body.replace(redacted.text!);
    redactedBodies.increment();
    redactedFields.increment(<u64>redacted.count);
    return null;
  }
}

registerRoot<BodyRedactRoot>();
