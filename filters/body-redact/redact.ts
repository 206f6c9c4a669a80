// JSON field redaction over text, without building a document tree: one pass that copies the input and
// replaces the value of every object member whose key is in `fields` (at any depth) with `replacement`.
// The scan is iterative: nesting lives in a fixed-size stack of `maxDepth` bytes, never on the call stack, so
// hostile input (20,000 '[' in a row) meets a limit and a clean outcome instead of a stack overflow.

/** Why a body could not be redacted. */
export enum RedactOutcome {
  /** Valid JSON within the limits: `text` is set. */
  Ok,
  /** Not valid JSON. */
  Malformed,
  /** Nested deeper than `maxDepth` objects/arrays. */
  TooDeep,
  /** More than `maxValues` JSON values (objects, arrays, strings, numbers, literals). */
  TooManyValues,
}

/** Limits of one redaction; reaching one ends it with TooDeep or TooManyValues. */
export class RedactLimits {
  constructor(public readonly maxDepth: i32, public readonly maxValues: i32) {}
}

/** Result of redactJson: the new text (null unless `outcome` is Ok) and how many values were replaced. */
export class Redaction {
  constructor(public readonly outcome: RedactOutcome, public readonly text: string | null, public readonly count: i32) {}
}

/** Replaces the values of members named in `fields` (keys compared as written) in JSON `text`. */
export function redactJson(text: string, fields: Set<string>, replacement: string, limits: RedactLimits): Redaction {
  const scanner = new RedactingScanner(text, fields, replacement, limits);
  const outcome = scanner.scan();
  if (outcome != RedactOutcome.Ok) return new Redaction(outcome, null, 0);
  return new Redaction(RedactOutcome.Ok, scanner.finish(), scanner.count);
}

const OBJECT: u8 = 1;
const ARRAY: u8 = 2;

class RedactingScanner {
  position: i32 = 0;
  count: i32 = 0;
  private copiedUpTo: i32 = 0;
  private parts: string[] = [];
  /** Kind (OBJECT/ARRAY) of each open container; `depth` of them are in use. */
  private readonly stack: Uint8Array;
  private depth: i32 = 0;
  private values: i32 = 0;
  /** Start of the value being replaced, or -1; it ends when the scan is back at `replaceDepth`. */
  private replaceStart: i32 = -1;
  private replaceDepth: i32 = 0;

  constructor(private readonly text: string, private readonly fields: Set<string>, private readonly replacement: string, private readonly limits: RedactLimits) {
    this.stack = new Uint8Array(limits.maxDepth);
  }

  finish(): string {
    if (this.count == 0) return this.text;
    this.parts.push(this.text.substring(this.copiedUpTo));
    return this.parts.join("");
  }

  /** Scans the whole text: one JSON value with optional surrounding whitespace. */
  scan(): RedactOutcome {
    this.skipWhitespace();
    while (true) {
      // A value starts here.
      if (++this.values > this.limits.maxValues) return RedactOutcome.TooManyValues;
      const c = this.peek();
      if (c == 0x7b || c == 0x5b) { // { [
        if (this.depth >= this.limits.maxDepth) return RedactOutcome.TooDeep;
        unchecked(this.stack[this.depth++] = c == 0x7b ? OBJECT : ARRAY);
        this.position++;
        this.skipWhitespace();
        if (this.peek() != (c == 0x7b ? 0x7d : 0x5d)) { // not empty: scan its first member or item
          if (c == 0x7b && !this.memberKey()) return RedactOutcome.Malformed;
          continue;
        }
        this.position++;
        this.depth--;
      } else if (c == 0x22) {
        if (!this.skipString()) return RedactOutcome.Malformed;
      } else if (!this.skipLiteral()) {
        return RedactOutcome.Malformed;
      }
      // A value ended: close containers until the next member/item or the end of the document.
      while (true) {
        if (this.replaceStart >= 0 && this.depth == this.replaceDepth) this.replaceValue();
        this.skipWhitespace();
        if (this.depth == 0) return this.position == this.text.length ? RedactOutcome.Ok : RedactOutcome.Malformed;
        const kind = unchecked(this.stack[this.depth - 1]);
        const next = this.peek();
        this.position++;
        if (next == 0x2c) { // ,
          this.skipWhitespace();
          if (kind == OBJECT && !this.memberKey()) return RedactOutcome.Malformed;
          break;
        }
        if (next != (kind == OBJECT ? 0x7d : 0x5d)) return RedactOutcome.Malformed; // } ]
        this.depth--;
      }
    }
  }

  /** Scans `"key" :` of an object member; marks the value that follows for replacement when the key is a field. */
  private memberKey(): bool {
    if (this.peek() != 0x22) return false;
    const keyStart = this.position + 1;
    if (!this.skipString()) return false;
    const keyEnd = this.position - 1;
    this.skipWhitespace();
    if (this.peek() != 0x3a) return false; // :
    this.position++;
    this.skipWhitespace();
    // Inside a value that is replaced as a whole nothing else is replaced.
    if (this.replaceStart < 0 && this.fields.has(this.text.substring(keyStart, keyEnd))) {
      this.replaceStart = this.position;
      this.replaceDepth = this.depth;
    }
    return true;
  }

  /** Emits the replacement for the value [replaceStart, position). */
  private replaceValue(): void {
    this.parts.push(this.text.substring(this.copiedUpTo, this.replaceStart));
    this.parts.push(this.replacement);
    this.copiedUpTo = this.position;
    this.count++;
    this.replaceStart = -1;
  }

  private skipWhitespace(): void {
    while (this.position < this.text.length) {
      const c = this.text.charCodeAt(this.position);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return;
      this.position++;
    }
  }

  /** Skips a string starting at its opening quote; position ends after the closing quote. */
  private skipString(): bool {
    this.position++;
    while (this.position < this.text.length) {
      const c = this.text.charCodeAt(this.position++);
      if (c == 0x5c) this.position++;       // backslash: skip the escaped character
      else if (c == 0x22) return true;
      else if (c < 0x20) return false;      // raw control characters are not allowed in JSON strings
    }
    return false;
  }

  /** Skips a number, true, false or null (checked loosely: the characters they can contain). */
  private skipLiteral(): bool {
    const start = this.position;
    while (this.position < this.text.length) {
      const c = this.text.charCodeAt(this.position);
      const literal = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x2b || c == 0x2e || c == 0x45;
      if (!literal) break;
      this.position++;
    }
    return this.position > start;
  }

  private peek(): i32 { return this.position < this.text.length ? this.text.charCodeAt(this.position) : -1; }
}
