// The harness's public surface is listed once per entry point: the root re-exports the everyday names from the
// subpaths (never a name of its own, but the HarnessError family's base), each root name is the same binding as
// in its subpath, and every public name of every entry point is documented. The API reports in harness/api/ are
// kept current by `npm run lint:packages` (scripts/api-report.ts --check).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PACKAGE_DIR = join(ROOT, "harness");
const exportsMap = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")).exports as Record<
  string,
  { source?: string } | string
>;
/** subpath ("emulator") → its source file relative to harness/ ("./src/emulator/index.ts"). */
const subpathSources = Object.fromEntries(
  Object.entries(exportsMap)
    .filter(([key, target]) => key !== "." && typeof target === "object" && target.source)
    .map(([key, target]) => [key.slice(2), (target as { source: string }).source]),
);
/** The root's own module: the base of the error family every layer extends. */
const ROOT_OWN_SOURCES = ["./errors.ts", "./node-check.ts"];

/** Names a report file lists at the top level, with whether each has a doc comment. */
function reportNames(file: string): Array<{ name: string; documented: boolean }> {
  const lines = readFileSync(file, "utf8").split("\n");
  const found: Array<{ name: string; documented: boolean }> = [];
  lines.forEach((line, i) => {
    const match =
      /^export (?:declare )?(?:abstract )?(?:class|interface|type|const|function|namespace|enum) (\w+)/.exec(line);
    if (match) found.push({ name: match[1]!, documented: lines[i - 1] !== "// (undocumented)" });
  });
  return found;
}

describe("the root entry", () => {
  const source = readFileSync(join(PACKAGE_DIR, "src/index.ts"), "utf8");

  test("re-exports only from the subpath entry points (and the error base)", () => {
    const allowed = new Set([
      ...ROOT_OWN_SOURCES,
      ...Object.values(subpathSources).map((s) => s.replace("./src/", "./")),
    ]);
    const specifiers = [...source.matchAll(/from\s+"([^"]+)"|import\s+"([^"]+)"/g)].map((m) => m[1] ?? m[2]!);
    expect(specifiers.length).toBeGreaterThan(5);
    expect(specifiers.filter((s) => !allowed.has(s))).toEqual([]);
  });

  test("each root value is the same binding as in its subpath", { timeout: 120_000 }, async () => {
    const root = (await import("@proxy-wasm-as/harness")) as Record<string, unknown>;
    const subpaths = await Promise.all(
      Object.keys(subpathSources).map(
        async (s) => (await import(`@proxy-wasm-as/harness/${s}`)) as Record<string, unknown>,
      ),
    );
    const orphans = Object.entries(root)
      .filter(([name]) => name !== "HarnessError")
      .filter(([name, value]) => !subpaths.some((m) => name in m && m[name] === value))
      .map(([name]) => name);
    expect(Object.keys(root).length).toBeGreaterThan(20);
    expect(orphans).toEqual([]);
  });

  test("stays the everyday API: well under the subpaths' size", () => {
    const root = reportNames(join(PACKAGE_DIR, "api/harness.api.md"));
    const all = new Set(
      readdirSync(join(PACKAGE_DIR, "api"))
        .filter((f) => f !== "harness.api.md")
        .flatMap((f) => reportNames(join(PACKAGE_DIR, "api", f)).map((n) => n.name)),
    );
    expect(
      root.filter((n) => !all.has(n.name) && n.name !== "HarnessError" && n.name !== "HarnessErrorOptions"),
    ).toEqual([]);
    expect(root.length).toBeLessThan(all.size / 3);
  });
});

describe("API reports (harness/api/)", () => {
  const reports = readdirSync(join(PACKAGE_DIR, "api")).filter((f) => f.endsWith(".api.md"));

  test("one per entry point", () => {
    const expected = ["harness", ...Object.keys(subpathSources)].map((s) => `${s}.api.md`).sort();
    expect(reports.sort()).toEqual(expected);
  });

  test("every public name is documented", () => {
    const undocumented = reports.flatMap((f) =>
      reportNames(join(PACKAGE_DIR, "api", f))
        .filter((n) => !n.documented)
        .map((n) => `${f}: ${n.name}`),
    );
    expect(undocumented).toEqual([]);
  });
});
