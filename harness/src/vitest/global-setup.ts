// Global setup of the preset: before any test, provision Envoy (the runner the tests use) and build the project's
// filters once; in watch mode, rebuild them before every re-run (watch-rebuild.ts). A compile error fails a
// `vitest run` with asc's diagnostics instead of every test failing on a stale module; in watch mode it fails the
// test files with them and keeps watching.
import { buildFilterProject, readFilterProject } from "../builder/index.ts";
import { prepareRunner } from "../envoy/index.ts";
import {
  installWatchRebuild,
  isWatchMode,
  reportBuildFailure,
  reportBuilt,
  type WatchedProject,
} from "./watch-rebuild.ts";
import { settingEnabled } from "../settings.ts";

/** The part of vitest's TestProject this setup uses. */
interface ProjectLike extends WatchedProject {
  readonly config: { readonly root: string };
  readonly globalConfig?: { readonly coverage?: { readonly enabled?: boolean } };
}

/** Called by vitest once per run (not per test file). */
export default async function setup(project: ProjectLike): Promise<void> {
  const root = project.config.root;
  // With coverage on (`vitest --coverage`), each module's coverage build too (build/coverage/<name>.wasm), which
  // the emulator measures in place of the module.
  const coverage = project.globalConfig?.coverage?.enabled === true;
  if (!settingEnabled("PROXY_WASM_AS_SKIP_BUILD")) {
    try {
      reportBuilt(await buildFilterProject(readFilterProject(root), { coverage }));
    } catch (error) {
      if (!isWatchMode(project)) throw error;
      reportBuildFailure(project, error);
    }
  }
  // Watch mode: rebuild only the release module (what tests load), unoptimized, so a save turns green fast; the
  // next `vitest run` or `proxy-wasm-as build` replaces it with the optimized one.
  installWatchRebuild(project, root, { coverage });
  if (!settingEnabled("PROXY_WASM_AS_SKIP_ENVOY")) {
    await prepareRunner({}); // the runner $ENVOY_RUNNER names, else the process runner (envoy/settings.ts)
  }
}
