// Builds the published package: src/**/*.ts → dist/ (JavaScript, declarations, source maps), from scratch.
//   node scripts/build.ts        (npm run build -w harness; also run by `npm pack` through prepack)
// tsc's rewriteRelativeImportExtensions turns "./x.ts" into "./x.js" in the JavaScript but (tsc 7.0) leaves
// the declarations alone, and a .d.ts importing "./x.ts" fails in a user's project (TS5097). So after tsc, the
// relative specifiers of every .d.ts are rewritten the same way: a dozen lines, no library does this one step.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const distDir = join(packageDir, "dist");
/** A relative module specifier ending in .ts inside quotes: `"./x.ts"`, `'../y/index.ts'`. */
const RELATIVE_TS_SPECIFIER = /(["'])(\.\.?\/[^"'\n]*)\.ts\1/g;

rmSync(distDir, { recursive: true, force: true });
const typescriptManifest = createRequire(import.meta.url).resolve("typescript/package.json");
const tsc = join(
  dirname(typescriptManifest),
  (JSON.parse(readFileSync(typescriptManifest, "utf8")) as { bin: { tsc: string } }).bin.tsc,
);
execFileSync(process.execPath, [tsc, "-p", join(packageDir, "tsconfig.build.json")], { stdio: "inherit" });

let rewritten = 0;
for (const file of readdirSync(distDir, { recursive: true, encoding: "utf8" })) {
  if (!file.endsWith(".d.ts")) continue;
  const path = join(distDir, file);
  const text = readFileSync(path, "utf8");
  const fixed = text.replace(
    RELATIVE_TS_SPECIFIER,
    (_match, quote: string, base: string) => `${quote}${base}.js${quote}`,
  );
  if (fixed !== text) {
    writeFileSync(path, fixed);
    rewritten++;
  }
}
console.log(`harness: built dist/ (${rewritten} declaration files had their .ts import paths rewritten to .js)`);
