// Checked layer: UTF-8 → string decoding that never alters bytes silently.
//
// Why hand-written: AssemblyScript's String.UTF8.decodeUnsafe drops an incomplete sequence at the end of its
// input and turns other invalid bytes into unrelated characters, so "key\xc3" decoded as "key". Here every
// byte sequence is checked against RFC 3629 (no overlong forms, no surrogates, nothing above U+10FFFF):
// - decodeUtf8Lossy replaces each maximal invalid subpart with U+FFFD (the WHATWG / Unicode §3.9 "best
//   practice" rule that TextDecoder and Rust's from_utf8_lossy follow): the result shows that bytes were bad,
//   and re-encoding it never gives back the original bytes, so an altered credential can never match;
// - decodeUtf8Strict returns null on any invalid byte, for callers that must refuse such input.

/** U+FFFD REPLACEMENT CHARACTER. */
const REPLACEMENT: u16 = 0xfffd;

/** Set by sequenceLength when it returns 0: length of the maximal invalid subpart (≥ 1). */
let invalidLength: usize = 1;
/** Set by sequenceLength when it returns > 0: the decoded code point. */
let lastCodePoint: u32 = 0;

/**
 * Length of the well-formed UTF-8 sequence starting at `at` (1–4), or 0 when the bytes there are not a
 * complete, well-formed sequence (see invalidLength).
 */
function sequenceLength(at: usize, end: usize): usize {
  const b0 = <u32>load<u8>(at);
  if (b0 < 0x80) { lastCodePoint = b0; return 1; }
  let need: usize;
  let lower: u32 = 0x80, upper: u32 = 0xbf; // allowed range of the second byte (Unicode Table 3-7)
  let code: u32;
  if (b0 >= 0xc2 && b0 <= 0xdf) { need = 1; code = b0 & 0x1f; }
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    need = 2; code = b0 & 0x0f;
    if (b0 == 0xe0) lower = 0xa0;        // no overlong forms
    else if (b0 == 0xed) upper = 0x9f;   // no surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    need = 3; code = b0 & 0x07;
    if (b0 == 0xf0) lower = 0x90;        // no overlong forms
    else if (b0 == 0xf4) upper = 0x8f;   // nothing above U+10FFFF
  } else { invalidLength = 1; return 0; }
  for (let i: usize = 1; i <= need; i++) {
    if (at + i >= end) { invalidLength = i; return 0; }
    const b = <u32>load<u8>(at + i);
    if (b < (i == 1 ? lower : 0x80) || b > (i == 1 ? upper : 0xbf)) { invalidLength = i; return 0; }
    code = (code << 6) | (b & 0x3f);
  }
  lastCodePoint = code;
  return need + 1;
}

/** Decodes [ptr, ptr+length) as UTF-8; invalid bytes become U+FFFD when `lossy`, else the result is null. */
function decode(ptr: usize, length: usize, lossy: bool): string | null {
  const out = changetype<usize>(__new(length << 1, idof<String>())); // at most one UTF-16 unit per byte
  let at = ptr, to = out;
  const end = ptr + length;
  while (at < end) {
    const b0 = load<u8>(at);
    if (b0 < 0x80) { store<u16>(to, b0); to += 2; at++; continue; }
    const size = sequenceLength(at, end);
    if (size == 0) {
      if (!lossy) return null;
      store<u16>(to, REPLACEMENT); to += 2; at += invalidLength;
      continue;
    }
    const code = lastCodePoint;
    if (code < 0x10000) { store<u16>(to, <u16>code); to += 2; }
    else {
      const offset = code - 0x10000;
      store<u16>(to, <u16>(0xd800 | (offset >> 10)));
      store<u16>(to + 2, <u16>(0xdc00 | (offset & 0x3ff)));
      to += 4;
    }
    at += size;
  }
  return changetype<string>(__renew(out, to - out));
}

/** Decodes UTF-8 at [ptr, ptr+length); each maximal invalid subpart becomes U+FFFD (never dropped). */
export function decodeUtf8Lossy(ptr: usize, length: usize): string {
  return length == 0 ? "" : decode(ptr, length, true)!;
}

/** Decodes UTF-8 at [ptr, ptr+length); null if any byte sequence is not well-formed UTF-8. */
export function decodeUtf8StrictUnsafe(ptr: usize, length: usize): string | null {
  return length == 0 ? "" : decode(ptr, length, false);
}

/** Decodes `bytes` as UTF-8; null if they are not well-formed UTF-8 (RFC 3629). */
export function decodeUtf8Strict(bytes: ArrayBuffer): string | null {
  return decodeUtf8StrictUnsafe(changetype<usize>(bytes), <usize>bytes.byteLength);
}

/**
 * Index of the first byte of [ptr, ptr+length) that is not part of well-formed UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or -1 if all of it is well-formed. Allocates nothing.
 */
export function firstInvalidUtf8(ptr: usize, length: usize): isize {
  let at = ptr;
  const end = ptr + length;
  while (at < end) {
    // ASCII runs (the common case: tokens, header values) eight bytes at a time.
    while (at + 8 <= end && (load<u64>(at) & 0x8080808080808080) == 0) at += 8;
    if (at >= end) break;
    if (load<u8>(at) < 0x80) { at++; continue; }
    const size = sequenceLength(at, end);
    if (size == 0) return <isize>(at - ptr);
    at += size;
  }
  return -1;
}

/**
 * True if `bytes` (or only bytes [start, end) of them, clamped to the buffer) are well-formed UTF-8 (RFC 3629).
 * Allocates nothing.
 */
export function isValidUtf8(bytes: ArrayBuffer, start: i32 = 0, end: i32 = i32.MAX_VALUE): bool {
  const from = max(0, start);
  const to = min(end, bytes.byteLength);
  return to <= from || firstInvalidUtf8(changetype<usize>(bytes) + <usize>from, <usize>(to - from)) < 0;
}
