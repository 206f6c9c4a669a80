// Every `proxy-wasm-as` command's and subcommand's --help speaks of the user's project: no npm script of this
// repository (`npm run istio -- …`) and no folder of it (`filters/`, `harness/src`, `test/fixtures`). The same check
// runs on the installed CLI in a scaffolded project (test/package/create-project.test.ts); this one is in-process.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { COMMAND_NAMES, overview, runProxyWasmAs } from "@proxy-wasm-as/harness/cli";
import { helpTargets, repositoryWordsIn } from "../package/repository-words.ts";

/** The npm scripts a scaffolded project has (its template's). */
const PROJECT_SCRIPTS = Object.keys(
  (
    JSON.parse(
      readFileSync(fileURLToPath(new URL("../../harness/templates/filter/package.json", import.meta.url)), "utf8"),
    ) as { scripts: Record<string, string> }
  ).scripts,
);

describe("help phrased for the user's project", () => {
  test("the check itself finds this repository's scripts and folders, and lets the project's own through", () => {
    expect(repositoryWordsIn("Usage: npm run istio -- <command>", PROJECT_SCRIPTS)).toHaveLength(1);
    expect(repositoryWordsIn("see filters/shared/config.ts", PROJECT_SCRIPTS)).toHaveLength(1);
    expect(repositoryWordsIn("(`harness/src/abi`)", PROJECT_SCRIPTS)).toHaveLength(1);
    expect(repositoryWordsIn("e.g. test/fixtures/quickstart", PROJECT_SCRIPTS)).toHaveLength(1);
    expect(repositoryWordsIn("npm run build, then npm test", PROJECT_SCRIPTS)).toEqual([]);
    expect(repositoryWordsIn("build/my-filter.wasm test/filter.test.ts", PROJECT_SCRIPTS)).toEqual([]);
    expect(repositoryWordsIn("oci://127.0.0.1:5000/filters/headers:v1", PROJECT_SCRIPTS)).toEqual([]);
  });

  test("every command and subcommand --help", { timeout: 60_000 }, async () => {
    const targets = helpTargets(overview());
    for (const command of COMMAND_NAMES) expect(targets).toContainEqual([command]);
    expect(targets).toContainEqual(["envoy", "provision"]);
    expect(targets).toContainEqual(["istio", "wasmplugin"]);
    const found: string[] = repositoryWordsIn(overview(), PROJECT_SCRIPTS).map((line) => `--help: ${line}`);
    for (const target of targets) {
      const out: string[] = [];
      const io = { print: (t: string) => void out.push(t), info: (t: string) => void out.push(t) };
      expect(await runProxyWasmAs([...target, "--help"], io), target.join(" ")).toBe(0);
      expect(out.join("\n"), target.join(" ")).toMatch(/Usage:/);
      found.push(...repositoryWordsIn(out.join("\n"), PROJECT_SCRIPTS).map((line) => `${target.join(" ")}: ${line}`));
    }
    expect(found).toEqual([]);
  });
});
