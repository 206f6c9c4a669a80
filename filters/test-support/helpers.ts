// Shared helpers for the sample filters' tests (emulator and real Envoy). Not a filter: this folder has no
// index.ts, so scripts/build.ts skips it.
import { resolve } from "node:path";
import { expect } from "vitest";
import {
  Emulator,
  WasmLoadError,
  EnvoyHarnessError,
  httpWasm,
  networkWasm,
  startEnvoy,
  startTcpUpstream,
  wasmService,
  type EmulatorOptions,
  type Envoy,
  type RunnerKind,
  runnerKind,
  type WasmPluginOptions,
} from "@proxy-wasm-as/harness";
import { validateEnvoyConfig } from "@proxy-wasm-as/harness/envoy";

/** Absolute path of the release build of filter `name` (built by scripts/build.ts before the tests). */
export function filterWasm(name: string): string {
  return resolve(import.meta.dirname, "../../build", `${name}.wasm`);
}

/** Real-Envoy runner for the filter tests: $ENVOY_RUNNER, else the fast local process runner. */
export const ENVOY_RUNNER: RunnerKind = runnerKind();

/**
 * Loads filter `name` on the emulator with `pluginConfig`, expects the configuration to be rejected
 * (proxy_on_configure returned false) and checks the filter logged exactly one error line matching `reason`.
 */
export async function expectEmulatorRejects(
  name: string,
  pluginConfig: string | object,
  reason: RegExp,
  options: EmulatorOptions = {},
): Promise<void> {
  const error = await Emulator.load(filterWasm(name), { ...options, pluginConfig }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, "the configuration should have been rejected").toBeInstanceOf(WasmLoadError);
  const loadError = error as WasmLoadError;
  expect(loadError.message).toMatch(/proxy_on_configure returned false/);
  const errorLines = loadError.logs
    .filter((entry) => entry.level === "error" || entry.level === "critical")
    .map((entry) => entry.message);
  expect(errorLines).toHaveLength(1);
  expect(errorLines[0]).toMatch(reason);
}

/**
 * Starts real Envoy with filter `name` (an HTTP filter; a network filter when `kind` is "network"; a singleton
 * Wasm service next to an HTTP listener without filters when `kind` is "service") configured with `config` and
 * the other `plugin` settings (e.g. `rootId`), expects Envoy to refuse it, and checks that the harness error
 * carries Envoy's "Failed to configure" line and the filter's own reason.
 */
export async function expectEnvoyRejects(
  name: string,
  config: string | object,
  reason: RegExp,
  kind: "http" | "network" | "service" = "http",
  plugin: WasmPluginOptions = {},
): Promise<void> {
  const wasm = filterWasm(name);
  const filters =
    kind === "network"
      ? [networkWasm(wasm, { ...plugin, config })]
      : kind === "http"
        ? [httpWasm(wasm, { ...plugin, config })]
        : [];
  const services = kind === "service" ? [wasmService(wasm, { ...plugin, config })] : [];
  // A TCP listener needs a cluster to proxy to; it is never connected to, as Envoy refuses the filter first.
  const upstream = kind === "network" ? await startTcpUpstream() : undefined;
  const error = await startEnvoy({ runner: ENVOY_RUNNER, filters, services, upstream })
    .finally(() => upstream?.close())
    .then(
      async (envoy) => {
        await envoy.stop();
        return null;
      },
      (e: unknown) => e,
    );
  expect(error, "Envoy should have refused the filter").toBeInstanceOf(EnvoyHarnessError);
  const lines = (error as EnvoyHarnessError).logLines.join("\n");
  expect(lines).toMatch(/Failed to configure base Wasm plugin/);
  expect(lines).toMatch(reason);
}

/**
 * Runs `envoy --mode validate` on the shipped example config envoy-configs/<name>.yaml (Wasm paths made
 * absolute), so the documented config is proven to load the filter and accept its configuration.
 */
export async function validateShippedConfig(name: string): Promise<void> {
  const { readFileSync } = await import("node:fs");
  const yaml = readFileSync(resolve(import.meta.dirname, "../../envoy-configs", `${name}.yaml`), "utf8").replace(
    /filename: build\//g,
    `filename: ${resolve(import.meta.dirname, "../../build")}/`,
  );
  await validateEnvoyConfig(yaml);
}

/**
 * Value of the filter's custom counter `name` (as defined in the filter, e.g. "jwt_auth.allowed") in a
 * stats snapshot or delta from the harness; Envoy lists it as `wasmcustom.<name>` or `<name>`. 0 if absent.
 */
export function customCounter(stats: ReadonlyMap<string, number>, name: string): number {
  for (const [stat, value] of stats) if (stat === name || stat === `wasmcustom.${name}`) return value;
  return 0;
}

/**
 * Sends one HTTP/1.1 request over a raw socket to Envoy's HTTP listener, so header values can carry bytes that
 * are not UTF-8 (undici refuses them), and returns the response status. `headers` values are raw bytes.
 */
export async function rawHttpStatus(
  envoy: Envoy,
  path: string,
  headers: Record<string, Buffer | string>,
): Promise<number> {
  const lines = [Buffer.from(`GET ${path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n`)];
  for (const [name, value] of Object.entries(headers))
    lines.push(Buffer.concat([Buffer.from(`${name}: `), Buffer.from(value), Buffer.from("\r\n")]));
  lines.push(Buffer.from("\r\n"));
  const response = await envoy.tcp(Buffer.concat(lines), { expectBytes: "HTTP/1.1 200".length });
  const match = /^HTTP\/1\.1 (\d{3})/.exec(response.toString("latin1"));
  if (!match)
    throw new Error(
      `rawHttpStatus: not an HTTP/1.1 response: ${JSON.stringify(response.toString("latin1").slice(0, 200))}`,
    );
  return Number(match[1]);
}
