// JSON field redaction over text, without building a document tree: one pass that copies the input and
// replaces the value of every object member whose key is in `fields` (at any depth) with `replacement`.

/** Result of redactJson: the new text (null when the input is not valid JSON) and how many values were replaced. */
export class Redaction {
  constructor(public readonly text: string | null, public readonly count: i32) {}
}

/** Replaces the values of members named in `fields` (keys compared as written) in JSON `text`. */
export function redactJson(text: string, fields: Set<string>, replacement: string): Redaction {
  const scanner = new RedactingScanner(text, fields, replacement);
  scanner.skipWhitespace();
  if (!scanner.scanValue(true)) return new Redaction(null, 0);
  scanner.skipWhitespace();
  if (scanner.position != text.length) return new Redaction(null, 0);
  return new Redaction(scanner.finish(), scanner.count);
}

class RedactingScanner {
  position: i32 = 0;
  count: i32 = 0;
  private copiedUpTo: i32 = 0;
  private parts: string[] = [];

  constructor(private readonly text: string, private readonly fields: Set<string>, private readonly replacement: string) {}

  finish(): string {
    if (this.count == 0) return this.text;
    this.parts.push(this.text.substring(this.copiedUpTo));
    return this.parts.join("");
  }

  skipWhitespace(): void {
    while (this.position < this.text.length) {
      const c = this.text.charCodeAt(this.position);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return;
      this.position++;
    }
  }

  /** Scans one value; `redactInside` false while skipping a value that is being replaced as a whole. */
  scanValue(redactInside: bool): bool {
    if (this.position >= this.text.length) return false;
    const c = this.text.charCodeAt(this.position);
    if (c == 0x7b) return this.scanObject(redactInside); // {
    if (c == 0x5b) return this.scanArray(redactInside);  // [
    if (c == 0x22) return this.skipString();             // "
    return this.skipLiteral();
  }

  private scanObject(redactInside: bool): bool {
    this.position++;
    this.skipWhitespace();
    if (this.peek() == 0x7d) { this.position++; return true; }
    while (true) {
      if (this.peek() != 0x22) return false;
      const keyStart = this.position + 1;
      if (!this.skipString()) return false;
      const key = this.text.substring(keyStart, this.position - 1);
      this.skipWhitespace();
      if (this.peek() != 0x3a) return false; // :
      this.position++;
      this.skipWhitespace();
      const valueStart = this.position;
      const replace = redactInside && this.fields.has(key);
      if (!this.scanValue(redactInside && !replace)) return false;
      if (replace) {
        this.parts.push(this.text.substring(this.copiedUpTo, valueStart));
        this.parts.push(this.replacement);
        this.copiedUpTo = this.position;
        this.count++;
      }
      this.skipWhitespace();
      const next = this.peek();
      this.position++;
      if (next == 0x7d) return true;        // }
      if (next != 0x2c) return false;       // ,
      this.skipWhitespace();
    }
  }

  private scanArray(redactInside: bool): bool {
    this.position++;
    this.skipWhitespace();
    if (this.peek() == 0x5d) { this.position++; return true; }
    while (true) {
      if (!this.scanValue(redactInside)) return false;
      this.skipWhitespace();
      const next = this.peek();
      this.position++;
      if (next == 0x5d) return true;        // ]
      if (next != 0x2c) return false;       // ,
      this.skipWhitespace();
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
