#!/usr/bin/env node
// The `proxy-wasm-as` executable (package.json "bin"). It always runs the CLI: there is no "am I the main module"
// check, so it works however it is reached (node_modules/.bin symlink, npx, a file: link, `node main.js`).
import { runProxyWasmAs } from "./index.ts";

process.exitCode = await runProxyWasmAs(process.argv.slice(2));
