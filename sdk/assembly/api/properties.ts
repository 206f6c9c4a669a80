// Typed layer: typed property getters. Envoy encodes int64/uint64/double as 8 little-endian bytes, bool as one
// byte, strings as UTF-8 and maps as pairs. Path segments are separate strings: ["request", "path"].
// Absent properties give the fallback (or null); a value of the wrong width is also treated as absent.
import * as host from "../host/hostcalls";

/** A signed 64-bit property (e.g. ["response", "code"]); `fallback` if absent. */
export function getPropertyI64(path: string[], fallback: i64 = 0): i64 {
  const bytes = host.getPropertyBytes(path);
  return bytes != null && bytes.byteLength == 8 ? load<i64>(changetype<usize>(bytes)) : fallback;
}

/** An unsigned 64-bit property (e.g. ["connection", "id"]); `fallback` if absent. */
export function getPropertyU64(path: string[], fallback: u64 = 0): u64 {
  const bytes = host.getPropertyBytes(path);
  return bytes != null && bytes.byteLength == 8 ? load<u64>(changetype<usize>(bytes)) : fallback;
}

/** A double property; `fallback` if absent. */
export function getPropertyF64(path: string[], fallback: f64 = 0): f64 {
  const bytes = host.getPropertyBytes(path);
  return bytes != null && bytes.byteLength == 8 ? load<f64>(changetype<usize>(bytes)) : fallback;
}

/** A boolean property (e.g. ["connection", "mtls"]); `fallback` if absent. */
export function getPropertyBool(path: string[], fallback: bool = false): bool {
  const bytes = host.getPropertyBytes(path);
  return bytes != null && bytes.byteLength == 1 ? load<u8>(changetype<usize>(bytes)) != 0 : fallback;
}
