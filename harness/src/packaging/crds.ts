// The real WasmPlugin and TrafficExtension CRD schemas of pinned `istio.io/api` versions, one per Istio minor
// (harness/crds/istio-extensions.json, written by scripts/refresh-istio-crds.ts from the Go module proxy; see
// README.md "Where the CRDs come from"). Loaded relative to this module so it works from src/ and from dist/.
import { readFileSync } from "node:fs";
import { PackagingError } from "./errors.ts";
import { DEFAULT_ISTIO_VERSION, parseIstioVersion, type IstioVersion } from "./istio-versions.ts";

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

/** Istio minors with pinned CRDs ("1.24" … the newest, DEFAULT_ISTIO_VERSION), oldest first. */
export function pinnedIstioMinors(): string[] {
  return Object.keys(load()).sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
}

/** Provenance of the CRDs used for `version`. */
export function crdProvenance(version: IstioVersion | string): CrdProvenance {
  const { schemas: _, ...provenance } = entry(version);
  return provenance;
}

/** The kinds Istio `version`'s API serves (TrafficExtension only from 1.30). Throws like {@link pinnedIstioVersion}. */
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
            ? "TrafficExtension needs Istio 1.30 or later: generate a WasmPlugin (--kind WasmPlugin), or pass --istio-version 1.30 or later"
            : "pick another --istio-version",
      },
    );
  }
  return found;
}

/** The command that pins a newer Istio minor in the proxy-wasm-as repository. */
export const PIN_ISTIO_COMMAND = "node scripts/refresh-istio-crds.ts --add";

/**
 * `version` (default {@link DEFAULT_ISTIO_VERSION}) parsed, when its minor has pinned CRDs. Otherwise throws one
 * {@link PackagingError}: for a newer minor, that upgrading @proxy-wasm-as/harness brings it (and, for work on
 * this repository, the command that pins it); for an older one, the oldest pinned minor. Used by every function
 * and command that takes an Istio version, so none guesses the behaviour of an Istio it does not know.
 */
export function pinnedIstioVersion(version: IstioVersion | string = DEFAULT_ISTIO_VERSION): IstioVersion {
  const v = typeof version === "string" ? parseIstioVersion(version) : version;
  const minors = pinnedIstioMinors();
  if (minors.includes(v.minor)) return v;
  const [oldest, newest] = [minors[0]!, minors.at(-1)!];
  const known = `${oldest}–${newest}`;
  if (Number(v.minor.split(".")[1]) > Number(newest.split(".")[1])) {
    throw new PackagingError(
      `Istio ${v.minor} is newer than the Istio versions this @proxy-wasm-as/harness knows (${known}): it has no CRDs or rules for it`,
      {
        hint:
          `upgrade @proxy-wasm-as/harness (\`npm install --save-dev @proxy-wasm-as/harness@latest\`) for newer Istio, or use ` +
          `Istio ${newest} (--istio-version ${newest}) until then; working on proxy-wasm-as itself, ` +
          `\`${PIN_ISTIO_COMMAND} ${v.minor}\` pins it`,
      },
    );
  }
  throw new PackagingError(
    `Istio ${v.minor} is older than the Istio versions this @proxy-wasm-as/harness knows (${known})`,
    { hint: `use --istio-version ${oldest} or newer (pinned: ${minors.join(", ")})` },
  );
}

function entry(version: IstioVersion | string): PinnedCrds {
  return load()[pinnedIstioVersion(version).minor]!;
}
