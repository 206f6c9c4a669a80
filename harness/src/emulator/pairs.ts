// Header-map "pairs" wire format (proxy-wasm-abi.md §4.1) and Envoy's lenient parsing of guest-supplied pairs.

const MAX_PAIRS_BYTES = 1 << 20;
const MAX_PAIRS = 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Serializes `[key, value]` entries; an empty list gives an empty array (the host sends ptr=0,size=0). */
export function encodePairs(entries: ReadonlyArray<readonly [string, string]>): Uint8Array {
  if (entries.length === 0) return new Uint8Array(0);
  const enc = entries.map(([k, v]) => [encoder.encode(k), encoder.encode(v)] as const);
  const size = 4 + enc.reduce((n, [k, v]) => n + 8 + k.length + v.length + 2, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, enc.length, true);
  let p = 4;
  for (const [k, v] of enc) {
    view.setUint32(p, k.length, true);
    view.setUint32(p + 4, v.length, true);
    p += 8;
  }
  for (const [k, v] of enc) {
    out.set(k, p);
    p += k.length + 1;
    out.set(v, p);
    p += v.length + 1;
  }
  return out;
}

/**
 * Parses guest-supplied pairs the way Envoy does: anything malformed (overrun, missing NUL, trailing bytes,
 * > 1 MiB, > 1024 pairs, size 0 or 1) yields null, which callers treat as an empty map.
 */
export function decodePairs(bytes: Uint8Array): Array<[string, string]> | null {
  if (bytes.length < 4 || bytes.length > MAX_PAIRS_BYTES) return bytes.length < 4 ? [] : null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true);
  if (n > MAX_PAIRS) return null;
  let p = 4 + n * 8;
  if (p > bytes.length) return null;
  const out: Array<[string, string]> = [];
  for (let i = 0; i < n; i++) {
    const kl = view.getUint32(4 + i * 8, true);
    const vl = view.getUint32(8 + i * 8, true);
    if (p + kl + vl + 2 > bytes.length || bytes[p + kl] !== 0 || bytes[p + kl + 1 + vl] !== 0) return null;
    const k = decoder.decode(bytes.subarray(p, p + kl));
    const v = decoder.decode(bytes.subarray(p + kl + 1, p + kl + 1 + vl));
    out.push([k, v]);
    p += kl + vl + 2;
  }
  return p === bytes.length ? out : null;
}
