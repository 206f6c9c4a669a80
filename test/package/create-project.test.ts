// The must-show package test: a user's repository built from nothing but the packed packages. It packs every
// workspace package (sdk, harness, create-proxy-wasm-as), publishes the tarballs to a real npm registry on
// loopback (Verdaccio; third-party packages proxied from the public registry), then, in a temporary folder
// outside the repository and with the system Node and npm (no repository PATH, NODE_OPTIONS or npm_* variables):
//   npm create proxy-wasm-as@latest my-filter --registry <local>      (scaffold + npm install)
//   npm test                         build + Envoy provisioning + emulator test + real-Envoy test (process runner)
//   npx proxy-wasm-as istio package  and  node_modules/.bin/proxy-wasm-as istio wasmplugin
//   npx tsc --strict --noEmit        0 errors
// Envoy comes from the shared per-user cache, so this does not download it again. Takes minutes: it installs
// real packages. Each step's duration is printed.
import { execFile } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { cacheRoot } from "@proxy-wasm-as/harness/envoy";
import { type LocalRegistry, startLocalRegistry } from "./local-registry.ts";
import { benchScaffoldedFilter } from "./steps/bench.ts";

const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const WORKSPACES = ["sdk", "harness", "create-proxy-wasm-as"];
const LOCAL_PACKAGES = ["@proxy-wasm-as/*", "create-proxy-wasm-as"];
const PROJECT = "my-filter";
/** Installing real packages on a shared 2-core machine: generous, nothing here measures speed. */
const STEP_TIMEOUT_MS = 900_000;

/** The environment a user's shell would have: no repository Node on PATH, no npm/vitest/harness variables. */
function userEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|NODE_OPTIONS$|NODE_PATH$|VITEST|TEST$|ENVOY_|PROXY_WASM_AS_|INIT_CWD$|TINYPOOL)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter(
      (entry) => !entry.includes(`${delimiter}node_modules`) && !/node_modules[\\/]\.bin|node-gyp-bin/.test(entry),
    )
    .join(delimiter);
  // The shared per-user Envoy cache (the same one this repository's tests use): no second download.
  env.PROXY_WASM_AS_CACHE = cacheRoot();
  env.NO_COLOR = "1";
  env.CI = "1";
  return env;
}

interface Ran {
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

const timings: [string, number][] = [];

/** Runs `command` (no shell), printing its duration; throws with its whole output when it fails. */
function run(
  label: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Ran> {
  const started = performance.now();
  process.stderr.write(`[package test] ${label}…\n`);
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      [...args],
      { ...options, maxBuffer: 64 << 20, timeout: STEP_TIMEOUT_MS },
      (error, stdout, stderr) => {
        const ms = performance.now() - started;
        timings.push([label, ms]);
        process.stderr.write(`[package test] ${label}: ${error ? "FAILED" : "ok"} in ${(ms / 1000).toFixed(1)} s\n`);
        if (error)
          reject(
            new Error(
              `${label} failed (${command} ${args.join(" ")}): ${error.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
            ),
          );
        else resolvePromise({ stdout, stderr, ms });
      },
    );
  });
}

describe("a filter project from the packed packages only", () => {
  const work = mkdtempSync(join(tmpdir(), "pwas-package-"));
  let registry: LocalRegistry | undefined;

  afterAll(async () => {
    await registry?.stop();
    process.stderr.write(
      `[package test] durations: ${timings.map(([l, ms]) => `${l} ${(ms / 1000).toFixed(1)} s`).join("; ")}\n`,
    );
    if (process.env.KEEP_PACKAGE_TEST !== "1") rmSync(work, { recursive: true, force: true });
  });

  test("npm create → npm test (emulator + real Envoy) → istio package/wasmplugin → tsc --strict, through .bin and npx", {
    timeout: 4 * STEP_TIMEOUT_MS,
  }, async () => {
    const started = performance.now();
    const env = userEnvironment();
    expect(work.startsWith(REPO)).toBe(false);

    // 1. Pack every workspace (the harness's prepack compiles it to dist/), with the repository's own Node.
    const tarballs = join(work, "tarballs");
    mkdirSync(tarballs);
    await run(
      "npm pack (sdk, harness, create-proxy-wasm-as)",
      "npm",
      ["pack", ...WORKSPACES.flatMap((w) => ["-w", w]), "--pack-destination", tarballs, "--silent"],
      { cwd: REPO, env: process.env },
    );
    const packed = readdirSync(tarballs).filter((f) => f.endsWith(".tgz"));
    expect(packed).toHaveLength(WORKSPACES.length);

    // 2. A real registry on loopback; publish the tarballs to it.
    registry = await startLocalRegistry(
      join(work, "registry"),
      join(homedir(), ".cache", "proxy-wasm-as-test-tools"),
      LOCAL_PACKAGES,
      env,
    );
    const npm = { ...env, npm_config_userconfig: registry.npmrc };
    for (const file of packed)
      await run(
        `npm publish ${file}`,
        "npm",
        ["publish", join(tarballs, file), "--registry", registry.url, "--tag", "latest"],
        { cwd: work, env: npm },
      );

    // 3. What the README says: npm create, then npm test. System Node and npm, outside the repository.
    await run(
      "npm create proxy-wasm-as@latest my-filter",
      "npm",
      ["create", "--yes", "proxy-wasm-as@latest", PROJECT, "--registry", registry.url],
      { cwd: work, env: npm },
    );
    const project = join(work, PROJECT);
    for (const file of [
      "package.json",
      "asconfig.json",
      "assembly/index.ts",
      "test/filter.test.ts",
      "test/filter.envoy.test.ts",
      "vitest.config.ts",
      ".gitignore",
      "README.md",
    ]) {
      expect(existsSync(join(project, file)), file).toBe(true);
    }
    const lock = readFileSync(join(project, "package-lock.json"), "utf8");
    expect(lock, "the SDK and harness came from the local registry").toContain(
      `${registry.url}@proxy-wasm-as/harness/-/harness-`,
    );
    expect(lstatSync(join(project, "node_modules/.bin/proxy-wasm-as")).isSymbolicLink()).toBe(true);

    const tested = await run("npm test (build + emulator + real Envoy)", "npm", ["test", "--", "--reporter=verbose"], {
      cwd: project,
      env,
    });
    const testOutput = tested.stdout + tested.stderr;
    expect(testOutput).toMatch(/my-filter \(emulator\)/);
    expect(testOutput).toMatch(/my-filter \(real Envoy\)/);
    expect(testOutput).toMatch(/Tests\s+4 passed \(4\)/);
    expect(existsSync(join(project, "build", `${PROJECT}.wasm`))).toBe(true);

    // 4. The CLI through npx and through the node_modules/.bin symlink.
    const help = await run("npx proxy-wasm-as --help", "npx", ["proxy-wasm-as", "--help"], { cwd: project, env });
    expect(help.stdout).toMatch(/^\s+istio\s/m);
    const checked = await run("npx proxy-wasm-as check", "npx", ["proxy-wasm-as", "check", `build/${PROJECT}.wasm`], {
      cwd: project,
      env,
    });
    expect(checked.stdout).toContain("loads in Envoy");
    await benchScaffoldedFilter(run, project, PROJECT, env);
    const packaged = await run(
      "npx proxy-wasm-as istio package",
      "npx",
      ["proxy-wasm-as", "istio", "package", `build/${PROJECT}.wasm`, "--out", `oci/${PROJECT}`],
      { cwd: project, env },
    );
    expect(packaged.stdout).toMatch(/sha256 for the WasmPlugin: [0-9a-f]{64}/);
    expect(JSON.parse(readFileSync(join(project, "oci", PROJECT, "index.json"), "utf8")).manifests).toHaveLength(1);
    const digest = /sha256 for the WasmPlugin: ([0-9a-f]{64})/.exec(packaged.stdout)![1]!;
    const binEnv = { ...env, PATH: `${join(project, "node_modules/.bin")}${delimiter}${env.PATH}` };
    const plugin = await run(
      ".bin/proxy-wasm-as istio wasmplugin",
      join(project, "node_modules/.bin/proxy-wasm-as"),
      [
        "istio",
        "wasmplugin",
        "--name",
        PROJECT,
        "--url",
        `oci://registry.example/${PROJECT}:v1`,
        "--sha256",
        digest,
        "--config",
        '{"header":"x-hello"}',
        "--selector",
        "app=web",
      ],
      { cwd: project, env: binEnv },
    );
    expect(plugin.stdout).toMatch(/kind: WasmPlugin/);
    expect(plugin.stdout).toContain(digest);
    expect(plugin.stdout).toContain("x-hello");

    // 5. The user's strict type check of their tests and config against the installed packages.
    const tsc = await run("npx tsc --strict --noEmit", "npx", ["tsc", "--strict", "--noEmit", "-p", "."], {
      cwd: project,
      env,
    });
    expect(tsc.stdout + tsc.stderr).not.toMatch(/error TS/);

    process.stderr.write(`[package test] whole flow: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  });
});
