// `proxy-wasm-as init [dir]`: scaffold a filter project from harness/templates/filter, then install its
// dependencies. Also what `npm create proxy-wasm-as` runs. This file imports only Node built-ins so that it runs
// on whatever Node `npm create` uses (the project's own Node 22 arrives with its `node` devDependency).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Command, parseCommandArgs, PROGRAM } from "./command.ts";
import { CliError } from "./errors.ts";
import type { CliIo } from "./io.ts";

/** The template folder shipped in the harness package (same place relative to src/cli and dist/cli). */
const TEMPLATE_DIR = fileURLToPath(new URL("../../templates/filter/", import.meta.url));
/** npm refuses to pack files named .gitignore, so templates hold them without the dot. */
const RENAMED_ON_COPY: Readonly<Record<string, string>> = { gitignore: ".gitignore" };
/** npm's rules for a package name (lower case, URL-safe, at most 214 characters). */
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const MAX_PACKAGE_NAME_LENGTH = 214;

/** Options of {@link scaffoldProject}. */
export interface ScaffoldOptions {
  /** Package name; default: the folder name. */
  readonly name?: string;
  /** Write into a non-empty folder (existing files are never overwritten). */
  readonly force?: boolean;
}

/** The harness package's version: the scaffold depends on the SDK and harness of this very release. */
export function harnessVersion(): string {
  const manifest = JSON.parse(readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url)), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

/**
 * Writes a filter project into `dir` (created if needed) and returns the files written, relative to `dir`.
 * Throws CliError when `dir` is not empty (unless `force`) or the name is not a valid npm package name.
 */
export function scaffoldProject(dir: string, options: ScaffoldOptions = {}): string[] {
  const target = resolve(dir);
  const name = options.name ?? basename(target);
  if (!PACKAGE_NAME.test(name) || name.length > MAX_PACKAGE_NAME_LENGTH) {
    throw new CliError(`"${name}" is not a valid npm package name`, {
      hint: "use lower-case letters, digits and dashes, e.g. `my-filter` (or pass --name)",
      exitCode: 2,
    });
  }
  if (existsSync(target) && !statSync(target).isDirectory())
    throw new CliError(`${dir} exists and is not a folder`, { exitCode: 2 });
  if (existsSync(target) && readdirSync(target).length > 0 && !options.force) {
    throw new CliError(`${dir} is not empty`, {
      hint: "pick a new folder name, or pass --force to add the missing files only",
      exitCode: 2,
    });
  }
  const module = name.replace(/^@[^/]+\//, "");
  const values: Record<string, string> = { name, module, version: harnessVersion() };
  const written: string[] = [];
  for (const file of templateFiles(TEMPLATE_DIR)) {
    const relativePath = relative(TEMPLATE_DIR, file);
    const outPath = join(
      target,
      dirname(relativePath),
      RENAMED_ON_COPY[basename(relativePath)] ?? basename(relativePath),
    );
    if (existsSync(outPath)) continue;
    const text = readFileSync(file, "utf8").replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, text);
    written.push(relative(target, outPath));
  }
  return written;
}

function templateFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? templateFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Runs `npm install` in `dir`, streaming npm's output to stderr; resolves with npm's exit code. */
function npmInstall(dir: string, io: CliIo): Promise<number> {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  io.info(`installing dependencies (npm install in ${dir})…`);
  return new Promise((resolvePromise) => {
    const child = spawn(npm, ["install", "--no-audit", "--no-fund"], {
      cwd: dir,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", (error) => {
      io.info(`error: cannot run npm: ${error.message}`);
      resolvePromise(1);
    });
    child.on("exit", (code) => resolvePromise(code ?? 1));
  });
}

/** The `init` command. */
export const initCommand: Command = {
  help: `Usage: ${PROGRAM} init [dir] [--name <package-name>] [--no-install] [--force]
       npm create proxy-wasm-as@latest <dir>

Creates a filter project in <dir> (default: the current folder):
  package.json       depends on @proxy-wasm-as/sdk and @proxy-wasm-as/harness, assemblyscript, vitest,
                     and Node 22 (so any system Node works)
  asconfig.json      extends the SDK's
  assembly/index.ts  a filter that adds a header and blocks a path
  test/              an emulator test and a real-Envoy test
  vitest.config.ts   the harness preset: build + Envoy once, matchers, timeouts
  tsconfig.json, .gitignore, README.md
then runs npm install. Next: cd <dir> && npm test

Options:
  --name <name>   package name (default: the folder name)
  --no-install    do not run npm install
  --force         write into a non-empty folder (existing files are kept)`,
  async run(argv, io) {
    const { positionals, values } = parseCommandArgs("init", argv, {
      name: { type: "string" },
      "no-install": { type: "boolean" },
      force: { type: "boolean" },
    });
    if (values.help) {
      io.print(this.help);
      return 0;
    }
    if (positionals.length > 1)
      throw new CliError("init takes at most one folder", { hint: `e.g. \`${PROGRAM} init my-filter\``, exitCode: 2 });
    const dir = positionals[0] ?? ".";
    const written = scaffoldProject(dir, { name: values.name, force: values.force });
    io.print(`created ${dir === "." ? "the project here" : dir}: ${written.join(", ")}`);
    if (!values["no-install"]) {
      const code = await npmInstall(resolve(dir), io);
      if (code !== 0)
        throw new CliError(`npm install failed in ${dir} (exit ${code})`, {
          hint: `fix the error above, then run \`npm install\` in ${dir}`,
        });
    }
    const cd = dir === "." ? "" : `cd ${dir} && `;
    io.print(
      `\nnext:\n  ${cd}${values["no-install"] ? "npm install && " : ""}npm test     # build, provision Envoy, run the emulator and real-Envoy tests`,
    );
    io.print(
      `  npm start            # try it: Envoy with your filter and an echo upstream, then curl the URL it prints`,
    );
    return 0;
  },
};
