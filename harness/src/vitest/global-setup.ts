// Global setup of the preset: before any test, provision Envoy (the runner the tests use) and build the project's
// filters once; in watch mode, rebuild them before every re-run (the preset makes a save under assembly/ trigger
// one). A compile error fails the run with asc's diagnostics instead of every test failing on a stale module.
import { buildFilterProject, readFilterProject } from "../builder/index.ts";
import { prepareRunner } from "../envoy/index.ts";

/** The part of vitest's TestProject this setup uses. */
interface ProjectLike {
  readonly config: { readonly root: string };
  readonly globalConfig?: { readonly coverage?: { readonly enabled?: boolean } };
  onTestsRerun(callback: () => Promise<void> | void): void;
}

/** Called by vitest once per run (not per test file). */
export default async function setup(project: ProjectLike): Promise<void> {
  const root = project.config.root;
  // With coverage on, each module's coverage build too (build/coverage/<name>.wasm), measured in its place.
  const coverage = project.globalConfig?.coverage?.enabled === true;
  const build = async (fast: boolean) => {
    const results = await buildFilterProject(readFilterProject(root), { fast, coverage });
    const rebuilt = results.filter((r) => r.rebuilt);
    if (rebuilt.length)
      console.log(
        `[proxy-wasm-as] built ${rebuilt.map((r) => `${r.name} (${(r.compileMs / 1000).toFixed(1)} s)`).join(", ")}`,
      );
  };
  if (process.env.PROXY_WASM_AS_SKIP_BUILD !== "1") await build(false);
  // Watch mode: rebuild only the release module (what tests load), unoptimized, so a save turns green fast; the
  // next `vitest run` or `proxy-wasm-as build` replaces it with the optimized one.
  project.onTestsRerun(() => build(true));
  if (process.env.PROXY_WASM_AS_SKIP_ENVOY !== "1") {
    const runner = process.env.ENVOY_RUNNER === "container" ? "container" : "process";
    await prepareRunner({ runner });
  }
}
