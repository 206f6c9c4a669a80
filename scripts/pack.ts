// Packs the three published packages exactly as `npm publish` would (each builds itself through prepack) into one
// folder: @proxy-wasm-as/sdk, @proxy-wasm-as/harness and create-proxy-wasm-as. With them a project can be made
// before the packages are on a registry, or where the registry does not have them:
//   npm run pack [-- --out <dir>]                          (default: packs/)
//   node create-proxy-wasm-as/index.js ../my-filter --from packs
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKSPACES = ["sdk", "harness", "create-proxy-wasm-as"];

const { values } = parseArgs({ options: { out: { type: "string", default: "packs" } } });
// npm runs scripts in the repository root; INIT_CWD is where the user typed the command.
const out = resolve(process.env.INIT_CWD ?? process.cwd(), values.out);
mkdirSync(out, { recursive: true });
const output = execFileSync(
  "npm",
  ["pack", "--json", "--pack-destination", out, ...WORKSPACES.flatMap((w) => ["-w", w])],
  { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 },
);
// npm prints the lifecycle scripts' output (prepack) before the JSON report on stdout.
const packed = JSON.parse(output.slice(output.indexOf("\n[") + 1)) as { filename: string; size: number }[];
const relativeOut = relative(process.env.INIT_CWD ?? process.cwd(), out);
// "./packs", not "packs": npx reads "packs/x.tgz" as a GitHub repository.
const shown = relativeOut.startsWith("..") || relativeOut.startsWith("/") ? relativeOut : `./${relativeOut}`;
console.log(`\npacked into ${out}:`);
for (const { filename, size } of packed) console.log(`  ${filename}  ${(size / 1024).toFixed(0)} KiB`);
const version = (JSON.parse(readFileSync(join(ROOT, "harness", "package.json"), "utf8")) as { version: string })
  .version;
console.log(`
make a project from them (any Node from 18 on; the project brings Node 22):
  node ${relative(process.env.INIT_CWD ?? process.cwd(), join(ROOT, "create-proxy-wasm-as", "index.js"))} ../my-filter --from ${shown}
  cd ../my-filter && npm test
or, without this clone: npx ${shown}/create-proxy-wasm-as-${version}.tgz my-filter --from ${shown}`);
