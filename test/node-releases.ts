// Real Node.js releases, and the npm that goes with them, for tests that must run under a given Node rather than the
// one running the tests: installed once from the npm registry (the `node` package, which fetches the official
// binary for this platform, and `npm`) into the per-user tools folder, then reused. Nothing comes from nodejs.org.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** Where test tools are installed (shared with the package test's Verdaccio). */
export const TEST_TOOLS_DIR = join(homedir(), ".cache", "proxy-wasm-as-test-tools");

/** The Node.js releases users still run that the create path must work on, with the npm each is used with. */
export const OLDER_NODES = [
  // npm 11 does not support Node 18 (it warns, then may fail): a Node 18 user has npm 10.
  { node: "18.20.8", npm: "10.8.2" },
  // This project's reference machine: Node 20.20 with npm 11.
  { node: "20.20.2", npm: "11.19.1" },
] as const;

/** The newest Node.js line the create path is checked on too. */
export const NEWEST_NODE = { node: "24.21.0" } as const;

/** An installed Node.js release. */
export interface NodeRelease {
  /** e.g. "20.20.2" */
  readonly version: string;
  /** The npm version installed next to it, if one was asked for. */
  readonly npm: string | undefined;
  /** Folder holding `node` (and `npm`, `npx` when an npm was asked for). */
  readonly binDir: string;
  /** Path of the `node` executable. */
  readonly node: string;
  /** `base` with `binDir` first on PATH: `node`, `npm` and `#!/usr/bin/env node` scripts run this release. */
  env(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

/**
 * Installs Node.js `version` (and npm `npm`, if given) into the tools folder unless it is there, and returns it.
 * Safe to call from several test files at once: each installs into its own folder and renames it into place.
 * `env` is the environment npm installs with (default: this process's).
 */
export function ensureNodeRelease(
  version: string,
  options: { npm?: string; env?: NodeJS.ProcessEnv } = {},
): NodeRelease {
  const dir = join(TEST_TOOLS_DIR, `node-${version}${options.npm ? `-npm-${options.npm}` : ""}`);
  const binDir = join(dir, "node_modules", ".bin");
  const release: NodeRelease = {
    version,
    npm: options.npm,
    binDir,
    node: join(binDir, "node"),
    env: (base) => ({ ...base, PATH: `${binDir}${delimiter}${base.PATH ?? ""}` }),
  };
  if (existsSync(join(dir, "installed"))) return release;
  const staging = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  writeFileSync(
    join(staging, "package.json"),
    JSON.stringify({
      name: "node-release-for-tests",
      private: true,
      dependencies: { node: version, ...(options.npm ? { npm: options.npm } : {}) },
      // npm 12 runs the `node` package's install script (which fetches the binary) only when approved.
      allowScripts: { [`node@${version}`]: true },
    }),
  );
  process.stderr.write(`[tests] installing Node.js ${version}${options.npm ? ` with npm ${options.npm}` : ""}…\n`);
  try {
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--no-package-lock"], {
      cwd: staging,
      env: options.env ?? process.env,
      stdio: ["ignore", "ignore", "inherit"],
      timeout: 600_000,
    });
    const reported = execFileSync(join(staging, "node_modules", ".bin", "node"), ["--version"], {
      encoding: "utf8",
    }).trim();
    if (reported !== `v${version}`) throw new Error(`the node@${version} package runs ${reported}`);
    writeFileSync(join(staging, "installed"), `${version}\n`);
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another test file installed it meanwhile; keep theirs.
      if (!existsSync(join(dir, "installed"))) throw error;
      rmSync(staging, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return release;
}
