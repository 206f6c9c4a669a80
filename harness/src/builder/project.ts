// A filter project as `proxy-wasm-as init` lays it out (and as `proxy-wasm-as build` and the vitest preset find it):
//   asconfig.json            extends node_modules/@proxy-wasm-as/sdk/asconfig.json
//   assembly/index.ts        one filter  → build/<package name>.wasm
//   assembly/<name>/index.ts more filters → build/<name>.wasm (a folder may hold its own asconfig.json)
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { BuildError } from "./errors.ts";
import { buildModules, type BuildModulesOptions, type BuiltModule, type ModuleSource } from "./modules.ts";

/** Where a project's AssemblyScript sources live. */
export const SOURCE_DIR = "assembly";
/** Where a project's modules are written. */
export const BUILD_DIR = "build";
/** The SDK package whose asconfig.json every project extends. */
export const SDK_PACKAGE = "@proxy-wasm-as/sdk";

/** A filter project: its root and the modules it builds. */
export interface FilterProject {
  readonly root: string;
  readonly buildDir: string;
  readonly modules: readonly ModuleSource[];
  /** The SDK folder (resolved through symlinks), or undefined when it is not installed. */
  readonly sdkDir: string | undefined;
}

/** The nearest folder at or above `from` holding a package.json, or undefined. */
export function findProjectRoot(from: string = process.cwd()): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** `name` of package.json without its scope, made safe as a file name; the folder name when there is none. */
function moduleNameOf(root: string): string {
  let name = basename(root);
  try {
    const parsed = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name?: unknown };
    if (typeof parsed.name === "string" && parsed.name) name = parsed.name;
  } catch {
    /* no or invalid package.json: folder name */
  }
  return name.replace(/^@[^/]+\//, "").replace(/[^\w.-]/g, "-");
}

/**
 * Reads the project at `root` (default: the nearest package.json above the current directory). Throws
 * BuildError with a fix when it has no asconfig.json or no AssemblyScript entry.
 */
export function readFilterProject(root?: string): FilterProject {
  const projectRoot = root ? resolve(root) : findProjectRoot();
  if (!projectRoot) {
    throw new BuildError(`no package.json found in ${process.cwd()} or above`, {
      hint: "run this inside your filter project, or create one with `npm create proxy-wasm-as@latest my-filter`",
    });
  }
  const rootConfig = join(projectRoot, "asconfig.json");
  const sourceDir = join(projectRoot, SOURCE_DIR);
  const modules: ModuleSource[] = [];
  const configFor = (dir: string): string => {
    const own = join(dir, "asconfig.json");
    if (existsSync(own)) return own;
    if (existsSync(rootConfig)) return rootConfig;
    throw new BuildError(`${relative(projectRoot, dir) || "."} has no asconfig.json`, {
      hint: `create ${relative(process.cwd(), rootConfig) || "asconfig.json"} with {"extends": "./node_modules/${SDK_PACKAGE}/asconfig.json"}`,
    });
  };
  if (existsSync(join(sourceDir, "index.ts"))) {
    modules.push({
      name: moduleNameOf(projectRoot),
      dir: sourceDir,
      entry: join(sourceDir, "index.ts"),
      config: configFor(projectRoot),
    });
  }
  if (existsSync(sourceDir)) {
    for (const child of readdirSync(sourceDir).sort()) {
      const dir = join(sourceDir, child);
      if (statSync(dir).isDirectory() && existsSync(join(dir, "index.ts"))) {
        modules.push({ name: child, dir, entry: join(dir, "index.ts"), config: configFor(dir) });
      }
    }
  }
  if (modules.length === 0) {
    throw new BuildError(`no filter found in ${relative(process.cwd(), sourceDir) || sourceDir}`, {
      hint: `put your filter in ${SOURCE_DIR}/index.ts (or one per folder: ${SOURCE_DIR}/<name>/index.ts)`,
    });
  }
  const sdkLink = join(projectRoot, "node_modules", SDK_PACKAGE);
  return {
    root: projectRoot,
    buildDir: join(projectRoot, BUILD_DIR),
    modules,
    sdkDir: existsSync(sdkLink) ? realpathSync(sdkLink) : undefined,
  };
}

/** Options of {@link buildFilterProject}. */
export type BuildProjectOptions = Pick<
  BuildModulesOptions,
  "force" | "releaseOnly" | "fast" | "onCompile" | "coverage"
> & {
  /** Build only these module names. */
  readonly only?: readonly string[];
};

/** Builds (incrementally) the modules of `project`; throws BuildError naming the known modules on an unknown name. */
export function buildFilterProject(project: FilterProject, options: BuildProjectOptions = {}): Promise<BuiltModule[]> {
  if (!project.sdkDir) {
    throw new BuildError(`${SDK_PACKAGE} is not installed in ${project.root}`, {
      hint: `run \`npm install\` (or \`npm install --save-dev ${SDK_PACKAGE}\`)`,
    });
  }
  let modules = project.modules;
  if (options.only?.length) {
    const unknown = options.only.filter((name) => !modules.some((m) => m.name === name));
    if (unknown.length)
      throw new BuildError(`unknown module(s): ${unknown.join(", ")}`, {
        hint: `known: ${modules.map((m) => m.name).join(", ")}`,
      });
    modules = modules.filter((m) => options.only!.includes(m.name));
  }
  return buildModules({
    root: project.root,
    buildDir: project.buildDir,
    modules,
    sharedInputs: [project.sdkDir],
    force: options.force,
    releaseOnly: options.releaseOnly,
    fast: options.fast,
    onCompile: options.onCompile,
    coverage: options.coverage,
  });
}
