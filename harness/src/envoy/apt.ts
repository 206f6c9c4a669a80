// Installing missing system packages from Debian, only when we are root on a machine with apt-get (fresh CI).
import { spawnSync } from "node:child_process";
import { EnvoyHarnessError, progress } from "./errors.ts";

/** True when `name` is an executable on PATH. */
export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
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
