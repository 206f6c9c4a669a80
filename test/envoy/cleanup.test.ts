// Nothing survives: a harness process killed with SIGKILL leaves its Envoy behind, and the next start removes it.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, test } from "vitest";
import { CACHE_DIR_ENV, cacheRoot, listEnvoyContainers, listEnvoyProcesses } from "@proxy-wasm-as/harness/envoy";
import { RUNNERS } from "./support.ts";

const HOLDER = resolve("test/envoy/fixtures/hold-envoy.ts");

/** Runs the holder child and resolves with its pid and first JSON line. */
function runHolder(
  runner: string,
  mode: "hold" | "once",
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ pid: number; line: Record<string, unknown>; exited: Promise<void> }> {
  const child = spawn(process.execPath, [HOLDER, runner, mode], { stdio: ["ignore", "pipe", "inherit"], env });
  const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
  return new Promise((ok, fail) => {
    createInterface({ input: child.stdout }).once("line", (line) =>
      ok({ pid: child.pid!, line: JSON.parse(line), exited }),
    );
    child.once("exit", (code) => fail(new Error(`holder exited with ${code} before reporting`)));
  });
}

describe.each(RUNNERS)("leftovers of a killed run (%s runner)", (runner) => {
  test("are removed by the next start", async () => {
    const killed = await runHolder(runner, "hold");
    expect(killed.line.ready).toBe(true);
    process.kill(killed.pid, "SIGKILL");
    await killed.exited;

    // The killed run left its Envoy behind…
    if (runner === "container") expect(await listEnvoyContainers(killed.pid)).toHaveLength(1);
    else expect(listEnvoyProcesses(killed.pid).map((p) => p.alive)).toEqual([true]);

    // …and the next start (a fresh harness process) removes it, leaving nothing of its own either.
    const next = await runHolder(runner, "once");
    expect(next.line.done).toBe(true);
    await next.exited;
    if (runner === "container") {
      expect(await listEnvoyContainers(killed.pid)).toHaveLength(0);
      expect(await listEnvoyContainers(next.pid)).toHaveLength(0);
    } else {
      expect(listEnvoyProcesses(killed.pid)).toHaveLength(0);
      expect(listEnvoyProcesses(next.pid)).toHaveLength(0);
    }
  });

  test("SIGTERM to a harness process stops its Envoy before it exits", async () => {
    const holder = await runHolder(runner, "hold");
    process.kill(holder.pid, "SIGTERM");
    await holder.exited;
    if (runner === "container") expect(await listEnvoyContainers(holder.pid)).toHaveLength(0);
    else expect(listEnvoyProcesses(holder.pid)).toHaveLength(0);
  });
});

// Finding 6 of issue 13: after kill -9 the Envoy was reaped at the next start, but its `envoy-harness-*` temp folder
// stayed, and the reaper did not wait for the exit. Run in a private cache (pid files) and TMPDIR, so that the
// global check is not disturbed by (and does not disturb) other test processes on this machine.
describe("kill -9 of a harness process (process runner), then a normal start", () => {
  test("leaves no Envoy, pid file or temp folder: `envoy:check` is clean", async () => {
    const root = mkdtempSync(join(tmpdir(), "cleanup-isolated-"));
    try {
      const cache = join(root, "cache");
      const tmp = join(root, "tmp");
      mkdirSync(cache);
      mkdirSync(tmp);
      symlinkSync(join(cacheRoot(), "envoy"), join(cache, "envoy")); // the provisioned binaries
      const env = { ...process.env, [CACHE_DIR_ENV]: cache, TMPDIR: tmp };
      const harnessDirs = () => readdirSync(tmp).filter((name) => name.startsWith("envoy-harness-"));
      const check = () =>
        spawnSync(process.execPath, ["harness/src/cli/main.ts", "envoy", "check", "--runner", "process"], {
          env,
          encoding: "utf8",
        });

      const killed = await runHolder("process", "hold", env);
      expect(killed.line.ready).toBe(true);
      const [record] = listEnvoyProcessesIn(cache, killed.pid);
      process.kill(killed.pid, "SIGKILL");
      await killed.exited;
      expect(harnessDirs()).toHaveLength(1); // the killed run's folder (config) is there…
      expect(check().status).toBe(1); // …and its Envoy still runs: check says so

      const next = await runHolder("process", "once", env);
      expect(next.line.done).toBe(true);
      await next.exited;
      // The next start reaped the Envoy, waited for its exit, and removed its folder and pid file.
      expect(existsSync(`/proc/${record!.envoyPid}`) && !/\) Z/.test(readStat(record!.envoyPid))).toBe(false);
      expect(harnessDirs()).toEqual([]);
      const result = check();
      expect(result.stdout).toMatch(/no Envoy container, process, pid file or temp folder left/);
      expect(result.status).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

function listEnvoyProcessesIn(cache: string, ownerPid: number): { envoyPid: number }[] {
  const previous = process.env[CACHE_DIR_ENV];
  process.env[CACHE_DIR_ENV] = cache;
  try {
    return listEnvoyProcesses(ownerPid);
  } finally {
    if (previous === undefined) delete process.env[CACHE_DIR_ENV];
    else process.env[CACHE_DIR_ENV] = previous;
  }
}

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return "";
  }
}
