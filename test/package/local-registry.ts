// A real npm registry on loopback for the package test: Verdaccio (installed from npm into a tools folder), storing the
// project's packages locally and proxying every other package to the public npm registry. Nothing here is a mock:
// npm publishes, resolves and installs through it exactly as through registry.npmjs.org.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** The Verdaccio release the test runs (pinned: the test must not change under us). */
export const VERDACCIO_VERSION = "6.10.4";
/** The registry third-party packages come from. */
export const PUBLIC_REGISTRY = "https://registry.npmjs.org/";
/**
 * Verdaccio 6 asks for `node-fetch@cjs`, a dist-tag that registry mirrors do not always carry; the tag points at
 * node-fetch 2.x, pinned here through npm `overrides` so the install works against any registry.
 */
const VERDACCIO_OVERRIDES = { "node-fetch": "2.7.0" };
/** How long Verdaccio may take to start. */
const START_TIMEOUT_MS = 240_000;

/** A running local registry. */
export interface LocalRegistry extends AsyncDisposable {
  /** e.g. http://127.0.0.1:4873/ */
  readonly url: string;
  /** An npmrc (`--userconfig`) holding the registry and a publish token for it. */
  readonly npmrc: string;
  /** Everything Verdaccio printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Installs Verdaccio into `toolsDir` (once; later runs reuse it) and returns its executable. */
export function ensureVerdaccio(toolsDir: string, env: NodeJS.ProcessEnv): string {
  const dir = join(toolsDir, `verdaccio-${VERDACCIO_VERSION}`);
  const bin = join(dir, "node_modules", ".bin", "verdaccio");
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "verdaccio-for-tests",
      private: true,
      dependencies: { verdaccio: VERDACCIO_VERSION },
      overrides: VERDACCIO_OVERRIDES,
    }),
  );
  process.stderr.write(`[package test] installing verdaccio ${VERDACCIO_VERSION} into ${dir}…\n`);
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--registry", PUBLIC_REGISTRY], {
    cwd: dir,
    env,
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 600_000,
  });
  return bin;
}

/**
 * Starts Verdaccio (installed in `toolsDir`) in `dir` on a free loopback port: packages named in `localPackages` (globs like
 * "@proxy-wasm-as/*") are served only from local storage (never looked up upstream); everything else is proxied to
 * the public registry. Registers a user and writes an npmrc with its token. `env` is the environment for npm.
 */
export async function startLocalRegistry(
  dir: string,
  toolsDir: string,
  localPackages: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<LocalRegistry> {
  const verdaccio = ensureVerdaccio(toolsDir, env);
  mkdirSync(join(dir, "storage"), { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config = join(dir, "config.yaml");
  writeFileSync(
    config,
    [
      `storage: ${join(dir, "storage")}`,
      "auth:",
      "  htpasswd:",
      `    file: ${join(dir, "htpasswd")}`,
      "uplinks:",
      "  npmjs:",
      `    url: ${PUBLIC_REGISTRY}`,
      "    timeout: 60s",
      "packages:",
      ...localPackages.flatMap((pattern) => [
        `  '${pattern}':`,
        "    access: $all",
        "    publish: $authenticated",
        "    unpublish: $authenticated",
      ]),
      "  '**':",
      "    access: $all",
      "    publish: $authenticated",
      "    proxy: npmjs",
      "server:",
      "  keepAliveTimeout: 60",
      "log: { type: stdout, format: pretty, level: warn }",
      "",
    ].join("\n"),
  );
  let output = "";
  // Verdaccio 6 needs Node 22: run it with this test's Node (the repository's), not the system one.
  const child: ChildProcess = spawn(
    process.execPath,
    [verdaccio, "--config", config, "--listen", `127.0.0.1:${port}`],
    {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  let exited = false;
  child.on("exit", () => (exited = true));
  const stop = async () => {
    if (exited || child.pid === undefined) return;
    // Stop the process group this test started (the verdaccio script and anything it spawned).
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    if (!exited)
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`Verdaccio exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Verdaccio did not answer on ${url} within ${START_TIMEOUT_MS / 1000} s:\n${output}`);
    }
    try {
      const response = await fetch(`${url}-/ping`);
      if (response.ok) break;
    } catch {
      /* not listening yet */
    }
    await sleep(300);
  }
  // `npm adduser` over the registry API: Verdaccio's htpasswd plugin registers the user and returns a token.
  const user = "e2e";
  const response = await fetch(`${url}-/user/org.couchdb.user:${user}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      _id: `org.couchdb.user:${user}`,
      name: user,
      password: "e2e-password-not-secret",
      type: "user",
      roles: [],
    }),
  });
  const body = (await response.json()) as { token?: string };
  if (!response.ok || !body.token) {
    await stop();
    throw new Error(`registering a user on Verdaccio failed (${response.status}): ${JSON.stringify(body)}`);
  }
  const npmrc = join(dir, "npmrc");
  const host = url.replace(/^http:/, "");
  writeFileSync(npmrc, `registry=${url}\n${host}:_authToken=${body.token}\n`);
  return { url, npmrc, output: () => output, stop, [Symbol.asyncDispose]: stop };
}
