// Flags and output shared by `inspect` and `list`: registry credentials and limits, and how an image's metadata is
// shown (a table for people, JSON for machines).
import type { ImageInspection, RegistryOptions } from "../packaging/index.ts";
import { DEFAULT_REGISTRY_TIMEOUT_MS } from "../packaging/index.ts";
import { setting } from "../settings.ts";
import { CliError } from "./errors.ts";

/** The registry flags of `inspect` and `list`, for parseCommandArgs. */
export const REGISTRY_FLAGS = {
  username: { type: "string" },
  password: { type: "string" },
  "plain-http": { type: "boolean" },
  timeout: { type: "string" },
  json: { type: "boolean" },
} as const;

/** The help lines of {@link REGISTRY_FLAGS}. */
export const REGISTRY_FLAGS_HELP = `  --username <u>     registry user (basic auth or token service); password from --password or $REGISTRY_PASSWORD
  --plain-http       talk HTTP (default only for loopback registries)
  --timeout <s>      seconds each registry request may take, connect to last byte (default ${DEFAULT_REGISTRY_TIMEOUT_MS / 1000})
  --json             print JSON instead of a table`;

/** RegistryOptions from the parsed flags; a usage {@link CliError} for a bad --timeout. */
export function registryOptionsFrom(
  command: string,
  values: { username?: string; password?: string; "plain-http"?: boolean; timeout?: string },
): RegistryOptions {
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
    throw new CliError(`--timeout must be a positive number of seconds (got "${values.timeout}")`, {
      hint: `e.g. \`proxy-wasm-as ${command} … --timeout 60\` for a slow registry`,
      exitCode: 2,
    });
  }
  return {
    username: values.username,
    password: values.password ?? (setting("REGISTRY_PASSWORD") || undefined),
    ...(values["plain-http"] ? { scheme: "http" as const } : {}),
    ...(timeout !== undefined ? { timeoutMs: Math.round(timeout * 1000) } : {}),
  };
}

/** A positive whole number flag, or `fallback`; a usage {@link CliError} otherwise. */
export function countFlag(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0 || n > max) {
    throw new CliError(`--${name} must be a whole number from 1 to ${max} (got "${text}")`, {
      hint: `e.g. --${name} ${fallback}`,
      exitCode: 2,
    });
  }
  return n;
}

/** The rows of an inspection's table: label → value (empty fields left out). */
export function inspectionRows(inspection: ImageInspection): [string, string][] {
  const m = inspection.metadata;
  const facts = inspection.verification?.facts ?? m.module;
  const rows: [string, string | undefined][] = [
    ["image", inspection.reference],
    ["digest", `${inspection.digest}  (Istio / Envoy Gateway Image sha256: ${inspection.digest.slice(7)})`],
    ["layout", inspection.layout],
    ["title", m.title],
    ["version", m.version],
    ["description", m.description],
    ["source", m.source],
    ["created", m.created],
    ["module sha256", facts?.sha256],
    ["module size", facts ? `${facts.size} bytes` : undefined],
    ["ABI", facts ? facts.abiVersions.join(", ") || "no proxy_abi_version_* export" : undefined],
    ["root ids", facts?.rootIds?.map((r) => JSON.stringify(r)).join(", ") ?? (facts ? "(not declared)" : undefined)],
    ["exports", facts ? facts.exports.join(", ") || "none" : undefined],
  ];
  if (!facts) rows.push(["module", "no module facts (not pushed by proxy-wasm-as); --verify reads the module"]);
  const v = inspection.verification;
  if (v)
    rows.push([
      "verified",
      v.differences.length === 0 ? "the module matches every annotated fact" : v.differences.join("; "),
    ]);
  return rows.filter((r): r is [string, string] => r[1] !== undefined);
}

/** Rows as an aligned two-column table. */
export function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}
