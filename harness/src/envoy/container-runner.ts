// Runs Envoy in a container through testcontainers: host networking (Envoy binds 127.0.0.1 ports chosen by
// the kernel), config and .wasm files copied in (no bind mounts), every container labelled and reaped.
import { basename } from "node:path";
import type Dockerode from "dockerode";
import {
  GenericContainer,
  getContainerRuntimeClient,
  type StartedTestContainer,
  type WaitStrategy,
} from "testcontainers";
import { reapLeftoverContainers, removeContainerNow, track } from "./cleanup.ts";
import { EnvoyHarnessError } from "./errors.ts";
import { ensureEnvoyImage } from "./image.ts";
import type { EnvoyLog } from "./log.ts";
import { envoyArgs, type LaunchedEnvoy, type PreparedRunner, type RunnerOptions } from "./runner.ts";
import { HARNESS_LABEL, OWNER_PID_LABEL, envoyVersion } from "./settings.ts";
import { setting } from "../settings.ts";

const CONFIG_IN_CONTAINER = "/etc/envoy/envoy.yaml";

/** Makes sure Docker and the image are there (building it if needed) and returns a container runner. */
export async function prepareContainerRunner(options: RunnerOptions = {}): Promise<PreparedRunner> {
  const image = await ensureEnvoyImage({ image: options.image, version: options.version });
  await reapLeftoverContainers();
  const version = options.version ?? versionFromImageTag(image) ?? envoyVersion();
  const mapped = new Map<string, string>();
  const wasmPath = (hostPath: string) => {
    let target = mapped.get(hostPath);
    if (!target) {
      target = `/etc/envoy/wasm/${mapped.size}-${basename(hostPath)}`;
      mapped.set(hostPath, target);
    }
    return target;
  };
  return {
    kind: "container",
    envoyVersion: version,
    source: image,
    wasmPath,
    launch: (configYaml, wasmFiles, log) =>
      launchContainer(
        image,
        configYaml,
        wasmFiles.map((f) => ({ source: f, target: wasmPath(f) })),
        options,
        log,
      ),
  };
}

/** "proxy-wasm-as/envoy:1.40.0" → "1.40.0", "envoyproxy/envoy:v1.36-latest" → "1.36"; undefined if the tag has no version. */
export function versionFromImageTag(image: string): string | undefined {
  const tag = image.includes(":") ? image.slice(image.lastIndexOf(":") + 1) : "";
  return /^v?(\d+\.\d+(?:\.\d+)?)/.exec(tag)?.[1];
}

/** testcontainers must not wait for anything: readiness is Wasm-aware and done by the caller. */
const noWait: WaitStrategy = {
  waitUntilReady: async () => undefined,
  withStartupTimeout() {
    return this;
  },
  isStartupTimeoutSet: () => false,
  getStartupTimeout: () => 0,
};

async function launchContainer(
  image: string,
  configYaml: string,
  files: { source: string; target: string }[],
  options: RunnerOptions,
  log: EnvoyLog,
): Promise<LaunchedEnvoy> {
  const entrypoint = setting("ENVOY_IMAGE_ENTRYPOINT");
  let started: StartedTestContainer;
  try {
    started = await new GenericContainer(image)
      .withNetworkMode("host")
      .withEntrypoint([entrypoint])
      .withCommand(envoyArgs(CONFIG_IN_CONTAINER, options))
      .withLabels({ [HARNESS_LABEL]: "envoy", [OWNER_PID_LABEL]: String(process.pid) })
      .withCopyContentToContainer([{ content: configYaml, target: CONFIG_IN_CONTAINER, mode: 0o644 }])
      .withCopyFilesToContainer(files.map((f) => ({ ...f, mode: 0o644 })))
      .withLogConsumer((stream) => {
        stream.on("data", (chunk: Buffer | string) => log.write(chunk));
        stream.on("end", () => log.end());
      })
      .withWaitStrategy(noWait)
      .start();
  } catch (err) {
    throw new EnvoyHarnessError(`could not start an Envoy container from image ${image}: ${(err as Error).message}`, {
      hint: "check `docker images` has the image (pulls may be impossible here), or use ENVOY_RUNNER=process",
      cause: err,
    });
  }
  const id = started.getId();
  const client = await getContainerRuntimeClient();
  const container: Dockerode.Container = client.container.dockerode.getContainer(id);
  const exited = container
    .wait()
    .then((r: { StatusCode: number }) => r.StatusCode)
    .catch(() => null);
  let stopping: Promise<void> | undefined;
  const instance: LaunchedEnvoy = {
    description: `container ${id.slice(0, 12)} (${image})`,
    exited,
    stop: () =>
      (stopping ??= (async () => {
        await started
          .stop({ timeout: 3000, remove: true })
          .catch(() => container.remove({ force: true }).catch(() => undefined));
        untrack();
      })()),
  };
  const untrack = track({ stop: instance.stop, killNow: () => removeContainerNow(id) });
  return instance;
}
