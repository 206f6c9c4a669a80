// parseWrkReport is public (`@proxy-wasm-as/harness/cli`, re-exported by index.ts); the load code lives in
// ../bench (`@proxy-wasm-as/harness/bench`) with the statistics. wrk.ts imports only Node built-ins, so this
// re-export loads on any Node.
export { type LoadSample, parseWrkReport } from "../bench/wrk.ts";
