// `proxy-wasm-as build [name…] [--watch] [--force]`: compile the project's filters with the SDK's asconfig
// (harness/src/builder) and print their sizes; with --watch, rebuild on every save until Ctrl-C.
import { relative } from "node:path";
import {
  buildFilterProject,
  formatSizeTable,
  readFilterProject,
  rebuildAfterChanges,
  SOURCE_DIR,
  watchBuildInputs,
  type BuiltModule,
  type FilterProject,
  type ModuleSource,
} from "../builder/index.ts";
import { type Command, parseCommandArgs, PROGRAM } from "./command.ts";
import { describeError } from "./errors.ts";
import type { CliIo } from "./io.ts";

/** The `build` command. */
export const buildCommand: Command = {
  help: `Usage: ${PROGRAM} build [name …] [--watch] [--fast] [--force] [--release-only]

Compiles your AssemblyScript filters with asc and your asconfig.json (which extends the SDK's):
  assembly/index.ts          → build/<package name>.wasm  (+ .debug.wasm with names and a source map)
  assembly/<name>/index.ts   → build/<name>.wasm
Beside each module, <module>.wasm.map keeps its function names and source map (never shipped: the .wasm is the
same without it), so a trap in the emulator or in Envoy is told in your source lines.
Only modules older than their sources are rebuilt. Prints raw and gzip sizes.

Options:
  --watch          rebuild whenever a file under assembly/, asconfig.json or package.json changes, however your
                   editor saves; a failed build keeps watching (Ctrl-C stops)
  --fast           release only, without Binaryen optimizations: same behaviour, bigger, several times faster
                   to compile (the next normal build replaces it)
  --force          rebuild even when up to date
  --release-only   skip the debug build (faster)`,
  async run(argv, io) {
    const { positionals, values } = parseCommandArgs("build", argv, {
      watch: { type: "boolean" },
      fast: { type: "boolean" },
      force: { type: "boolean" },
      "release-only": { type: "boolean" },
    });
    if (values.help) {
      io.print(this.help);
      return 0;
    }
    const project = readFilterProject();
    const options = { only: positionals, force: values.force, releaseOnly: values["release-only"], fast: values.fast };
    if (!values.watch) {
      await buildOnce(project, options, io);
      return 0;
    }
    return watchAndBuild(project, options, io);
  },
};

/** Build options that print a line before each compile. */
function withProgress<T extends object>(options: T, io: CliIo) {
  return {
    ...options,
    onCompile: (module: ModuleSource) =>
      io.info(`compiling ${relative(process.cwd(), module.entry)} (${module.name})…`),
  };
}

/** Prints the size table of a build (stdout). */
function printSizes(results: readonly BuiltModule[], io: CliIo): void {
  io.print(formatSizeTable(results.map((r) => ({ ...r, name: relative(process.cwd(), r.release) }))));
}

async function buildOnce(
  project: FilterProject,
  options: { only: string[]; force?: boolean; releaseOnly?: boolean; fast?: boolean },
  io: CliIo,
): Promise<void> {
  printSizes(await buildFilterProject(project, withProgress(options, io)), io);
}

/** Builds now, then after every burst of changes until SIGINT/SIGTERM; a failing build prints its diagnostics and keeps watching. */
async function watchAndBuild(
  project: FilterProject,
  options: { only: string[]; releaseOnly?: boolean; fast?: boolean },
  io: CliIo,
): Promise<number> {
  const watched = `${SOURCE_DIR}/, asconfig.json and package.json`;
  const buildOptions = withProgress(options, io);
  const attempt = async (build: () => Promise<BuiltModule[]>) => {
    try {
      printSizes(await build(), io);
      io.info(`watching ${watched} (Ctrl-C stops)`);
    } catch (error) {
      io.info(describeError(error));
      io.info(`build failed; still watching ${watched}: save a fix to rebuild (Ctrl-C stops)`);
    }
  };
  // One build at a time: changes arriving meanwhile are collected and rebuilt right after it, in one more build.
  const changed = new Set<string>();
  let building: Promise<void> | undefined;
  const run = async (initial: boolean) => {
    if (initial) await attempt(() => buildFilterProject(project, buildOptions));
    while (changed.size) {
      const paths = [...changed];
      changed.clear();
      io.info(`changed: ${describePaths(paths)}; rebuilding`);
      await attempt(() => rebuildAfterChanges(project.root, paths, buildOptions));
    }
    building = undefined;
  };
  // Watching starts before the first build, so a save during it is not lost.
  const watcher = await watchBuildInputs(project.root, (changes) => {
    for (const change of changes) changed.add(change.path);
    building ??= run(false);
  });
  building = run(true);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await watcher.close();
  await building;
  return 0;
}

/** "assembly/a.ts, assembly/b.ts and 3 more", relative to the current folder. */
function describePaths(paths: readonly string[]): string {
  const shown = paths.slice(0, 3).map((p) => relative(process.cwd(), p));
  return paths.length > shown.length ? `${shown.join(", ")} and ${paths.length - shown.length} more` : shown.join(", ");
}
