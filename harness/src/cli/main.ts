#!/usr/bin/env node
// The `proxy-wasm-as` executable (package.json "bin"). It always runs the CLI: there is no "am I the main module"
// check, so it works however it is reached (node_modules/.bin symlink, npx, a file: link, `node main.js`).
// The Node.js check comes first and this file imports nothing else statically: on an older Node every command but
// `init` stops with one line, before any module that needs Node 22 (undici, Envoy, asc) is even parsed.
import { cliNodeProblem } from "./node-gate.ts";

// `proxy-wasm-as list … | head`: when the reader of stdout goes away, stop quietly as other Unix tools do, instead of
// an unhandled EPIPE stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(process.exitCode ?? 0);
});

const argv = process.argv.slice(2);
const problem = cliNodeProblem(argv);
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 1;
} else {
  const { runProxyWasmAs } = await import("./dispatch.ts");
  process.exitCode = await runProxyWasmAs(argv);
}
