#!/usr/bin/env node
// `npm create proxy-wasm-as@latest [dir] [options]`: runs `proxy-wasm-as init` from @proxy-wasm-as/harness.
// Plain JavaScript with no build step, so it runs on whatever Node `npm create` brings (init needs only Node's
// built-ins; the scaffolded project brings its own Node 22 for everything else). Always runs when executed: no
// "am I the main module" check, so the node_modules/.bin symlink `npm create` uses works.
import { runProxyWasmAs } from "@proxy-wasm-as/harness/cli";

const args = process.argv.slice(2);
// With no folder given, create ./my-filter rather than scaffolding into the current folder.
const hasFolder = args.some((arg, i) => !arg.startsWith("-") && args[i - 1] !== "--name");
const wantsHelp = args.includes("--help") || args.includes("-h");
process.exitCode = await runProxyWasmAs(["init", ...(hasFolder || wantsHelp ? [] : ["my-filter"]), ...args]);
