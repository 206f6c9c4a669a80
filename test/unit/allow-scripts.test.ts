// npm 12 runs a dependency's install script only when package.json's allowScripts approves it. This repository
// and the project template approve exactly one, the `node` package's (pinned to the version they depend on: it
// installs the Node 22 their npm scripts run on), and deny every other package with an install script in the
// lockfile, so no install is left with an unreviewed script. Bumping `node` without its allowScripts entry, or a new
// dependency with an install script, fails here. (The package tests run npm 12's `npm ci` for real.)
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

interface Manifest {
  devDependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
}

const read = <T>(path: string): T => JSON.parse(readFileSync(fileURLToPath(new URL(path, import.meta.url)), "utf8"));
const root = read<Manifest>("../../package.json");
const template = read<Manifest>("../../harness/templates/filter/package.json");
const lock = read<{ packages: Record<string, { hasInstallScript?: boolean; version?: string }> }>(
  "../../package-lock.json",
);

/** Names of the packages in the lockfile that have an install script. */
const withInstallScripts = [
  ...new Set(
    Object.entries(lock.packages)
      .filter(([path, entry]) => path.includes("node_modules/") && entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length)),
  ),
].sort();

/** allowScripts as package name → decision (keys may be pinned, "name@1.2.3"). */
function decisions(allowScripts: Record<string, boolean>): Map<string, { pinned?: string; allowed: boolean }> {
  return new Map(
    Object.entries(allowScripts).map(([key, allowed]) => {
      const at = key.lastIndexOf("@");
      return at > 0 ? [key.slice(0, at), { pinned: key.slice(at + 1), allowed }] : [key, { allowed }];
    }),
  );
}

test("this repository approves the node package's install script, pinned, and denies every other one", () => {
  expect(withInstallScripts).toContain("node");
  const policy = decisions(root.allowScripts);
  expect([...policy.keys()].sort()).toEqual(withInstallScripts);
  expect(policy.get("node")).toEqual({ pinned: root.devDependencies.node, allowed: true });
  expect(lock.packages["node_modules/node"]?.version).toBe(root.devDependencies.node);
  for (const [name, decision] of policy) if (name !== "node") expect(decision, name).toEqual({ allowed: false });
});

test("the project template does the same, for the Node 22 it depends on", () => {
  const policy = decisions(template.allowScripts);
  expect(template.devDependencies.node).toMatch(/^22\.\d+\.\d+$/);
  expect(policy.get("node")).toEqual({ pinned: template.devDependencies.node, allowed: true });
  // The project's dependency tree is the harness's plus its own tools: the same packages with install scripts.
  expect([...policy.keys()].sort()).toEqual(withInstallScripts);
  for (const [name, decision] of policy) if (name !== "node") expect(decision, name).toEqual({ allowed: false });
});
