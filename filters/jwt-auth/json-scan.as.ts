// JSON read straight from the bytes of a decoded JWT segment, without building a tree: one pass validates the
// whole document with exactly the grammar of the SDK's parseJson (RFC 8259; depth at most 64; strings with
// the same escapes; numbers with the same digit-by-digit conversion) and records where the values of a few
// wanted top-level members are. Nothing is allocated unless a wanted value is read as a string that has escapes.
//
// Why hand-written: a token is verified on every request, and parseJson (like any tree-building parser) makes a
// string for every key and value and an object for every member; here only offsets are kept. The rules that
// decide "valid or not" and "which value a name has" are the SDK's (a repeated name keeps its last value; a
// name is compared after unescaping), so a token is accepted or refused exactly as before.

/** What a recorded value is. */
export enum ValueKind { Absent, String, Number, True, False, Null, Object, Array }

/** Where one wanted member's value lies in the scanned bytes (offsets into the buffer given to scan). */
export class ScannedValue {
  kind: ValueKind = ValueKind.Absent;
  /** First byte of the value; for a string, the first byte after the opening quote. */
  start: i32 = 0;
  /** For a string: the offset of its closing quote. For a number: the offset just after it. */
  end: i32 = 0;
  /** For a string: true when it contains a backslash escape (read it with stringValue). */
  escaped: bool = false;
}

/** Deepest nesting parseJson accepts (a value at depth > 64 is refused). */
const MAX_DEPTH: i32 = 64;

const QUOTE: u32 = 0x22;
const BACKSLASH: u32 = 0x5c;

// The scan's cursor (one scan at a time: Wasm runs one callback at a time).
let base: usize = 0;
let position: i32 = 0;
let limit: i32 = 0;

/**
 * The top-level members one scanner looks for: their names, and after scan() where each one's (last) value
 * lies. Make one per set of names (e.g. when the configuration is read) and reuse it.
 */
export class MemberScanner {
  private readonly nameBytes: StaticArray<ArrayBuffer>;
  /** Per name: its first (up to) four bytes, little-endian, to reject most keys without comparing them. */
  private readonly namePrefixes: StaticArray<u32>;
  /** After scan(): the value of names[i], kind Absent when the object has no such member. */
  readonly values: StaticArray<ScannedValue>;

  constructor(private readonly names: string[]) {
    this.nameBytes = new StaticArray<ArrayBuffer>(names.length);
    this.namePrefixes = new StaticArray<u32>(names.length);
    this.values = new StaticArray<ScannedValue>(names.length);
    for (let i = 0; i < names.length; i++) {
      const bytes = String.UTF8.encode(unchecked(names[i]));
      unchecked(this.nameBytes[i] = bytes);
      unchecked(this.namePrefixes[i] = prefixOf(changetype<usize>(bytes), bytes.byteLength));
      unchecked(this.values[i] = new ScannedValue());
    }
  }

  /**
   * Scans bytes [start, end) of `buffer`: true when they are one JSON object (surrounding whitespace allowed) that
   * parseJson would accept, with `values` filled in; false for anything else. The bytes must be valid UTF-8
   * (check first): only then does a name compared as bytes equal the same name compared as text.
   */
  scan(buffer: ArrayBuffer, start: i32, end: i32): bool {
    const values = this.values;
    for (let i = 0; i < values.length; i++) unchecked(values[i]).kind = ValueKind.Absent;
    base = changetype<usize>(buffer);
    position = start;
    limit = min(end, buffer.byteLength);
    skipWhitespace();
    if (position >= limit || byteAt(position) != 0x7b) return false; // '{': the claims set is an object
    position++;
    skipWhitespace();
    if (position < limit && byteAt(position) == 0x7d) { position++; return atEnd(); }
    for (;;) {
      skipWhitespace();
      if (position >= limit || byteAt(position) != QUOTE) return false;
      const keyStart = position + 1;
      const keyEscaped = skipString();
      if (keyEscaped < 0) return false;
      const keyEnd = position - 1;
      skipWhitespace();
      if (position >= limit || byteAt(position) != 0x3a) return false; // ':'
      position++;
      skipWhitespace();
      const valueStart = position;
      const kind = skipValue(1);
      if (kind == ValueKind.Absent) return false;
      this.recordMember(keyStart, keyEnd, keyEscaped == 1, kind, valueStart);
      skipWhitespace();
      if (position >= limit) return false;
      const c = byteAt(position++);
      if (c == 0x2c) continue; // ','
      if (c == 0x7d) return atEnd(); // '}'
      return false;
    }
  }

  /**
   * Records the value that starts at `valueStart` for every wanted name (a name may be wanted twice) that the key
   * in bytes [start, end) spells.
   */
  private recordMember(start: i32, end: i32, escaped: bool, kind: ValueKind, valueStart: i32): void {
    const names = this.nameBytes;
    const values = this.values;
    if (!escaped) {
      const length = end - start;
      const prefix = prefixOf(base + <usize>start, length);
      for (let i = 0; i < names.length; i++) {
        if (unchecked(this.namePrefixes[i]) != prefix) continue;
        const name = unchecked(names[i]);
        if (name.byteLength != length) continue;
        if (length <= 4 || memory.compare(changetype<usize>(name), base + <usize>start, <usize>length) == 0) {
          record(unchecked(values[i]), kind, valueStart);
        }
      }
      return;
    }
    const text = unescapeRange(start, end);
    for (let i = 0; i < names.length; i++) if (unchecked(this.names[i]) == text) record(unchecked(values[i]), kind, valueStart);
  }
}

/** The first min(length, 4) bytes at `at`, little-endian, in a u32 (0 for the missing ones). */
function prefixOf(at: usize, length: i32): u32 {
  if (length >= 4) return load<u32>(at);
  let prefix: u32 = 0;
  for (let i = 0; i < length; i++) prefix |= <u32>load<u8>(at + <usize>i) << (<u32>i << 3);
  return prefix;
}

/** True if only whitespace follows the cursor. */
function atEnd(): bool {
  skipWhitespace();
  return position == limit;
}

function record(value: ScannedValue, kind: ValueKind, start: i32): void {
  value.kind = kind;
  if (kind == ValueKind.String) {
    value.start = start + 1;
    value.end = closingQuote;
    value.escaped = stringEscaped;
  } else {
    value.start = start;
    value.end = position;
    value.escaped = false;
  }
}

// @ts-ignore: decorator
@inline function byteAt(offset: i32): u32 { return <u32>load<u8>(base + <usize>offset); }

function skipWhitespace(): void {
  let at = position;
  const end = limit;
  while (at < end) {
    const c = byteAt(at);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
    at++;
  }
  position = at;
}

/**
 * Skips the value at the cursor (parseJson's parseValue at `depth`); returns its kind, or Absent when it is not
 * valid JSON there.
 */
function skipValue(depth: i32): ValueKind {
  if (depth > MAX_DEPTH || position >= limit) return ValueKind.Absent;
  const c = byteAt(position);
  if (c == 0x7b) return skipContainer(depth, 0x7d, true) ? ValueKind.Object : ValueKind.Absent;
  if (c == 0x5b) return skipContainer(depth, 0x5d, false) ? ValueKind.Array : ValueKind.Absent;
  if (c == QUOTE) return skipString() >= 0 ? ValueKind.String : ValueKind.Absent;
  if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return skipNumber() ? ValueKind.Number : ValueKind.Absent;
  if (matchWord(0x65757274, 4)) return ValueKind.True;   // "true"
  if (matchWord(0x65736c61, 5)) return ValueKind.False;  // "false" ('f' checked in matchWord)
  if (matchWord(0x6c6c756e, 4)) return ValueKind.Null;   // "null"
  return ValueKind.Absent;
}

/**
 * Matches "true" / "false" / "null" at the cursor: `word` holds the last four letters (little-endian) and
 * `length` is 4, or 5 for "false" (whose first letter 'f' comes before them).
 */
function matchWord(word: u32, length: i32): bool {
  if (position + length > limit) return false;
  const at = position + length - 4;
  if (length == 5 && byteAt(position) != 0x66) return false;
  if (load<u32>(base + <usize>at) != word) return false;
  position += length;
  return true;
}

/** An object (members) or an array (items) at the cursor, nested at `depth`. */
function skipContainer(depth: i32, close: u32, members: bool): bool {
  position++; // '{' or '['
  skipWhitespace();
  if (position < limit && byteAt(position) == close) { position++; return true; }
  for (;;) {
    skipWhitespace();
    if (members) {
      if (position >= limit || byteAt(position) != QUOTE || skipString() < 0) return false;
      skipWhitespace();
      if (position >= limit || byteAt(position) != 0x3a) return false;
      position++;
      skipWhitespace();
    }
    if (skipValue(depth + 1) == ValueKind.Absent) return false;
    skipWhitespace();
    if (position >= limit) return false;
    const c = byteAt(position++);
    if (c == 0x2c) continue;
    if (c == close) return true;
    return false;
  }
}

// Set by skipString: where the string's closing quote is, and whether it has an escape.
let closingQuote: i32 = 0;
let stringEscaped: bool = false;

/**
 * A string at the cursor (on its opening quote): leaves the cursor after the closing quote and returns 1 when
 * it has an escape, 0 when not, -1 when it is not a valid JSON string (control character, bad escape, no end).
 */
function skipString(): i32 {
  let at = position + 1;
  const end = limit;
  let escaped = 0;
  while (at < end) {
    const c = byteAt(at);
    if (c == QUOTE) {
      closingQuote = at;
      stringEscaped = escaped != 0;
      position = at + 1;
      return escaped;
    }
    if (c < 0x20) return -1;
    if (c != BACKSLASH) { at++; continue; }
    escaped = 1;
    if (at + 1 >= end) return -1;
    const e = byteAt(at + 1);
    if (e == 0x75) { // \uXXXX
      if (at + 6 > end) return -1;
      for (let k = 2; k < 6; k++) if (hexDigit(byteAt(at + k)) < 0) return -1;
      at += 6;
      continue;
    }
    if (e != QUOTE && e != BACKSLASH && e != 0x2f && e != 0x62 && e != 0x66 && e != 0x6e && e != 0x72 && e != 0x74) return -1;
    at += 2;
  }
  return -1;
}

function hexDigit(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>c - 0x30;
  if (c >= 0x61 && c <= 0x66) return <i32>c - 0x57;
  if (c >= 0x41 && c <= 0x46) return <i32>c - 0x37;
  return -1;
}

// @ts-ignore: decorator
@inline function isDigit(c: u32): bool { return c >= 0x30 && c <= 0x39; }

/** A number at the cursor: '-'? int ('.' digits)? ([eE] [+-]? digits)?, no leading zeros. */
function skipNumber(): bool {
  let at = position;
  const end = limit;
  if (byteAt(at) == 0x2d) at++;
  const intStart = at;
  while (at < end && isDigit(byteAt(at))) at++;
  if (at == intStart) return false;
  if (at - intStart > 1 && byteAt(intStart) == 0x30) return false;
  if (at < end && byteAt(at) == 0x2e) {
    at++;
    const fracStart = at;
    while (at < end && isDigit(byteAt(at))) at++;
    if (at == fracStart) return false;
  }
  if (at < end && (byteAt(at) | 0x20) == 0x65) {
    at++;
    if (at < end && (byteAt(at) == 0x2b || byteAt(at) == 0x2d)) at++;
    const expStart = at;
    while (at < end && isDigit(byteAt(at))) at++;
    if (at == expStart) return false;
  }
  position = at;
  return true;
}

/**
 * The value of a number recorded by scan() in `buffer`, converted exactly as parseJson converts it (digit by
 * digit in f64, then scaled by powers of ten).
 */
export function numberValue(buffer: ArrayBuffer, value: ScannedValue): f64 {
  const at = changetype<usize>(buffer);
  let i = value.start;
  const end = value.end;
  const negative = load<u8>(at + <usize>i) == 0x2d;
  if (negative) i++;
  let result: f64 = 0;
  while (i < end && isDigit(<u32>load<u8>(at + <usize>i))) { result = result * 10 + <f64>(load<u8>(at + <usize>i) - 0x30); i++; }
  let scale: i32 = 0;
  if (i < end && load<u8>(at + <usize>i) == 0x2e) {
    i++;
    while (i < end && isDigit(<u32>load<u8>(at + <usize>i))) { result = result * 10 + <f64>(load<u8>(at + <usize>i) - 0x30); i++; scale--; }
  }
  if (i < end) { // exponent
    i++;
    let expNegative = false;
    const sign = load<u8>(at + <usize>i);
    if (sign == 0x2b || sign == 0x2d) { expNegative = sign == 0x2d; i++; }
    let exponent: i32 = 0;
    while (i < end) { if (exponent < 10000) exponent = exponent * 10 + (<i32>load<u8>(at + <usize>i) - 0x30); i++; }
    scale += expNegative ? -exponent : exponent;
  }
  for (; scale > 0; scale--) result *= 10;
  for (; scale < 0 && result != 0; scale++) result /= 10;
  return negative ? -result : result;
}

/**
 * The text of a string recorded by scan() in `buffer`, unescaped as parseJson does (allocates it). The bytes
 * were checked to be valid UTF-8 before the scan, so AssemblyScript's own decoder is exact here.
 */
export function stringValue(buffer: ArrayBuffer, value: ScannedValue): string {
  base = changetype<usize>(buffer);
  return value.escaped ? unescapeRange(value.start, value.end) : String.UTF8.decodeUnsafe(base + <usize>value.start, <usize>(value.end - value.start));
}

/** True if the string recorded by scan() in `buffer` is exactly `expected`, given as UTF-8 bytes and as text. */
export function stringEquals(buffer: ArrayBuffer, value: ScannedValue, expectedBytes: ArrayBuffer, expected: string): bool {
  if (value.escaped) return stringValue(buffer, value) == expected;
  const length = value.end - value.start;
  return length == expectedBytes.byteLength &&
    memory.compare(changetype<usize>(buffer) + <usize>value.start, changetype<usize>(expectedBytes), <usize>length) == 0;
}

/** Walks the items of an array recorded by scan() (which validated it), yielding its strings. */
export class StringItems {
  private buffer: ArrayBuffer = new ArrayBuffer(0);
  private at: i32 = 0;
  private end: i32 = 0;

  /** Starts at the first item of `array`, recorded by scan() in `buffer`. */
  reset(buffer: ArrayBuffer, array: ScannedValue): StringItems {
    this.buffer = buffer;
    this.at = array.start + 1;
    this.end = array.end;
    return this;
  }

  /** Moves to the next string item and records it in `item`; false when no string item is left. */
  next(item: ScannedValue): bool {
    base = changetype<usize>(this.buffer);
    position = this.at;
    limit = this.end;
    skipWhitespace();
    while (position < limit && byteAt(position) != 0x5d) {
      const start = position;
      const kind = skipValue(1);
      if (kind == ValueKind.Absent) break;
      skipWhitespace();
      if (position < limit && byteAt(position) == 0x2c) position++;
      skipWhitespace();
      if (kind == ValueKind.String) {
        this.at = position;
        item.kind = kind;
        item.start = start + 1;
        item.end = closingQuote;
        item.escaped = stringEscaped;
        return true;
      }
    }
    this.at = this.end;
    return false;
  }
}

/**
 * Unescapes string bytes [start, end) at `base` exactly as parseJson reads a string: the UTF-8 text is decoded,
 * and each escape becomes its UTF-16 unit (\uXXXX may give a lone surrogate, as in parseJson).
 */
function unescapeRange(start: i32, end: i32): string {
  const raw = String.UTF8.decodeUnsafe(base + <usize>start, <usize>(end - start));
  let out = "";
  let i = 0;
  while (i < raw.length) {
    const c = raw.charCodeAt(i);
    if (c != BACKSLASH) {
      let j = i;
      while (j < raw.length && raw.charCodeAt(j) != BACKSLASH) j++;
      out += raw.substring(i, j);
      i = j;
      continue;
    }
    const e = raw.charCodeAt(i + 1);
    if (e == 0x75) {
      let code = 0;
      for (let k = 2; k < 6; k++) code = (code << 4) | hexDigit(<u32>raw.charCodeAt(i + k));
      out += String.fromCharCode(code);
      i += 6;
      continue;
    }
    out += e == 0x62 ? "\b" : e == 0x66 ? "\f" : e == 0x6e ? "\n" : e == 0x72 ? "\r" : e == 0x74 ? "\t" : String.fromCharCode(e);
    i += 2;
  }
  return out;
}
