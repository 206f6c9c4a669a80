// Typed layer: a filter's configuration declared once (keys, types, defaults, ranges, required) and checked in
// one call. AssemblyScript has no reflection and no closures, so the declaration is a ConfigSchema built at top
// level, and every declared key is a field object (a typed handle) that the filter reads values through:
//
//   const schema = new ConfigSchema();
//   const HEADER = schema.string("header").default("x-hello");
//   const BURST = schema.integer("burst").min(1).default(10);
//   ...
//   onConfigure(configuration: Configuration): bool {
//     const config = schema.read(configuration);   // null after ONE error line: return false, Envoy refuses it
//     if (config == null) return false;
//     this.header = config.string(HEADER);
//
// read() refuses, in this order per object: an unknown key (with the closest known one, as checkKeys), a missing
// required key, a value of the wrong type or out of range. The message names the value's path:
// `invalid plugin configuration: limits.burst: expected an integer >= 1, got -2`.
import { BufferType, LogLevel } from "../abi/types";
import { log } from "../host/hostcalls";
import { closestMatch, describeJson, checkNumber, quote, readList, JsonKind, JsonObject, JsonValue, MAX_SAFE_INTEGER } from "./json";
import { Configuration, DEFAULT_MAX_CONFIGURATION_BYTES } from "./maps";

/** `key` of an object at `path`, as a path: "limits.burst" (or "burst" at the top). */
function childPath(path: string, key: string): string { return path.length == 0 ? key : path + "." + key; }

/** One declared key of a ConfigSchema. Created by the schema's methods (`schema.string(key)` …), never directly. */
export abstract class ConfigField {
  /** Set by required(): absence is refused. */
  isRequired: bool = false;
  constructor(
    /** The schema that declared this key. */
    public readonly owner: ConfigSchema,
    /** The JSON key. */
    public readonly key: string,
  ) {}
  /** Null if `value` (present) is valid, else the message for it, starting with `path` (this value's path). */
  abstract check(value: JsonValue, path: string): string | null;
}

/** A string key (`schema.string(key)`); read with `config.string(field)`. Default "". */
export class StringField extends ConfigField {
  /** The value read when the key is absent (set with default()). */
  defaultValue: string = "";
  /** False after nonEmpty(): an empty value is refused. */
  allowEmpty: bool = true;
  /** The value when the key is absent. */
  default(value: string): StringField { this.defaultValue = value; return this; }
  /** Refuses a missing key. */
  required(): StringField { this.isRequired = true; return this; }
  /** Refuses "". */
  nonEmpty(): StringField { this.allowEmpty = false; return this; }

  check(value: JsonValue, path: string): string | null {
    const text = value.asString();
    if (text != null && (this.allowEmpty || text.length > 0)) return null;
    return path + ": expected a " + (this.allowEmpty ? "" : "non-empty ") + "string, got " + describeJson(value);
  }
}

/**
 * A string key that takes one of a few values, an enumeration (`schema.oneOf(key, choices)`); read with
 * `config.string(field)`. A near miss gets a "did you mean". Default "" (give one of the choices with default()).
 */
export class OneOfField extends StringField {
  constructor(owner: ConfigSchema, key: string, public readonly choices: string[]) { super(owner, key); }

  check(value: JsonValue, path: string): string | null {
    const text = value.asString();
    const choices = this.choices;
    if (text != null && choices.includes(text)) return null;
    let expected = "";
    for (let i = 0; i < choices.length; i++) expected += (i > 0 ? ", " : "") + quote(unchecked(choices[i]));
    const near = text != null ? closestMatch(text, choices) : null;
    return path + ": expected one of " + expected + ", got " + describeJson(value) + (near != null ? " (did you mean " + quote(near) + "?)" : "");
  }
}

/** A boolean key (`schema.bool(key)`); read with `config.bool(field)`. Default false. */
export class BoolField extends ConfigField {
  /** The value read when the key is absent (set with default()). */
  defaultValue: bool = false;
  /** The value when the key is absent. */
  default(value: bool): BoolField { this.defaultValue = value; return this; }
  /** Refuses a missing key. */
  required(): BoolField { this.isRequired = true; return this; }

  check(value: JsonValue, path: string): string | null {
    return value.kind == JsonKind.Bool ? null : path + ": expected true or false, got " + describeJson(value);
  }
}

/** A number key with bounds: the common part of NumberField and IntegerField. */
export abstract class BoundedField extends ConfigField {
  /** Smallest value accepted (set with min()/range()/itemRange()). */
  minimum: f64;
  /** Largest value accepted (set with max()/range()/itemRange()). */
  maximum: f64;
  constructor(
    owner: ConfigSchema,
    key: string,
    /** Whole numbers only (declared with integer() or integerList()). */
    public readonly integral: bool,
  ) {
    super(owner, key);
    this.minimum = integral ? -MAX_SAFE_INTEGER : -f64.MAX_VALUE;
    this.maximum = integral ? MAX_SAFE_INTEGER : f64.MAX_VALUE;
  }

  check(value: JsonValue, path: string): string | null {
    const expected = checkNumber(value, this.integral ? "integer" : "number", this.integral, this.minimum, this.maximum);
    return expected == null ? null : path + ": " + expected + ", got " + describeJson(value);
  }
}

/** A number key, fractions allowed (`schema.number(key)`); read with `config.number(field)` (f64). Default 0, any value. */
export class NumberField extends BoundedField {
  /** The value read when the key is absent (set with default()). */
  defaultValue: f64 = 0;
  /** The value when the key is absent. */
  default(value: f64): NumberField { this.defaultValue = value; return this; }
  /** Refuses a missing key. */
  required(): NumberField { this.isRequired = true; return this; }
  /** Refuses values below `minimum`. */
  min(minimum: f64): NumberField { this.minimum = minimum; return this; }
  /** Refuses values above `maximum`. */
  max(maximum: f64): NumberField { this.maximum = maximum; return this; }
  /** Refuses values outside [minimum, maximum]. */
  range(minimum: f64, maximum: f64): NumberField { this.minimum = minimum; this.maximum = maximum; return this; }
}

/**
 * An integer key (`schema.integer(key)`): a whole JSON number, read with `config.integer(field)` (i64). Default 0;
 * any value within ±2^53 (where f64, JSON's number, is exact) unless min()/max()/range() bound it.
 */
export class IntegerField extends BoundedField {
  /** The value read when the key is absent (set with default()). */
  defaultValue: i64 = 0;
  /** The value when the key is absent. */
  default(value: i64): IntegerField { this.defaultValue = value; return this; }
  /** Refuses a missing key. */
  required(): IntegerField { this.isRequired = true; return this; }
  /** Refuses values below `minimum`. */
  min(minimum: i64): IntegerField { this.minimum = <f64>minimum; return this; }
  /** Refuses values above `maximum`. */
  max(maximum: i64): IntegerField { this.maximum = <f64>maximum; return this; }
  /** Refuses values outside [minimum, maximum]. */
  range(minimum: i64, maximum: i64): IntegerField { this.minimum = <f64>minimum; this.maximum = <f64>maximum; return this; }
}

/** A list of strings (`schema.stringList(key)`); read with `config.stringList(field)`. Default: empty. */
export class StringListField extends ConfigField {
  /** The value read when the key is absent (set with default()). */
  defaultValue: string[] = [];
  /** False after nonEmpty(): an empty value is refused. */
  allowEmpty: bool = true;
  /** The strings when the key is absent. */
  default(strings: string[]): StringListField { this.defaultValue = strings; return this; }
  /** Refuses a missing key. */
  required(): StringListField { this.isRequired = true; return this; }
  /** Refuses an empty list. */
  nonEmpty(): StringListField { this.allowEmpty = false; return this; }

  check(value: JsonValue, path: string): string | null {
    const problem = readList<string>(value, path, "string", false, 0, 0).error;
    return problem != null ? problem : checkListLength(value, this.allowEmpty, path);
  }
}

/** A list of numbers with bounds on each item: the common part of NumberListField and IntegerListField. */
export abstract class BoundedListField extends ConfigField {
  /** False after nonEmpty(): an empty value is refused. */
  allowEmpty: bool = true;
  /** Smallest value accepted (set with min()/range()/itemRange()). */
  minimum: f64;
  /** Largest value accepted (set with max()/range()/itemRange()). */
  maximum: f64;
  constructor(
    owner: ConfigSchema,
    key: string,
    /** Whole numbers only (declared with integer() or integerList()). */
    public readonly integral: bool,
  ) {
    super(owner, key);
    this.minimum = integral ? -MAX_SAFE_INTEGER : -f64.MAX_VALUE;
    this.maximum = integral ? MAX_SAFE_INTEGER : f64.MAX_VALUE;
  }

  check(value: JsonValue, path: string): string | null {
    const problem = readList<f64>(value, path, this.integral ? "integer" : "number", this.integral, this.minimum, this.maximum).error;
    return problem != null ? problem : checkListLength(value, this.allowEmpty, path);
  }
}

/** A list of numbers (`schema.numberList(key)`); read with `config.numberList(field)` (f64[]). Default: empty. */
export class NumberListField extends BoundedListField {
  /** The value read when the key is absent (set with default()). */
  defaultValue: f64[] = [];
  /** The numbers when the key is absent. */
  default(numbers: f64[]): NumberListField { this.defaultValue = numbers; return this; }
  /** Refuses a missing key. */
  required(): NumberListField { this.isRequired = true; return this; }
  /** Refuses an empty list. */
  nonEmpty(): NumberListField { this.allowEmpty = false; return this; }
  /** Refuses items outside [minimum, maximum]. */
  itemRange(minimum: f64, maximum: f64): NumberListField { this.minimum = minimum; this.maximum = maximum; return this; }
}

/** A list of integers (`schema.integerList(key)`); read with `config.integerList(field)` (i64[]). Default: empty. */
export class IntegerListField extends BoundedListField {
  /** The value read when the key is absent (set with default()). */
  defaultValue: i64[] = [];
  /** The integers when the key is absent. */
  default(integers: i64[]): IntegerListField { this.defaultValue = integers; return this; }
  /** Refuses a missing key. */
  required(): IntegerListField { this.isRequired = true; return this; }
  /** Refuses an empty list. */
  nonEmpty(): IntegerListField { this.allowEmpty = false; return this; }
  /** Refuses items outside [minimum, maximum]. */
  itemRange(minimum: i64, maximum: i64): IntegerListField { this.minimum = <f64>minimum; this.maximum = <f64>maximum; return this; }
}

/** Null if the array `value` may be empty or is not, else the message. */
function checkListLength(value: JsonValue, allowEmpty: bool, path: string): string | null {
  return allowEmpty || value.asArray()!.length > 0 ? null : path + ": expected a non-empty list, got []";
}

/**
 * A nested object: `schema.object(key, nested)` checks it against `nested` (read with `config.object(field)`,
 * a ConfigObject); `schema.object(key)` without a schema takes any object, unchecked (`config.object(field).json`).
 * With `list` (`schema.objectList(key, nested)`): a list of such objects, read with `config.objectList(field)`.
 */
export class ObjectField extends ConfigField {
  /** False after nonEmpty(): an empty value is refused. */
  allowEmpty: bool = true;
  constructor(owner: ConfigSchema, key: string, public readonly nested: ConfigSchema | null, public readonly list: bool) { super(owner, key); }
  /** Refuses a missing key. */
  required(): ObjectField { this.isRequired = true; return this; }
  /** Refuses an empty list (objectList only). */
  nonEmpty(): ObjectField { this.allowEmpty = false; return this; }

  check(value: JsonValue, path: string): string | null {
    if (!this.list) return this.checkObject(value, path);
    const array = value.asArray();
    if (array == null) return path + ": expected a list of objects, got " + describeJson(value);
    if (array.length == 0 && !this.allowEmpty) return checkListLength(value, false, path);
    for (let i = 0; i < array.length; i++) {
      const problem = this.checkObject(unchecked(array.items[i]), path + "[" + i.toString() + "]");
      if (problem != null) return problem;
    }
    return null;
  }

  private checkObject(value: JsonValue, path: string): string | null {
    const object = value.asObject();
    if (object == null) return path + ": expected an object, got " + describeJson(value);
    const nested = this.nested;
    return nested != null ? nested.problem(object, path) : null;
  }
}

/**
 * An object of string values under any keys (`schema.stringMap(key)`), e.g. header names to values; read with
 * `config.stringMap(field)`: the JsonObject, whose `keys` and `values` (all strings) keep the document's order.
 */
export class StringMapField extends ConfigField {
  /** Refuses a missing key. */
  required(): StringMapField { this.isRequired = true; return this; }

  check(value: JsonValue, path: string): string | null {
    const object = value.asObject();
    if (object == null) return path + ": expected an object of strings, got " + describeJson(value);
    for (let i = 0; i < object.keys.length; i++) {
      const item = unchecked(object.values[i]);
      if (item.kind != JsonKind.String) return path + "[" + quote(unchecked(object.keys[i])) + "]: expected a string, got " + describeJson(item);
    }
    return null;
  }
}

/**
 * The declaration of a configuration object: its keys, their types, defaults and bounds. Build it once at top
 * level (module start; no host calls happen there), then `read(configuration)` in onConfigure or onVmStart.
 * Nested objects are ConfigSchemas too (`schema.object(key, nested)`).
 */
export class ConfigSchema {
  /** The declared keys, in declaration order (the order of "known keys" in messages). */
  readonly keys: string[] = [];
  /** The declared fields, in the same order. */
  readonly fields: ConfigField[] = [];

  /** Declares a string key. */
  string(key: string): StringField { return this.add<StringField>(new StringField(this, key)); }
  /** Declares a string key that takes one of `choices` (an enumeration). */
  oneOf(key: string, choices: string[]): OneOfField { return this.add<OneOfField>(new OneOfField(this, key, choices)); }
  /** Declares a boolean key. */
  bool(key: string): BoolField { return this.add<BoolField>(new BoolField(this, key)); }
  /** Declares an integer key (a whole JSON number; read as i64). */
  integer(key: string): IntegerField { return this.add<IntegerField>(new IntegerField(this, key, true)); }
  /** Declares a number key (fractions allowed; read as f64). */
  number(key: string): NumberField { return this.add<NumberField>(new NumberField(this, key, false)); }
  /** Declares a list of strings. */
  stringList(key: string): StringListField { return this.add<StringListField>(new StringListField(this, key)); }
  /** Declares a list of numbers (read as f64[]). */
  numberList(key: string): NumberListField { return this.add<NumberListField>(new NumberListField(this, key, false)); }
  /** Declares a list of integers (whole numbers, read as i64[]). */
  integerList(key: string): IntegerListField { return this.add<IntegerListField>(new IntegerListField(this, key, true)); }
  /** Declares a nested object checked against `nested`, or any object when `nested` is null. */
  object(key: string, nested: ConfigSchema | null = null): ObjectField { return this.add<ObjectField>(new ObjectField(this, key, nested, false)); }
  /** Declares a list of objects, each checked against `nested`. */
  objectList(key: string, nested: ConfigSchema): ObjectField { return this.add<ObjectField>(new ObjectField(this, key, nested, true)); }
  /** Declares an object of strings under any keys (e.g. header names to values). */
  stringMap(key: string): StringMapField { return this.add<StringMapField>(new StringMapField(this, key)); }

  /**
   * Parses and checks the plugin (onConfigure) or VM (onVmStart) configuration. Returns the checked object, or
   * null after logging ONE error line (`invalid plugin configuration: limits.burst: expected an integer >= 1,
   * got -2`): return false then, so Envoy refuses the configuration. An empty configuration is `{}`. A
   * configuration over `maxBytes` (64 KiB by default) is refused before parsing, and JSON deeper than 64 levels
   * is refused by the parser.
   */
  read(configuration: Configuration, maxBytes: u32 = DEFAULT_MAX_CONFIGURATION_BYTES): ConfigObject | null {
    const label = configuration.type == BufferType.PluginConfiguration ? "plugin configuration" : "VM configuration";
    const object = configuration.json(maxBytes); // logs its own line when too large, not JSON or not an object
    if (object == null) return null;
    const problem = this.problem(object, "");
    if (problem == null) return new ConfigObject(this, object, "", label);
    log(LogLevel.Error, "invalid " + label + ": " + problem);
    return null;
  }

  /**
   * Checks `object` (any JSON object, e.g. a document fetched at run time) against this schema. Logs nothing.
   * `path` is put before every path in messages.
   */
  check(object: JsonObject, path: string = ""): ConfigResult {
    const problem = this.problem(object, path);
    return new ConfigResult(problem == null ? new ConfigObject(this, object, path, "configuration") : null, problem);
  }

  /** Null if `object` fits this schema, else the message for the first problem. Used by check() and nested fields. */
  problem(object: JsonObject, path: string): string | null {
    // An unknown key first: a misspelt key usually causes the other problem too ("missing (required)").
    const unknown = object.checkKeys(this.keys, path.length > 0 ? path + "." : "");
    if (unknown != null) return unknown;
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) {
      const field = unchecked(fields[i]);
      const value = object.get(field.key);
      const fieldPath = childPath(path, field.key);
      if (value == null) {
        if (field.isRequired) return fieldPath + ": missing (required)";
        continue;
      }
      const problem = field.check(value, fieldPath);
      if (problem != null) return problem;
    }
    return null;
  }

  private add<T extends ConfigField>(field: T): T {
    if (this.keys.includes(field.key)) throw new Error("configuration key `" + field.key + "` is declared twice");
    this.keys.push(field.key);
    this.fields.push(field);
    return field;
  }
}

/** Outcome of ConfigSchema.check: exactly one of `config` and `error` is set. */
export class ConfigResult {
  constructor(public readonly config: ConfigObject | null, public readonly error: string | null) {}
}

/**
 * A configuration object that passed its schema's checks: read each value through the field that declared it
 * (the value, or the field's default when absent). Reading a field of another schema aborts (a bug in the filter).
 */
export class ConfigObject {
  constructor(
    /** The schema this object was checked against. */
    public readonly schema: ConfigSchema,
    /** The JSON object itself. */
    public readonly json: JsonObject,
    /** Its path in the configuration ("" at the top, "limits", "routes[2]"). */
    public readonly path: string,
    /** "plugin configuration" or "VM configuration", for refuse(). */
    private readonly label: string,
  ) {}

  /** True if the configuration states `field` (whatever its default). */
  has(field: ConfigField): bool { return this.value(field) != null; }

  /** The string of `field` (a StringField), or its default. */
  string(field: StringField): string {
    const value = this.value(field);
    return value != null ? value.asString()! : field.defaultValue;
  }

  /** The boolean of `field`, or its default. */
  bool(field: BoolField): bool {
    const value = this.value(field);
    return value != null ? value.asBool() : field.defaultValue;
  }

  /** The integer of `field` (an IntegerField), or its default. */
  integer(field: IntegerField): i64 {
    const value = this.value(field);
    return value != null ? <i64>value.asNumber() : field.defaultValue;
  }

  /** The number of `field` (a NumberField), or its default. */
  number(field: NumberField): f64 {
    const value = this.value(field);
    return value != null ? value.asNumber() : field.defaultValue;
  }

  /** The strings of `field` (a StringListField), or a copy of its default. */
  stringList(field: StringListField): string[] {
    const value = this.value(field);
    return value != null ? readList<string>(value, "", "", false, 0, 0).items : field.defaultValue.slice();
  }

  /** The numbers of `field` (a NumberListField), or a copy of its default. */
  numberList(field: NumberListField): f64[] {
    const value = this.value(field);
    return value != null ? readList<f64>(value, "", "", false, -f64.MAX_VALUE, f64.MAX_VALUE).items : field.defaultValue.slice();
  }

  /** The integers of `field` (an IntegerListField), or a copy of its default. */
  integerList(field: IntegerListField): i64[] {
    const value = this.value(field);
    return value != null ? readList<i64>(value, "", "", false, -f64.MAX_VALUE, f64.MAX_VALUE).items : field.defaultValue.slice();
  }

  /** The nested object of `field` (declared with `schema.object`); an empty one (every default) when absent. */
  object(field: ObjectField): ConfigObject {
    const value = this.value(field);
    const object = value != null ? value.asObject()! : new JsonObject();
    return this.nested(field, object, childPath(this.path, field.key));
  }

  /** The objects of `field` (declared with `schema.objectList`), in order; empty when absent. */
  objectList(field: ObjectField): ConfigObject[] {
    const out = new Array<ConfigObject>();
    const value = this.value(field);
    if (value == null) return out;
    const array = value.asArray()!;
    const path = childPath(this.path, field.key);
    for (let i = 0; i < array.length; i++) out.push(this.nested(field, unchecked(array.items[i]).asObject()!, path + "[" + i.toString() + "]"));
    return out;
  }

  /** The object of strings of `field` (declared with `schema.stringMap`); empty when absent. */
  stringMap(field: StringMapField): JsonObject {
    const value = this.value(field);
    return value != null ? value.asObject()! : new JsonObject();
  }

  /**
   * Refuses the configuration for a reason of the filter's own (a check the schema cannot state): logs ONE
   * error line `invalid plugin configuration: <path of field>: <message>` and returns false, so
   * `return config.refuse(PATH, "must start with \"/\"")` ends onConfigure. `index` >= 0 names an item of a list
   * field (`denyPrefixes[2]: …`).
   */
  refuse(field: ConfigField, message: string, index: i32 = -1): bool {
    let path = childPath(this.path, field.key);
    if (index >= 0) path += "[" + index.toString() + "]";
    log(LogLevel.Error, "invalid " + this.label + ": " + path + ": " + message);
    return false;
  }

  private nested(field: ObjectField, object: JsonObject, path: string): ConfigObject {
    const nested = field.nested;
    return new ConfigObject(nested != null ? nested : new ConfigSchema(), object, path, this.label);
  }

  /** The JSON value of `field` (null when absent), after checking that `field` belongs to this object's schema. */
  private value(field: ConfigField): JsonValue | null {
    if (field.owner != this.schema) throw new Error("configuration key `" + field.key + "` read from an object of another schema" + (this.path.length > 0 ? " (" + this.path + ")" : ""));
    return this.json.get(field.key);
  }
}
