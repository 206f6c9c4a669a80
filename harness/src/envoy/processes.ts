// Small helpers about OS processes shared by the runners and the cleanup code.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** True when a process with this pid runs (signal 0 probe; EPERM counts as alive; a zombie counts as dead). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; comm may contain spaces or parentheses, so split at the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

/** The command line of a live process (Linux /proc), or "" when unknown. */
export function processCommandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
}

/**
 * Resolves true once process `pid` has exited (gone, or a zombie nobody reaped yet), false if it still runs after
 * `timeoutMs`. Used after SIGKILL: the signal is only queued, and the process's files stay busy until it is gone.
 */
export async function waitForExit(pid: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/**
 * When process `pid` started (field 22 of Linux /proc/<pid>/stat, clock ticks since boot), or undefined when the
 * process is gone or the system has no /proc. Recorded with a pid so that a later kill never hits a reused pid.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after "(comm)": state is field 3, so starttime (field 22) is the 20th after the closing parenthesis.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}
