// What to use instead of an import Envoy does not provide: the second half of the conformance checker's "missing
// import" problem. The imports people actually hit: AssemblyScript's JavaScript bindings (`env.console.log`,
// `env.Date.now` … from a build without a WASI shim), its `abort`/`trace`/`seed`, and WASI functions Envoy lacks
// (files, sockets) from a module built for a WASI runtime. Each answer names the function to use instead: the SDK's,
// or the plain AssemblyScript the SDK's asconfig provides on WASI.
import { WASI_MODULES } from "./envoy-imports.ts";

/** How to build with the SDK's globals (console, Date, performance, crypto, process on WASI; abort; seed). */
const SDK_ASCONFIG =
  'build with the SDK\'s asconfig (`{ "extends": "@proxy-wasm-as/sdk/asconfig.json" }`, what `npx proxy-wasm-as build` uses)';

/** AssemblyScript's JavaScript bindings (~lib/bindings/dom, ~lib/bindings/node): `env.<Global>.<member>` → what to use. */
const JS_GLOBALS: Readonly<Record<string, string>> = {
  console: `${SDK_ASCONFIG}, whose console writes Envoy log lines through WASI fd_write (log/info/debug at info, warn/error at error level); or call log/logInfo/logWarn/logError of @proxy-wasm-as/sdk (any Envoy level)`,
  Date: `${SDK_ASCONFIG}, whose Date reads WASI clock_time_get; or call currentTimeNanoseconds() of @proxy-wasm-as/sdk`,
  performance: `${SDK_ASCONFIG}, whose performance.now() reads WASI clock_time_get (monotonic)`,
  crypto: `${SDK_ASCONFIG}, whose crypto.getRandomValues() reads WASI random_get`,
  process: `${SDK_ASCONFIG}, whose process gives env (vm_config.environment_variables) and refuses exit/stdin at build time. To end a request use sendLocalResponse(status, body); to stop on a broken invariant, throw`,
  Math: "this is the JavaScript host's Math (`--use Math=JSMath`): drop that option, AssemblyScript's own Math (NativeMath) needs no import",
};

/** AssemblyScript's runtime hooks imported from `env` unless redirected with `--use`. */
const AS_HOOKS: Readonly<Record<string, string>> = {
  abort: `AssemblyScript's abort handler: ${SDK_ASCONFIG} (\`use abort=proxy_wasm_as_abort\`: the message is logged at critical level through proxy_log, then the module traps)`,
  seed: `Math.random's seed: ${SDK_ASCONFIG} (\`use seed=proxy_wasm_as_seed\`: WASI random_get)`,
  trace: "AssemblyScript's trace(): call logTrace or logDebug of @proxy-wasm-as/sdk instead",
};

/** WASI functions Envoy does not register, by family → what to use instead. */
const NO_FILES =
  "Envoy gives a filter no files: put the data in the plugin configuration and read it in onConfigure (configuration.json() or a ConfigSchema of @proxy-wasm-as/sdk), or fetch it at run time with httpCall";
const WASI_FAMILIES: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /^(path_|fd_(readdir|pread|pwrite|filestat_|allocate|advise|datasync|sync|tell|renumber|fdstat_set_rights))/,
    NO_FILES,
  ],
  [
    /^sock_/,
    "Envoy gives a filter no sockets: call out through an Envoy cluster with httpCall or grpcCall of @proxy-wasm-as/sdk",
  ],
  [
    /^clock_res_get$/,
    "read the clocks with clock_time_get (Date.now() and performance.now() with the SDK's asconfig, or currentTimeNanoseconds())",
  ],
  [/^proc_raise$/, "throw instead (with the SDK's asconfig the abort handler logs the message and traps)"],
];

/**
 * What to do about an import Envoy does not provide (for ABI `abiVersion`): names the function to use instead when
 * the import is one people commonly hit, else says what Envoy offers in that module.
 */
export function missingImportHint(module: string, name: string, abiVersion: string): string {
  if ((WASI_MODULES as readonly string[]).includes(module)) {
    const family = WASI_FAMILIES.find(([pattern]) => pattern.test(name));
    const offered =
      "Envoy provides only fd_write (fd 1 and 2: its log), clock_time_get, random_get, environ_*, args_* and no-op stubs (fd_read, fd_seek, fd_close, fd_fdstat_*, fd_prestat_*, path_open, proc_exit, sched_yield, poll_oneoff)";
    return family ? `${family[1]}. (${offered}.)` : `${offered}: do not call ${name}.`;
  }
  if (module === "env") {
    const hook = AS_HOOKS[name];
    if (hook) return `${hook}.`;
    const dot = name.indexOf(".");
    if (dot > 0) {
      const global = JS_GLOBALS[name.slice(0, dot)];
      return global
        ? `${name} is AssemblyScript's JavaScript binding, and Envoy runs no JavaScript: ${global}.`
        : `${name} is a JavaScript binding (an \`@external("env", …)\` declaration), and Envoy runs no JavaScript: implement it in AssemblyScript.`;
    }
    if (name.startsWith("proxy_"))
      return `Envoy does not register this host call for ABI ${abiVersion} (another ABI version's or another host's call): use the SDK's API, which binds exactly Envoy's ${abiVersion} calls.`;
    return `Envoy's env module has only the proxy_* host calls: ${name} is a function declared without a body (\`declare function\` or \`@external\`); implement it in AssemblyScript or use the SDK's API.`;
  }
  return `Envoy provides only the modules env, wasi_snapshot_preview1 and wasi_unstable: remove the import from module "${module}".`;
}
