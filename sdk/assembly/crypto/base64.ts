// Base 64 and base64url encodings as specified by RFC 4648 §4 and §5.
// Decoders are strict: they return null on any character outside the alphabet, on a wrong length, on
// misplaced or missing padding, and on non-zero unused bits (RFC 4648 §3.5), so one value has one encoding.

const STANDARD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const PAD: u16 = 0x3d; // '='
const INVALID: u8 = 0xff;

/** Encodes `data` in base 64 (RFC 4648 §4) with '=' padding. */
export function base64Encode(data: ArrayBuffer): string {
  return encode(data, STANDARD_ALPHABET, true);
}

/** Encodes `data` in base64url (RFC 4648 §5) without padding, as JWTs (RFC 7515 §2) use it. */
export function base64UrlEncode(data: ArrayBuffer): string {
  return encode(data, URL_ALPHABET, false);
}

/** Encodes the UTF-8 bytes of `text` in base 64 with padding. */
export function base64EncodeString(text: string): string {
  return base64Encode(String.UTF8.encode(text));
}

/** Decodes padded base 64 (RFC 4648 §4); null if `text` is not a canonical encoding. */
export function base64Decode(text: string): ArrayBuffer | null {
  return decode(text, false);
}

/** Decodes unpadded base64url (RFC 4648 §5, as in JWTs); null if `text` is not a canonical encoding. */
export function base64UrlDecode(text: string): ArrayBuffer | null {
  return decode(text, true);
}

/** Number of bytes `length` characters of unpadded base64url decode to; -1 if no canonical encoding has that length. */
export function base64UrlDecodedLength(length: i32): i32 {
  const rest = length & 3;
  return length < 0 || rest == 1 ? -1 : (length >> 2) * 3 + (rest == 0 ? 0 : rest - 1);
}

/**
 * Decodes the unpadded base64url (RFC 4648 §5) text in bytes [start, end) of `input` (ASCII, e.g. a JWT segment
 * as received) into `output` at `outputOffset`, without allocating. Returns the number of bytes written, or -1
 * when the text is not a canonical encoding (a character outside the alphabet, including '=', a length of 4n+1,
 * non-zero spare bits) or does not fit in `output` (see base64UrlDecodedLength).
 */
export function base64UrlDecodeInto(input: ArrayBuffer, start: i32, end: i32, output: ArrayBuffer, outputOffset: i32): i32 {
  if (start < 0 || end > input.byteLength || start > end || outputOffset < 0) return -1;
  const written = base64UrlDecodedLength(end - start);
  if (written < 0 || outputOffset + written > output.byteLength) return -1;
  const table = changetype<usize>(URL_SEXTETS);
  let from = changetype<usize>(input) + <usize>start;
  const last = changetype<usize>(input) + <usize>end;
  let to = changetype<usize>(output) + <usize>outputOffset;
  // Whole groups of 4 characters → 3 bytes; INVALID (0xff) in any of them shows in the OR of the four.
  for (; from + 4 <= last; from += 4) {
    const a = <u32>load<u8>(table + load<u8>(from));
    const b = <u32>load<u8>(table + load<u8>(from + 1));
    const c = <u32>load<u8>(table + load<u8>(from + 2));
    const d = <u32>load<u8>(table + load<u8>(from + 3));
    if ((a | b | c | d) == INVALID) return -1;
    const triple = (a << 18) | (b << 12) | (c << 6) | d;
    store<u8>(to, <u8>(triple >> 16));
    store<u8>(to + 1, <u8>(triple >> 8));
    store<u8>(to + 2, <u8>triple);
    to += 3;
  }
  const rest = <i32>(last - from);
  if (rest > 0) {
    const a = <u32>load<u8>(table + load<u8>(from));
    const b = <u32>load<u8>(table + load<u8>(from + 1));
    const c = rest == 3 ? <u32>load<u8>(table + load<u8>(from + 2)) : 0;
    if ((a | b | c) == INVALID) return -1;
    const triple = (a << 18) | (b << 12) | (c << 6);
    store<u8>(to, <u8>(triple >> 16));
    if (rest == 3) store<u8>(to + 1, <u8>(triple >> 8));
    // Canonical form (RFC 4648 §3.5): the bits after the last whole byte are zero.
    if ((rest == 2 ? triple & 0xffff : triple & 0xff) != 0) return -1;
  }
  return written;
}

/** base64url character → its 6-bit value, INVALID for every other byte (built once, at module start). */
const URL_SEXTETS: StaticArray<u8> = urlSextets();

function urlSextets(): StaticArray<u8> {
  const table = new StaticArray<u8>(256);
  for (let i = 0; i < 256; i++) unchecked(table[i] = sextet(<u32>i, true));
  return table;
}

function encode(data: ArrayBuffer, alphabet: string, padded: bool): string {
  const length = data.byteLength;
  const fullGroups = length / 3;
  const rest = length - fullGroups * 3;
  const outputLength = fullGroups * 4 + (rest == 0 ? 0 : (padded ? 4 : rest + 1));
  const out = __new(<usize>outputLength << 1, idof<string>());
  const input = changetype<usize>(data);
  const table = changetype<usize>(alphabet);
  let o: usize = out;
  let i = 0;
  for (; i + 3 <= length; i += 3) {
    const triple = (<u32>load<u8>(input + i) << 16) | (<u32>load<u8>(input + i + 1) << 8) | <u32>load<u8>(input + i + 2);
    store<u16>(o, load<u16>(table + ((triple >>> 18 & 63) << 1)));
    store<u16>(o + 2, load<u16>(table + ((triple >>> 12 & 63) << 1)));
    store<u16>(o + 4, load<u16>(table + ((triple >>> 6 & 63) << 1)));
    store<u16>(o + 6, load<u16>(table + ((triple & 63) << 1)));
    o += 8;
  }
  if (rest > 0) {
    let triple = <u32>load<u8>(input + i) << 16;
    if (rest == 2) triple |= <u32>load<u8>(input + i + 1) << 8;
    store<u16>(o, load<u16>(table + ((triple >>> 18 & 63) << 1)));
    store<u16>(o + 2, load<u16>(table + ((triple >>> 12 & 63) << 1)));
    if (rest == 2) store<u16>(o + 4, load<u16>(table + ((triple >>> 6 & 63) << 1)));
    else if (padded) store<u16>(o + 4, PAD);
    if (padded) store<u16>(o + 6, PAD);
  }
  return changetype<string>(out);
}

/** Value 0..63 of base64 character `code` in the chosen alphabet, or INVALID. */
function sextet(code: u32, url: bool): u8 {
  if (code >= 0x41 && code <= 0x5a) return <u8>(code - 0x41);      // A-Z
  if (code >= 0x61 && code <= 0x7a) return <u8>(code - 0x61 + 26); // a-z
  if (code >= 0x30 && code <= 0x39) return <u8>(code - 0x30 + 52); // 0-9
  if (code == (url ? 0x2d : 0x2b)) return 62;                       // '-' or '+'
  if (code == (url ? 0x5f : 0x2f)) return 63;                       // '_' or '/'
  return INVALID;
}

function decode(text: string, url: bool): ArrayBuffer | null {
  let length = text.length;
  if (!url) {
    if (length % 4 != 0) return null;
    if (length > 0 && text.charCodeAt(length - 1) == PAD) length--;
    if (length > 0 && text.charCodeAt(length - 1) == PAD) length--;
  }
  const rest = length % 4;
  if (rest == 1) return null;
  const outputLength = (length / 4) * 3 + (rest == 0 ? 0 : rest - 1);
  const out = new ArrayBuffer(outputLength);
  const output = changetype<usize>(out);
  let accumulator: u32 = 0;
  let bits = 0;
  let written = 0;
  for (let i = 0; i < length; i++) {
    const value = sextet(<u32>text.charCodeAt(i), url);
    if (value == INVALID) return null;
    accumulator = (accumulator << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      store<u8>(output + written++, <u8>(accumulator >>> bits));
      accumulator &= (1 << bits) - 1;
    }
  }
  if (accumulator != 0) return null; // non-zero unused bits: not the canonical encoding
  return out;
}
