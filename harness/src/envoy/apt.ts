// Installing missing system packages from Debian, only when we are root on a machine with apt-get (fresh CI).
import { spawnSync } from "node:child_process";
import { EnvoyHarnessError, progress } from "./errors.ts";

/** True when `name` is an executable on `path` (default: this process's PATH). */
export function hasCommand(name: string, path: string | undefined = process.env.PATH): boolean {
  return (
    spawnSync("/bin/sh", ["-c", 'command -v "$1"', "sh", name], {
      stdio: "ignore",
      env: { ...process.env, PATH: path ?? "" },
    }).status === 0
  );
}

/** True when this process may install Debian packages itself (root and apt-get present). */
export function canAptInstall(): boolean {
  return process.getuid?.() === 0 && hasCommand("apt-get");
}

/**
 * Runs `apt-get update` and `apt-get install -y --no-install-recommends <packages>` with progress lines.
 * `why` says what needs them. Throws an {@link EnvoyHarnessError} with apt's last lines on failure.
 * Callers check {@link canAptInstall} first.
 */
export function aptInstall(packages: string[], why: string): void {
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", ...packages]]) {
    progress(`${why}: apt-get ${args.join(" ")} (this can take a minute)…`);
    const result = spawnSync("apt-get", args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (result.status !== 0) {
      const tail = `${result.stdout}${result.stderr}`.trim().split("\n").slice(-6);
      throw new EnvoyHarnessError(`apt-get ${args.join(" ")} failed`, {
        logLines: tail,
        hint: `install ${packages.join(" ")} yourself`,
      });
    }
  }
}

/** A command something needs, and the Debian package that provides it (e.g. `{ command: "wrk", package: "wrk" }`). */
export interface DebianTool {
  readonly command: string;
  readonly package: string;
}

/** What {@link ensureDebianTools} does about a list of tools: nothing, install them, or tell the user how. */
export type DebianToolsPlan =
  | { readonly action: "none" }
  | { readonly action: "install"; readonly missing: readonly DebianTool[]; readonly packages: readonly string[] }
  | { readonly action: "instructions"; readonly missing: readonly DebianTool[]; readonly howTo: string };

/** Inputs of {@link planDebianTools}; defaults are this process's PATH and privileges. */
export interface DebianToolsEnvironment {
  /** The PATH the commands are looked up in. */
  readonly path?: string;
  /** Whether this process may run apt-get itself (root with apt-get), see {@link canAptInstall}. */
  readonly canInstall?: boolean;
  /** Whether apt-get exists at all (decides the wording of the how-to line). */
  readonly hasApt?: boolean;
}

/**
 * Decides, without side effects, what {@link ensureDebianTools} would do: which of `tools` are missing from PATH,
 * and whether to install them (root with apt-get) or print a one-line how-to (anyone else).
 */
export function planDebianTools(
  tools: readonly DebianTool[],
  environment: DebianToolsEnvironment = {},
): DebianToolsPlan {
  const missing = tools.filter((tool) => !hasCommand(tool.command, environment.path));
  if (missing.length === 0) return { action: "none" };
  const packages = [...new Set(missing.map((tool) => tool.package))];
  if (environment.canInstall ?? canAptInstall()) return { action: "install", missing, packages };
  const hasApt = environment.hasApt ?? hasCommand("apt-get");
  const howTo = hasApt
    ? `run \`sudo apt-get install -y --no-install-recommends ${packages.join(" ")}\``
    : `install ${packages.join(", ")} with your system's package manager (Debian/Ubuntu package names)`;
  return { action: "instructions", missing, howTo };
}

/**
 * Makes sure every command in `tools` is on PATH: as root on Debian/Ubuntu, installs the missing ones with
 * apt-get (with progress lines); otherwise throws an {@link EnvoyHarnessError} whose hint is the one command to
 * run. `why` says who needs them ("the packaging tests", "the benchmark"); `environment` is for tests. The one place the harness, the test
 * setup and the benchmark provision system tools (docker-registry, skopeo, openssl, wrk, h2load, …).
 */
export function ensureDebianTools(
  tools: readonly DebianTool[],
  why: string,
  environment: DebianToolsEnvironment = {},
): void {
  const plan = planDebianTools(tools, environment);
  if (plan.action === "none") return;
  const names = plan.missing.map((tool) => tool.command).join(", ");
  if (plan.action === "instructions") {
    throw new EnvoyHarnessError(
      `${why} need ${names}, which ${plan.missing.length === 1 ? "is" : "are"} not installed`,
      { hint: plan.howTo },
    );
  }
  aptInstall([...plan.packages], `${why} need ${names}`);
  const stillMissing = plan.missing.filter((tool) => !hasCommand(tool.command, environment.path));
  if (stillMissing.length > 0) {
    throw new EnvoyHarnessError(
      `apt-get installed ${plan.packages.join(" ")} but ${stillMissing.map((t) => t.command).join(", ")} is still not on PATH`,
      {
        hint: `check PATH (${process.env.PATH ?? ""})`,
      },
    );
  }
}
