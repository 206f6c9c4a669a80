// Builds what create-proxy-wasm-as ships besides index.js, from @proxy-wasm-as/harness's own sources, so that
// `npm create proxy-wasm-as` installs this one small package (no undici, testcontainers or install scripts) and
// writes exactly the project `proxy-wasm-as init` writes:
//   dist/cli/init.js (+ the CLI modules it imports)   harness/src/cli/init.ts compiled for Node 18 and newer
//   templates/filter/                                 a copy of harness/templates/filter
//   node scripts/build.ts [<out dir>]     (default: this package; npm pack runs it through prepack)
// It fails when the result would import anything but Node built-ins and its own files, or when the sdk, harness
// and create-proxy-wasm-as versions differ (the scaffold depends on the SDK and harness of its own version).
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const repo = resolve(packageDir, "..");
const outDir = resolve(process.argv[2] ?? packageDir);
/** Every module specifier of an ES module: static imports/exports and dynamic import() with a string literal. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])([^"']+)\1/g;

const versionOf = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
const versions = {
  sdk: versionOf(join(repo, "sdk")),
  harness: versionOf(join(repo, "harness")),
  create: versionOf(packageDir),
};
if (new Set(Object.values(versions)).size !== 1)
  throw new Error(
    `create-proxy-wasm-as: versions differ (${JSON.stringify(versions)}); release the three packages with one version`,
  );

const typescriptManifest = createRequire(import.meta.url).resolve("typescript/package.json");
const tsc = join(
  dirname(typescriptManifest),
  (JSON.parse(readFileSync(typescriptManifest, "utf8")) as { bin: { tsc: string } }).bin.tsc,
);
rmSync(join(outDir, "dist"), { recursive: true, force: true });
rmSync(join(outDir, "templates"), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", join(packageDir, "tsconfig.build.json"), "--outDir", join(outDir, "dist")], {
  stdio: "inherit",
});
cpSync(join(repo, "harness", "templates"), join(outDir, "templates"), { recursive: true });

const outside: string[] = [];
for (const file of readdirSync(join(outDir, "dist"), { recursive: true, encoding: "utf8" })) {
  if (!file.endsWith(".js")) continue;
  for (const [, , specifier] of readFileSync(join(outDir, "dist", file), "utf8").matchAll(SPECIFIER)) {
    if (!specifier!.startsWith("node:") && !specifier!.startsWith("./") && !specifier!.startsWith("../"))
      outside.push(`${file}: ${specifier}`);
  }
}
if (outside.length > 0)
  throw new Error(`create-proxy-wasm-as must load only Node built-ins, but its build imports: ${outside.join("; ")}`);
console.log(`create-proxy-wasm-as: built dist/ (proxy-wasm-as init for Node 18+) and templates/ in ${outDir}`);
