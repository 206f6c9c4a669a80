// body-redact: buffers JSON request and/or response bodies and replaces the values of configured fields (at any
// depth) with a placeholder, e.g. {"password": "[REDACTED]"}. Bodies over the size limit are refused (request:
// 413) or cut off (response: the stream is reset), never passed on unredacted. See README.md.
import { RootContext, HttpContext, Configuration, Action, Counter, Header, GrpcStatus, HeaderMap, Body, registerRoot, logDebug, logInfo, logWarn } from "@proxy-wasm-as/sdk";
import { ConfigReader } from "../shared/config";
import { redactJson } from "./redact";

const redactedBodies = new Counter("body_redact.redacted_bodies");
const redactedFields = new Counter("body_redact.redacted_fields");
const oversize = new Counter("body_redact.oversize");
const unparsable = new Counter("body_redact.unparsable");

/** Plugin configuration. */
class BodyRedactRoot extends RootContext {
  fields: Set<string> = new Set<string>();
  replacementJson: string = "\"[REDACTED]\"";
  maxBodyBytes: u32 = 65536;
  requests: bool = true;
  responses: bool = true;

  onConfigure(configuration: Configuration): bool {
    const config = ConfigReader.parse(configuration);
    if (config == null) return false;
    const fieldList = config.stringArray("fields", true);
    const replacement = config.string("replacement", "[REDACTED]");
    const maxBodyBytes = config.integer("maxBodyBytes", 65536, 1, 16 * 1024 * 1024);
    const requests = config.bool("requests", true);
    const responses = config.bool("responses", true);
    if (replacement.includes("\"") || replacement.includes("\\")) config.fail("replacement", "must not contain quotes or backslashes");
    if (!config.finish()) return false;
    const fields = new Set<string>();
    for (let i = 0; i < fieldList.length; i++) fields.add(unchecked(fieldList[i]));
    this.fields = fields;
    this.replacementJson = "\"" + replacement + "\"";
    this.maxBodyBytes = <u32>maxBodyBytes;
    this.requests = requests;
    this.responses = responses;
    logInfo("body-redact: " + fields.size.toString() + " field(s), bodies up to " + maxBodyBytes.toString() + " bytes");
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

/** One HTTP stream; each direction is handled the same way. */
class BodyRedactStream extends HttpContext {
  private redactRequest: bool = false;
  private redactResponse: bool = false;

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
    if (!endOfStream) return Action.Pause; // keep buffering until the whole body is here
    this.redact(this.requestBody);
    return Action.Continue;
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
    if (!endOfStream) return Action.Pause;
    this.redact(this.responseBody);
    return Action.Continue;
  }

  /** Redacts the whole buffered `body` in place. */
  private redact(body: Body): void {
    const result = redactJson(body.get(), this.root.fields, this.root.replacementJson);
    const text = result.text;
    if (text == null) {
      unparsable.increment();
      logDebug("body-redact: body is not valid JSON, passed on unchanged");
      return;
    }
    if (result.count == 0) return;
    body.replace(text);
    redactedBodies.increment();
    redactedFields.increment(<u64>result.count);
  }
}

registerRoot<BodyRedactRoot>();
