// Nothing the harness starts outlives it: live Envoys are tracked and stopped on exit and on SIGINT/SIGTERM,
// and leftovers of runs that were killed (labelled containers, pid files) are removed at the next start.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ContainerInfo } from "dockerode";
import { getContainerRuntimeClient } from "testcontainers";
import { configureTestcontainersEnvironment } from "./docker.ts";
import { progress } from "./errors.ts";
import { isProcessAlive, processCommandLine } from "./processes.ts";
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

/** Records that this process owns Envoy process `envoyPid`; returns a function that forgets it. */
export function writePidFile(envoyPid: number): () => void {
  const path = join(runDirectory(), `envoy-${envoyPid}.json`);
  writeFileSync(path, JSON.stringify({ ownerPid: process.pid, envoyPid }));
  return () => rmSync(path, { force: true });
}

let processesReaped = false;
let containersReaped = false;

/**
 * Kills Envoy processes whose owning harness process is gone (pid files under `<cache>/run/`, see settings.ts cacheRoot).
 * Runs once per process; called by the process runner before its first start.
 */
export function reapLeftoverProcesses(): void {
  if (processesReaped) return;
  processesReaped = true;
  for (const record of listEnvoyProcesses()) {
    if (isProcessAlive(record.ownerPid)) continue;
    if (record.alive && processCommandLine(record.envoyPid).includes("envoy")) {
      progress(`removing leftover Envoy process ${record.envoyPid} (its harness ${record.ownerPid} is gone)`);
      try {
        process.kill(record.envoyPid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(join(runDirectory(), `envoy-${record.envoyPid}.json`), { force: true });
  }
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
      await docker.getContainer(info.Id).remove({ force: true }).catch(() => undefined);
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
export function listEnvoyProcesses(ownerPid?: number): { ownerPid: number; envoyPid: number; alive: boolean }[] {
  const dir = runDirectory();
  return readdirSync(dir)
    .filter((f) => f.startsWith("envoy-") && f.endsWith(".json"))
    .flatMap((f) => {
      try {
        const r = JSON.parse(readFileSync(join(dir, f), "utf8")) as { ownerPid: number; envoyPid: number };
        return ownerPid === undefined || r.ownerPid === ownerPid ? [{ ...r, alive: isProcessAlive(r.envoyPid) }] : [];
      } catch {
        return [];
      }
    });
}

/** Synchronous `docker rm -f` for the exit handler (needs the docker CLI; best effort). */
export function removeContainerNow(id: string): void {
  spawnSync("docker", ["rm", "-f", id], { stdio: "ignore", timeout: 5000 });
}
