// Ties a child process's life to this Node process: the kernel kills the child when its parent dies, however it
// dies (kill -9 included), through PR_SET_PDEATHSIG. Node cannot call prctl itself, so util-linux's `setpriv
// --pdeathsig KILL` (present on Debian and most Linux systems: util-linux is essential there) sets it and then
// execs the command in place, so the child's pid stays the command's own.
import { spawnSync } from "node:child_process";

let setprivWorks: boolean | undefined;

/** True when `setpriv --pdeathsig` works here (checked once per process). */
export function canTieToParent(): boolean {
  setprivWorks ??= spawnSync("setpriv", ["--pdeathsig", "KILL", "--", "true"], { stdio: "ignore" }).status === 0;
  return setprivWorks;
}

/**
 * Returns the command and arguments that run `command args` so that it is killed (SIGKILL) when this process
 * dies. Without setpriv the command is returned unchanged: leftovers are then removed at the next start instead.
 * Call from the main thread (the death signal follows the thread that spawned the child).
 */
export function tiedToThisProcess(command: string, args: readonly string[]): [string, string[]] {
  return canTieToParent() ? ["setpriv", ["--pdeathsig", "KILL", "--", command, ...args]] : [command, [...args]];
}
