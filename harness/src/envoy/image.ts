// The container image Envoy runs in: a user-named image, or one built locally with no base image from the
// provisioned binary plus the few shared libraries it links (so nothing is ever pulled).
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { GenericContainer, getContainerRuntimeClient } from "testcontainers";
import { configureTestcontainersEnvironment, ensureDockerEngine } from "./docker.ts";
import { EnvoyHarnessError, progress } from "./errors.ts";
import { withFileLock } from "./lock.ts";
import { ensureEnvoyBinary } from "./provision.ts";
import { HARNESS_LABEL, cacheRoot, envoyVersion } from "./settings.ts";
import { ENVIRONMENT_SETTINGS, setting } from "../settings.ts";

const execFileAsync = promisify(execFile);

/** Where the Envoy binary sits in every image the harness runs (user images: override with ENVOY_IMAGE_ENTRYPOINT). */
export const ENVOY_PATH_IN_IMAGE: string = ENVIRONMENT_SETTINGS.ENVOY_IMAGE_ENTRYPOINT.default;

/** Options of {@link ensureEnvoyImage}. */
export interface EnvoyImageOptions {
  /** Use this image as is (e.g. `envoyproxy/envoy:v1.36-latest`); defaults to `$ENVOY_IMAGE`. */
  image?: string;
  /** Envoy version of the locally built image; defaults to `$ENVOY_VERSION` or 1.40.0. */
  version?: string;
}

/** The tag of the locally built image for `version`. */
export function localEnvoyImageName(version: string): string {
  return `proxy-wasm-as/envoy:${version}`;
}

/**
 * Returns the name of an image to run Envoy in, building it on first use.
 * A user-named image (option or `$ENVOY_IMAGE`) is returned unchanged. Otherwise the image
 * `proxy-wasm-as/envoy:<version>` is built `FROM scratch` out of the binary from {@link ensureEnvoyBinary}
 * and the libraries `ldd` lists (kept at their host paths), labelled `proxy-wasm-as.harness=image`.
 * Needs a Docker daemon ({@link ensureDockerEngine} is called). Concurrent callers share one build.
 */
export async function ensureEnvoyImage(options: EnvoyImageOptions = {}): Promise<string> {
  const userImage = options.image ?? (setting("ENVOY_IMAGE") || undefined);
  await ensureDockerEngine();
  configureTestcontainersEnvironment();
  if (userImage) return userImage;
  const version = envoyVersion(options.version);
  const name = localEnvoyImageName(version);
  if (await imageExists(name)) return name;
  const binary = await ensureEnvoyBinary({ version });
  const workDir = join(cacheRoot(), "envoy", version);
  await withFileLock(join(workDir, ".image.lock"), async () => {
    if (await imageExists(name)) return;
    const started = Date.now();
    progress(`building image ${name} from ${binary} (FROM scratch, no pull)…`);
    const context = join(workDir, "image-context");
    rmSync(context, { recursive: true, force: true });
    await writeImageContext(binary, context, version);
    const [repository, tag] = name.split(":");
    await GenericContainer.fromDockerfile(context)
      .withCache(true)
      .build(`${repository}:${tag}`, { deleteOnExit: false });
    rmSync(context, { recursive: true, force: true });
    progress(`image ${name} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
  return name;
}

async function imageExists(name: string): Promise<boolean> {
  const client = await getContainerRuntimeClient();
  try {
    await client.container.dockerode.getImage(name).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Lays out rootfs/ (binary + its shared libraries at their host paths) and a Dockerfile in `context`. */
async function writeImageContext(binary: string, context: string, version: string): Promise<void> {
  const rootfs = join(context, "rootfs");
  const place = (source: string, target: string) => {
    const dest = join(rootfs, target);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(source, dest); // follows symlinks: the image gets the real bytes at the linked name
  };
  place(binary, ENVOY_PATH_IN_IMAGE);
  for (const lib of await sharedLibraries(binary)) place(lib, lib);
  mkdirSync(join(rootfs, "etc/envoy"), { recursive: true });
  mkdirSync(join(rootfs, "tmp"), { recursive: true });
  writeFileSync(
    join(context, "Dockerfile"),
    [
      "FROM scratch",
      "COPY rootfs/ /",
      `LABEL ${HARNESS_LABEL}=image org.opencontainers.image.version=${version}`,
      `ENTRYPOINT ["${ENVOY_PATH_IN_IMAGE}"]`,
      "",
    ].join("\n"),
  );
}

/** Absolute paths of the shared libraries (and the loader) `ldd` reports for `binary`. */
async function sharedLibraries(binary: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync("ldd", [binary]));
  } catch (err) {
    throw new EnvoyHarnessError(`ldd ${binary} failed; cannot tell which libraries the image needs`, {
      hint: "install libc-bin (provides ldd), or set ENVOY_IMAGE to an existing Envoy image",
      cause: err,
    });
  }
  const libs = new Set<string>();
  for (const line of stdout.split("\n")) {
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (match) libs.add(match[1]!);
  }
  if (libs.size === 0) throw new EnvoyHarnessError(`ldd listed no libraries for ${binary}:\n${stdout}`);
  return [...libs];
}
