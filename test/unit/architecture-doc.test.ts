// docs/architecture.md and the harness README describe the code as it is: every file or folder the architecture
// page names exists, every harness folder has its README, and the harness README's entry table lists exactly the
// package's subpath exports.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Every file the repository tracks (and the untracked ones not ignored), relative, with "/" separators. */
function repositoryFiles(): string[] {
  return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean);
}

/** File and folder names a page writes as code: `vm.ts`, `emulator/`, `sdk/transform/prune-callbacks.js`. */
function namedPaths(markdown: string): string[] {
  const names = new Set<string>();
  for (const match of markdown.matchAll(/(?<![\w./-])((?:[\w-]+\/)*[\w-]+(?:\.(?:ts|js|json|md)|\/))(?![\w/])/g)) {
    const name = match[1]!;
    if (/^\d/.test(name) || name.startsWith("http")) continue;
    names.add(name);
  }
  return [...names];
}

/** True when some repository path ends with `name` (a file) or contains it as a folder. */
function exists(name: string, files: readonly string[]): boolean {
  if (name.endsWith("/")) return files.some((f) => f.startsWith(name) || f.includes(`/${name}`));
  return files.some((f) => f === name || f.endsWith(`/${name}`));
}

describe("docs/architecture.md", () => {
  const page = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
  const files = repositoryFiles();

  test("names only files and folders that exist", () => {
    const names = namedPaths(page);
    expect(names.length).toBeGreaterThan(60);
    expect(names.filter((n) => !exists(n, files))).toEqual([]);
  });

  test("names every harness folder", () => {
    const folders = [...new Set(files.filter((f) => /^harness\/src\/[\w-]+\//.test(f)).map((f) => f.split("/")[2]!))];
    const missing = folders.filter((f) => f !== "test-support" && !page.includes(`${f}/`));
    expect(missing).toEqual([]);
  });

  test("the check catches a name that is gone", () => {
    expect(namedPaths("`packaging/schema.ts` and `vm.ts`, then `watchdog/`")).toEqual([
      "packaging/schema.ts",
      "vm.ts",
      "watchdog/",
    ]);
    expect(exists("packaging/schema.ts", files)).toBe(false);
    expect(exists("emulator/vm.ts", files)).toBe(true);
  });
});

describe("harness READMEs", () => {
  test("every harness folder has a README.md", () => {
    const folders = [
      ...new Set(
        repositoryFiles()
          .filter((f) => /^harness\/src\/[\w-]+\/[^/]+\.ts$/.test(f))
          .map((f) => f.split("/")[2]!),
      ),
    ];
    expect(folders.filter((f) => !existsSync(join(ROOT, "harness/src", f, "README.md")))).toEqual([]);
  });

  test("the entry table lists exactly the package's subpath exports", () => {
    const exportsMap = JSON.parse(readFileSync(join(ROOT, "harness/package.json"), "utf8")).exports as Record<
      string,
      unknown
    >;
    const subpaths = Object.keys(exportsMap)
      .filter((k) => k !== "./package.json")
      .map((k) => (k === "." ? "@proxy-wasm-as/harness" : `@proxy-wasm-as/harness/${k.slice(2)}`))
      .sort();
    const readme = readFileSync(join(ROOT, "harness/README.md"), "utf8");
    const listed = [...readme.matchAll(/^\| `(@proxy-wasm-as\/harness[\w/-]*)` \|/gm)].map((m) => m[1]!).sort();
    expect(listed).toEqual(subpaths);
  });
});
