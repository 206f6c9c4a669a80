// Test support (not exported): Envoy Gateway's own golden files, read from the pinned Go module
// github.com/envoyproxy/gateway v1.9.1. The module zip comes from the Go module proxy into the per-user cache
// (`<cache>/envoy-gateway/`) once, and every read checks it against the go.sum hash the Go checksum database
// publishes for that version (pinned below; the same check scripts/refresh-istio-crds.ts makes for istio.io/api).
// Nothing of the module is committed: the tests read its YAML test data at run time.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { parse } from "yaml";
import { cacheRoot } from "../../envoy/index.ts";
import { GatewayError } from "../errors.ts";

/** The module and version whose golden files the renderer is checked against. */
export const ENVOY_GATEWAY_MODULE = "github.com/envoyproxy/gateway";
export const ENVOY_GATEWAY_VERSION = "v1.9.1";
/** go.sum hash of the module zip, as sum.golang.org records it (`lookup/github.com/envoyproxy/gateway@v1.9.1`). */
export const ENVOY_GATEWAY_GO_SUM = "h1:vAVp6/AlBXJ1aOhp1mxL7fNEzVEfjADUguUhm2wzxQY=";

/**
 * The go.sum "h1:" hash of a module zip (golang.org/x/mod/sumdb/dirhash Hash1): sha256 over the sorted lines
 * "<sha256 hex of file>  <path in zip>\n". Hand-written because no npm package computes it.
 */
export function goSumHash(files: Record<string, Uint8Array>): string {
  const lines = Object.keys(files)
    .filter((name) => !name.endsWith("/"))
    .sort()
    .map((name) => `${createHash("sha256").update(files[name]!).digest("hex")}  ${name}\n`);
  return `h1:${createHash("sha256").update(lines.join("")).digest("base64")}`;
}

let unpacked: Record<string, Uint8Array> | undefined;

/** The files of the pinned module (downloaded once into the cache, verified on every load). */
export async function envoyGatewayModule(): Promise<Record<string, Uint8Array>> {
  if (unpacked) return unpacked;
  const dir = join(cacheRoot(), "envoy-gateway");
  const file = join(dir, `${ENVOY_GATEWAY_VERSION}.zip`);
  if (!existsSync(file)) {
    const proxy = (process.env.GOPROXY_URL ?? "https://proxy.golang.org").replace(/\/$/, "");
    const url = `${proxy}/${ENVOY_GATEWAY_MODULE}/@v/${ENVOY_GATEWAY_VERSION}.zip`;
    const response = await fetch(url);
    if (!response.ok) {
      throw new GatewayError(`GET ${url}: HTTP ${response.status}`, {
        hint: "the golden files come from the Go module proxy: check the network, or set GOPROXY_URL to a mirror",
      });
    }
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.partial-${process.pid}`;
    writeFileSync(partial, Buffer.from(await response.arrayBuffer()));
    renameSync(partial, file);
  }
  const files = unzipSync(new Uint8Array(readFileSync(file)));
  const hash = goSumHash(files);
  if (hash !== ENVOY_GATEWAY_GO_SUM) {
    throw new GatewayError(
      `${file} hashes to ${hash}, the Go checksum database says ${ENVOY_GATEWAY_GO_SUM} for ${ENVOY_GATEWAY_MODULE}@${ENVOY_GATEWAY_VERSION}`,
      { hint: `delete ${file} so it is downloaded again` },
    );
  }
  unpacked = files;
  return files;
}

/** One YAML file of the module (path inside the module, e.g. `internal/xds/translator/testdata/out/xds-ir/wasm.listeners.yaml`). */
export async function envoyGatewayYaml(path: string): Promise<unknown> {
  const files = await envoyGatewayModule();
  const bytes = files[`${ENVOY_GATEWAY_MODULE}@${ENVOY_GATEWAY_VERSION}/${path}`];
  if (!bytes) throw new GatewayError(`${ENVOY_GATEWAY_MODULE}@${ENVOY_GATEWAY_VERSION} has no ${path}`);
  return parse(Buffer.from(bytes).toString("utf8"));
}

/** `camelCase` protobuf JSON names (Envoy Gateway's golden files) as Envoy's `snake_case` field names. */
export function snakeKeys(value: unknown, keepKeysUnder: ReadonlySet<string> = MAP_FIELDS): unknown {
  if (Array.isArray(value)) return value.map((v) => snakeKeys(v, keepKeysUnder));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        const key = k.startsWith("@") ? k : k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
        // Map fields keep their keys (filter names, extension names); their values are messages again.
        const mapped =
          keepKeysUnder.has(key) && v && typeof v === "object" && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v).map(([mk, mv]) => [mk, snakeKeys(mv, keepKeysUnder)]))
            : snakeKeys(v, keepKeysUnder);
        return [key, mapped];
      }),
    );
  }
  return value;
}

/** Protobuf map fields in the golden files whose keys are names, not field names. */
const MAP_FIELDS = new Set(["typed_per_filter_config", "typed_extension_protocol_options"]);
