// Command line: check .wasm files against Envoy's ABI tables without running Envoy.
//   npm run check:wasm -- build/filters/headers.wasm other.wasm
// Prints one summary per file (ABI version, allocator, entry point, every problem with its fix) and exits 1 if any
// module would be rejected by Envoy.
import { readFileSync } from "node:fs";
import { checkModule, formatModuleReport } from "./check-module.ts";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: npm run check:wasm -- <module.wasm> [more.wasm …]");
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    console.error(`${file}: cannot read it (${(e as Error).message}); check the path or build the module first.`);
    failed++;
    continue;
  }
  const report = checkModule(bytes);
  console.log(formatModuleReport(report, file));
  if (!report.ok) failed++;
}
process.exit(failed === 0 ? 0 : 1);
