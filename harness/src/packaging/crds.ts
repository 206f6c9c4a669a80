// The real WasmPlugin and TrafficExtension CRD schemas of pinned `istio.io/api` versions, one per Istio minor
// (harness/crds/istio-extensions.json, written by scripts/refresh-istio-crds.ts from the Go module proxy; see
// README.md "Where the CRDs come from"). Loaded relative to this module so it works from src/ and from dist/.
import { readFileSync } from "node:fs";
import { PackagingError } from "./errors.ts";
import { parseIstioVersion, type IstioVersion } from "./istio-versions.ts";

/** The resource kinds this layer generates and validates. */
export type ExtensionKind = "WasmPlugin" | "TrafficExtension";

/** An OpenAPI v3 schema node as Kubernetes CRDs write it (structural schema plus `x-kubernetes-*` extensions). */
export type CrdSchema = { [keyword: string]: unknown };

/** Where one pinned CRD set came from. */
export interface CrdProvenance {
  /** "istio.io/api". */
  module: string;
  /** Module version, e.g. "v1.30.8". */
  version: string;
  /** go.sum hash of the module zip (checked against the Go checksum database when refreshed). */
  goSum: string;
  /** sha256 (hex) of the module zip as the proxy served it. */
  zipSha256: string;
  /** File inside the module the schemas were taken from. */
  crdFile: string;
  apiVersion: string;
}

interface PinnedCrds extends CrdProvenance {
  schemas: Partial<Record<ExtensionKind, CrdSchema>>;
}

/** Location of the data file, relative to this module (src/packaging/ or dist/packaging/ → harness/crds/). */
export const CRD_DATA_URL = new URL("../../crds/istio-extensions.json", import.meta.url);

let pinned: Record<string, PinnedCrds> | undefined;

function load(): Record<string, PinnedCrds> {
  if (!pinned) {
    try {
      pinned = (JSON.parse(readFileSync(CRD_DATA_URL, "utf8")) as { versions: Record<string, PinnedCrds> }).versions;
    } catch (cause) {
      throw new PackagingError(
        `cannot read the pinned Istio CRDs at ${CRD_DATA_URL.pathname}: ${(cause as Error).message}`,
        {
          hint: "reinstall @proxy-wasm-as/harness (the crds/ folder ships with it), or in this repository run `node scripts/refresh-istio-crds.ts`",
          cause,
        },
      );
    }
  }
  return pinned;
}

/** Istio minors ("1.24" … "1.30") with pinned CRDs, oldest first. */
export function pinnedIstioMinors(): string[] {
  return Object.keys(load()).sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
}

/** Provenance of the CRDs used for `version`. */
export function crdProvenance(version: IstioVersion | string): CrdProvenance {
  const { schemas: _, ...provenance } = entry(version);
  return provenance;
}

/** The kinds Istio `version`'s API serves (TrafficExtension only from 1.30). */
export function kindsServedBy(version: IstioVersion | string): ExtensionKind[] {
  return Object.keys(entry(version).schemas).sort().reverse() as ExtensionKind[];
}

/**
 * The `openAPIV3Schema` of `kind` in Istio `version`'s CRD. Throws a {@link PackagingError} when that
 * version has no such kind (TrafficExtension before 1.30) or no pinned CRDs.
 */
export function crdSchema(kind: ExtensionKind, version: IstioVersion | string): CrdSchema {
  const found = entry(version).schemas[kind];
  if (!found) {
    const v = typeof version === "string" ? parseIstioVersion(version) : version;
    throw new PackagingError(
      `Istio ${v.minor} has no ${kind} resource (its istio.io/api CRDs define only ${kindsServedBy(v).join(", ")})`,
      {
        hint:
          kind === "TrafficExtension"
            ? "TrafficExtension needs Istio 1.30 or later: generate a WasmPlugin (--kind WasmPlugin), or pass --istio-version 1.30"
            : "pick another --istio-version",
      },
    );
  }
  return found;
}

function entry(version: IstioVersion | string): PinnedCrds {
  const v = typeof version === "string" ? parseIstioVersion(version) : version;
  const found = load()[v.minor];
  if (!found) {
    throw new PackagingError(`no pinned CRDs for Istio ${v.minor}`, {
      hint: `use one of ${pinnedIstioMinors().join(", ")} (the Istio versions this release of @proxy-wasm-as/harness pins)`,
    });
  }
  return found;
}
