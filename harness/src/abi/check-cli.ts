// Command-line logic of ABI conformance: check .wasm files against Envoy's ABI tables without running Envoy.
// Reached as `proxy-wasm-as check <module.wasm>…` (harness/src/cli/check.ts) and `npm run check:wasm -- …`.
// Prints one summary per file (ABI version, allocator, entry point, every problem with its fix).
import { readFileSync } from "node:fs";
import { checkModule, formatModuleReport } from "./check-module.ts";

/**
 * Checks every file of `files`, printing one report each through `print`; returns the number of files that
 * Envoy would reject or that could not be read (0 = all conform). No side effects beyond reading the files.
 */
export function checkWasmFiles(
  files: readonly string[],
  print: (text: string) => void,
  printError: (text: string) => void = print,
): number {
  let failed = 0;
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      printError(
        `${file}: cannot read it (${(e as Error).message}); check the path or build the module first (\`npx proxy-wasm-as build\`).`,
      );
      failed++;
      continue;
    }
    const report = checkModule(bytes);
    print(formatModuleReport(report, file));
    if (!report.ok) failed++;
  }
  return failed;
}
