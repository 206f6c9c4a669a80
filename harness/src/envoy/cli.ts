// Command line for provisioning ahead of tests (e.g. in CI), so the first test does not pay for downloads:
//   node harness/src/envoy/cli.ts provision [--runner container|process] [--version 1.40.0]
//   node harness/src/envoy/cli.ts leftovers        (lists, then removes, Envoys of dead harness processes)
//   node harness/src/envoy/cli.ts check [--runner container|process]
//                                                 (exit 1 if any harness container, Envoy process, or temp folder
//                                                  / pid file of a dead harness exists: run it after the test
//                                                  suite to prove nothing was left)
import { parseArgs } from "node:util";
import { listEnvoyContainers, listEnvoyProcesses, listLeftoverTempDirs, reapLeftoverContainers, reapLeftoverProcesses } from "./cleanup.ts";
import { EnvoyHarnessError } from "./errors.ts";
import { prepareContainerRunner } from "./container-runner.ts";
import { prepareProcessRunner } from "./process-runner.ts";
import { pingDocker } from "./docker.ts";
import { isProcessAlive } from "./processes.ts";
import { type RunnerKind, runnerKind } from "./settings.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { runner: { type: "string" }, version: { type: "string" } },
});

try {
  switch (positionals[0]) {
    case "provision": {
      const kind = runnerKind(values.runner as RunnerKind | undefined);
      // The process runner's binary is needed by config validation in every case.
      const processRunner = await prepareProcessRunner({ version: values.version });
      console.log(`process runner ready: ${processRunner.source} (Envoy ${processRunner.envoyVersion})`);
      if (kind === "container") {
        const containerRunner = await prepareContainerRunner({ version: values.version });
        console.log(`container runner ready: image ${containerRunner.source}`);
      }
      break;
    }
    case "leftovers": {
      const containers = (await pingDocker()) ? await listEnvoyContainers() : [];
      console.log(`harness containers: ${containers.length}; recorded Envoy processes: ${listEnvoyProcesses().length}; leftover temp folders: ${listLeftoverTempDirs().length}`);
      await reapLeftoverProcesses();
      if (containers.length) await reapLeftoverContainers();
      break;
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
      for (const c of containers) console.log(`left: container ${c.Id.slice(0, 12)} (${c.State}, owner pid ${c.Labels["proxy-wasm-as.owner-pid"]})`);
      for (const p of processes) console.log(`left: Envoy process ${p.envoyPid} (owner pid ${p.ownerPid})`);
      for (const p of stalePidFiles) console.log(`left: pid file of exited Envoy ${p.envoyPid} (owner pid ${p.ownerPid})`);
      for (const dir of tempDirs) console.log(`left: temp folder ${dir}`);
      const left = containers.length + processes.length + stalePidFiles.length + tempDirs.length;
      console.log(left === 0 ? "no Envoy container, process, pid file or temp folder left" : "Envoys were left behind (run `node harness/src/envoy/cli.ts leftovers` to remove them)");
      if (left > 0) process.exitCode = 1;
      break;
    }
    default:
      console.error("usage: node harness/src/envoy/cli.ts provision [--runner container|process] [--version X.Y.Z] | leftovers | check");
      process.exitCode = 2;
  }
} catch (err) {
  console.error(err instanceof EnvoyHarnessError ? err.message : err);
  process.exitCode = 1;
}
