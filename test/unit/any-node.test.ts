// The first minute on the Node a user already has, under real Node.js 18, 20 and 24 binaries (the npm `node`
// package), not the Node running the tests: create-proxy-wasm-as and `proxy-wasm-as init` scaffold a project on
// every one of them; on 18 and 20 every other `proxy-wasm-as` command stops with ONE line naming the Node it
// needs (no stack trace, nothing loaded that needs Node 22 such as undici), and importing the harness's CLI module
// fails with the harness's one-line Node message instead of a crash inside undici.
// Both packages are built here the way `npm pack` builds them, into a folder inside this repository's
// node_modules, so that the harness's own dependencies (undici 8…) resolve as they would in a user's project.
import { execFile, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureNodeRelease, NEWEST_NODE, type NodeRelease, OLDER_NODES } from "../node-releases.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Installing three Node releases the first time on a shared machine: generous. */
const SETUP_TIMEOUT_MS = 900_000;

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `args` with `release`'s node (first on PATH too), in `cwd`; resolves with the exit code and output. */
function runWith(release: NodeRelease, args: readonly string[], cwd: string): Promise<Ran> {
  const env = release.env({ PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1" });
  return new Promise((resolve) => {
    execFile(release.node, [...args], { cwd, env, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The one line an older Node gets from `proxy-wasm-as`, for `version`. */
function oneLineFor(version: string): RegExp {
  return new RegExp(
    `^error: proxy-wasm-as needs Node\\.js >= 22\\.22\\.0, this is Node\\.js ${version.replaceAll(".", "\\.")}: .*npx proxy-wasm-as.*nvm install 22.*\\n$`,
  );
}

describe("the create path on the Node a user has", () => {
  const build = mkdtempSync(join(ROOT, "node_modules", ".cache-any-node-"));
  const work = mkdtempSync(join(tmpdir(), "pwas-any-node-"));
  const harness = join(build, "harness");
  const create = join(build, "create-proxy-wasm-as");
  const releases = new Map<string, NodeRelease>();

  beforeAll(() => {
    for (const { node } of [...OLDER_NODES, NEWEST_NODE]) releases.set(node, ensureNodeRelease(node));
    // The harness as its package has it: dist/ (tsc, as harness/scripts/build.ts runs it), package.json, templates/.
    mkdirSync(harness, { recursive: true });
    cpSync(join(ROOT, "harness", "package.json"), join(harness, "package.json"));
    cpSync(join(ROOT, "harness", "templates"), join(harness, "templates"), { recursive: true });
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    execFileSync(process.execPath, [
      tsc,
      "-p",
      join(ROOT, "harness", "tsconfig.build.json"),
      "--outDir",
      join(harness, "dist"),
      "--declaration",
      "false",
      "--declarationMap",
      "false",
      "--sourceMap",
      "false",
    ]);
    // create-proxy-wasm-as as its prepack builds it.
    mkdirSync(create, { recursive: true });
    for (const file of ["index.js", "package.json"])
      cpSync(join(ROOT, "create-proxy-wasm-as", file), join(create, file));
    execFileSync(process.execPath, [join(ROOT, "create-proxy-wasm-as", "scripts", "build.ts"), create], {
      stdio: "ignore",
    });
  }, SETUP_TIMEOUT_MS);

  afterAll(() => {
    rmSync(build, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  test("create-proxy-wasm-as has no dependencies: npm create installs this one small package", () => {
    const manifest = JSON.parse(readFileSync(join(create, "package.json"), "utf8"));
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.peerDependencies).toBeUndefined();
    expect(manifest.engines.node).toBe(">=18.3");
  });

  /** The create path: the same on every Node. */
  const scaffolds = (release: () => NodeRelease) => {
    test("create-proxy-wasm-as writes the project", async () => {
      const ran = await runWith(release(), [join(create, "index.js"), "made-by-create", "--no-install"], work);
      expect(ran.stderr).toBe("");
      expect(ran.code).toBe(0);
      const manifest = JSON.parse(readFileSync(join(work, "made-by-create", "package.json"), "utf8"));
      expect(manifest.name).toBe("made-by-create");
      expect(manifest.devDependencies.node).toMatch(/^22\./);
      expect(existsSync(join(work, "made-by-create", "assembly", "index.ts"))).toBe(true);
      expect(existsSync(join(work, "made-by-create", ".npmrc"))).toBe(true);
      rmSync(join(work, "made-by-create"), { recursive: true });
    });

    test("proxy-wasm-as init writes the project", async () => {
      const ran = await runWith(
        release(),
        [join(harness, "dist", "cli", "main.js"), "init", "made-by-init", "--no-install"],
        work,
      );
      expect(ran.stderr).toBe("");
      expect(ran.code).toBe(0);
      expect(ran.stdout).toMatch(/^created made-by-init: /);
      expect(JSON.parse(readFileSync(join(work, "made-by-init", "package.json"), "utf8")).name).toBe("made-by-init");
      rmSync(join(work, "made-by-init"), { recursive: true });
    });
  };

  describe.each(OLDER_NODES.map(({ node }) => node))("Node.js %s", (version) => {
    const release = () => releases.get(version)!;
    scaffolds(release);

    test("every other command is one line naming the Node it needs, no stack trace", async () => {
      const main = join(harness, "dist", "cli", "main.js");
      for (const args of [["--help"], [], ["build"], ["run", "x.wasm"], ["istio", "--help"]]) {
        const ran = await runWith(release(), [main, ...args], work);
        expect(ran.code, args.join(" ")).toBe(1);
        expect(ran.stdout, args.join(" ")).toBe("");
        expect(ran.stderr, args.join(" ")).toMatch(oneLineFor(version));
      }
    });

    test("importing @proxy-wasm-as/harness/cli fails with the harness's Node message, not in undici", async () => {
      const entry = join(harness, "dist", "cli", "index.js");
      const ran = await runWith(
        release(),
        ["--input-type=module", "-e", `await import(${JSON.stringify(entry)})`],
        work,
      );
      expect(ran.code).toBe(1);
      expect(ran.stderr).toContain(`@proxy-wasm-as/harness needs Node.js >= 22.22.0, this is Node.js ${version}`);
      expect(ran.stderr).not.toMatch(/undici|Cannot read properties/);
    });
  });

  describe(`Node.js ${NEWEST_NODE.node}`, () => {
    const release = () => releases.get(NEWEST_NODE.node)!;
    scaffolds(release);

    test("--help prints the commands", async () => {
      const ran = await runWith(release(), [join(harness, "dist", "cli", "main.js"), "--help"], work);
      expect(ran.code).toBe(0);
      expect(ran.stdout).toMatch(/^Commands:$/m);
    });
  });
});
