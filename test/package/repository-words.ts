// What a user's project must never be told: this repository's npm scripts (`npm run istio -- …`) and its folders
// (`filters/…`, `harness/src/…`, `test/fixtures/…`). Help texts, hints and fix lines are read in the user's own
// project, which has its own scripts and none of these folders. Used by the CLI help tests (unit and package).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Top-level folders a scaffolded project has too (a path under them may be the user's). */
const PROJECT_FOLDERS = new Set(["assembly", "build", "test", "node_modules", "oci", "vendor"]);

/**
 * This repository's folders that a user's project does not have: the top-level folders git tracks and test/'s
 * subfolders (tracked ones only: a clone's untracked output, such as the packs/ of `npm run pack`, is not ours).
 */
export function repositoryFolders(): string[] {
  const tracked = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 }).split("\n");
  const folders = new Set<string>();
  for (const file of tracked) {
    const [top, sub, ...rest] = file.split("/");
    if (sub === undefined || top!.startsWith(".")) continue;
    if (top === "test" && rest.length > 0) folders.add(`test/${sub}`);
    else if (!PROJECT_FOLDERS.has(top!)) folders.add(top!);
  }
  return [...folders].sort();
}

let pathPattern: RegExp | undefined;

/** A path starting with one of this repository's folders (read from git once per process). */
function repositoryPathPattern(): RegExp {
  const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  pathPattern ??= new RegExp(`(^|[\\s\`'"(\\[=,])(${repositoryFolders().map(literal).join("|")})/`);
  return pathPattern;
}

/**
 * The repository words in `text`: `npm run <script>` for any script not in `projectScripts`, and any path that starts
 * with one of this repository's own folders (a folder name after a slash, as in `oci://host/filters/x`, is not a
 * path of ours). Returns each offending line, empty when the text is fit for a user's project.
 */
export function repositoryWordsIn(text: string, projectScripts: readonly string[]): string[] {
  const folder = repositoryPathPattern();
  const found: string[] = [];
  for (const line of text.split("\n")) {
    const scripts = [...line.matchAll(/\bnpm run ([\w:.-]+)/g)].map((m) => m[1]!);
    if (scripts.some((script) => !projectScripts.includes(script)) || folder.test(line)) found.push(line.trim());
  }
  return found;
}

/**
 * Every `--help` target of the CLI, read from its overview (`proxy-wasm-as --help`): each command under "Commands:",
 * and each subcommand a command's summary names as "envoy provision|check|leftovers: …".
 */
export function helpTargets(overviewText: string): string[][] {
  const targets: string[][] = [];
  for (const [, command, subcommands] of overviewText.matchAll(/^ {2}([\w-]+) +(?:\1 ((?:[\w-]+\|)+[\w-]+):)?/gm)) {
    targets.push([command!]);
    for (const sub of subcommands?.split("|") ?? []) targets.push([command!, sub]);
  }
  return targets;
}
