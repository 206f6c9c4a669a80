// Public API of harness/src/cli (exported as `@proxy-wasm-as/harness/cli`): run the `proxy-wasm-as` command line
// in-process, scaffold a project, read a wrk report. The `proxy-wasm-as` executable itself is main.ts, which does
// not import this module (it must start on any Node to say which Node it needs).
import "../node-check.ts";

export { CliError, describeError } from "./errors.ts";
export { type CliIo, processIo } from "./io.ts";
export { COMMAND_NAMES, overview, runProxyWasmAs } from "./dispatch.ts";
export { scaffoldProject, type ScaffoldOptions } from "./init.ts";
export { parseWrkReport, type LoadSample } from "./load.ts";
