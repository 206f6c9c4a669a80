// A cross-process lock on a file path, for one-time provisioning steps that parallel test workers share.
import { openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { progress } from "./errors.ts";
import { isProcessAlive } from "./processes.ts";

/**
 * Runs `work` while holding an exclusive lock file at `path` (created with O_EXCL, holding our pid).
 * A lock whose owner process is dead is taken over. Waits as long as a live owner holds it, saying so once.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number.parseInt(safeRead(path), 10);
      if (Number.isFinite(owner) && owner > 0 && !isProcessAlive(owner)) rmSync(path, { force: true });
      else {
        if (!announced) progress(`waiting for process ${owner} to finish (lock ${path})…`);
        announced = true;
        await sleep(200);
      }
    }
  }
  try {
    return await work();
  } finally {
    rmSync(path, { force: true });
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
