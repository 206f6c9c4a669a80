// A small JSON-schema validator for the CRD schemas in harness/crds/ (the OpenAPI v3 subset Kubernetes uses):
// type, properties, required, additionalProperties, items, maxItems, maxProperties, enum, const, pattern,
// minLength/maxLength, minimum/maximum, nullable, not, anyOf, $ref (local "#/…" or "<file>#/…" in the same
// directory) and `errorMessage` (a keyword → message map giving the CRD's CEL message instead of ours).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** A JSON schema node (the subset described above). */
export type Schema = { [keyword: string]: unknown };

/** One violation: where (`spec.phase`) and what (a sentence). */
export interface SchemaViolation {
  path: string;
  message: string;
}

/**
 * Directory holding the CRD schemas: the package's own `crds/` folder. The same relative URL works from
 * `harness/src/packaging/*.ts` (in this repository) and `dist/packaging/*.js` (in an installed package).
 */
export const SCHEMA_DIR = fileURLToPath(new URL("../../crds/", import.meta.url));

const loaded = new Map<string, Schema>();

/** Loads (once) the schema file `name` from {@link SCHEMA_DIR}. */
export function loadSchema(name: string): Schema {
  let schema = loaded.get(name);
  if (!schema) {
    schema = JSON.parse(readFileSync(join(SCHEMA_DIR, name), "utf8")) as Schema;
    loaded.set(name, schema);
  }
  return schema;
}

/** Validates `value` against schema file `file` (in {@link SCHEMA_DIR}); returns every violation (empty when valid). */
export function validateAgainst(file: string, value: unknown): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  check(loadSchema(file), file, value, "", violations);
  return violations;
}

function resolve(ref: string, file: string): { schema: Schema; file: string } {
  const [target, pointer = ""] = ref.split("#");
  const targetFile = target || file;
  let node: unknown = loadSchema(targetFile);
  for (const part of pointer.split("/").filter(Boolean)) node = (node as Schema)[part];
  if (!node) throw new Error(`schema ${file}: unresolvable $ref ${ref}`);
  return { schema: node as Schema, file: targetFile };
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function check(schema: Schema, file: string, value: unknown, path: string, out: SchemaViolation[]): void {
  if (typeof schema.$ref === "string") {
    const target = resolve(schema.$ref, file);
    check(target.schema, target.file, value, path, out);
    return;
  }
  const where = path || "(root)";
  const custom = (schema.errorMessage ?? {}) as Record<string, string>;
  const fail = (keyword: string, message: string): void => {
    out.push({ path: where, message: custom[keyword] ?? message });
  };
  if (value === null && schema.nullable === true) return;
  const actual = typeOf(value);
  if (typeof schema.type === "string") {
    const ok = schema.type === actual || (schema.type === "number" && actual === "integer");
    if (!ok) return fail("type", `must be ${schema.type === "integer" ? "an integer" : `a ${schema.type}`} (got ${actual})`);
  }
  if ("const" in schema && value !== schema.const) fail("const", `must be ${JSON.stringify(schema.const)} (got ${JSON.stringify(value)})`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    fail("enum", `must be one of ${schema.enum.join(", ")} (got ${JSON.stringify(value)})`);
  }
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength) fail("minLength", `must have at least ${schema.minLength} character(s)`);
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength) fail("maxLength", `must have at most ${schema.maxLength} characters (got ${value.length})`);
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern).test(value)) {
      fail("pattern", `must match ${schema.pattern} (got ${JSON.stringify(value)})`);
    }
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) fail("minimum", `must be ≥ ${schema.minimum} (got ${value})`);
    if (typeof schema.maximum === "number" && value > schema.maximum) fail("maximum", `must be ≤ ${schema.maximum} (got ${value})`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) fail("maxItems", `must have at most ${schema.maxItems} items (got ${value.length})`);
    if (schema.items) value.forEach((item, i) => check(schema.items as Schema, file, item, `${path}[${i}]`, out));
  }
  if (actual === "object") {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) {
      if (!(key in object)) fail("required", `${key} is required`);
    }
    if (typeof schema.maxProperties === "number" && Object.keys(object).length > schema.maxProperties) {
      fail("maxProperties", `must have at most ${schema.maxProperties} entries`);
    }
    if (schema["x-kubernetes-preserve-unknown-fields"] !== true) {
      for (const [key, child] of Object.entries(object)) {
        const childPath = path ? `${path}.${key}` : key;
        if (properties[key]) check(properties[key], file, child, childPath, out);
        else if (schema.additionalProperties === false) {
          out.push({ path: childPath, message: `unknown field "${key}" (known: ${Object.keys(properties).join(", ")})` });
        } else if (typeof schema.additionalProperties === "object") check(schema.additionalProperties as Schema, file, child, childPath, out);
      }
    }
  }
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => matches(s as Schema, file, value))) {
    const alternatives = (schema.anyOf as Schema[]).map((s) => (s.required as string[] | undefined)?.join(" + ") ?? "a variant").join(" or ");
    fail("anyOf", `must set ${alternatives}`);
  }
  if (schema.not && matches(schema.not as Schema, file, value)) fail("not", "matches a forbidden combination");
}

function matches(schema: Schema, file: string, value: unknown): boolean {
  const out: SchemaViolation[] = [];
  check(schema, file, value, "", out);
  return out.length === 0;
}
