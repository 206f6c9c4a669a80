// Typed layer: a small, strict JSON parser (RFC 8259) for plugin/VM configuration.
// parseJson returns a JsonParseResult; on bad input `error` names the problem and its position
// ("expected ':' after object key at line 1, column 12 (offset 11)"). No exceptions, no traps.

/** Kind of a JsonValue. */
export enum JsonKind { Null, Bool, Number, String, Array, Object }

/** A parsed JSON value. Use the `as*` accessors: each returns null (or the fallback) on a kind mismatch. */
export class JsonValue {
  constructor(public readonly kind: JsonKind) {}
  /** The object, or null if this is not an object. */
  asObject(): JsonObject | null { return this.kind == JsonKind.Object ? changetype<JsonObject>(this) : null; }
  /** The array, or null if this is not an array. */
  asArray(): JsonArray | null { return this.kind == JsonKind.Array ? changetype<JsonArray>(this) : null; }
  /** The string, or null if this is not a string. */
  asString(): string | null { return this.kind == JsonKind.String ? changetype<JsonString>(this).value : null; }
  /** The number, or `fallback` if this is not a number. */
  asNumber(fallback: f64 = 0): f64 { return this.kind == JsonKind.Number ? changetype<JsonNumber>(this).value : fallback; }
  /** The boolean, or `fallback` if this is not a boolean. */
  asBool(fallback: bool = false): bool { return this.kind == JsonKind.Bool ? changetype<JsonBool>(this).value : fallback; }
  /** Human-readable kind name, for error messages ("object", "string", ...). */
  kindName(): string {
    switch (this.kind) {
      case JsonKind.Null: return "null";
      case JsonKind.Bool: return "boolean";
      case JsonKind.Number: return "number";
      case JsonKind.String: return "string";
      case JsonKind.Array: return "array";
      default: return "object";
    }
  }
}

/** JSON null. */
export class JsonNull extends JsonValue { constructor() { super(JsonKind.Null); } }
/** JSON true/false. */
export class JsonBool extends JsonValue { constructor(public value: bool) { super(JsonKind.Bool); } }
/** JSON number (as f64). */
export class JsonNumber extends JsonValue { constructor(public value: f64) { super(JsonKind.Number); } }
/** JSON string. */
export class JsonString extends JsonValue { constructor(public value: string) { super(JsonKind.String); } }

/** JSON array. */
export class JsonArray extends JsonValue {
  items: JsonValue[] = [];
  constructor() { super(JsonKind.Array); }
  /** Number of items. */
  get length(): i32 { return this.items.length; }
  /** Item `index` (0-based); null when out of range. */
  at(index: i32): JsonValue | null { return index >= 0 && index < this.items.length ? unchecked(this.items[index]) : null; }
}

/** JSON object; keys keep their document order. A repeated key keeps its last value. */
export class JsonObject extends JsonValue {
  keys: string[] = [];
  values: JsonValue[] = [];
  constructor() { super(JsonKind.Object); }
  /** Value of `key`, or null if absent. */
  get(key: string): JsonValue | null {
    for (let i = this.keys.length - 1; i >= 0; i--) if (unchecked(this.keys[i]) == key) return unchecked(this.values[i]);
    return null;
  }
  /** True if `key` is present. */
  has(key: string): bool { return this.get(key) != null; }
  /** String value of `key`; null if absent or not a string. */
  getString(key: string): string | null { const v = this.get(key); return v ? v.asString() : null; }
  /** Number value of `key`; `fallback` if absent or not a number. */
  getNumber(key: string, fallback: f64 = 0): f64 { const v = this.get(key); return v ? v.asNumber(fallback) : fallback; }
  /** Boolean value of `key`; `fallback` if absent or not a boolean. */
  getBool(key: string, fallback: bool = false): bool { const v = this.get(key); return v ? v.asBool(fallback) : fallback; }
  /** Object value of `key`; null if absent or not an object. */
  getObject(key: string): JsonObject | null { const v = this.get(key); return v ? v.asObject() : null; }
  /** Array value of `key`; null if absent or not an array. */
  getArray(key: string): JsonArray | null { const v = this.get(key); return v ? v.asArray() : null; }
  /**
   * The strings of array `key`: `fallback` (a copy) when absent. A value that is not an array of strings gives
   * an `error` naming the path of the wrong value (`allowOrigins[2]: expected a string, got number`); `path` is
   * put before the key, as in checkKeys ("cors." gives `cors.allowOrigins[2]`).
   */
  getStringList(key: string, fallback: string[] = [], path: string = ""): JsonList<string> {
    const value = this.get(key);
    if (value == null) return new JsonList<string>(fallback.slice(), null);
    return readList<string>(value, path + key, "string", false, -f64.MAX_VALUE, f64.MAX_VALUE);
  }
  /** The numbers of array `key`, like getStringList (`limits[0]: expected a number, got "5"`). */
  getNumberList(key: string, fallback: f64[] = [], path: string = ""): JsonList<f64> {
    const value = this.get(key);
    if (value == null) return new JsonList<f64>(fallback.slice(), null);
    return readList<f64>(value, path + key, "number", false, -f64.MAX_VALUE, f64.MAX_VALUE);
  }
  /** The integers (whole numbers within ±2^53) of array `key`, like getStringList (`ports[1]: expected an integer, got 1.5`). */
  getIntegerList(key: string, fallback: i64[] = [], path: string = ""): JsonList<i64> {
    const value = this.get(key);
    if (value == null) return new JsonList<i64>(fallback.slice(), null);
    return readList<i64>(value, path + key, "integer", true, -MAX_SAFE_INTEGER, MAX_SAFE_INTEGER);
  }
  /**
   * Strict configuration: null if every key of this object is in `known`; else a message for the first other
   * key, with the closest known key when one is near ("unknown key `reqest` (did you mean `request`?)"). The key
   * is cut at 40 characters and its control characters are escaped, so the message stays one short line.
   * `path` is put before the key in the message (e.g. "keys[0]." gives `keys[0].clinet`).
   */
  checkKeys(known: string[], path: string = ""): string | null {
    for (let i = 0; i < this.keys.length; i++) {
      const key = unchecked(this.keys[i]);
      if (known.includes(key)) continue;
      const near = closestMatch(key, known);
      return "unknown key `" + path + printable(key) + "`" + (near != null ? " (did you mean `" + near + "`?)" : "") +
        "; known keys: " + (known.length > 0 ? known.join(", ") : "none");
    }
    return null;
  }
}

/** Outcome of a list getter (JsonObject.getStringList …): the items, or an `error` naming the wrong value's path. */
export class JsonList<T> {
  constructor(
    /** The items (empty when `error` is set). */
    public readonly items: T[],
    /** Null when the list is valid, else e.g. `allowOrigins[2]: expected a string, got number`. */
    public readonly error: string | null,
  ) {}
}

/** Largest integer a JSON number (f64) holds exactly: 2^53 - 1. */
export const MAX_SAFE_INTEGER: f64 = 9007199254740991;

/**
 * Reads `value` as an array of T (string, f64 or i64), each item checked: a string for `string`, else a number
 * (`integral`: a whole number) within [minimum, maximum]. `what` names the item in messages ("string",
 * "integer", "number"); `path` is the array's path.
 */
export function readList<T>(value: JsonValue, path: string, what: string, integral: bool, minimum: f64, maximum: f64): JsonList<T> {
  const out = new Array<T>();
  const array = value.asArray();
  if (array == null) return new JsonList<T>(out, path + ": expected a list of " + what + "s, got " + describeJson(value));
  for (let i = 0; i < array.length; i++) {
    const item = unchecked(array.items[i]);
    let problem: string | null = null;
    if (isString<T>()) {
      const text = item.asString();
      if (text == null) problem = "expected a string";
      // @ts-ignore: T is string here
      else out.push(text);
    } else {
      problem = checkNumber(item, what, integral, minimum, maximum);
      // @ts-ignore: T is f64 or i64 here
      if (problem == null) out.push(<T>item.asNumber());
    }
    if (problem != null) return new JsonList<T>(new Array<T>(), path + "[" + i.toString() + "]: " + problem + ", got " + describeJson(item));
  }
  return new JsonList<T>(out, null);
}

/**
 * Null if `value` is a number (`integral`: a whole number) within [minimum, maximum], else what was expected, e.g.
 * "expected an integer from 1 to 10" (bounds at ±f64.MAX_VALUE, or ±MAX_SAFE_INTEGER for integers, are left unsaid).
 */
export function checkNumber(value: JsonValue, what: string, integral: bool, minimum: f64, maximum: f64): string | null {
  const number = value.asNumber(f64.NaN);
  if (!isNaN(number) && (!integral || number == Math.floor(number)) && number >= minimum && number <= maximum) return null;
  const unbounded = integral ? MAX_SAFE_INTEGER : f64.MAX_VALUE;
  let expected = "expected " + (integral ? "an " : "a ") + what;
  if (minimum > -unbounded && maximum < unbounded) expected += " from " + formatNumber(minimum) + " to " + formatNumber(maximum);
  else if (minimum > -unbounded) expected += " >= " + formatNumber(minimum);
  else if (maximum < unbounded) expected += " <= " + formatNumber(maximum);
  else if (integral && Math.abs(number) > unbounded) expected += " within ±2^53";
  return expected;
}

/**
 * `value` for messages and logs: whole numbers below 10^18 exactly, without a fraction ("10", not "10.0"), others
 * with at most 6 decimals ("0.125", "33.333333"), and very large or small ones with an exponent ("1.5e21",
 * "2.5e-7"). Written here instead of calling f64.toString, whose shortest-digits algorithm and its tables add
 * about 2.5 KB to every module; a message needs no more than 6 decimals.
 */
export function formatNumber(value: f64): string {
  if (!isFinite(value)) return isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  let magnitude = Math.abs(value);
  const sign = value < 0 ? "-" : "";
  if (magnitude == Math.floor(magnitude) && magnitude < 1e18) return sign + (<i64>magnitude).toString();
  let exponent = 0;
  if (magnitude >= 1e15) while (magnitude >= 10) { magnitude /= 10; exponent++; }
  else if (magnitude < 1e-4) while (magnitude < 1) { magnitude *= 10; exponent--; }
  let whole = Math.floor(magnitude);
  let millionths = <i64>Math.round((magnitude - whole) * 1e6);
  if (millionths == 1_000_000) { whole += 1; millionths = 0; }
  let out = sign + (<i64>whole).toString();
  if (millionths > 0) {
    const digits = (1_000_000 + millionths).toString(); // "1" and 6 digits, with the leading zeros
    let end = digits.length;
    while (digits.charCodeAt(end - 1) == 48) end--;
    out += "." + digits.substring(1, end);
  }
  return exponent != 0 ? out + "e" + exponent.toString() : out;
}

/** Longest string quoted whole in a message; longer ones are cut with "…", so a log line stays short. */
const MAX_QUOTED_CHARS = 40;

/**
 * `value` for an error message's "got …": a string quoted (cut at 40 characters, control characters escaped),
 * a number or boolean as written, an empty array as "[]", else "null", "an array" or "an object".
 */
export function describeJson(value: JsonValue): string {
  const text = value.asString();
  if (text != null) return quote(text);
  if (value.kind == JsonKind.Number) return formatNumber(value.asNumber());
  if (value.kind == JsonKind.Bool) return value.asBool() ? "true" : "false";
  if (value.kind == JsonKind.Array) return changetype<JsonArray>(value).length == 0 ? "[]" : "an array";
  return value.kind == JsonKind.Object ? "an object" : "null";
}

/** `text` in double quotes for a message: cut at MAX_QUOTED_CHARS, quotes, backslashes and control characters escaped. */
export function quote(text: string): string { return "\"" + printable(text) + "\""; }

/** `text` for a message as quote() writes it, without the quotes. */
function printable(text: string): string {
  let out = "";
  const end = min(text.length, MAX_QUOTED_CHARS);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c == 34 || c == 92) out += "\\" + String.fromCharCode(c);
    else if (c < 32 || c == 127) out += "\\u00" + String.fromCharCode(hexDigit(c >> 4), hexDigit(c & 15));
    else out += String.fromCharCode(c);
  }
  return text.length > end ? out + "…" : out;
}

/**
 * The entry of `candidates` closest to `word` by edit distance (Levenshtein, ASCII letters case-insensitive), if
 * it is close enough to be a likely misspelling: at most 2 edits and fewer than half of `word`'s characters.
 * Else null.
 */
export function closestMatch(word: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestDistance = min(2, (word.length - 1) >> 1) + 1; // first distance not accepted
  for (let i = 0; i < candidates.length; i++) {
    const candidate = unchecked(candidates[i]);
    // The distance is at least the difference in length: a long hostile word costs nothing to turn down.
    if (abs(word.length - candidate.length) >= bestDistance) continue;
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) { bestDistance = distance; best = candidate; }
  }
  return best;
}

/** Levenshtein distance between `a` and `b` (UTF-16 units, ASCII case ignored), in O(|b|) memory. */
function editDistance(a: string, b: string): i32 {
  const row = new StaticArray<i32>(b.length + 1);
  for (let j = 0; j <= b.length; j++) unchecked(row[j] = j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = unchecked(row[0]);
    unchecked(row[0] = i);
    for (let j = 1; j <= b.length; j++) {
      const above = unchecked(row[j]);
      const cost = asciiLower(a.charCodeAt(i - 1)) == asciiLower(b.charCodeAt(j - 1)) ? 0 : 1;
      unchecked(row[j] = min(min(above + 1, unchecked(row[j - 1]) + 1), diagonal + cost));
      diagonal = above;
    }
  }
  return unchecked(row[b.length]);
}

/** Outcome of parseJson: exactly one of `value` and `error` is set. */
export class JsonParseResult {
  constructor(public value: JsonValue | null, public error: string | null) {}
}

/** Parses `text` as one JSON document (surrounding whitespace allowed). Depth is limited to 64. */
export function parseJson(text: string): JsonParseResult {
  const parser = new JsonParser(text);
  parser.skipWhitespace();
  const value = parser.parseValue(0);
  if (value && parser.error == null) {
    parser.skipWhitespace();
    if (parser.pos < text.length) parser.fail("unexpected trailing " + parser.describeHere() + " after the JSON value");
  }
  if (parser.error != null) return new JsonParseResult(null, parser.error);
  return new JsonParseResult(value, null);
}

class JsonParser {
  pos: i32 = 0;
  error: string | null = null;
  constructor(public text: string) {}

  fail(message: string): void {
    if (this.error != null) return;
    let line = 1, column = 1;
    for (let i = 0; i < this.pos && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) == 10) { line++; column = 1; } else column++;
    }
    this.error = message + " at line " + line.toString() + ", column " + column.toString() + " (offset " + this.pos.toString() + ")";
  }

  describeHere(): string {
    if (this.pos >= this.text.length) return "end of input";
    return "'" + this.text.charAt(this.pos) + "'";
  }

  skipWhitespace(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c != 32 && c != 9 && c != 10 && c != 13) break;
      this.pos++;
    }
  }

  parseValue(depth: i32): JsonValue | null {
    if (depth > 64) { this.fail("JSON nested deeper than 64 levels"); return null; }
    if (this.pos >= this.text.length) { this.fail("expected a JSON value but found end of input"); return null; }
    const c = this.text.charCodeAt(this.pos);
    if (c == 123) return this.parseObject(depth);
    if (c == 91) return this.parseArray(depth);
    if (c == 34) { const s = this.parseString(); return s != null ? new JsonString(s) : null; }
    if (c == 45 || (c >= 48 && c <= 57)) return this.parseNumber();
    if (this.matchWord("true")) return new JsonBool(true);
    if (this.matchWord("false")) return new JsonBool(false);
    if (this.matchWord("null")) return new JsonNull();
    this.fail("expected a JSON value but found " + this.describeHere());
    return null;
  }

  matchWord(word: string): bool {
    if (this.text.substr(this.pos, word.length) == word) { this.pos += word.length; return true; }
    return false;
  }

  parseObject(depth: i32): JsonValue | null {
    const object = new JsonObject();
    this.pos++; // {
    this.skipWhitespace();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 125) { this.pos++; return object; }
    while (true) {
      this.skipWhitespace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 34) {
        this.fail("expected a string object key but found " + this.describeHere());
        return null;
      }
      const key = this.parseString();
      if (key == null) return null;
      this.skipWhitespace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 58) {
        this.fail("expected ':' after object key \"" + key + "\" but found " + this.describeHere());
        return null;
      }
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(depth + 1);
      if (value == null) return null;
      object.keys.push(key);
      object.values.push(value);
      this.skipWhitespace();
      if (this.pos < this.text.length) {
        const c = this.text.charCodeAt(this.pos);
        if (c == 44) { this.pos++; continue; }
        if (c == 125) { this.pos++; return object; }
      }
      this.fail("expected ',' or '}' in object but found " + this.describeHere());
      return null;
    }
  }

  parseArray(depth: i32): JsonValue | null {
    const array = new JsonArray();
    this.pos++; // [
    this.skipWhitespace();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 93) { this.pos++; return array; }
    while (true) {
      this.skipWhitespace();
      const value = this.parseValue(depth + 1);
      if (value == null) return null;
      array.items.push(value);
      this.skipWhitespace();
      if (this.pos < this.text.length) {
        const c = this.text.charCodeAt(this.pos);
        if (c == 44) { this.pos++; continue; }
        if (c == 93) { this.pos++; return array; }
      }
      this.fail("expected ',' or ']' in array but found " + this.describeHere());
      return null;
    }
  }

  parseString(): string | null {
    const text = this.text;
    const start = ++this.pos; // opening quote
    // Fast path: no escapes.
    let i = start;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c == 34) { this.pos = i + 1; return text.substring(start, i); }
      if (c == 92 || c < 32) break;
      i++;
    }
    let out = text.substring(start, i);
    this.pos = i;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c == 34) { this.pos++; return out; }
      if (c < 32) { this.fail("unescaped control character in string"); return null; }
      if (c != 92) { out += String.fromCharCode(c); this.pos++; continue; }
      this.pos++;
      if (this.pos >= text.length) break;
      const e = text.charCodeAt(this.pos);
      this.pos++;
      if (e == 34) out += "\"";
      else if (e == 92) out += "\\";
      else if (e == 47) out += "/";
      else if (e == 98) out += "\b";
      else if (e == 102) out += "\f";
      else if (e == 110) out += "\n";
      else if (e == 114) out += "\r";
      else if (e == 116) out += "\t";
      else if (e == 117) {
        let code = 0;
        for (let k = 0; k < 4; k++) {
          const h = this.pos < text.length ? text.charCodeAt(this.pos) : -1;
          let digit = -1;
          if (h >= 48 && h <= 57) digit = h - 48;
          else if (h >= 97 && h <= 102) digit = h - 87;
          else if (h >= 65 && h <= 70) digit = h - 55;
          if (digit < 0) { this.fail("invalid \\u escape (expected 4 hex digits)"); return null; }
          code = (code << 4) | digit;
          this.pos++;
        }
        out += String.fromCharCode(code);
      } else {
        this.pos -= 2; // point at the backslash
        this.fail("invalid escape '\\" + String.fromCharCode(e) + "' in string");
        return null;
      }
    }
    this.fail("unterminated string (missing closing '\"')");
    return null;
  }

  // Numbers are converted digit by digit (no strtod, to keep modules small): exact for integers up to 2^53,
  // within a few ulps otherwise, which is ample for configuration values.
  parseNumber(): JsonValue | null {
    const text = this.text;
    let negative = false;
    if (text.charCodeAt(this.pos) == 45) { negative = true; this.pos++; }
    const intStart = this.pos;
    let value: f64 = 0;
    while (this.pos < text.length && isDigit(text.charCodeAt(this.pos))) value = value * 10 + <f64>(text.charCodeAt(this.pos++) - 48);
    if (this.pos == intStart) { this.fail("expected digits in number but found " + this.describeHere()); return null; }
    if (this.pos - intStart > 1 && text.charCodeAt(intStart) == 48) { this.pos = intStart; this.fail("numbers must not have leading zeros"); return null; }
    let scale: i32 = 0;
    if (this.pos < text.length && text.charCodeAt(this.pos) == 46) {
      this.pos++;
      const fracStart = this.pos;
      while (this.pos < text.length && isDigit(text.charCodeAt(this.pos))) { value = value * 10 + <f64>(text.charCodeAt(this.pos++) - 48); scale--; }
      if (this.pos == fracStart) { this.fail("expected digits after '.' in number but found " + this.describeHere()); return null; }
    }
    if (this.pos < text.length && (text.charCodeAt(this.pos) | 32) == 101) {
      this.pos++;
      let expNegative = false;
      if (this.pos < text.length && (text.charCodeAt(this.pos) == 43 || text.charCodeAt(this.pos) == 45)) expNegative = text.charCodeAt(this.pos++) == 45;
      const expStart = this.pos;
      let exponent: i32 = 0;
      while (this.pos < text.length && isDigit(text.charCodeAt(this.pos))) { if (exponent < 10000) exponent = exponent * 10 + (text.charCodeAt(this.pos) - 48); this.pos++; }
      if (this.pos == expStart) { this.fail("expected digits in exponent but found " + this.describeHere()); return null; }
      scale += expNegative ? -exponent : exponent;
    }
    for (; scale > 0; scale--) value *= 10;
    for (; scale < 0 && value != 0; scale++) value /= 10;
    return new JsonNumber(negative ? -value : value);
  }
}

// @ts-ignore: decorator
@inline function asciiLower(c: i32): i32 { return c >= 65 && c <= 90 ? c | 32 : c; }

// @ts-ignore: decorator
@inline function hexDigit(nibble: i32): i32 { return nibble < 10 ? 48 + nibble : 87 + nibble; }

// @ts-ignore: decorator
@inline function isDigit(c: i32): bool { return c >= 48 && c <= 57; }
