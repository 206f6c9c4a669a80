// Validates a WasmPlugin / TrafficExtension object the way the Kubernetes API server validates a custom
// resource against its CRD, using the real CRD schema of a pinned Istio version (crds.ts), and any other CRD
// schema the same way (validateAgainstSchema: Envoy Gateway's EnvoyExtensionPolicy, gateway/):
//   1. structural schema (types, enums, patterns, bounds, required, oneOf/not, unknown fields) — ajv;
//   2. `x-kubernetes-list-type: map` (unique `x-kubernetes-list-map-keys`) and `set` (unique items);
//   3. every `x-kubernetes-validations` CEL rule — @bufbuild/cel, with the Kubernetes URL library added.
// Messages follow the API server's wording (field path, "Unsupported value", "Duplicate value", the CEL
// rule's own `message`), so what this prints is what `kubectl apply` would print.
import { isCelError, parse, plan, celEnv, type CelInput } from "@bufbuild/cel";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { KUBERNETES_STRING_FUNCTIONS, KUBERNETES_URL_FUNCTIONS } from "./cel-kubernetes.ts";
import { crdSchema, type CrdSchema, type ExtensionKind } from "./crds.ts";
import type { IstioVersion } from "./istio-versions.ts";

/** One refusal: the field path (`spec.wasm.url`) and the API server's message for it. */
export interface CrdViolation {
  path: string;
  message: string;
}

type Rule = { rule: string; message?: string; messageExpression?: string };

// strict: false because CRD schemas carry Kubernetes keywords (x-kubernetes-*) that ajv does not know;
// verbose: errors carry the offending value, which the API server's messages quote.
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
// int32 is the only format Istio's spec fields use; date-time appears only under status (server-written).
ajv.addFormat("int32", {
  type: "number",
  validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
});
// int64 and byte appear in Envoy Gateway's CRD (extProc backend settings): a whole number, standard base64.
ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
ajv.addFormat("byte", {
  type: "string",
  validate: (s: string) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s),
});
ajv.addFormat("date-time", { type: "string", validate: (s: string) => !Number.isNaN(Date.parse(s)) });

const celEnvironment = celEnv({ funcs: [...KUBERNETES_URL_FUNCTIONS, ...KUBERNETES_STRING_FUNCTIONS] });
const compiled = new Map<string, ValidateFunction>();
const plans = new Map<string, ReturnType<typeof plan>>();

/**
 * Validates `resource` (a parsed manifest) against the `kind` CRD of Istio `version`; returns every violation,
 * empty when the API server would accept it. Throws only when that Istio version has no such kind.
 */
export function validateAgainstCrd(kind: ExtensionKind, version: IstioVersion, resource: unknown): CrdViolation[] {
  return validateAgainstSchema(crdSchema(kind, version), `istio:${kind}@${version.minor}`, resource);
}

/**
 * Validates `resource` against any CRD's `openAPIV3Schema` as the API server does (structural schema with unknown
 * fields refused, list-map/set uniqueness, CEL rules); `cacheKey` names the schema for the compiled-validator cache
 * (one key per distinct schema). Used for Istio's CRDs above and Envoy Gateway's (gateway/).
 */
export function validateAgainstSchema(schema: CrdSchema, cacheKey: string, resource: unknown): CrdViolation[] {
  const key = cacheKey;
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(structural(withObjectEnvelope(schema)) as CrdSchema);
    compiled.set(key, validate);
  }
  const violations: CrdViolation[] = [];
  if (!validate(resource)) violations.push(...ajvViolations(validate.errors ?? []));
  walk(schema, resource, "", violations);
  return violations;
}

/** The top-level fields every Kubernetes object has (the CRD schema leaves them implicit). */
function withObjectEnvelope(schema: CrdSchema): CrdSchema {
  return {
    ...schema,
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
      ...(schema.properties as object),
    },
  };
}

/**
 * The schema as ajv must see it to reject what the API server rejects: an object node with `properties`
 * and without `x-kubernetes-preserve-unknown-fields` gets `additionalProperties: false` (the API server's
 * strict field validation, the kubectl default, refuses unknown fields instead of pruning them).
 */
function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "x-kubernetes-validations") continue;
    out[k] =
      k === "properties"
        ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, structural(s)]))
        : structural(v);
  }
  if (out.properties && out["x-kubernetes-preserve-unknown-fields"] !== true && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

/** "/spec/match/0/ports/1" → "spec.match[0].ports[1]". */
function fieldPath(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), "");
}

function show(value: unknown): string {
  return typeof value === "string"
    ? JSON.stringify(value)
    : typeof value === "object" && value !== null
      ? `"${Array.isArray(value) ? "array" : "object"}"`
      : String(value);
}

/** ajv errors in the API server's words; errors inside a failed oneOf/anyOf/not branch are folded into it. */
function ajvViolations(errors: ErrorObject[]): CrdViolation[] {
  const combinators = errors.filter((e) => ["oneOf", "anyOf", "not"].includes(e.keyword)).map((e) => e.schemaPath);
  const out: CrdViolation[] = [];
  for (const e of errors) {
    if (combinators.some((c) => e.schemaPath !== c && e.schemaPath.startsWith(`${c}/`))) continue;
    if (e.keyword === "if") continue;
    const at = fieldPath(e.instancePath);
    const p = e.params as Record<string, unknown>;
    const where = at || "<root>";
    switch (e.keyword) {
      case "additionalProperties":
        out.push({
          path: at ? `${at}.${p.additionalProperty}` : String(p.additionalProperty),
          message: `unknown field "${at ? `${at}.` : ""}${p.additionalProperty}"`,
        });
        break;
      case "required":
        out.push({ path: at ? `${at}.${p.missingProperty}` : String(p.missingProperty), message: "Required value" });
        break;
      case "enum":
        out.push({
          path: where,
          message: `Unsupported value: ${show(e.data)}: supported values: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
        });
        break;
      case "type":
        out.push({
          path: where,
          message: `Invalid value: ${show(e.data)}: ${where} in body must be of type ${p.type}: ${JSON.stringify(Array.isArray(e.data) ? "array" : e.data === null ? "null" : typeof e.data)}`,
        });
        break;
      case "pattern":
        out.push({
          path: where,
          message: `Invalid value: ${show(e.data)}: ${where} in body should match '${p.pattern}'`,
        });
        break;
      case "minLength":
        out.push({
          path: where,
          message: `Invalid value: ${show(e.data)}: ${where} in body should be at least ${p.limit} chars long`,
        });
        break;
      case "maxLength":
        out.push({ path: where, message: `Too long: may not be more than ${p.limit} bytes` });
        break;
      case "maxItems":
        out.push({
          path: where,
          message: `Too many: ${(e.data as unknown[]).length}: must have at most ${p.limit} items`,
        });
        break;
      case "maxProperties":
        out.push({
          path: where,
          message: `Too many: ${Object.keys(e.data as object).length}: must have at most ${p.limit} items`,
        });
        break;
      case "minimum":
        out.push({
          path: where,
          message: `Invalid value: ${show(e.data)}: ${where} in body should be greater than or equal to ${p.limit}`,
        });
        break;
      case "maximum":
        out.push({
          path: where,
          message: `Invalid value: ${show(e.data)}: ${where} in body should be less than or equal to ${p.limit}`,
        });
        break;
      case "oneOf":
        out.push({
          path: where,
          message: `Invalid value: ${show(e.data)}: ${where} must validate one and only one schema (oneOf)`,
        });
        break;
      case "format":
        out.push({
          path: where,
          message: `Invalid value: ${show(e.data)}: ${where} in body must be of type ${p.format}`,
        });
        break;
      default:
        out.push({ path: where, message: `Invalid value: ${show(e.data)}: ${e.message ?? e.keyword}` });
    }
  }
  return out;
}

function typeMatches(schema: CrdSchema, value: unknown): boolean {
  switch (schema.type) {
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "array":
      return Array.isArray(value);
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    default:
      return value !== undefined;
  }
}

/** Walks value and schema together for what ajv cannot do: list-map/set uniqueness and CEL rules. */
function walk(schema: CrdSchema, value: unknown, path: string, out: CrdViolation[]): void {
  if (value === undefined || value === null || !typeMatches(schema, value)) return;
  if (Array.isArray(value)) {
    uniqueness(schema, value, path, out);
    const items = schema.items as CrdSchema | undefined;
    if (items) {
      for (const [i, item] of value.entries()) walk(items, item, `${path}[${i}]`, out);
    }
  } else if (schema.type === "object") {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, CrdSchema>;
    const additional =
      typeof schema.additionalProperties === "object" ? (schema.additionalProperties as CrdSchema) : undefined;
    for (const [key, child] of Object.entries(object)) {
      // Map entries are shown as path[key], declared fields as path.field (the API server's field paths).
      if (properties[key]) walk(properties[key], child, path ? `${path}.${key}` : key, out);
      else if (additional) walk(additional, child, `${path}[${key}]`, out);
    }
  }
  for (const rule of (schema["x-kubernetes-validations"] ?? []) as Rule[]) celRule(rule, schema, value, path, out);
}

/** `x-kubernetes-list-type: map` → items unique by the list-map keys; `set` → items unique. */
function uniqueness(schema: CrdSchema, list: unknown[], path: string, out: CrdViolation[]): void {
  const listType = schema["x-kubernetes-list-type"];
  if (listType !== "map" && listType !== "set") return;
  const keys = (schema["x-kubernetes-list-map-keys"] ?? []) as string[];
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const identity =
      listType === "map"
        ? JSON.stringify(keys.map((k) => (item as Record<string, unknown>)?.[k]))
        : JSON.stringify(item);
    if (seen.has(identity)) {
      const shown =
        listType === "map"
          ? `{${keys.map((k) => `"${k}":${JSON.stringify((item as Record<string, unknown>)?.[k])}`).join(",")}}`
          : JSON.stringify(item);
      out.push({ path: `${path}[${i}]`, message: `Duplicate value: ${shown}` });
    }
    seen.add(identity);
  });
}

/**
 * Evaluates one CEL rule with `self` bound to the value. Transition rules (those using `oldSelf`) are skipped:
 * the API server only runs them on updates, and this validates what a create sends.
 */
function celRule(rule: Rule, schema: CrdSchema, value: unknown, path: string, out: CrdViolation[]): void {
  if (/\boldSelf\b/.test(rule.rule)) return;
  let run = plans.get(rule.rule);
  if (!run) {
    run = plan(celEnvironment, parse(rule.rule));
    plans.set(rule.rule, run);
  }
  let result: unknown;
  try {
    result = run({ self: toCel(value, schema) });
  } catch (err) {
    result = err;
  }
  if (result === true) return;
  const where = path || "<root>";
  const shown = `Invalid value: "${schema.type ?? "object"}"`;
  if (result === false) out.push({ path: where, message: `${shown}: ${rule.message ?? `failed rule: ${rule.rule}`}` });
  else {
    const reason =
      isCelError(result as never) || result instanceof Error ? (result as Error).message : JSON.stringify(result);
    out.push({
      path: where,
      message: `${shown}: ${rule.message ?? rule.rule} (rule could not be evaluated: ${reason})`,
    });
  }
}

/** JSON → CEL values typed by the schema: objects are maps, integer fields are CEL ints (bigint). */
function toCel(value: unknown, schema: CrdSchema | undefined): CelInput {
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items as CrdSchema | undefined));
  if (value !== null && typeof value === "object") {
    const properties = (schema?.properties ?? {}) as Record<string, CrdSchema>;
    const additional =
      typeof schema?.additionalProperties === "object" ? (schema.additionalProperties as CrdSchema) : undefined;
    return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v, properties[k] ?? additional)]));
  }
  if (typeof value === "number" && (schema?.type === "integer" || (schema === undefined && Number.isInteger(value))))
    return BigInt(value);
  return value as CelInput;
}
