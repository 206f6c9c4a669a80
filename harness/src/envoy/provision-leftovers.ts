// What an interrupted provisioning leaves in the cache, and its removal: `wheel-<pid>/` download folders (with the
// record of the pip process that fills them) and `*.partial-<pid>` files, whose owner process <pid> is dead.
// A pip whose harness was killed keeps downloading unless the kernel killed it with its parent (lifeline.ts); its
// record (pid + start time, so a reused pid is never hit) lets the next start kill it before removing its folder.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { progress } from "./errors.ts";
import { isProcessAlive, processStartTime, waitForExit } from "./processes.ts";
import { cacheRoot } from "./settings.ts";

/** Prefix of the per-process folder pip downloads a wheel into (`wheel-<pid>`). */
export const WHEEL_DIR_PREFIX = "wheel-";
/** Infix of a file being written by process <pid> before its rename into place (`<name>.partial-<pid>`). */
export const PARTIAL_INFIX = ".partial-";
/** The file in a wheel folder recording the pip process that fills it. */
const PIP_RECORD = "pip.json";

/** One leftover of a provisioning whose process died. */
export interface ProvisionLeftover {
  /** Absolute path of the folder or file. */
  readonly path: string;
  /** "wheel folder" (pip's download folder) or "partial file" (a binary or stamp never renamed into place). */
  readonly kind: "wheel folder" | "partial file";
  /** The dead process that created it. */
  readonly ownerPid: number;
  /** The pip process still running for it (an orphan), if any. */
  readonly orphanPipPid?: number;
}

interface PipRecord {
  pid: number;
  startTime?: string;
}

/** Records that pip process `pid` fills `wheelDir` (so an orphan can be killed by the next start). */
export function recordPipProcess(wheelDir: string, pid: number): void {
  const record: PipRecord = { pid, startTime: processStartTime(pid) };
  writeFileSync(join(wheelDir, PIP_RECORD), JSON.stringify(record));
}

/** The pip process recorded in `wheelDir` if it still runs (same pid and start time), else undefined. */
function livePip(wheelDir: string): number | undefined {
  let record: PipRecord;
  try {
    record = JSON.parse(readFileSync(join(wheelDir, PIP_RECORD), "utf8")) as PipRecord;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(record.pid) || record.pid <= 0 || !isProcessAlive(record.pid)) return undefined;
  return record.startTime !== undefined && processStartTime(record.pid) === record.startTime ? record.pid : undefined;
}

/** Wheel folders and partial files under `<cache>/envoy/<version>/` whose owner process is dead (Linux /proc). */
export function listProvisionLeftovers(root: string = join(cacheRoot(), "envoy")): ProvisionLeftover[] {
  const found: ProvisionLeftover[] = [];
  for (const version of safeList(root)) {
    const dir = join(root, version);
    for (const name of safeList(dir)) {
      const path = join(dir, name);
      if (name.startsWith(WHEEL_DIR_PREFIX)) {
        const owner = ownerPid(name.slice(WHEEL_DIR_PREFIX.length));
        if (owner === undefined || isProcessAlive(owner)) continue;
        const orphan = livePip(path);
        found.push({ path, kind: "wheel folder", ownerPid: owner, ...(orphan ? { orphanPipPid: orphan } : {}) });
      } else if (name.includes(PARTIAL_INFIX)) {
        const owner = ownerPid(name.slice(name.lastIndexOf(PARTIAL_INFIX) + PARTIAL_INFIX.length));
        if (owner !== undefined && !isProcessAlive(owner)) found.push({ path, kind: "partial file", ownerPid: owner });
      }
    }
  }
  return found;
}

/**
 * Removes the leftovers of dead provisioning processes (see {@link listProvisionLeftovers}): an orphaned pip is
 * killed (its whole process group) and awaited first, then the folder or file is removed, one line each.
 * Returns what was removed. Safe to run while other processes provision: only dead owners' things are touched.
 */
export async function removeProvisionLeftovers(
  leftovers: readonly ProvisionLeftover[] = listProvisionLeftovers(),
): Promise<ProvisionLeftover[]> {
  for (const leftover of leftovers) {
    if (leftover.orphanPipPid !== undefined) {
      killGroup(leftover.orphanPipPid);
      await waitForExit(leftover.orphanPipPid, 5000);
    }
    rmSync(leftover.path, { recursive: true, force: true });
    progress(
      `removed the ${leftover.kind} ${leftover.path} of an interrupted Envoy download (process ${leftover.ownerPid} is gone${
        leftover.orphanPipPid === undefined ? "" : `; killed its orphaned pip ${leftover.orphanPipPid}`
      })`,
    );
  }
  return [...leftovers];
}

/** SIGKILL to the process group led by `pid` (pip runs in its own group), else to the process alone. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

function ownerPid(text: string): number | undefined {
  return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
