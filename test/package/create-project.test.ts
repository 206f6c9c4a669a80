// The must-show package test: a user's repository built from nothing but the packed packages, on the Node the user
// already has. `npm run pack` packs every workspace package (sdk, harness, create-proxy-wasm-as) as `npm publish`
// would; the tarballs are published to a real npm registry on loopback (Verdaccio; third-party packages proxied
// from the public registry). Then, in temporary folders outside the repository, with the user's environment (no
// repository PATH, NODE_OPTIONS or npm_* variables), one project per way in:
//   - `npm create proxy-wasm-as@latest` under real Node 18 with npm 10, and under real Node 20 with npm 11 (the npm
//     `node` package gives each; test/node-releases.ts). The Node 20 project runs the whole user journey once:
//     npm test (build, emulator, real Envoy), the CLI through npx and .bin, every --help, run --echo, tsc --strict.
//   - the README's way in from a clone: `node create-proxy-wasm-as/index.js … --from <packs>` (tarballs, no
//     registry for our packages), then `npm ci` with npm 12, which runs only the install scripts allowScripts approves.
// Each project is scaffolded once (beforeAll) and then checked by a sequence of test() steps on its folder: add a
// step to the describe of the project it belongs to (the Node 20 one for anything that needs a built, tested
// project); a longer step lives in steps/ and takes the project folder, an environment and `run`. Envoy comes from the shared per-user cache, so nothing downloads it again. Each step's duration is printed.
import { spawn } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureNodeRelease, type NodeRelease, OLDER_NODES, TEST_TOOLS_DIR } from "../node-releases.ts";
import { type LocalRegistry, startLocalRegistry } from "./local-registry.ts";
import { plainAssemblyScript } from "./steps/plain-as.ts";
import { helpTargets, repositoryWordsIn } from "./repository-words.ts";
import { benchScaffoldedFilter } from "./steps/bench.ts";
import { coverageStep } from "./steps/coverage.ts";
import { checkFirstFailures } from "./steps/envoy-failures.ts";
import { trapsInSourceLines } from "./steps/traps.ts";
import { printDurations, run, STEP_TIMEOUT_MS, userEnvironment } from "./user-shell.ts";

const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const LOCAL_PACKAGES = ["@proxy-wasm-as/*", "create-proxy-wasm-as"];
const [NODE_18, NODE_20] = OLDER_NODES;
/** npm 12: blocks dependency install scripts that allowScripts does not approve. It needs Node 22.22.2 or newer. */
const NPM_12 = { node: "22.23.3", npm: "12.2.3" };
/** The Node.js every scaffolded project brings (its `node` devDependency). */
const PROJECT_NODE = "v22.23.3";

/** The files every scaffolded project has. */
const PROJECT_FILES = [
  "package.json",
  "asconfig.json",
  "assembly/index.ts",
  "test/filter.test.ts",
  "test/filter.envoy.test.ts",
  "vitest.config.ts",
  ".gitignore",
  ".npmrc",
  "README.md",
];

const work = mkdtempSync(join(tmpdir(), "pwas-package-"));
const packs = join(work, "packs");
let registry: LocalRegistry | undefined;

/** The user's environment with the local registry as theirs (an npmrc naming it, with a publish token). */
function registryEnvironment(): NodeJS.ProcessEnv {
  if (!registry) throw new Error("the local registry is not running");
  return { ...userEnvironment(), npm_config_userconfig: registry.npmrc };
}

/** `env` with the project's node_modules/.bin first on PATH, as in an npm script. */
function withProjectBin(project: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PATH: `${join(project, "node_modules/.bin")}${delimiter}${env.PATH}` };
}

/** Scaffolds `name` in `work` with `npm create proxy-wasm-as@latest`, under `release` (its node and npm first). */
async function npmCreate(name: string, release: NodeRelease): Promise<string> {
  const env = release.env(registryEnvironment());
  const versions = await run(`node and npm for ${name}`, "npm", ["--version"], { cwd: work, env });
  expect(versions.stdout.trim()).toBe(release.npm);
  await run(
    `npm create proxy-wasm-as@latest ${name} (Node ${release.version}, npm ${release.npm})`,
    "npm",
    ["create", "--yes", "proxy-wasm-as@latest", name, "--registry", registry!.url],
    { cwd: work, env },
  );
  return join(work, name);
}

/** Checks the files, the project's Node 22 and where the SDK and harness came from. */
function expectScaffolded(project: string, name: string): void {
  for (const file of PROJECT_FILES) expect(existsSync(join(project, file)), file).toBe(true);
  const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
  expect(manifest.name).toBe(name);
  expect(manifest.allowScripts).toMatchObject({ [`node@${manifest.devDependencies.node}`]: true });
  expect(lstatSync(join(project, "node_modules/.bin/proxy-wasm-as")).isSymbolicLink()).toBe(true);
}

/** The project's node_modules/.bin/node (its `node` devDependency, installed by its install script) is Node 22. */
async function expectProjectNode(project: string): Promise<void> {
  const node = await run("node_modules/.bin/node --version", join(project, "node_modules/.bin/node"), ["--version"], {
    cwd: project,
    env: userEnvironment(),
  });
  expect(node.stdout.trim()).toBe(PROJECT_NODE);
}

/** `proxy-wasm-as --help` run directly on an older Node (main.js and the .bin symlink): one line, no stack. */
async function expectOneLineOn(release: NodeRelease, project: string): Promise<void> {
  const env = release.env(userEnvironment());
  const main = join(project, "node_modules/@proxy-wasm-as/harness/dist/cli/main.js");
  for (const [label, command, args] of [
    [`node main.js --help (Node ${release.version})`, release.node, [main, "--help"]],
    [
      `.bin/proxy-wasm-as --help (Node ${release.version})`,
      join(project, "node_modules/.bin/proxy-wasm-as"),
      ["--help"],
    ],
  ] as const) {
    const ran = await run(label, command, args, { cwd: project, env, allowFailure: true });
    expect(ran.code, label).toBe(1);
    expect(ran.stdout, label).toBe("");
    expect(ran.stderr, label).toMatch(
      new RegExp(
        `^error: proxy-wasm-as needs Node\\.js >= 22\\.22\\.0, this is Node\\.js ${release.version}: [^\\n]+\\n$`,
      ),
    );
  }
}

beforeAll(async () => {
  expect(work.startsWith(REPO)).toBe(false);
  // What the README says to run in a clone, with the repository's own Node (npm scripts run on its Node 22).
  await run("npm run pack", "npm", ["run", "pack", "--", "--out", packs], { cwd: REPO, env: process.env });
  const packed = readdirSync(packs).filter((f) => f.endsWith(".tgz"));
  expect(packed.sort()).toEqual([
    "create-proxy-wasm-as-0.1.0.tgz",
    "proxy-wasm-as-harness-0.1.0.tgz",
    "proxy-wasm-as-sdk-0.1.0.tgz",
  ]);
  registry = await startLocalRegistry(join(work, "registry"), TEST_TOOLS_DIR, LOCAL_PACKAGES, userEnvironment());
  for (const file of packed)
    await run(
      `npm publish ${file}`,
      "npm",
      ["publish", join(packs, file), "--registry", registry.url, "--tag", "latest"],
      {
        cwd: work,
        env: registryEnvironment(),
      },
    );
}, STEP_TIMEOUT_MS);

afterAll(async () => {
  await registry?.stop();
  printDurations();
  if (process.env.KEEP_PACKAGE_TEST !== "1") rmSync(work, { recursive: true, force: true });
});

describe(`npm create under Node ${NODE_20.node} (npm ${NODE_20.npm}): the whole user journey`, () => {
  const name = "my-filter";
  let project = "";
  let release: NodeRelease;

  beforeAll(async () => {
    release = ensureNodeRelease(NODE_20.node, { npm: NODE_20.npm, env: userEnvironment() });
    project = await npmCreate(name, release);
  }, STEP_TIMEOUT_MS);

  test("the project is written and installed; the SDK and harness came from the registry; it brings Node 22", async () => {
    expectScaffolded(project, name);
    const lock = readFileSync(join(project, "package-lock.json"), "utf8");
    expect(lock).toContain(`${registry!.url}@proxy-wasm-as/harness/-/harness-`);
    await expectProjectNode(project);
  });

  test("npm test: build, emulator test, real-Envoy test", { timeout: STEP_TIMEOUT_MS }, async () => {
    const tested = await run("npm test (build + emulator + real Envoy)", "npm", ["test", "--", "--reporter=verbose"], {
      cwd: project,
      env: release.env(userEnvironment()),
    });
    const output = tested.stdout + tested.stderr;
    expect(output).toMatch(/my-filter \(emulator\)/);
    expect(output).toMatch(/my-filter \(real Envoy\)/);
    expect(output).toMatch(/rejects a misspelt key instead of ignoring it/);
    expect(output).toMatch(/Tests\s+5 passed \(5\)/);
    expect(existsSync(join(project, "build", `${name}.wasm`))).toBe(true);
  });

  test("a trap is told in the project's own source lines, on the emulator and in real Envoy", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await trapsInSourceLines({ project, env: release.env(userEnvironment()), run });
  });

  test("plain AssemblyScript (console, Date, crypto, process.env) logs the same lines on the emulator and in Envoy", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await plainAssemblyScript({ project, env: release.env(userEnvironment()), run });
  });

  test("vitest --coverage: the filter's own source lines, in coverage/lcov.info", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await coverageStep({ project, module: name, env: userEnvironment(), run });
  });

  test("a module without a root context: the build warns, check refuses it, a real-Envoy test shows the SDK's line", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await checkFirstFailures(project, userEnvironment());
  });

  test("npx proxy-wasm-as bench: every ratio with its interval", { timeout: STEP_TIMEOUT_MS }, async () => {
    await benchScaffoldedFilter(run, project, name, userEnvironment());
  });

  test(`proxy-wasm-as on Node ${NODE_20.node} itself: one line naming the Node it needs`, async () => {
    await expectOneLineOn(release, project);
  });

  test("the CLI through npx and through node_modules/.bin: check, istio package, istio wasmplugin", async () => {
    const env = userEnvironment();
    const help = await run("npx proxy-wasm-as --help", "npx", ["proxy-wasm-as", "--help"], { cwd: project, env });
    expect(help.stdout).toMatch(/^\s+istio\s/m);
    const checked = await run("npx proxy-wasm-as check", "npx", ["proxy-wasm-as", "check", `build/${name}.wasm`], {
      cwd: project,
      env,
    });
    expect(checked.stdout).toContain("loads and starts in Envoy");
    const packaged = await run(
      "npx proxy-wasm-as istio package",
      "npx",
      ["proxy-wasm-as", "istio", "package", `build/${name}.wasm`, "--out", `oci/${name}`],
      { cwd: project, env },
    );
    expect(packaged.stdout).toMatch(/sha256 for the WasmPlugin: [0-9a-f]{64}/);
    expect(JSON.parse(readFileSync(join(project, "oci", name, "index.json"), "utf8")).manifests).toHaveLength(1);
    const digest = /sha256 for the WasmPlugin: ([0-9a-f]{64})/.exec(packaged.stdout)![1]!;
    const plugin = await run(
      ".bin/proxy-wasm-as istio wasmplugin",
      join(project, "node_modules/.bin/proxy-wasm-as"),
      [
        "istio",
        "wasmplugin",
        "--name",
        name,
        "--url",
        `oci://registry.example/${name}:v1`,
        "--sha256",
        digest,
        "--config",
        '{"header":"x-hello"}',
        "--selector",
        "app=web",
      ],
      { cwd: project, env: withProjectBin(project, env) },
    );
    expect(plugin.stdout).toMatch(/kind: WasmPlugin/);
    expect(plugin.stdout).toContain(digest);
    expect(plugin.stdout).toContain("x-hello");
  });

  test("every command's and subcommand's --help speaks of this project, not of the proxy-wasm-as repository", async () => {
    const env = withProjectBin(project, userEnvironment());
    const scripts = Object.keys(JSON.parse(readFileSync(join(project, "package.json"), "utf8")).scripts);
    const bin = join(project, "node_modules/.bin/proxy-wasm-as");
    const overview = (await run("proxy-wasm-as --help", bin, ["--help"], { cwd: project, env })).stdout;
    const targets = helpTargets(overview);
    expect(targets).toContainEqual(["istio", "wasmplugin"]);
    const found = repositoryWordsIn(overview, scripts).map((line) => `--help: ${line}`);
    for (const target of targets) {
      const help = await run(`proxy-wasm-as ${target.join(" ")} --help`, bin, [...target, "--help"], {
        cwd: project,
        env,
      });
      expect(help.stdout, target.join(" ")).toMatch(/Usage:/);
      found.push(...repositoryWordsIn(help.stdout + help.stderr, scripts).map((l) => `${target.join(" ")}: ${l}`));
    }
    expect(found).toEqual([]);
  });

  test("run --echo: curl gets back the request the filter sent upstream, as JSON; Ctrl-C stops Envoy", async () => {
    const env = withProjectBin(project, userEnvironment());
    const child = spawn(join(project, "node_modules/.bin/proxy-wasm-as"), ["run", `build/${name}.wasm`, "--echo"], {
      cwd: project,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    let admin: string | undefined;
    try {
      const deadline = Date.now() + 120_000;
      while (!/listening on (http:\/\/\S+)/.test(stdout) && child.exitCode === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
      expect(url, `run printed no URL:\n${stdout}\n${stderr}`).toBeDefined();
      admin = /admin +(http:\/\/\S+)/.exec(stdout)?.[1];
      const response = await fetch(`${url}/items?x=1`, { headers: { "x-client": "curl" } });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-hello")).toBe("world");
      const echoed = (await response.json()) as { method: string; path: string; headers: Record<string, string[]> };
      expect(echoed.method).toBe("GET");
      expect(echoed.path).toBe("/items?x=1");
      expect(echoed.headers["x-hello"]).toEqual(["world"]);
      expect(echoed.headers["x-client"]).toEqual(["curl"]);
    } finally {
      child.kill("SIGINT");
    }
    // Ctrl-C: 0, or 130 (128 + SIGINT) when the harness's own signal handler ends the process after stopping Envoy.
    expect([0, 130], stderr).toContain(await exited);
    expect(stderr).toContain("stopping Envoy");
    expect(admin, stdout).toBeDefined();
    await expect(fetch(`${admin}/ready`), "Envoy still answers after Ctrl-C").rejects.toThrow();
  });

  test("run with a misspelt configuration key: Envoy refuses it, the module's own line says why, the fix line is a command", async () => {
    const ran = await run(
      "proxy-wasm-as run --config with a misspelt key",
      join(project, "node_modules/.bin/proxy-wasm-as"),
      ["run", `build/${name}.wasm`, "--config", '{"headr":"x-demo"}'],
      { cwd: project, env: withProjectBin(project, userEnvironment()), allowFailure: true },
    );
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/^The module logged:\n {2}\[error\] .*unknown key `headr` \(did you mean `header`\?\)/m);
    expect(ran.stderr).toMatch(/^Fix: .*`npx proxy-wasm-as check <module\.wasm> --config …`/m);
    expect(ran.stderr).not.toContain("wasmLogLevel");
  });

  test("tsc --strict over the tests and the vitest config: no error", async () => {
    const tsc = await run("npx tsc --strict --noEmit", "npx", ["tsc", "--strict", "--noEmit", "-p", "."], {
      cwd: project,
      env: userEnvironment(),
    });
    expect(tsc.stdout + tsc.stderr).not.toMatch(/error TS/);
  });
});

describe(`npm create under Node ${NODE_18.node} (npm ${NODE_18.npm})`, () => {
  const name = "on-node-18";
  let project = "";
  let release: NodeRelease;

  beforeAll(async () => {
    release = ensureNodeRelease(NODE_18.node, { npm: NODE_18.npm, env: userEnvironment() });
    project = await npmCreate(name, release);
  }, STEP_TIMEOUT_MS);

  test("the project is written and installed, with its Node 22", async () => {
    expectScaffolded(project, name);
    await expectProjectNode(project);
  });

  test(`proxy-wasm-as on Node ${NODE_18.node} itself is one line; through npx (npm ${NODE_18.npm}) it runs on Node 22`, async () => {
    await expectOneLineOn(release, project);
    const help = await run("npx proxy-wasm-as --help (npm 10)", "npx", ["proxy-wasm-as", "--help"], {
      cwd: project,
      env: release.env(userEnvironment()),
    });
    expect(help.stdout).toMatch(/^Commands:$/m);
  });
});

describe("from a clone, as the README says: create-proxy-wasm-as --from the packed tarballs, then npm 12", () => {
  const name = "from-clone";
  let project = "";

  beforeAll(async () => {
    // README: `node create-proxy-wasm-as/index.js ../my-filter --from packs`, in the clone, with the system Node.
    await run(
      "node create-proxy-wasm-as/index.js --from packs",
      "node",
      [join(REPO, "create-proxy-wasm-as/index.js"), join(work, name), "--from", packs],
      { cwd: REPO, env: userEnvironment() },
    );
    project = join(work, name);
  }, STEP_TIMEOUT_MS);

  test("the project depends on its own copies of the tarballs, not on a registry", () => {
    expectScaffolded(project, name);
    const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
    expect(manifest.devDependencies["@proxy-wasm-as/sdk"]).toBe("file:vendor/proxy-wasm-as-sdk-0.1.0.tgz");
    expect(manifest.devDependencies["@proxy-wasm-as/harness"]).toBe("file:vendor/proxy-wasm-as-harness-0.1.0.tgz");
    expect(readdirSync(join(project, "vendor")).sort()).toEqual([
      "proxy-wasm-as-harness-0.1.0.tgz",
      "proxy-wasm-as-sdk-0.1.0.tgz",
    ]);
  });

  test(`npm ci with npm ${NPM_12.npm}: the approved node package installs Node 22, no unreviewed install script is left`, {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const npm12 = ensureNodeRelease(NPM_12.node, { npm: NPM_12.npm, env: userEnvironment() });
    const env = npm12.env(userEnvironment());
    rmSync(join(project, "node_modules"), { recursive: true, force: true });
    const ci = await run(`npm ci (npm ${NPM_12.npm})`, "npm", ["ci", "--no-audit", "--no-fund"], { cwd: project, env });
    expect(ci.stdout + ci.stderr).not.toMatch(/install scripts? (blocked|not yet covered)/);
    await expectProjectNode(project);
    const built = await run(`npm run build (npm ${NPM_12.npm})`, "npm", ["run", "build"], { cwd: project, env });
    expect(built.stdout + built.stderr).toContain(`${name}.wasm`);
    const checked = await run(`npm run check (npm ${NPM_12.npm})`, "npm", ["run", "check"], { cwd: project, env });
    expect(checked.stdout).toContain("loads and starts in Envoy");
  });
});
