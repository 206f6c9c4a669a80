// Every markdown file a published package ships is read inside the user's project (node_modules/@proxy-wasm-as/…,
// or on the registry's page), which has its own npm scripts and none of this repository's folders. So no shipped
// document may tell its reader to run this repository's scripts (`npm run istio -- …`) or point at its paths
// (`filters/…`, `test/fixtures/…`, `harness/src/…`): the same check the CLI's --help gets (cli-help.test.ts).
// The file list is what `npm pack` would put in each workspace's tarball (its package.json `files`), not a copy.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { repositoryWordsIn } from "../package/repository-words.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const readJson = <T>(path: string) => JSON.parse(readFileSync(join(ROOT, path), "utf8")) as T;

/** The npm scripts a scaffolded project has (its template's). */
const PROJECT_SCRIPTS = Object.keys(
  readJson<{ scripts: Record<string, string> }>("harness/templates/filter/package.json").scripts,
);

/**
 * The only shipped lines allowed to name this repository's scripts or paths: each a piece of the line it allows, in
 * one file, and why. Keep it short; an entry that no longer matches a line fails the test, so the list cannot rot.
 */
const EXEMPT: readonly { file: string; line: string; why: string }[] = [
  {
    file: "harness/src/packaging/README.md",
    line: "<!-- pinned-istio-crds: written by scripts/refresh-istio-crds.ts -->",
    why: "the marker the CRD refresh script finds its table by (its TABLE_START); an HTML comment, never shown",
  },
  {
    file: "harness/src/gateway/README.md",
    line: "<!-- pinned-gateway-crds: written by scripts/refresh-gateway-crds.ts -->",
    why: "the marker the gateway CRD refresh script finds its line by (its LINE_START); an HTML comment, never shown",
  },
  {
    file: "create-proxy-wasm-as/README.md",
    line: "`npm run pack` in a clone of proxy-wasm-as",
    why: "the way in before the packages are published is followed in a clone of proxy-wasm-as, and says so",
  },
];

/** Repository-relative paths of the markdown files each workspace's tarball holds, as `npm pack` lists them. */
function shippedMarkdown(): string[] {
  const workspaces = readJson<{ workspaces: string[] }>("package.json").workspaces;
  const dirOf = new Map(workspaces.map((dir) => [readJson<{ name: string }>(`${dir}/package.json`).name, dir]));
  // --ignore-scripts: no prepack build; the markdown files are sources, and the list stays a few seconds' work.
  const packs = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts", "--workspaces"], {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 64 << 20,
    }),
  ) as { name: string; files: { path: string }[] }[];
  return packs.flatMap(({ name, files }) =>
    files.filter((file) => file.path.endsWith(".md")).map((file) => `${dirOf.get(name)}/${file.path}`),
  );
}

test("shipped markdown names none of this repository's scripts or paths", { timeout: 60_000 }, () => {
  const shipped = shippedMarkdown();
  // The list is the packs' own, and the READMEs users read first are in it.
  for (const file of ["sdk/README.md", "harness/README.md", "harness/templates/filter/README.md"])
    expect(shipped).toContain(file);

  const found: string[] = [];
  const used = new Set<(typeof EXEMPT)[number]>();
  for (const file of shipped) {
    const text = readFileSync(join(ROOT, file), "utf8");
    const offending = new Set(repositoryWordsIn(text, PROJECT_SCRIPTS));
    text.split("\n").forEach((line, index) => {
      if (!offending.has(line.trim())) return;
      const exemption = EXEMPT.find((entry) => entry.file === file && line.includes(entry.line));
      if (exemption) used.add(exemption);
      else found.push(`${file}:${index + 1}: ${line.trim()}`);
    });
  }
  expect(found, found.join("\n")).toEqual([]);
  const stale = EXEMPT.filter((entry) => !used.has(entry)).map((entry) => `${entry.file}: ${entry.line}`);
  expect(stale, "exemptions that no longer match a shipped line: remove them").toEqual([]);
});
