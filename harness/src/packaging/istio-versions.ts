// Istio versions and which of istio-agent's and istiod's behaviours each one has. Every fact cites the Istio
// source it was read from (istio/istio unless noted); the compatibility table in README.md is built from these.
import { PackagingError } from "./errors.ts";
import { NEWEST_PINNED_ISTIO } from "./pinned-istio.ts";

/** An Istio release line: "1.27" (minor) with an optional patch number (1.27.8 → 8). */
export interface IstioVersion {
  /** "1.<n>". */
  minor: string;
  /** Patch number when given; undefined means "the latest patch of that minor". */
  patch?: number;
}

/**
 * The version assumed when none is given: the newest pinned minor (pinned-istio.ts, written with the CRD data by
 * scripts/refresh-istio-crds.ts, so pinning a new minor makes it the default).
 */
export const DEFAULT_ISTIO_VERSION: string = NEWEST_PINNED_ISTIO;

/**
 * Parses "1.27", "1.27.8" or "v1.27.8". Throws a {@link PackagingError} for anything else. Minors without pinned
 * CRDs parse too; `pinnedIstioVersion` (crds.ts) is what refuses them, saying how to get them.
 */
export function parseIstioVersion(text: string): IstioVersion {
  const m = /^v?1\.(\d{1,3})(?:\.(\d{1,4}))?$/.exec(text.trim());
  if (!m)
    throw new PackagingError(`"${text}" is not an Istio version`, {
      hint: "write it as 1.<minor> or 1.<minor>.<patch>, e.g. --istio-version 1.29.1",
    });
  return { minor: `1.${Number(m[1])}`, patch: m[2] === undefined ? undefined : Number(m[2]) };
}

/** The minor number (27 for "1.27"). */
export function minorNumber(version: IstioVersion): number {
  return Number(version.minor.split(".")[1]);
}

/** "1.27.8", or "1.27 (latest patch)" when no patch was given. */
export function describeVersion(version: IstioVersion): string {
  return version.patch === undefined ? `${version.minor} (latest patch)` : `${version.minor}.${version.patch}`;
}

/**
 * First patch of each minor whose istio-agent validates auth-challenge realms (pkg/wasm/imagefetcher.go:
 * ssrfProtectionTransport → validateAllRealms → validateRealmURL, backported to these patch releases).
 * Minors from 1.30 on always have it (checked in istio/istio up to the 1.32 line); 1.24–1.26 never got it.
 */
const REALM_CHECK_SINCE: Record<string, number> = { "1.27": 8, "1.28": 5, "1.29": 1 };

/** Whether istio-agent of `version` refuses unsafe bearer/basic challenge realms (without a patch: the latest patch, i.e. yes from 1.27). */
export function checksChallengeRealms(version: IstioVersion): boolean {
  const minor = minorNumber(version);
  if (minor >= 30) return true;
  const since = REALM_CHECK_SINCE[version.minor];
  if (since === undefined) return false;
  return version.patch === undefined || version.patch >= since;
}

/** Versions that check realms, as a sentence for messages and docs. */
export const REALM_CHECK_VERSIONS = "1.27.8+, 1.28.5+, 1.29.1+ and 1.30+";

/**
 * Whether istiod of `version` translates WasmPlugins into TrafficExtensions (1.30+: pilot/pkg/model/extensions
 * translateWasmPlugin, synthetic name suffix "~istio-translated-wasmplugin"); before, WasmPlugins are rendered
 * directly (pilot/pkg/model/extensions.go, WasmPluginResourceNamePrefix).
 */
export function translatesWasmPlugins(version: IstioVersion): boolean {
  return minorNumber(version) >= 30;
}
