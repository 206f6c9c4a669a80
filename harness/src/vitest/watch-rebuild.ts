// Watch mode of the preset (`vitest` / `npm run test:watch`): rebuild the filter before every re-run, through every
// way a file changes, and keep watching when a build fails.
//   - vitest's watcher (chokidar, inside Vite) already follows rename-style saves and new files, and the preset's
//     forceRerunTriggers turn those into a re-run. It does not re-run when a non-test file is deleted, and a
//     deletion leaves no newer source behind for the incremental build: both are handled here, by listening to
//     that same watcher (no second one) for the project's build inputs (builder isBuildInput).
//   - A failed rebuild used to reject vitest's re-run hook, an unhandled rejection that ended `vitest` itself. Now
//     it prints asc's diagnostics, says it keeps watching, and makes every test file fail with them (the module in
//     build/ is the previous one; tests must not pass against it).
import { relative } from "node:path";
import { isBuildInput, rebuildAfterChanges, WATCH_DEBOUNCE_MS, type BuiltModule } from "../builder/index.ts";
import { BUILD_ERROR_KEY } from "./build-status.ts";

/** The part of vitest's Vitest instance (vitest ≥ 3) this uses. */
export interface WatchingVitest {
  shouldKeepServer(): boolean;
  readonly vite: { readonly watcher: { on(event: "all", listener: (event: string, path: string) => void): unknown } };
  readonly state: { getFilepaths(): string[] };
  getModuleSpecifications(moduleId: string): readonly unknown[];
  rerunTestSpecifications(specifications: never[], allTestsRun?: boolean): Promise<unknown>;
}

/** The part of vitest's TestProject this uses. */
export interface WatchedProject {
  readonly vitest?: WatchingVitest;
  onTestsRerun(callback: () => Promise<void> | void): void;
  provide(key: typeof BUILD_ERROR_KEY, value: string): void;
}

/** Prints one preset line. */
const say = (text: string) => console.log(`[proxy-wasm-as] ${text}`);

/** Prints which modules a build compiled and how long each took (nothing when all were up to date). */
export function reportBuilt(results: readonly BuiltModule[]): void {
  const rebuilt = results.filter((r) => r.rebuilt);
  if (rebuilt.length) say(`built ${rebuilt.map((r) => `${r.name} (${(r.compileMs / 1000).toFixed(1)} s)`).join(", ")}`);
}

/** Whether vitest runs in watch mode (then {@link installWatchRebuild} applies). */
export function isWatchMode(project: WatchedProject): boolean {
  return project.vitest?.shouldKeepServer() === true;
}

/** Records a failed build for the test files (setup.ts fails them with it) and says that watching goes on. */
export function reportBuildFailure(project: WatchedProject, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(message);
  say("build failed: the tests fail with its errors until it builds; still watching, save a fix to rebuild");
  project.provide(BUILD_ERROR_KEY, `[proxy-wasm-as] the filter did not build, so it was not tested:\n${message}`);
}

/**
 * In watch mode, rebuilds the project at `root` before every re-run (release only, unoptimized): the modules
 * changed paths affect are recompiled even when a deletion left no newer file. A deletion under assembly/ also
 * starts a re-run, which vitest alone would not. With `coverage`, the coverage builds are rebuilt too (the
 * emulator measures them in place of the modules). Call once from the global setup, after the first build.
 */
export function installWatchRebuild(
  project: WatchedProject,
  root: string,
  options: { readonly coverage?: boolean } = {},
): void {
  const vitest = project.vitest;
  if (!vitest?.shouldKeepServer()) return;
  const changed = new Set<string>();
  let deletionsOnly = true;
  let timer: NodeJS.Timeout | undefined;
  vitest.vite.watcher.on("all", (event, path) => {
    if (!isBuildInput(root, path)) return;
    changed.add(path);
    if (event !== "unlink") deletionsOnly = false; // vitest re-runs on add/change itself (forceRerunTriggers)
    clearTimeout(timer);
    timer = setTimeout(() => {
      const rerun = deletionsOnly;
      deletionsOnly = true;
      if (!rerun) return;
      say(`removed ${[...changed].map((p) => relative(root, p)).join(", ")}: re-running`);
      const specifications = vitest.state.getFilepaths().flatMap((file) => vitest.getModuleSpecifications(file));
      void vitest.rerunTestSpecifications(specifications as never[], true).catch((error) => console.error(error));
    }, WATCH_DEBOUNCE_MS);
  });
  project.onTestsRerun(async () => {
    const paths = [...changed];
    changed.clear();
    try {
      reportBuilt(await rebuildAfterChanges(root, paths, { fast: true, coverage: options.coverage }));
      project.provide(BUILD_ERROR_KEY, "");
    } catch (error) {
      reportBuildFailure(project, error);
    }
  });
}
