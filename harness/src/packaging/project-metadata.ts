// Where `push` and `package` take an image's description from when the user does not say: the nearest package.json
// (name, version, description, repository) of the folder the command runs in, and the creation time from
// SOURCE_DATE_EPOCH (reproducible builds) or the clock.
import { open } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import hostedGitInfo from "hosted-git-info";
import { PackagingError } from "./errors.ts";
import { createdFromEpoch, rfc3339, type ImageDescription } from "./metadata.ts";

/** A package.json larger than this is not read for metadata (an ordinary one is a few KiB). */
export const MAX_PACKAGE_JSON_BYTES = 1024 * 1024;

/** Options of {@link describeImage}. */
export interface DescribeImageOptions {
  /** Fields given explicitly (flags); they win over everything else. */
  given?: ImageDescription;
  /** Folder whose nearest package.json (this folder or a parent) supplies defaults; default `process.cwd()`. */
  cwd?: string;
  /** The module file: its name (without `.wasm`) is the title when no package.json names one. */
  wasmPath?: string;
  /** `SOURCE_DATE_EPOCH` (seconds since 1970): the creation time when `given.created` is absent. */
  sourceDateEpoch?: string;
  /** The clock, when neither `given.created` nor `sourceDateEpoch` is set; default `new Date()`. */
  now?: Date;
}

/**
 * The description `push` writes: `given` fields, else the nearest package.json's `version`, `description` and
 * `repository`; the source (given or not) as a browsable https URL where it names a GitHub, GitLab or Bitbucket
 * repository; the title is the module's name (see `moduleTitle`: the package name for the main module); `created` from `given`, else `sourceDateEpoch`, else the clock. Throws a
 * {@link PackagingError} for an unreadable or malformed package.json or a bad `sourceDateEpoch`.
 */
export async function describeImage(options: DescribeImageOptions = {}): Promise<ImageDescription> {
  const given = options.given ?? {};
  const project = await nearestPackageJson(resolve(options.cwd ?? process.cwd()));
  const created =
    given.created ??
    (options.sourceDateEpoch ? createdFromEpoch(options.sourceDateEpoch) : rfc3339(options.now ?? new Date()));
  const pick = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined);
  const out: ImageDescription = {
    title: given.title ?? moduleTitle(pick(project?.name), options.wasmPath),
    version: given.version ?? pick(project?.version),
    source: repositoryUrl(given.source) ?? repositoryUrl(project?.repository),
    description: given.description ?? pick(project?.description),
    created,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as ImageDescription;
}

/**
 * The module's name: the package name when the file is the project's main module (`build/<package name>.wasm`, what
 * `proxy-wasm-as build` writes for `assembly/index.ts`; a scope is kept), else the file's name without `.wasm`
 * (`build/<name>.wasm` of `assembly/<name>/`), else the package name.
 */
function moduleTitle(packageName: string | undefined, wasmPath: string | undefined): string | undefined {
  const file = wasmPath ? basename(wasmPath).replace(/\.wasm$/, "") : undefined;
  if (file === undefined) return packageName;
  return packageName !== undefined && packageName.replace(/^@[^/]+\//, "") === file ? packageName : file;
}

/**
 * `repository` of a package.json as a URL: hosted shorthands and git URLs (`github:me/f`, `me/f`,
 * `git+https://github.com/me/f.git`, `{ url }`) become the https page; other URLs lose `git+` and `.git`.
 */
export function repositoryUrl(repository: unknown): string | undefined {
  const raw =
    typeof repository === "string"
      ? repository
      : typeof (repository as { url?: unknown } | null)?.url === "string"
        ? (repository as { url: string }).url
        : undefined;
  if (!raw?.trim()) return undefined;
  const hosted = hostedGitInfo.fromUrl(raw.trim());
  if (hosted) return hosted.browse();
  return raw
    .trim()
    .replace(/^git\+/, "")
    .replace(/\.git$/, "");
}

/** The parsed nearest package.json from `dir` upwards, or undefined when there is none. */
async function nearestPackageJson(dir: string): Promise<Record<string, unknown> | undefined> {
  for (let current = dir; ; current = dirname(current)) {
    const path = join(current, "package.json");
    const text = await readBounded(path);
    if (text !== undefined) {
      try {
        const value: unknown = JSON.parse(text);
        if (typeof value === "object" && value !== null && !Array.isArray(value))
          return value as Record<string, unknown>;
      } catch (cause) {
        throw new PackagingError(`${path} is not valid JSON (${(cause as Error).message})`, {
          hint: "fix the package.json, or give the image's metadata with --title/--version/--source/--description",
          cause,
        });
      }
      throw new PackagingError(`${path} does not hold a JSON object`, { hint: "fix the package.json" });
    }
    if (dirname(current) === current) return undefined;
  }
}

/** The file's text, undefined when it does not exist; refuses one over {@link MAX_PACKAGE_JSON_BYTES}. */
async function readBounded(path: string): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return undefined;
    throw new PackagingError(`cannot read ${path}: ${(cause as Error).message}`, {
      hint: "check its permissions",
      cause,
    });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return undefined;
    const size = stats.size;
    if (size > MAX_PACKAGE_JSON_BYTES) {
      throw new PackagingError(`${path} is ${size} bytes, over the ${MAX_PACKAGE_JSON_BYTES} read for image metadata`, {
        hint: "give the image's metadata with --title/--version/--source/--description",
      });
    }
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}
