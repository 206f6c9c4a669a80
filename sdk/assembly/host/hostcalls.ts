// Checked layer: every host call wrapped with marshalling (UTF-8 strings, `*Bytes` for raw data, header
// pairs, property paths) and status handling. Conventions:
// - Calls whose outcome may legitimately be "absent" return `null` (NotFound, Empty, unavailable map);
//   the exact status of the last call is available from lastStatus().
// - Calls that only act return their Status; callers decide what a failure means.
// - Nothing here traps: Envoy's statuses are values. Callable from any callback (not from top-level code,
//   where no host context exists, except log which Envoy allows during _initialize).
import * as raw from "../abi/imports";
import { Status, LogLevel, MapType, BufferType, StreamType, MetricType } from "../abi/types";
import { OUT_PTR, OUT_SIZE, OUT_U64, resetOut, takeString, takeBytes, dropOut, encodeKey, keyLength, encodeValue, valueLength } from "./memory";
import { Header, HeaderBytes, encodeHeaders, encodeHeadersBytes, decodeHeaders, decodeHeadersBytes, encodePropertyPath } from "./pairs";

let last: Status = Status.Ok;

/** Status of the most recent checked host call (e.g. to tell NotFound from BadArgument after a `null`). */
export function lastStatus(): Status { return last; }

// @ts-ignore: decorator
@inline function record(code: u32): Status { last = <Status>code; return last; }

// ---- logging: host/log.ts (level cache, log, logUnchecked) ------------------------------------------------
export * from "./log";

// ---- time, context, status ------------------------------------------------------------------------------

/** Wall-clock time in nanoseconds since the Unix epoch (0 if the host refuses). */
export function currentTimeNanoseconds(): u64 {
  store<u64>(OUT_U64, 0);
  record(raw.proxy_get_current_time_nanoseconds(OUT_U64));
  return load<u64>(OUT_U64);
}

/** Sets the tick period of the current root context; 0 stops ticks. */
export function setTickPeriodMilliseconds(periodMs: u32): Status { return record(raw.proxy_set_tick_period_milliseconds(periodMs)); }

/** Makes later host calls in this callback act on `contextId` (the dispatcher does this for callouts). */
export function setEffectiveContext(contextId: u32): Status { return record(raw.proxy_set_effective_context(contextId)); }

/** Signals that a root context that returned false from onDone has finished its work. */
export function done(): Status { return record(raw.proxy_done()); }

/** Status code and message reported by the host (gRPC close status, or 11 "reset" after a failed HTTP call). */
export class HostStatus {
  constructor(public code: u32, public message: string) {}
}

/** Reads the current host status (see HostStatus). */
export function getStatus(): HostStatus {
  resetOut();
  store<u32>(OUT_U64, 0);
  record(raw.proxy_get_status(OUT_U64, OUT_PTR, OUT_SIZE));
  const code = load<u32>(OUT_U64);
  return new HostStatus(code, takeString());
}

/** Calls a host foreign function (e.g. "compress", "clear_route_cache"); null on failure (see lastStatus). */
export function callForeignFunction(name: string, args: ArrayBuffer | null): ArrayBuffer | null {
  resetOut();
  const namePtr = encodeKey(name);
  const argsPtr = args ? changetype<usize>(args) : 0;
  const argsSize = args ? <usize>args.byteLength : 0;
  if (record(raw.proxy_call_foreign_function(namePtr, keyLength, argsPtr, argsSize, OUT_PTR, OUT_SIZE)) != Status.Ok) {
    dropOut();
    return null;
  }
  return takeBytes();
}

// ---- properties -----------------------------------------------------------------------------------------

/** Reads a property as raw bytes; null if absent (NotFound) or unreadable (see lastStatus). */
export function getPropertyBytes(path: string[]): ArrayBuffer | null {
  const encoded = encodePropertyPath(path);
  resetOut();
  if (record(raw.proxy_get_property(changetype<usize>(encoded), encoded.byteLength, OUT_PTR, OUT_SIZE)) != Status.Ok) return null;
  return takeBytes();
}

/** Reads a string property (e.g. ["request", "path"]); null if absent. */
export function getProperty(path: string[]): string | null {
  const encoded = encodePropertyPath(path);
  resetOut();
  if (record(raw.proxy_get_property(changetype<usize>(encoded), encoded.byteLength, OUT_PTR, OUT_SIZE)) != Status.Ok) return null;
  return takeString();
}

/**
 * True if the top-level property `name` (one path segment, e.g. "plugin_root_id") holds exactly the UTF-8
 * bytes of `expected`; an absent property equals "". Compares bytes, so it needs no UTF-8 decoder (the
 * dispatcher picks a root class with it, keeping the smallest filters small).
 */
export function propertyEquals(name: string, expected: string): bool {
  const path = encodeKey(name);
  resetOut();
  const found = record(raw.proxy_get_property(path, keyLength, OUT_PTR, OUT_SIZE)) == Status.Ok;
  const size: usize = found ? <usize>load<u32>(OUT_SIZE) : 0;
  const wanted = encodeValue(expected);
  const equal = size == valueLength && (size == 0 || memory.compare(load<usize>(OUT_PTR), wanted, size) == 0);
  dropOut();
  return equal;
}

/** The bytes of the top-level property `name` (one path segment, e.g. "plugin_name"); null if absent. */
export function topLevelPropertyBytes(name: string): ArrayBuffer | null {
  const path = encodeKey(name);
  resetOut();
  if (record(raw.proxy_get_property(path, keyLength, OUT_PTR, OUT_SIZE)) != Status.Ok) return null;
  return takeBytes();
}

/** Reads a map property (e.g. ["request", "headers"]) as pairs; null if absent. */
export function getPropertyPairs(path: string[]): Header[] | null {
  const encoded = encodePropertyPath(path);
  resetOut();
  if (record(raw.proxy_get_property(changetype<usize>(encoded), encoded.byteLength, OUT_PTR, OUT_SIZE)) != Status.Ok) return null;
  const ptr = load<usize>(OUT_PTR);
  const result = decodeHeaders(ptr, load<u32>(OUT_SIZE));
  dropOut();
  return result;
}

/** Stores a value in the stream's filter state under `wasm.<path>`; NotFound outside a stream. */
export function setPropertyBytes(path: string[], value: ArrayBuffer): Status {
  const encoded = encodePropertyPath(path);
  return record(raw.proxy_set_property(changetype<usize>(encoded), encoded.byteLength, changetype<usize>(value), value.byteLength));
}

/** String variant of setPropertyBytes. */
export function setProperty(path: string[], value: string): Status {
  const encoded = encodePropertyPath(path);
  const ptr = encodeValue(value);
  return record(raw.proxy_set_property(changetype<usize>(encoded), encoded.byteLength, ptr, valueLength));
}

// ---- buffers --------------------------------------------------------------------------------------------

/** Bytes [start, start+maxSize) of a buffer (clamped); null if the buffer is not available now. */
export function getBufferBytes(type: BufferType, start: u32 = 0, maxSize: u32 = u32.MAX_VALUE): ArrayBuffer | null {
  resetOut();
  if (record(raw.proxy_get_buffer_bytes(type, start, maxSize, OUT_PTR, OUT_SIZE)) != Status.Ok) return null;
  return takeBytes();
}

/** UTF-8 text of a buffer range; null if the buffer is not available now. */
export function getBuffer(type: BufferType, start: u32 = 0, maxSize: u32 = u32.MAX_VALUE): string | null {
  resetOut();
  if (record(raw.proxy_get_buffer_bytes(type, start, maxSize, OUT_PTR, OUT_SIZE)) != Status.Ok) return null;
  return takeString();
}

/** Current size of a buffer in bytes (0 if unavailable; see lastStatus). */
export function getBufferSize(type: BufferType): u32 {
  resetOut();
  record(raw.proxy_get_buffer_status(type, OUT_PTR, OUT_SIZE));
  return load<u32>(OUT_PTR);
}

/**
 * Envoy's set_buffer_bytes: start 0 drains `size` bytes from the front then prepends `data`
 * (size ≥ length replaces everything); start ≥ length appends. Mid-buffer edits are BadArgument in Envoy.
 */
export function setBufferBytes(type: BufferType, start: u32, size: u32, data: ArrayBuffer): Status {
  return record(raw.proxy_set_buffer_bytes(type, start, size, changetype<usize>(data), data.byteLength));
}

/** String variant of setBufferBytes. */
export function setBuffer(type: BufferType, start: u32, size: u32, data: string): Status {
  const ptr = encodeValue(data);
  return record(raw.proxy_set_buffer_bytes(type, start, size, ptr, valueLength));
}

// ---- header maps ----------------------------------------------------------------------------------------

/** First value of header `name` (case-insensitive); "" if present but empty; null if absent or the map is unavailable. */
export function getHeaderMapValue(type: MapType, name: string): string | null {
  const key = encodeKey(name);
  resetOut();
  if (record(raw.proxy_get_header_map_value(type, key, keyLength, OUT_PTR, OUT_SIZE)) != Status.Ok) return null;
  return takeString();
}

/** True if header `name` is present (even with an empty value); allocates nothing. */
export function hasHeaderMapValue(type: MapType, name: string): bool {
  const key = encodeKey(name);
  resetOut();
  const found = record(raw.proxy_get_header_map_value(type, key, keyLength, OUT_PTR, OUT_SIZE)) == Status.Ok;
  dropOut();
  return found;
}

/** Byte variant of getHeaderMapValue. */
export function getHeaderMapValueBytes(type: MapType, name: string): ArrayBuffer | null {
  const key = encodeKey(name);
  resetOut();
  if (record(raw.proxy_get_header_map_value(type, key, keyLength, OUT_PTR, OUT_SIZE)) != Status.Ok) return null;
  return takeBytes();
}

/** Every entry of a map in Envoy's order (pseudo-headers first); [] if empty or unavailable. */
export function getHeaderMapPairs(type: MapType): Header[] {
  resetOut();
  record(raw.proxy_get_header_map_pairs(type, OUT_PTR, OUT_SIZE));
  const ptr = load<usize>(OUT_PTR);
  const result = decodeHeaders(ptr, load<u32>(OUT_SIZE));
  dropOut();
  return result;
}

/** Byte variant of getHeaderMapPairs. */
export function getHeaderMapPairsBytes(type: MapType): HeaderBytes[] {
  resetOut();
  record(raw.proxy_get_header_map_pairs(type, OUT_PTR, OUT_SIZE));
  const ptr = load<usize>(OUT_PTR);
  const result = decodeHeadersBytes(ptr, load<u32>(OUT_SIZE));
  dropOut();
  return result;
}

/** Replaces the whole map with `headers`. */
export function setHeaderMapPairs(type: MapType, headers: Header[]): Status {
  const encoded = encodeHeaders(headers);
  return record(raw.proxy_set_header_map_pairs(type, changetype<usize>(encoded), encoded.byteLength));
}

/** Byte variant of setHeaderMapPairs. */
export function setHeaderMapPairsBytes(type: MapType, headers: HeaderBytes[]): Status {
  const encoded = encodeHeadersBytes(headers);
  return record(raw.proxy_set_header_map_pairs(type, changetype<usize>(encoded), encoded.byteLength));
}

/** Appends another value for `name`. */
export function addHeaderMapValue(type: MapType, name: string, value: string): Status {
  const key = encodeKey(name);
  const val = encodeValue(value);
  return record(raw.proxy_add_header_map_value(type, key, keyLength, val, valueLength));
}

/** Sets `name` to exactly one value, adding it if absent. */
export function replaceHeaderMapValue(type: MapType, name: string, value: string): Status {
  const key = encodeKey(name);
  const val = encodeValue(value);
  return record(raw.proxy_replace_header_map_value(type, key, keyLength, val, valueLength));
}

/** Byte variant of replaceHeaderMapValue. */
export function replaceHeaderMapValueBytes(type: MapType, name: string, value: ArrayBuffer): Status {
  const key = encodeKey(name);
  return record(raw.proxy_replace_header_map_value(type, key, keyLength, changetype<usize>(value), value.byteLength));
}

/** Byte variant of addHeaderMapValue. */
export function addHeaderMapValueBytes(type: MapType, name: string, value: ArrayBuffer): Status {
  const key = encodeKey(name);
  return record(raw.proxy_add_header_map_value(type, key, keyLength, changetype<usize>(value), value.byteLength));
}

/** Removes every value of `name` (Ok even if absent). */
export function removeHeaderMapValue(type: MapType, name: string): Status {
  const key = encodeKey(name);
  return record(raw.proxy_remove_header_map_value(type, key, keyLength));
}

/** Envoy's HeaderMap::byteSize(): the sum of all key and value lengths (not a count). */
export function getHeaderMapSize(type: MapType): u32 {
  store<u32>(OUT_PTR, 0);
  record(raw.proxy_get_header_map_size(type, OUT_PTR));
  return load<u32>(OUT_PTR);
}

// ---- stream control -------------------------------------------------------------------------------------

/** Resumes a paused stream direction (deferred until the callback returns). */
export function continueStream(type: StreamType): Status { return record(raw.proxy_continue_stream(type)); }

/** Resets an HTTP direction or closes a TCP connection (deferred until the callback returns). */
export function closeStream(type: StreamType): Status { return record(raw.proxy_close_stream(type)); }

/** Sends a local reply; `grpcStatus` -1 means none. The current callback's return value becomes "stop". */
export function sendLocalResponseBytes(statusCode: u32, details: string, body: ArrayBuffer | null, headers: Header[] | null, grpcStatus: i32): Status {
  const detailsPtr = encodeKey(details);
  const encoded = headers ? encodeHeaders(headers) : null;
  return record(raw.proxy_send_local_response(statusCode, detailsPtr, keyLength,
    body ? changetype<usize>(body) : 0, body ? <usize>body.byteLength : 0,
    encoded ? changetype<usize>(encoded) : 0, encoded ? <usize>encoded.byteLength : 0, grpcStatus));
}

/** String-body variant of sendLocalResponseBytes. */
export function sendLocalResponse(statusCode: u32, details: string, body: string, headers: Header[] | null, grpcStatus: i32): Status {
  const detailsPtr = encodeKey(details);
  const bodyPtr = encodeValue(body);
  const encoded = headers ? encodeHeaders(headers) : null;
  return record(raw.proxy_send_local_response(statusCode, detailsPtr, keyLength, bodyPtr, valueLength,
    encoded ? changetype<usize>(encoded) : 0, encoded ? <usize>encoded.byteLength : 0, grpcStatus));
}

// ---- callouts -------------------------------------------------------------------------------------------

/** Starts an HTTP callout to cluster `upstream`; returns the token, or 0 on failure (see lastStatus). */
export function httpCall(upstream: string, headers: Header[], body: ArrayBuffer | null, trailers: Header[] | null, timeoutMs: u32): u32 {
  const upstreamPtr = encodeKey(upstream);
  const encodedHeaders = encodeHeaders(headers);
  const encodedTrailers = trailers ? encodeHeaders(trailers) : null;
  store<u32>(OUT_PTR, 0);
  const code = raw.proxy_http_call(upstreamPtr, keyLength, changetype<usize>(encodedHeaders), encodedHeaders.byteLength,
    body ? changetype<usize>(body) : 0, body ? <usize>body.byteLength : 0,
    encodedTrailers ? changetype<usize>(encodedTrailers) : 0, encodedTrailers ? <usize>encodedTrailers.byteLength : 0,
    timeoutMs, OUT_PTR);
  return record(code) == Status.Ok ? load<u32>(OUT_PTR) : 0;
}

/** Starts a unary gRPC call; `service` is a cluster name or a serialized GrpcService. Token or 0. */
export function grpcCall(service: ArrayBuffer, serviceName: string, method: string, initialMetadata: Header[] | null, message: ArrayBuffer, timeoutMs: u32): u32 {
  const serviceNamePtr = encodeKey(serviceName);
  const methodPtr = encodeValue(method);
  const metadata = initialMetadata ? encodeHeaders(initialMetadata) : null;
  store<u32>(OUT_PTR, 0);
  const code = raw.proxy_grpc_call(changetype<usize>(service), service.byteLength, serviceNamePtr, keyLength, methodPtr, valueLength,
    metadata ? changetype<usize>(metadata) : 0, metadata ? <usize>metadata.byteLength : 0,
    changetype<usize>(message), message.byteLength, timeoutMs, OUT_PTR);
  return record(code) == Status.Ok ? load<u32>(OUT_PTR) : 0;
}

/** Opens a gRPC stream; returns the token or 0. */
export function grpcStream(service: ArrayBuffer, serviceName: string, method: string, initialMetadata: Header[] | null): u32 {
  const serviceNamePtr = encodeKey(serviceName);
  const methodPtr = encodeValue(method);
  const metadata = initialMetadata ? encodeHeaders(initialMetadata) : null;
  store<u32>(OUT_PTR, 0);
  const code = raw.proxy_grpc_stream(changetype<usize>(service), service.byteLength, serviceNamePtr, keyLength, methodPtr, valueLength,
    metadata ? changetype<usize>(metadata) : 0, metadata ? <usize>metadata.byteLength : 0, OUT_PTR);
  return record(code) == Status.Ok ? load<u32>(OUT_PTR) : 0;
}

/** Sends a message on a gRPC stream. */
export function grpcSend(token: u32, message: ArrayBuffer, endStream: bool): Status {
  return record(raw.proxy_grpc_send(token, changetype<usize>(message), message.byteLength, endStream ? 1 : 0));
}

/** Cancels a gRPC call or resets a stream. */
export function grpcCancel(token: u32): Status { return record(raw.proxy_grpc_cancel(token)); }

/** Cancels a gRPC call or half-closes a stream. */
export function grpcClose(token: u32): Status { return record(raw.proxy_grpc_close(token)); }

// ---- shared data and queues -----------------------------------------------------------------------------

/** A shared-data value with the CAS token to pass back to setSharedData for a compare-and-swap. */
export class SharedValueBytes {
  constructor(public value: ArrayBuffer, public cas: u32) {}
}
/** String variant of SharedValueBytes. */
export class SharedValue {
  constructor(public value: string, public cas: u32) {}
}

/** Reads shared data (namespace = vm_id); null if the key is absent. */
export function getSharedDataBytes(key: string): SharedValueBytes | null {
  const keyPtr = encodeKey(key);
  resetOut();
  store<u32>(OUT_U64, 0);
  if (record(raw.proxy_get_shared_data(keyPtr, keyLength, OUT_PTR, OUT_SIZE, OUT_U64)) != Status.Ok) return null;
  const cas = load<u32>(OUT_U64);
  return new SharedValueBytes(takeBytes(), cas);
}

/** String variant of getSharedDataBytes. */
export function getSharedData(key: string): SharedValue | null {
  const keyPtr = encodeKey(key);
  resetOut();
  store<u32>(OUT_U64, 0);
  if (record(raw.proxy_get_shared_data(keyPtr, keyLength, OUT_PTR, OUT_SIZE, OUT_U64)) != Status.Ok) return null;
  const cas = load<u32>(OUT_U64);
  return new SharedValue(takeString(), cas);
}

/** Writes shared data; `cas` 0 writes unconditionally, otherwise CasMismatch if someone wrote since you read. */
export function setSharedDataBytes(key: string, value: ArrayBuffer, cas: u32 = 0): Status {
  const keyPtr = encodeKey(key);
  return record(raw.proxy_set_shared_data(keyPtr, keyLength, changetype<usize>(value), value.byteLength, cas));
}

/** String variant of setSharedDataBytes. */
export function setSharedData(key: string, value: string, cas: u32 = 0): Status {
  const keyPtr = encodeKey(key);
  const valuePtr = encodeValue(value);
  return record(raw.proxy_set_shared_data(keyPtr, keyLength, valuePtr, valueLength, cas));
}

/** Registers (or takes over) queue `name` for this root context; returns the queue id, 0 on failure. */
export function registerSharedQueue(name: string): u32 {
  const namePtr = encodeKey(name);
  store<u32>(OUT_PTR, 0);
  return record(raw.proxy_register_shared_queue(namePtr, keyLength, OUT_PTR)) == Status.Ok ? load<u32>(OUT_PTR) : 0;
}

/** Finds queue `name` of VM `vmId` ("" = this VM); returns the queue id, 0 if absent. */
export function resolveSharedQueue(vmId: string, name: string): u32 {
  const vmPtr = encodeKey(vmId);
  const namePtr = encodeValue(name);
  store<u32>(OUT_PTR, 0);
  return record(raw.proxy_resolve_shared_queue(vmPtr, keyLength, namePtr, valueLength, OUT_PTR)) == Status.Ok ? load<u32>(OUT_PTR) : 0;
}

/** Appends a message; the registrant's root gets onQueueReady. */
export function enqueueSharedQueueBytes(queueId: u32, value: ArrayBuffer): Status {
  return record(raw.proxy_enqueue_shared_queue(queueId, changetype<usize>(value), value.byteLength));
}

/** String variant of enqueueSharedQueueBytes. */
export function enqueueSharedQueue(queueId: u32, value: string): Status {
  const ptr = encodeValue(value);
  return record(raw.proxy_enqueue_shared_queue(queueId, ptr, valueLength));
}

/** Takes the oldest message; null when the queue is empty (lastStatus Empty) or unknown (NotFound). */
export function dequeueSharedQueueBytes(queueId: u32): ArrayBuffer | null {
  resetOut();
  if (record(raw.proxy_dequeue_shared_queue(queueId, OUT_PTR, OUT_SIZE)) != Status.Ok) return null;
  return takeBytes();
}

/** String variant of dequeueSharedQueueBytes. */
export function dequeueSharedQueue(queueId: u32): string | null {
  resetOut();
  if (record(raw.proxy_dequeue_shared_queue(queueId, OUT_PTR, OUT_SIZE)) != Status.Ok) return null;
  return takeString();
}

// ---- metrics --------------------------------------------------------------------------------------------

/** Defines (or looks up) metric `name`; returns its id, 0 on failure. */
export function defineMetric(type: MetricType, name: string): u32 {
  const namePtr = encodeKey(name);
  store<u32>(OUT_PTR, 0);
  return record(raw.proxy_define_metric(type, namePtr, keyLength, OUT_PTR)) == Status.Ok ? load<u32>(OUT_PTR) : 0;
}

/** Adds `delta` (counters: must be > 0; gauges: any sign; histograms: BadArgument). */
export function incrementMetric(metricId: u32, delta: i64): Status { return record(raw.proxy_increment_metric(metricId, delta)); }

/** Counter: adds; gauge: sets; histogram: records a sample. */
export function recordMetric(metricId: u32, value: i64): Status { return record(raw.proxy_record_metric(metricId, value)); }

/** Current value of a counter or gauge (0 if unknown; see lastStatus). */
export function getMetric(metricId: u32): u64 {
  store<u64>(OUT_U64, 0);
  record(raw.proxy_get_metric(metricId, OUT_U64));
  return load<u64>(OUT_U64);
}
