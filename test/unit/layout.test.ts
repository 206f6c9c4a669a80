// The layout rules (developer guide: small files split by concern, one-way layers): no TypeScript file in the
// repository (sources, tests, scripts, benchmarks, the SDK's AssemblyScript) is longer than MAX_LINES, and nothing
// under harness/src imports from the repository's test/ folder (the published harness must not depend on the
// repository's tests).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const HARNESS_SRC = join(ROOT, "harness", "src");
const TEST_DIR = join(ROOT, "test");
/** The longest a TypeScript file may be. */
const MAX_LINES = 500;

/** Every file under `dir`, recursively (node_modules and build output skipped). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" || entry.name === "dist" ? [] : filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}

/** Lines of `text` as `wc -l` counts them (a final newline does not start a line). */
function lineCount(text: string): number {
  if (text.length === 0) return 0;
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

/** Module specifiers of static imports/exports (type-only included), dynamic import() and require() in `source`. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\b(?:import|require)\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

/** True when `specifier`, imported by the file `from`, reaches into the repository's test/ folder. */
function reachesTestFolder(from: string, specifier: string): boolean {
  const path = specifier.startsWith("file:") ? fileURLToPath(specifier) : specifier;
  if (path.startsWith(".") || path.startsWith("/")) {
    const target = resolve(dirname(from), path);
    return target === TEST_DIR || target.startsWith(TEST_DIR + sep);
  }
  return false; // a package name: never the repository's test/ folder
}

/** The test/ imports in the file `from` with content `source`, as "file: specifier" lines. */
function testFolderImports(from: string, source: string): string[] {
  return specifiers(source)
    .filter((s) => reachesTestFolder(from, s))
    .map((s) => `${relative(ROOT, from)}: ${s}`);
}

describe("harness/src layout", () => {
  const files = filesUnder(HARNESS_SRC);
  const tsFiles = files.filter((f) => f.endsWith(".ts"));

  test("finds the harness sources", () => {
    expect(tsFiles.length).toBeGreaterThan(50);
  });

  test(`no .ts file in the repository is longer than ${MAX_LINES} lines`, () => {
    const repositoryTs = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts"], {
      cwd: ROOT,
      encoding: "utf8",
    })
      .split("\n")
      .filter((f) => f && !f.endsWith(".d.ts"))
      .map((f) => join(ROOT, f));
    expect(repositoryTs.length).toBeGreaterThan(tsFiles.length);
    const tooLong = repositoryTs
      .map((f) => ({ file: relative(ROOT, f), lines: lineCount(readFileSync(f, "utf8")) }))
      .filter((f) => f.lines > MAX_LINES)
      .map((f) => `${f.file}: ${f.lines} lines (split it by concern into sibling modules)`);
    expect(tooLong).toEqual([]);
  });

  test("no file imports from the repository's test/ folder", () => {
    const offending = files
      .filter((f) => /\.(c|m)?[jt]sx?$/.test(f))
      .flatMap((f) => testFolderImports(f, readFileSync(f, "utf8")));
    expect(offending).toEqual([]);
  });

  test("the checks catch what they look for", () => {
    const file = join(HARNESS_SRC, "emulator", "x.ts");
    expect(lineCount("a\nb\n")).toBe(2);
    expect(lineCount("a\nb")).toBe(2);
    expect(lineCount(`${"x\n".repeat(MAX_LINES + 1)}`)).toBeGreaterThan(MAX_LINES);
    const bad = [
      'import { a } from "../../../test/support/a.ts";',
      'import type { B } from "../../../test/b.ts";',
      'export { c } from "../../../test/c.ts";',
      'import "../../../test/setup.ts";',
      'const d = await import("../../../test/d.ts");',
      `import { e } from "${join(ROOT, "test", "e.ts")}";`,
    ];
    for (const line of bad) expect(testFolderImports(file, line), line).toHaveLength(1);
    const good = [
      'import { a } from "./test-support/a.ts";',
      'import { b } from "../test/b.ts";', // harness/src/test, not the repository's test/
      'import { expect } from "vitest";',
    ];
    for (const line of good) expect(testFolderImports(file, line), line).toEqual([]);
  });
});
