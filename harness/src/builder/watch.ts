// Watch mode of a filter project: which file-system changes matter to its build, which modules they make stale,
// and a watcher that keeps reporting them through every way editors save. Shared by `proxy-wasm-as build --watch`
// (which watches with watchBuildInputs) and the vitest preset's watch mode (which listens to vitest's own watcher
// and uses isBuildInput and rebuildAfterChanges).
//
// Why chokidar and not fs.watch: Node's `fs.watch(dir, { recursive: true })` on Linux (Node 20–24) is emulated in
// JavaScript with one watcher per file inode. A rename-style save (vim's backup-then-write, JetBrains "safe write",
// `sed -i`, `cp` + `mv`) replaces the inode, so that file is never reported again, and files or folders created
// later are missed: exactly the "rebuilds once, then never again, silently" bug. Doing it right means watching
// directories, re-attaching after renames, following new and deleted subfolders and the project folder itself
// coming back (a `git checkout`), on Linux, macOS and Windows alike. chokidar (also under Vite and vitest) does
// all of that; its `atomic` handling turns "unlink + add within 100 ms" into one `change`.
import { basename, join, relative, sep } from "node:path";
import { watch } from "chokidar";
import type { BuiltModule } from "./modules.ts";
import { buildFilterProject, readFilterProject, SOURCE_DIR, type BuildProjectOptions } from "./project.ts";

/** Changes arriving within this window are one rebuild (editors and `git checkout` write many files in a burst). */
export const WATCH_DEBOUNCE_MS = 150;

/** Project files outside assembly/ that change what a build produces: the compile options and the module name. */
const ROOT_INPUTS = new Set(["asconfig.json", "package.json"]);

/** One change of a build input, as a watcher reports it. */
export interface BuildInputChange {
  readonly event: "add" | "change" | "unlink";
  /** Absolute path. */
  readonly path: string;
}

/**
 * Whether `path` (absolute) is an input of the filter project at `root`: a `.ts` or `.json` file under assembly/
 * (dot files and folders, node_modules and editor temporaries excluded), or the root asconfig.json or package.json.
 * Editor temporaries never qualify: vim's `4913` probe, `.index.ts.swp` and `index.ts~`, JetBrains'
 * `index.ts___jb_tmp___`, sed's `sedAbc123`, emacs' `.#index.ts` and `#index.ts#`. May be called at any time.
 */
export function isBuildInput(root: string, path: string): boolean {
  const rel = relative(root, path);
  if (ROOT_INPUTS.has(rel)) return true;
  const parts = rel.split(sep);
  if (parts.length < 2 || parts[0] !== SOURCE_DIR) return false;
  if (parts.some((part) => part.startsWith(".") || part === "node_modules")) return false;
  const name = basename(rel);
  return (name.endsWith(".ts") || name.endsWith(".json")) && !name.startsWith("#");
}

/**
 * chokidar's `ignored` for a project: everything except the root folder, assembly/ (minus what isBuildInput
 * excludes) and the root inputs, so node_modules and build/ are never scanned. `stats` is absent on chokidar's
 * first, name-only call: then only names that are never inputs or folders of inputs are ignored.
 */
function ignoredBy(root: string) {
  return (path: string, stats?: { isFile(): boolean }): boolean => {
    const rel = relative(root, path);
    if (rel === "") return false;
    const parts = rel.split(sep);
    if (parts.length === 1) return rel !== SOURCE_DIR && !ROOT_INPUTS.has(rel);
    if (parts[0] !== SOURCE_DIR) return true;
    if (parts.some((part) => part.startsWith(".") || part === "node_modules")) return true;
    return stats?.isFile() === true && !isBuildInput(root, path);
  };
}

/** A running watcher of a project's build inputs. */
export interface BuildInputWatcher {
  /** Stops watching; pending (debounced) changes are dropped. */
  close(): Promise<void>;
}

/**
 * Watches the build inputs of the project at `root` (assembly/ recursively, asconfig.json, package.json) and calls
 * `onChanges` with each burst of changes, debounced by `debounceMs`: in-place and rename-style saves, files and
 * folders created or deleted, assembly/ itself removed and restored. Resolves once the initial scan is done, so a
 * change made after it resolves is reported. Call `close()` to stop.
 */
export async function watchBuildInputs(
  root: string,
  onChanges: (changes: BuildInputChange[]) => void,
  options: { debounceMs?: number } = {},
): Promise<BuildInputWatcher> {
  const watcher = watch(root, { ignoreInitial: true, ignored: ignoredBy(root) });
  let pending: BuildInputChange[] = [];
  let timer: NodeJS.Timeout | undefined;
  watcher.on("all", (event, path) => {
    if (event !== "add" && event !== "change" && event !== "unlink") return; // folder events come with their files'
    if (!isBuildInput(root, path)) return;
    pending.push({ event, path });
    clearTimeout(timer);
    timer = setTimeout(() => {
      const burst = pending;
      pending = [];
      onChanges(burst);
    }, options.debounceMs ?? WATCH_DEBOUNCE_MS);
  });
  await new Promise<void>((resolve, reject) => {
    watcher.once("ready", resolve);
    watcher.once("error", reject);
  });
  return {
    close: async () => {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}

/**
 * Rebuilds the project at `root` after `changedPaths` changed: it is read again (module folders may have appeared
 * or gone), the modules the changes can affect are rebuilt even when their outputs look newer (a deleted file or
 * one moved in with an old mtime leaves no newer source behind), then every other module is brought up to date
 * incrementally. A change outside every module folder (shared code, asconfig.json, package.json) affects them all.
 * Returns every module's result; throws BuildError like buildFilterProject.
 */
export async function rebuildAfterChanges(
  root: string,
  changedPaths: Iterable<string>,
  options: BuildProjectOptions = {},
): Promise<BuiltModule[]> {
  const project = readFilterProject(root);
  const sourceDir = join(project.root, SOURCE_DIR);
  const folderModules = project.modules.filter((m) => m.dir !== sourceDir);
  const affected = new Set<string>();
  for (const path of changedPaths) {
    const owner = folderModules.find((m) => path.startsWith(m.dir + sep));
    for (const module of project.modules)
      if (!owner || module === owner || module.dir === sourceDir) affected.add(module.name);
  }
  const selected = options.only?.length ? new Set(options.only) : undefined;
  const forced = [...affected].filter((name) => !selected || selected.has(name));
  const rebuilt = forced.length ? await buildFilterProject(project, { ...options, only: forced, force: true }) : [];
  const rest = await buildFilterProject(project, options);
  return rest.map((result) => rebuilt.find((r) => r.name === result.name) ?? result);
}
