// The Docker engine the container runner needs: found, or installed from Debian and started when we are
// root on a machine without it (fresh CI), or a clear message saying exactly what to do.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { aptInstall, canAptInstall, hasCommand } from "./apt.ts";
import { EnvoyHarnessError, progress } from "./errors.ts";
import { withFileLock } from "./lock.ts";
import { cacheRoot } from "./settings.ts";
import { setting } from "../settings.ts";

const DEFAULT_SOCKET = "/var/run/docker.sock";
/** Flags dockerd is started with when the harness starts it (no bridge: containers use host networking). */
const DOCKERD_ARGS = ["--bridge=none", "--iptables=false"];

/**
 * Points testcontainers at the local daemon the way this harness needs it: no Ryuk (its image cannot be
 * pulled; the harness reaps its own leftovers) and `localhost` as the host of host-networked containers.
 * Leaves values the user already set. Called by the container runner before touching testcontainers.
 */
export function configureTestcontainersEnvironment(): void {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "localhost";
}

/**
 * Makes sure a Docker daemon answers, within seconds. With `DOCKER_HOST` set to a non-unix endpoint it
 * trusts the user. When the local socket does not answer: as root, installs `docker.io` from Debian if
 * `dockerd` is missing, starts `dockerd --bridge=none --iptables=false` in the background and waits for
 * the socket (only for the default socket); otherwise throws an {@link EnvoyHarnessError} with the commands to run.
 */
export async function ensureDockerEngine(): Promise<void> {
  const host = setting("DOCKER_HOST");
  if (host && !host.startsWith("unix://")) return;
  const socket = host ? host.slice("unix://".length) : DEFAULT_SOCKET;
  if (await pingDocker(socket)) return;
  if (socket !== DEFAULT_SOCKET) {
    throw new EnvoyHarnessError(`no Docker daemon answers at ${socket} (from DOCKER_HOST)`, {
      hint: "start the daemon behind that socket, unset DOCKER_HOST to use /var/run/docker.sock, or use ENVOY_RUNNER=process",
    });
  }
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) {
    throw new EnvoyHarnessError(`no Docker daemon answers at ${socket}`, {
      hint:
        "start Docker (e.g. `sudo dockerd --bridge=none --iptables=false &`, or install it: `sudo apt-get install -y docker.io`), " +
        "or run Envoy as a local process instead: ENVOY_RUNNER=process",
    });
  }
  mkdirSync(cacheRoot(), { recursive: true });
  await withFileLock(join(cacheRoot(), "dockerd.lock"), async () => {
    if (await pingDocker(socket)) return;
    if (!hasCommand("dockerd")) installDockerFromDebian();
    await startDockerd(socket);
  });
}

/** True when the Docker API answers `GET /_ping` on the unix socket within a second. */
export function pingDocker(socket: string = DEFAULT_SOCKET): Promise<boolean> {
  if (!existsSync(socket)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: "/_ping", timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

function installDockerFromDebian(): void {
  if (!canAptInstall()) {
    throw new EnvoyHarnessError("Docker is not installed and this is not a Debian/Ubuntu machine (no apt-get)", {
      hint: "install Docker Engine for your distribution and start it, or use ENVOY_RUNNER=process",
    });
  }
  aptInstall(["docker.io"], "installing Docker");
}

async function startDockerd(socket: string): Promise<void> {
  const logPath = join(cacheRoot(), "dockerd.log");
  progress(`starting dockerd ${DOCKERD_ARGS.join(" ")} (log: ${logPath})…`);
  const log = openSync(logPath, "a");
  const child = spawn("dockerd", DOCKERD_ARGS, { detached: true, stdio: ["ignore", log, log] });
  child.unref();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await pingDocker(socket)) {
      progress("dockerd is up");
      return;
    }
    if (child.exitCode !== null) break;
    await sleep(250);
  }
  throw new EnvoyHarnessError(`dockerd did not come up on ${socket}`, {
    hint: `read ${logPath}; or use ENVOY_RUNNER=process`,
  });
}
