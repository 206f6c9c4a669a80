#!/usr/bin/env node
// PLACEHOLDER from branch `pkg` so that the `proxy-wasm-as` bin builds: the `cli` branch writes the real CLI.
import "../node-check.ts";

console.error("proxy-wasm-as: this build has no CLI yet");
process.exitCode = 1;
