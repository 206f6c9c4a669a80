// `envoy --mode validate` on a generated config: the config shape is checked by Envoy itself, Wasm modules
// included (validate mode loads and configures them).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EnvoyConfigSpec, renderBootstrapYaml } from "./config.ts";
import { EnvoyHarnessError } from "./errors.ts";
import { EnvoyLog, isFailureLine } from "./log.ts";
import { ensureEnvoyBinary, envoyBinaryVersion } from "./provision.ts";

/** Options of {@link validateEnvoyConfig}. */
export interface ValidateOptions {
  /** Envoy version to validate against (provisioned like the process runner); default `$ENVOY_VERSION` or 1.40.0. */
  version?: string;
}

/**
 * Validates a spec (rendered for the local binary) or ready YAML with `envoy --mode validate`.
 * Resolves with the rendered YAML when Envoy accepts it; throws an {@link EnvoyHarnessError} carrying
 * Envoy's error lines when it does not.
 */
export async function validateEnvoyConfig(
  config: EnvoyConfigSpec | string,
  options: ValidateOptions = {},
): Promise<string> {
  const binary = await ensureEnvoyBinary({ version: options.version });
  const yaml =
    typeof config === "string"
      ? config
      : renderBootstrapYaml(config, { envoyVersion: await envoyBinaryVersion(binary), wasmPath: (p) => p });
  const dir = mkdtempSync(join(tmpdir(), "envoy-validate-"));
  try {
    const path = join(dir, "envoy.yaml");
    writeFileSync(path, yaml);
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        binary,
        ["--mode", "validate", "-c", path, "--disable-hot-restart", "-l", "warning"],
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
      );
    });
    if (code !== 0) {
      const log = new EnvoyLog();
      log.write(output);
      log.end();
      const lines = log.lines.filter(isFailureLine).map((l) => l.raw);
      throw new EnvoyHarnessError("Envoy rejected the configuration (envoy --mode validate)", {
        logLines: lines.length ? lines : log.tail(15),
      });
    }
    return yaml;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
