// Settings in one place: no harness file but harness/src/settings.ts reads an environment variable, and the
// harness README's settings table lists exactly the settings that module declares, with their defaults.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { ENVIRONMENT_SETTINGS, setting } from "../../harness/src/settings.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SRC = join(ROOT, "harness/src");

/** `process.env.NAME` or `process.env[…]` reads; `process.env.NAME ??= …` (a default for a library) is a write. */
const ENV_READ = /process\.env(?:\.(\w+)\b(?!\s*\?\?=)|\[)/g;
/** The system's own variables, read where commands are looked up, not settings of the harness. */
const SYSTEM_VARIABLES = new Set(["PATH"]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "test-support" ? [] : sources(path);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$|test-support\.ts$/.test(entry.name) ? [path] : [];
  });
}

test("only harness/src/settings.ts reads the environment", () => {
  const reads = sources(SRC)
    .filter((file) => !file.endsWith(join("src", "settings.ts")))
    .flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(ENV_READ)]
        .filter((match) => !SYSTEM_VARIABLES.has(match[1] ?? ""))
        .map((match) => `${relative(ROOT, file)}: ${match[0]}`),
    );
  expect(reads).toEqual([]);
  expect([..."process.env.FOO; process.env['X']; process.env.BAR ??= '1'".matchAll(ENV_READ)]).toHaveLength(2);
});

test("the harness README's settings table is the settings module's", () => {
  const readme = readFileSync(join(ROOT, "harness/README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Settings"));
  const rows = [...section.matchAll(/^\| `(\w+)` \| (?:`([^`]*)`|—) \|/gm)].map((m) => [m[1], m[2] ?? ""]);
  expect(rows).toEqual(Object.entries(ENVIRONMENT_SETTINGS).map(([name, s]) => [name, s.default]));
});

test("an unset or empty variable gives the default; a set one its value", () => {
  expect(setting("ENVOY_RUNNER", {})).toBe("process");
  expect(setting("ENVOY_RUNNER", { ENVOY_RUNNER: "" })).toBe("process");
  expect(setting("ENVOY_RUNNER", { ENVOY_RUNNER: "container" })).toBe("container");
  expect(setting("ENVOY_BINARY", {})).toBe("");
});
