// `proxy-wasm-as build [name…] [--watch] [--force]`: compile the project's filters with the SDK's asconfig
// (harness/src/builder) and print their sizes; with --watch, rebuild on every save until Ctrl-C.
import { watch } from "node:fs";
import { join, relative } from "node:path";
import {
  buildFilterProject,
  formatSizeTable,
  readFilterProject,
  SOURCE_DIR,
  type FilterProject,
} from "../builder/index.ts";
import { type Command, parseCommandArgs, PROGRAM } from "./command.ts";
import { describeError } from "./errors.ts";
import type { CliIo } from "./io.ts";

/** Saves arriving within this window trigger one rebuild (editors write a file in several steps). */
const WATCH_DEBOUNCE_MS = 40;

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
  --watch          rebuild whenever a source under assembly/ or asconfig.json changes (Ctrl-C stops)
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

async function buildOnce(
  project: FilterProject,
  options: { only: string[]; force?: boolean; releaseOnly?: boolean; fast?: boolean },
  io: CliIo,
): Promise<void> {
  const results = await buildFilterProject(project, {
    ...options,
    onCompile: (module) => io.info(`compiling ${relative(process.cwd(), module.entry)} (${module.name})…`),
  });
  io.print(formatSizeTable(results.map((r) => ({ ...r, name: relative(process.cwd(), r.release) }))));
}

/** Builds now, then after every change until SIGINT/SIGTERM; a failing build prints its diagnostics and keeps watching. */
async function watchAndBuild(
  project: FilterProject,
  options: { only: string[]; releaseOnly?: boolean; fast?: boolean },
  io: CliIo,
): Promise<number> {
  const attempt = async (force: boolean) => {
    try {
      await buildOnce(project, { ...options, force }, io);
    } catch (error) {
      io.info(describeError(error));
    }
  };
  await attempt(false);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const onChange = (_event: string, file: string | null) => {
    if (file && !/\.(ts|json)$/.test(file)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(() => attempt(false));
    }, WATCH_DEBOUNCE_MS);
  };
  const watchers = [
    watch(join(project.root, SOURCE_DIR), { recursive: true }, onChange),
    watch(project.root, (event, file) => file === "asconfig.json" && onChange(event, file)),
  ];
  io.info(`watching ${SOURCE_DIR}/ and asconfig.json; Ctrl-C stops`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  for (const watcher of watchers) watcher.close();
  clearTimeout(timer);
  await running;
  return 0;
}
