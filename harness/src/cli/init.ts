// `proxy-wasm-as init [dir]`: scaffold a filter project from harness/templates/filter, then install its
// dependencies. Also what `npm create proxy-wasm-as` runs: create-proxy-wasm-as ships this file compiled, with the
// templates, and nothing else. So it imports only Node built-ins and the CLI's own small modules, and runs on any
// Node from 18 on (the project's own Node 22 arrives with its `node` devDependency).
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Command, parseCommandArgs, PROGRAM } from "./command.ts";
import { isSupportedNode } from "../node-version.ts";
import { CliError } from "./errors.ts";
import type { CliIo } from "./io.ts";

/** The template folder shipped in the harness package (same place relative to src/cli and dist/cli). */
const TEMPLATE_DIR = fileURLToPath(new URL("../../templates/filter/", import.meta.url));
/** npm refuses to pack files named .gitignore or .npmrc, so templates hold them without the dot. */
const RENAMED_ON_COPY: Readonly<Record<string, string>> = { gitignore: ".gitignore", npmrc: ".npmrc" };
/** npm's rules for a package name (lower case, URL-safe, at most 214 characters). */
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const MAX_PACKAGE_NAME_LENGTH = 214;
/** The packages of this release a project depends on, which `--from` takes from tarballs instead of a registry. */
const RELEASE_PACKAGES = ["@proxy-wasm-as/sdk", "@proxy-wasm-as/harness"] as const;
/** Where `--from` copies those tarballs inside the project (committed with it, so a clone installs anywhere). */
const VENDOR_DIR = "vendor";

/** Options of {@link scaffoldProject}. */
export interface ScaffoldOptions {
  /** Package name; default: the folder name. */
  readonly name?: string;
  /** Write into a non-empty folder (existing files are never overwritten). */
  readonly force?: boolean;
  /**
   * A folder holding this release's packed SDK and harness (`npm run pack` in a clone of proxy-wasm-as writes
   * them): they are copied into the project's vendor/ and its package.json depends on them as `file:` tarballs,
   * so the project installs without those packages on a registry.
   */
  readonly from?: string;
}

/** `npm pack`'s file name for `name` at `version`: "@scope/pkg" → "scope-pkg-1.2.3.tgz". */
export function tarballName(name: string, version: string): string {
  return `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;
}

/** The tarballs of this release's packages in `folder` (absolute paths by package name); CliError when missing. */
function releaseTarballs(folder: string, version: string): Map<string, string> {
  const dir = resolve(folder);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new CliError(`--from ${folder}: no such folder`, { hint: FROM_HINT, exitCode: 2 });
  const found = new Map<string, string>();
  const missing: string[] = [];
  for (const name of RELEASE_PACKAGES) {
    const file = join(dir, tarballName(name, version));
    if (existsSync(file)) found.set(name, file);
    else missing.push(tarballName(name, version));
  }
  if (missing.length > 0) {
    const present = readdirSync(dir).filter((f) => f.endsWith(".tgz"));
    throw new CliError(
      `--from ${folder} has no ${missing.join(" and ")} (it holds: ${present.length > 0 ? present.join(", ") : "no .tgz file"})`,
      {
        hint: `${FROM_HINT}; this ${PROGRAM} is version ${version}, so use it with the tarballs packed with it`,
        exitCode: 2,
      },
    );
  }
  return found;
}

const FROM_HINT =
  "in a clone of proxy-wasm-as, `npm run pack` writes the sdk, harness and create-proxy-wasm-as tarballs to packs/: pass that folder";

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
  const version = harnessVersion();
  const tarballs = options.from === undefined ? undefined : releaseTarballs(options.from, version);
  const values: Record<string, string> = { name, module, version };
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
  if (tarballs) written.push(...useTarballs(target, tarballs, written.includes("package.json")));
  return written;
}

/**
 * Copies `tarballs` into the project's vendor/ and, when this run wrote package.json (`rewrite`), points its
 * dependencies on them at the copies (`file:vendor/<tarball>`). Returns the files written.
 */
function useTarballs(target: string, tarballs: ReadonlyMap<string, string>, rewrite: boolean): string[] {
  mkdirSync(join(target, VENDOR_DIR), { recursive: true });
  const written: string[] = [];
  const specs: Record<string, string> = {};
  for (const [name, file] of tarballs) {
    const local = `${VENDOR_DIR}/${basename(file)}`;
    copyFileSync(file, join(target, local));
    written.push(local);
    specs[name] = `file:${local}`;
  }
  if (rewrite) {
    const manifestPath = join(target, "package.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, Record<string, string>>;
    for (const field of ["dependencies", "devDependencies"]) {
      for (const name of Object.keys(manifest[field] ?? {})) if (specs[name]) manifest[field]![name] = specs[name];
    }
    writeFileSync(
      manifestPath,
      `${JSON.stringify(manifest, null, 2)}
`,
    );
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
  if (!isSupportedNode(process.versions.node))
    io.info(
      `(npm may warn "EBADENGINE" below: the harness, vitest and undici need Node 22, which the project brings: its \`node\` devDependency runs your npm scripts and npx, whatever Node ${process.versions.node} you have)`,
    );
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
  help: `Usage: ${PROGRAM} init [dir] [--name <package-name>] [--no-install] [--force] [--from <folder>]
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
  --force         write into a non-empty folder (existing files are kept)
  --from <folder> take @proxy-wasm-as/sdk and @proxy-wasm-as/harness from their tarballs in <folder> (copied
                  into vendor/) instead of a registry, e.g. the packs/ folder of a proxy-wasm-as clone after
                  its pack script ran`,
  async run(argv, io) {
    const { positionals, values } = parseCommandArgs("init", argv, {
      name: { type: "string" },
      "no-install": { type: "boolean" },
      force: { type: "boolean" },
      from: { type: "string" },
    });
    if (values.help) {
      io.print(this.help);
      return 0;
    }
    if (positionals.length > 1)
      throw new CliError("init takes at most one folder", { hint: `e.g. \`${PROGRAM} init my-filter\``, exitCode: 2 });
    const dir = positionals[0] ?? ".";
    const written = scaffoldProject(dir, { name: values.name, force: values.force, from: values.from });
    io.print(`created ${dir === "." ? "the project here" : dir}: ${written.join(", ")}`);
    if (values.from !== undefined)
      io.print(
        `@proxy-wasm-as/sdk and @proxy-wasm-as/harness come from ${VENDOR_DIR}/ (copied from ${values.from}); once they are on your registry: npm install -D @proxy-wasm-as/sdk@^${harnessVersion()} @proxy-wasm-as/harness@^${harnessVersion()}`,
      );
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
