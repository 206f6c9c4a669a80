// Property values (proxy_get_property) with Envoy's encodings (proxy-wasm-abi.md §4.3), and path handling (§4.2).
import { encodePairs } from "./pairs.ts";

/**
 * A property value as tests supply it. Encoding: string → raw UTF-8; Uint8Array → raw bytes; number/bigint →
 * int64 little-endian (use {@link uint} / {@link double} for the other numeric CEL types); boolean → 1 byte;
 * a plain object of strings → a CEL map in pairs format.
 */
export type PropertyValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | { readonly uint: bigint | number }
  | { readonly double: number }
  | Readonly<Record<string, string>>;

/** Marks a number as a CEL uint (8 bytes LE unsigned). */
export function uint(value: bigint | number): { readonly uint: bigint | number } {
  return { uint: value };
}

/** Marks a number as a CEL double (8 bytes IEEE-754 LE). */
export function double(value: number): { readonly double: number } {
  return { double: value };
}

/** Encodes a property value the way Envoy serializes CEL values for proxy_get_property. */
export function encodePropertyValue(value: PropertyValue): Uint8Array {
  if (typeof value === "string") return new TextEncoder().encode(value);
  if (value instanceof Uint8Array) return value;
  if (typeof value === "boolean") return Uint8Array.of(value ? 1 : 0);
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  if (typeof value === "number" || typeof value === "bigint") {
    view.setBigInt64(0, BigInt(value), true);
    return out;
  }
  if ("uint" in value && (typeof value.uint === "bigint" || typeof value.uint === "number")) {
    view.setBigUint64(0, BigInt(value.uint), true);
    return out;
  }
  if ("double" in value && typeof value.double === "number") {
    view.setFloat64(0, value.double, true);
    return out;
  }
  return encodePairs(Object.entries(value as Record<string, string>));
}

/**
 * Normalises a property path to its NUL-joined wire form. Accepts either the wire form or a dotted name
 * ("request.headers.x-id"); a dotted name is split on every ".", so names whose segments contain dots must be
 * given in wire form ("filter_state\0my.key").
 */
export function propertyKey(path: string): string {
  return path.includes("\0") ? path.replace(/\0+$/, "") : path.split(".").join("\0");
}

/** Default downstream/upstream addressing of emulated connections (overridable with `properties`). */
export const DEFAULT_CONNECTION_PROPERTIES: Readonly<Record<string, PropertyValue>> = {
  "source.address": "127.0.0.1:50000",
  "source.port": 50000,
  "destination.address": "127.0.0.1:10000",
  "destination.port": 10000,
  "connection.mtls": false,
  "connection.requested_server_name": "",
};

/** Looks a NUL-joined key up in a dotted-key property record. */
export function findProperty(props: Readonly<Record<string, PropertyValue>>, key: string): PropertyValue | undefined {
  for (const [k, v] of Object.entries(props)) if (propertyKey(k) === key) return v;
  return undefined;
}
