// This repository under npm 12, which runs a dependency's install script only when package.json's allowScripts
// approves it: `npm ci` in a copy of the repository's manifests (root and workspaces, lockfile, .npmrc) installs
// the approved `node` package's Node 22 into node_modules/.bin/node, skips the denied scripts (ssh2's and
// cpu-features' native builds, protobufjs' notice), and leaves no install script unreviewed.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, test } from "vitest";
import { ensureNodeRelease } from "../node-releases.ts";
import { printDurations, run, STEP_TIMEOUT_MS, userEnvironment } from "./user-shell.ts";

const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const WORKSPACES = ["sdk", "harness", "create-proxy-wasm-as"];
const work = mkdtempSync(join(tmpdir(), "pwas-npm12-"));

afterAll(() => {
  printDurations();
  rmSync(work, { recursive: true, force: true });
});

test("npm ci with npm 12 in this repository gives a working Node 22 and runs only the approved install script", {
  timeout: STEP_TIMEOUT_MS,
}, async () => {
  for (const file of ["package.json", "package-lock.json", ".npmrc"]) cpSync(join(REPO, file), join(work, file));
  for (const workspace of WORKSPACES) {
    mkdirSync(join(work, workspace));
    cpSync(join(REPO, workspace, "package.json"), join(work, workspace, "package.json"));
  }
  const npm12 = ensureNodeRelease("22.23.3", { npm: "12.2.3", env: userEnvironment() });
  const env = npm12.env(userEnvironment());
  const version = await run("npm --version", "npm", ["--version"], { cwd: work, env });
  expect(version.stdout.trim()).toMatch(/^12\./);
  const ci = await run("npm ci (npm 12, this repository)", "npm", ["ci", "--no-audit", "--no-fund"], {
    cwd: work,
    env,
  });
  expect(ci.stdout + ci.stderr).not.toMatch(/install scripts? (blocked|not yet covered)/);
  const node = await run("node_modules/.bin/node --version", join(work, "node_modules/.bin/node"), ["--version"], {
    cwd: work,
    env: userEnvironment(),
  });
  expect(node.stdout.trim()).toBe("v22.23.3");
  // Denied: ssh2's install script would have tried to build its optional native crypto binding.
  expect(existsSync(join(work, "node_modules/ssh2"))).toBe(true);
  expect(existsSync(join(work, "node_modules/ssh2/lib/protocol/crypto/build"))).toBe(false);
});
