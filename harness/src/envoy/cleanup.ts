// Nothing the harness starts outlives it: live Envoys are tracked and stopped on exit and on SIGINT/SIGTERM,
// and leftovers of runs that were killed (labelled containers, Envoy processes, their pid files and their
// `envoy-harness-*` temp folders) are removed at the next start, once the leftover process has really exited.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerInfo } from "dockerode";
import { getContainerRuntimeClient } from "testcontainers";
import { configureTestcontainersEnvironment } from "./docker.ts";
import { progress } from "./errors.ts";
import { isProcessAlive, processCommandLine, waitForExit } from "./processes.ts";
import { HARNESS_LABEL, OWNER_PID_LABEL, cacheRoot } from "./settings.ts";

/** Something the harness started and must stop: a stop function plus a last-resort synchronous kill. */
export interface Tracked {
  /** Graceful, async stop. */
  stop(): Promise<void>;
  /** Synchronous kill used from the `exit` handler, when nothing async can run anymore. */
  killNow(): void;
}

const live = new Set<Tracked>();
let handlersInstalled = false;

/** Registers `item` so it is stopped on SIGINT/SIGTERM and killed on process exit; returns an untrack function. */
export function track(item: Tracked): () => void {
  installHandlers();
  live.add(item);
  return () => live.delete(item);
}

/** Stops every tracked Envoy of this process (e.g. from an afterAll). */
export async function stopAllEnvoys(): Promise<void> {
  await Promise.allSettled([...live].map((item) => item.stop()));
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (signal: NodeJS.Signals) => {
    if (live.size > 0) progress(`${signal}: stopping ${live.size} Envoy instance(s)…`);
    void stopAllEnvoys().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.on("exit", () => {
    for (const item of live) item.killNow();
  });
}

function runDirectory(): string {
  const dir = join(cacheRoot(), "run");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** One Envoy process the harness started, as its pid file records it. */
export interface EnvoyProcessRecord {
  ownerPid: number;
  envoyPid: number;
  /** The process's temp folder (config, sockets), when the harness that wrote the record knew it. */
  dir?: string;
  /** True while the Envoy runs. */
  alive: boolean;
}

/** Prefix of the temp folders the process runner creates under the OS temp directory. */
export const TEMP_DIR_PREFIX = "envoy-harness-";
/** File inside each temp folder naming the harness process that owns it. */
const TEMP_DIR_OWNER_FILE = "owner.json";
/** A temp folder without an owner file is only removed once it is this old (it may be being created right now). */
const UNOWNED_TEMP_DIR_GRACE_MS = 60_000;

/**
 * Creates a temp folder for one Envoy process, labelled with this process as its owner so that the next start
 * can remove it if this process is killed (kill -9 runs no exit handler).
 */
export function makeEnvoyTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), TEMP_DIR_PREFIX));
  writeFileSync(join(dir, TEMP_DIR_OWNER_FILE), JSON.stringify({ ownerPid: process.pid }));
  return dir;
}

/** Records that this process owns Envoy process `envoyPid` (and its temp folder `dir`); returns a function that forgets it. */
export function writePidFile(envoyPid: number, dir?: string): () => void {
  const path = join(runDirectory(), `envoy-${envoyPid}.json`);
  writeFileSync(path, JSON.stringify({ ownerPid: process.pid, envoyPid, dir }));
  return () => rmSync(path, { force: true });
}

let processesReaped: Promise<void> | undefined;
let containersReaped = false;

/**
 * Removes what killed harness processes left behind: kills their Envoy processes (pid files under `<cache>/run/`, see settings.ts cacheRoot),
 * waits until each has exited, then removes its pid file and temp folder, and finally every `envoy-harness-*`
 * temp folder whose owner is gone. Runs once per process; called by the process runner before its first start.
 */
export function reapLeftoverProcesses(): Promise<void> {
  processesReaped ??= reapProcesses();
  return processesReaped;
}

async function reapProcesses(): Promise<void> {
  await Promise.all(
    listEnvoyProcesses().map(async (record) => {
      if (isProcessAlive(record.ownerPid)) return;
      if (record.alive && processCommandLine(record.envoyPid).includes("envoy")) {
        progress(`removing leftover Envoy process ${record.envoyPid} (its harness ${record.ownerPid} is gone)`);
        try {
          process.kill(record.envoyPid, "SIGKILL");
        } catch {
          // already gone
        }
        if (!(await waitForExit(record.envoyPid))) {
          progress(
            `leftover Envoy process ${record.envoyPid} did not exit after SIGKILL; leaving its pid file for the next start`,
          );
          return;
        }
      }
      if (record.dir) rmSync(record.dir, { recursive: true, force: true });
      rmSync(join(runDirectory(), `envoy-${record.envoyPid}.json`), { force: true });
    }),
  );
  for (const dir of listLeftoverTempDirs()) rmSync(dir, { recursive: true, force: true });
}

/**
 * `envoy-harness-*` temp folders whose owning harness process is gone (and whose Envoy, if recorded, has exited):
 * what a killed run left behind. Folders of live harness processes are never listed.
 */
export function listLeftoverTempDirs(): string[] {
  const root = tmpdir();
  const liveEnvoyDirs = new Set(
    listEnvoyProcesses()
      .filter((r) => r.alive && r.dir)
      .map((r) => r.dir),
  );
  let names: string[];
  try {
    names = readdirSync(root).filter((name) => name.startsWith(TEMP_DIR_PREFIX));
  } catch {
    return [];
  }
  const inUse = tempDirsInUse();
  return names
    .map((name) => join(root, name))
    .filter((dir) => {
      if (liveEnvoyDirs.has(dir) || inUse.has(dir)) return false;
      try {
        const owner = (JSON.parse(readFileSync(join(dir, TEMP_DIR_OWNER_FILE), "utf8")) as { ownerPid: number })
          .ownerPid;
        return !isProcessAlive(owner);
      } catch {
        // No owner file: written by an older harness, or being created right now. Only old ones are leftovers.
        try {
          return Date.now() - statSync(dir).mtimeMs > UNOWNED_TEMP_DIR_GRACE_MS;
        } catch {
          return false;
        }
      }
    });
}

/**
 * Removes containers labelled by the harness whose owning process is gone (a killed run).
 * Runs once per process; called by the container runner before its first start.
 */
export async function reapLeftoverContainers(): Promise<void> {
  if (containersReaped) return;
  containersReaped = true;
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  await Promise.all(
    (await listEnvoyContainers()).map(async (info) => {
      const owner = Number.parseInt(info.Labels[OWNER_PID_LABEL] ?? "", 10);
      if (Number.isFinite(owner) && isProcessAlive(owner)) return;
      progress(`removing leftover Envoy container ${info.Id.slice(0, 12)} (its harness ${owner} is gone)`);
      await docker
        .getContainer(info.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }),
  );
}

/**
 * Envoy containers the harness started (any state), optionally only those owned by process `ownerPid`.
 * Useful to check that nothing was left behind.
 */
export async function listEnvoyContainers(ownerPid?: number): Promise<ContainerInfo[]> {
  configureTestcontainersEnvironment();
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  const labels = [`${HARNESS_LABEL}=envoy`, ...(ownerPid === undefined ? [] : [`${OWNER_PID_LABEL}=${ownerPid}`])];
  return docker.listContainers({ all: true, filters: { label: labels } });
}

/**
 * Envoy processes the harness started and recorded in pid files, optionally only those owned by `ownerPid`
 * (entries whose Envoy is no longer running are included until the next start reaps them; check `alive`).
 */
export function listEnvoyProcesses(ownerPid?: number): EnvoyProcessRecord[] {
  const dir = runDirectory();
  return readdirSync(dir)
    .filter((f) => f.startsWith("envoy-") && f.endsWith(".json"))
    .flatMap((f) => {
      try {
        const r = JSON.parse(readFileSync(join(dir, f), "utf8")) as Omit<EnvoyProcessRecord, "alive">;
        return ownerPid === undefined || r.ownerPid === ownerPid ? [{ ...r, alive: isProcessAlive(r.envoyPid) }] : [];
      } catch {
        return [];
      }
    });
}

/**
 * `envoy-harness-*` folders named on the command line of a running process (an Envoy's `--config-path`): never
 * leftovers, whoever started them (also Envoys of an older harness that wrote no owner file). Linux /proc.
 */
function tempDirsInUse(): Set<string> {
  const found = new Set<string>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return found;
  }
  for (const pid of pids) {
    const match = new RegExp(`(${tmpdir().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/${TEMP_DIR_PREFIX}[^/\\s]+)`).exec(
      processCommandLine(Number(pid)),
    );
    if (match) found.add(match[1]!);
  }
  return found;
}

/** Synchronous `docker rm -f` for the exit handler (needs the docker CLI; best effort). */
export function removeContainerNow(id: string): void {
  spawnSync("docker", ["rm", "-f", id], { stdio: "ignore", timeout: 5000 });
}
