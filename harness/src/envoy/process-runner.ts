// Runs Envoy as a local child process: the fast path, same API as the container runner.
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { makeEnvoyTempDir, reapLeftoverProcesses, track, writePidFile } from "./cleanup.ts";
import { EnvoyHarnessError } from "./errors.ts";
import { tiedToThisProcess } from "./lifeline.ts";
import type { EnvoyLog } from "./log.ts";
import { assertCachedVersion, ensureEnvoyBinary, envoyBinaryVersion } from "./provision.ts";
import { envoyVersion as requestedVersion } from "./settings.ts";
import { envoyArgs, type LaunchedEnvoy, type PreparedRunner, type RunnerOptions } from "./runner.ts";

const versionCache = new Map<string, Promise<string>>();

/** Provisions the binary (see `ensureEnvoyBinary`) and returns a runner that starts it as a child process. */
export async function prepareProcessRunner(options: RunnerOptions = {}): Promise<PreparedRunner> {
  const binary = await ensureEnvoyBinary({ version: options.version });
  if (!versionCache.has(binary)) versionCache.set(binary, envoyBinaryVersion(binary));
  const envoyVersion = await versionCache.get(binary)!;
  assertCachedVersion(binary, requestedVersion(options.version), envoyVersion);
  await reapLeftoverProcesses();
  return {
    kind: "process",
    envoyVersion,
    source: binary,
    wasmPath: (hostPath) => resolve(hostPath),
    launch: (configYaml, _wasmFiles, log) => launchProcess(binary, configYaml, options, log),
  };
}

async function launchProcess(
  binary: string,
  configYaml: string,
  options: RunnerOptions,
  log: EnvoyLog,
): Promise<LaunchedEnvoy> {
  const dir = makeEnvoyTempDir();
  const configPath = join(dir, "envoy.yaml");
  writeFileSync(configPath, configYaml);
  // taskset and setpriv exec Envoy in place, so the child's pid is Envoy's and affinity covers every thread it
  // starts; setpriv ties Envoy's life to this process (a test run killed with kill -9 leaves no serving Envoy).
  const [command, args] = tiedToThisProcess(
    ...((options.cpus === undefined
      ? [binary, envoyArgs(configPath, options)]
      : ["taskset", ["-c", options.cpus, binary, ...envoyArgs(configPath, options)]]) as [string, string[]]),
  );
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  const spawned = new Promise<void>((ok, fail) => {
    child.once("spawn", ok);
    child.once("error", (err) =>
      fail(new EnvoyHarnessError(`could not start ${binary}: ${err.message}`, { cause: err })),
    );
  });
  child.stdout.on("data", (chunk: Buffer) => log.write(chunk));
  child.stderr.on("data", (chunk: Buffer) => log.write(chunk));
  const exited = new Promise<number | null>((ok) =>
    child.once("close", (code, signal) => {
      log.end();
      ok(code ?? (signal ? -1 : null));
    }),
  );
  try {
    await spawned;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const forgetPid = writePidFile(child.pid!, dir);
  let stopping: Promise<void> | undefined;
  const instance: LaunchedEnvoy = {
    description: `process ${child.pid}`,
    pid: child.pid,
    exited,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
          await exited;
          clearTimeout(timer);
        }
        untrack();
        forgetPid();
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
  const untrack = track({
    stop: instance.stop,
    // From the exit handler: nothing async can run, so kill and remove now (Envoy has no file open that matters).
    killNow: () => {
      child.kill("SIGKILL");
      forgetPid();
      rmSync(dir, { recursive: true, force: true });
    },
  });
  return instance;
}
