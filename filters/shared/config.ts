// Configuration reading shared by the sample filters (AssemblyScript). Not a filter: this folder has no
// index.ts, so scripts/build.ts skips it; filters import it as "../shared/config".
//
// A ConfigReader walks a JSON object and remembers the FIRST problem it meets (missing required field,
// wrong type, out-of-range number); accessors keep returning harmless fallbacks afterwards, so onConfigure
// reads everything straight through and then calls finish(), which logs that one problem and returns false.
// Strict: every accessor records its key as known (allowKeys() adds keys read some other way), and finish()
// refuses any other key, e.g. "unknown key `reqest` (did you mean `request`?)", so a misspelt key is never
// silently ignored. The configuration's size is capped before parsing (64 KiB unless a filter says otherwise).
import { Configuration, DEFAULT_MAX_CONFIGURATION_BYTES, JsonObject, JsonValue, log, LogLevel } from "@proxy-wasm-as/sdk";

/** State shared by a reader and its nested readers: the first problem, and every reader (for finish()). */
class ProblemSlot {
  message: string | null = null;
  readers: ConfigReader[] = [];
}

/** Typed, validating access to one JSON object of the plugin configuration. Use inside onConfigure. */
export class ConfigReader {
  /** Keys read through this reader's accessors or declared: the only keys allowed. */
  private readonly known: string[] = [];

  private constructor(private readonly object: JsonObject, private readonly path: string, private readonly problem: ProblemSlot) {
    problem.readers.push(this);
  }

  /**
   * Parses the plugin configuration as a JSON object. Returns null when it is larger than `maxBytes`, not
   * valid JSON or not an object (the SDK has then already logged one error line): return false from onConfigure.
   */
  static parse(configuration: Configuration, maxBytes: u32 = DEFAULT_MAX_CONFIGURATION_BYTES): ConfigReader | null {
    const object = configuration.json(maxBytes);
    return object == null ? null : new ConfigReader(object, "", new ProblemSlot());
  }

  /** Allows `keys` although no accessor reads them (e.g. keys read only in some cases). */
  allowKeys(keys: string[]): void {
    for (let i = 0; i < keys.length; i++) this.know(unchecked(keys[i]));
  }

  /** True if no problem was found so far. */
  get ok(): bool { return this.problem.message == null; }

  /** Records a problem about `key` (only the first problem is kept). */
  fail(key: string, message: string): void {
    if (this.problem.message == null) this.problem.message = this.name(key) + " " + message;
  }

  /**
   * Ends reading: logs the first problem, if any, as ONE error line ("invalid plugin configuration: ...")
   * and returns false; returns true when the configuration was valid.
   */
  finish(): bool {
    // An unknown key is reported first: a misspelt key usually also causes the other problem ("is required").
    const readers = this.problem.readers;
    for (let i = 0; i < readers.length; i++) {
      const reader = unchecked(readers[i]);
      const unknown = reader.object.checkKeys(reader.known, reader.path.length > 0 ? reader.path + "." : "");
      if (unknown != null) { this.problem.message = unknown; break; }
    }
    const message = this.problem.message;
    if (message == null) return true;
    log(LogLevel.Error, "invalid plugin configuration: " + message);
    return false;
  }

  /** True if `key` is present (with any value). Declares `key`. */
  has(key: string): bool { this.know(key); return this.object.has(key); }

  /** A required non-empty string. */
  requiredString(key: string): string {
    this.know(key);
    const value = this.object.get(key);
    if (value == null) { this.fail(key, "is required"); return ""; }
    const text = value.asString();
    if (text == null || text.length == 0) { this.fail(key, "must be a non-empty string, got " + describe(value)); return ""; }
    return text;
  }

  /** An optional string; `fallback` when absent. */
  string(key: string, fallback: string): string {
    this.know(key);
    const value = this.object.get(key);
    if (value == null) return fallback;
    const text = value.asString();
    if (text == null) { this.fail(key, "must be a string, got " + describe(value)); return fallback; }
    return text;
  }

  /** An optional boolean; `fallback` when absent. */
  bool(key: string, fallback: bool): bool {
    this.know(key);
    const value = this.object.get(key);
    if (value == null) return fallback;
    if (value.kindName() != "boolean") { this.fail(key, "must be true or false, got " + describe(value)); return fallback; }
    return value.asBool(fallback);
  }

  /** An optional integer in [minimum, maximum]; `fallback` when absent. */
  integer(key: string, fallback: i64, minimum: i64, maximum: i64): i64 {
    this.know(key);
    const value = this.object.get(key);
    if (value == null) return fallback;
    const number = value.asNumber(f64.NaN);
    if (isNaN(number) || number != Math.floor(number) || number < <f64>minimum || number > <f64>maximum) {
      this.fail(key, "must be an integer from " + minimum.toString() + " to " + maximum.toString() + ", got " + describe(value));
      return fallback;
    }
    return <i64>number;
  }

  /** An optional JSON object, as is; null when absent (anything but an object is a problem). */
  optionalObject(key: string): JsonObject | null {
    this.know(key);
    const value = this.object.get(key);
    if (value == null) return null;
    const object = value.asObject();
    if (object == null) this.fail(key, "must be an object, got " + describe(value));
    return object;
  }

  /** An optional number (fractions allowed) in [minimum, maximum]; `fallback` when absent. */
  number(key: string, fallback: f64, minimum: f64, maximum: f64): f64 {
    this.know(key);
    const value = this.object.get(key);
    if (value == null) return fallback;
    const number = value.asNumber(f64.NaN);
    if (isNaN(number) || number < minimum || number > maximum) {
      this.fail(key, "must be a number from " + formatNumber(minimum) + " to " + formatNumber(maximum) + ", got " + describe(value));
      return fallback;
    }
    return number;
  }

  /** An optional array of strings; empty when absent. `required` makes absence (or an empty array) a problem. */
  stringArray(key: string, required: bool = false): string[] {
    this.know(key);
    const out = new Array<string>();
    const value = this.object.get(key);
    if (value == null) { if (required) this.fail(key, "is required"); return out; }
    const array = value.asArray();
    if (array == null) { this.fail(key, "must be an array of strings, got " + describe(value)); return out; }
    for (let i = 0; i < array.length; i++) {
      const text = array.at(i)!.asString();
      if (text == null) { this.fail(key + "[" + i.toString() + "]", "must be a string"); return out; }
      out.push(text);
    }
    if (required && out.length == 0) this.fail(key, "must not be empty");
    return out;
  }

  /** Readers for the objects of array `key` (each must be an object). `required`: absent or empty is a problem. */
  objectArray(key: string, required: bool = false): ConfigReader[] {
    this.know(key);
    const out = new Array<ConfigReader>();
    const value = this.object.get(key);
    if (value == null) { if (required) this.fail(key, "is required"); return out; }
    const array = value.asArray();
    if (array == null) { this.fail(key, "must be an array of objects, got " + describe(value)); return out; }
    for (let i = 0; i < array.length; i++) {
      const itemKey = key + "[" + i.toString() + "]";
      const item = array.at(i)!.asObject();
      if (item == null) { this.fail(itemKey, "must be an object"); return out; }
      out.push(new ConfigReader(item, this.name(itemKey), this.problem));
    }
    if (required && out.length == 0) this.fail(key, "must not be empty");
    return out;
  }

  private know(key: string): void { if (!this.known.includes(key)) this.known.push(key); }

  /** Dotted path of `key` for messages, e.g. "keys[1].name". */
  private name(key: string): string { return this.path.length == 0 ? key : this.path + "." + key; }
}

/** `value` for messages: whole numbers without a fraction ("10", not "10.0"). */
export function formatNumber(value: f64): string {
  return value == Math.floor(value) && Math.abs(value) < 1e15 ? (<i64>value).toString() : value.toString();
}

/** Kind and short value of `value` for messages. */
function describe(value: JsonValue): string {
  const text = value.asString();
  if (text != null) return "\"" + text + "\"";
  return value.kindName();
}
