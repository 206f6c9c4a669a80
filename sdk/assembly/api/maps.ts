// Typed layer: header maps, body/data buffers and configuration buffers as small stateless objects.
// They act on the *current* callback's context (Envoy scopes maps and buffers to the running callback), so
// one shared instance per map/buffer type is enough and nothing is allocated per request.
import { MapType, BufferType, Status } from "../abi/types";
import * as host from "../host/hostcalls";
import { Header, HeaderBytes } from "../host/pairs";
import { parseJson, JsonObject } from "./json";
import { LogLevel } from "../abi/types";

/** A header map (request/response headers or trailers, callout response headers, gRPC metadata). */
export class HeaderMap {
  constructor(public readonly type: MapType) {}
  /**
   * First value of `name` (case-insensitive); "" if present but empty; null if absent or not available now.
   * Lossy on purpose and visibly so: each invalid UTF-8 sequence reads as U+FFFD, nothing is dropped. A
   * credential check must use getBytes (exact bytes) instead, and refuse what isValidUtf8 rejects.
   */
  get(name: string): string | null { return host.getHeaderMapValue(this.type, name); }
  /** First value of `name` as the exact bytes Envoy holds (no decoding); null if absent or not available now. */
  getBytes(name: string): ArrayBuffer | null { return host.getHeaderMapValueBytes(this.type, name); }
  /** True if `name` is present (even with an empty value). */
  has(name: string): bool { return host.hasHeaderMapValue(this.type, name); }
  /** Sets `name` to exactly one value (adds it if absent). Changing request headers clears Envoy's route cache. */
  set(name: string, value: string): Status { return host.replaceHeaderMapValue(this.type, name, value); }
  /** Byte variant of set. */
  setBytes(name: string, value: ArrayBuffer): Status { return host.replaceHeaderMapValueBytes(this.type, name, value); }
  /** Appends another value for `name`. */
  add(name: string, value: string): Status { return host.addHeaderMapValue(this.type, name, value); }
  /** Byte variant of add. */
  addBytes(name: string, value: ArrayBuffer): Status { return host.addHeaderMapValueBytes(this.type, name, value); }
  /** Removes every value of `name` (Ok if it was absent). */
  remove(name: string): Status { return host.removeHeaderMapValue(this.type, name); }
  /** Every entry, pseudo-headers first; [] if empty or not available now. Invalid UTF-8 reads as U+FFFD (see get). */
  getAll(): Header[] { return host.getHeaderMapPairs(this.type); }
  /** Every entry as exact bytes (no decoding), pseudo-headers first. */
  getAllBytes(): HeaderBytes[] { return host.getHeaderMapPairsBytes(this.type); }
  /** Replaces the whole map. */
  setAll(headers: Header[]): Status { return host.setHeaderMapPairs(this.type, headers); }
  /** Byte variant of setAll. */
  setAllBytes(headers: HeaderBytes[]): Status { return host.setHeaderMapPairsBytes(this.type, headers); }
  /** Envoy's byteSize(): sum of all name and value lengths (request/response headers and trailers only). */
  byteSize(): u32 { return host.getHeaderMapSize(this.type); }
}

/** A body or connection-data buffer of the current callback. */
export class Body {
  constructor(public readonly type: BufferType) {}
  /** Current size in bytes. */
  size(): u32 { return host.getBufferSize(this.type); }
  /** The whole buffer as UTF-8 text; "" if empty or not available now. Invalid UTF-8 reads as U+FFFD. */
  get(): string { const text = host.getBuffer(this.type); return text != null ? text : ""; }
  /** The whole buffer as bytes (empty if not available now). */
  getBytes(): ArrayBuffer { const bytes = host.getBufferBytes(this.type); return bytes != null ? bytes : new ArrayBuffer(0); }
  /** Bytes [start, start+length) clamped to the buffer. */
  getRangeBytes(start: u32, length: u32): ArrayBuffer { const bytes = host.getBufferBytes(this.type, start, length); return bytes != null ? bytes : new ArrayBuffer(0); }
  /** Replaces the whole buffer. */
  replace(text: string): Status { return host.setBuffer(this.type, 0, u32.MAX_VALUE, text); }
  /** Byte variant of replace. */
  replaceBytes(data: ArrayBuffer): Status { return host.setBufferBytes(this.type, 0, u32.MAX_VALUE, data); }
  /** Inserts at the front. */
  prepend(text: string): Status { return host.setBuffer(this.type, 0, 0, text); }
  /** Byte variant of prepend. */
  prependBytes(data: ArrayBuffer): Status { return host.setBufferBytes(this.type, 0, 0, data); }
  /** Appends at the end. */
  append(text: string): Status { return host.setBuffer(this.type, u32.MAX_VALUE, 0, text); }
  /** Byte variant of append. */
  appendBytes(data: ArrayBuffer): Status { return host.setBufferBytes(this.type, u32.MAX_VALUE, 0, data); }
}

/** Largest configuration Configuration.json() parses unless told otherwise: 64 KiB. */
export const DEFAULT_MAX_CONFIGURATION_BYTES: u32 = 64 * 1024;

/**
 * The plugin or VM configuration passed to onConfigure/onVmStart. Read it inside that callback
 * (Envoy only exposes the plugin configuration during proxy_on_configure).
 */
export class Configuration {
  constructor(public readonly type: BufferType, public readonly size: u32) {}
  /** The configuration as UTF-8 text ("" when empty). */
  get(): string { const text = host.getBuffer(this.type, 0, this.size); return text != null ? text : ""; }
  /** The configuration as bytes. */
  getBytes(): ArrayBuffer { const bytes = host.getBufferBytes(this.type, 0, this.size); return bytes != null ? bytes : new ArrayBuffer(0); }
  /**
   * Parses the configuration as a JSON object. An empty configuration gives an empty object. A configuration
   * over `maxBytes` (default 64 KiB), a syntax error or a non-object document logs ONE error line naming the
   * problem (and its position) and returns null; return false from onConfigure then, so Envoy rejects the
   * configuration. Unknown keys are not checked here: see JsonObject.checkKeys.
   */
  json(maxBytes: u32 = DEFAULT_MAX_CONFIGURATION_BYTES): JsonObject | null {
    const what = this.type == BufferType.PluginConfiguration ? "plugin configuration" : "VM configuration";
    if (this.size == 0) return new JsonObject();
    if (this.size > maxBytes) {
      host.log(LogLevel.Error, "invalid " + what + ": " + this.size.toString() + " bytes, over the limit of " + maxBytes.toString() + " bytes");
      return null;
    }
    const parsed = parseJson(this.get());
    const error = parsed.error;
    if (error != null) {
      host.log(LogLevel.Error, "invalid " + what + ": " + error);
      return null;
    }
    const value = parsed.value!;
    const object = value.asObject();
    if (object == null) host.log(LogLevel.Error, "invalid " + what + ": expected a JSON object but got " + value.kindName());
    return object;
  }
}

/** Request headers of the current HTTP stream. */
// @ts-ignore: decorator
@lazy export const requestHeaders = new HeaderMap(MapType.HttpRequestHeaders);
/** Request trailers of the current HTTP stream. */
// @ts-ignore: decorator
@lazy export const requestTrailers = new HeaderMap(MapType.HttpRequestTrailers);
/** Response headers of the current HTTP stream. */
// @ts-ignore: decorator
@lazy export const responseHeaders = new HeaderMap(MapType.HttpResponseHeaders);
/** Response trailers of the current HTTP stream. */
// @ts-ignore: decorator
@lazy export const responseTrailers = new HeaderMap(MapType.HttpResponseTrailers);
/** Response headers (incl. ":status") inside onHttpCallResponse. */
// @ts-ignore: decorator
@lazy export const httpCallResponseHeaders = new HeaderMap(MapType.HttpCallResponseHeaders);
/** Response trailers inside onHttpCallResponse. */
// @ts-ignore: decorator
@lazy export const httpCallResponseTrailers = new HeaderMap(MapType.HttpCallResponseTrailers);
/** Initial metadata inside onGrpcReceiveInitialMetadata. */
// @ts-ignore: decorator
@lazy export const grpcReceiveInitialMetadata = new HeaderMap(MapType.GrpcReceiveInitialMetadata);
/** Trailing metadata inside onGrpcReceiveTrailingMetadata. */
// @ts-ignore: decorator
@lazy export const grpcReceiveTrailingMetadata = new HeaderMap(MapType.GrpcReceiveTrailingMetadata);
/** Request body inside onRequestBody. */
// @ts-ignore: decorator
@lazy export const requestBody = new Body(BufferType.HttpRequestBody);
/** Response body inside onResponseBody. */
// @ts-ignore: decorator
@lazy export const responseBody = new Body(BufferType.HttpResponseBody);
/** Downstream data inside onDownstreamData. */
// @ts-ignore: decorator
@lazy export const downstreamData = new Body(BufferType.DownstreamData);
/** Upstream data inside onUpstreamData. */
// @ts-ignore: decorator
@lazy export const upstreamData = new Body(BufferType.UpstreamData);
/** Response body inside onHttpCallResponse. */
// @ts-ignore: decorator
@lazy export const httpCallResponseBody = new Body(BufferType.HttpCallResponseBody);
/** Received message inside onGrpcReceive. */
// @ts-ignore: decorator
@lazy export const grpcReceiveBuffer = new Body(BufferType.GrpcReceiveBuffer);
/** Foreign-function arguments inside onForeignFunction. */
// @ts-ignore: decorator
@lazy export const callData = new Body(BufferType.CallData);
