// Plain AssemblyScript in a filter: `process`, wired in by the shared asconfig (`"use": ["process=proxy_wasm_as_process"]`).
// What Envoy can do comes from @assemblyscript/wasi-shim: `env` (Envoy's vm_config.environment_variables, through
// WASI environ_get), `argv` (always empty in Envoy), `hrtime`, `stdout`/`stderr` (each write is one Envoy log line).
// What Envoy cannot do fails the BUILD, naming the SDK function to use: Envoy's proc_exit does not stop the VM (it
// logs at trace level and returns, so the callback would go on), and it has no stdin (fd_read answers ENOSYS).
import { wasi_process } from "@assemblyscript/wasi-shim/assembly/wasi_process";

/** `process` for Envoy filters (global; selected with `--use process=proxy_wasm_as_process`). */
// @ts-ignore: decorator
@global export namespace proxy_wasm_as_process {
  /** "wasm32". */
  // @ts-ignore: decorator
  @lazy export const arch = wasi_process.arch;
  /** "wasm". */
  // @ts-ignore: decorator
  @lazy export const platform = wasi_process.platform;
  /** The VM's environment: Envoy's `vm_config.environment_variables` (`host_env_keys` and `key_values`). */
  // @ts-ignore: decorator
  @lazy export const env = wasi_process.env;
  /** Command-line arguments: Envoy passes none. */
  // @ts-ignore: decorator
  @lazy export const argv = wasi_process.argv;
  /** Each `write` is one line in Envoy's log at info level (a trailing "\n" is dropped). Prefer `console.log`. */
  // @ts-ignore: decorator
  @lazy export const stdout = wasi_process.stdout;
  /** Each `write` is one line in Envoy's log at error level (a trailing "\n" is dropped). Prefer `console.error`. */
  // @ts-ignore: decorator
  @lazy export const stderr = wasi_process.stderr;
  /** Nanoseconds on Envoy's monotonic clock. */
  export function hrtime(): u64 { return wasi_process.hrtime(); }
  /** Not available in Envoy: a compile error that names what to use instead. */
  export function exit(code: i32 = 0): void {
    ERROR("process.exit() cannot stop an Envoy filter: Envoy's WASI proc_exit does not exit (it returns, and the callback would go on). To end a request, answer it with this.sendLocalResponse(status, body) and return Action.Pause; to stop on a broken invariant, throw (the SDK's abort logs the message at critical level and traps).");
  }
  /** Not available in Envoy: reading it is a compile error that names what to use instead. */
  export namespace stdin {
    /** Not available in Envoy (a compile error). */
    export function read(buffer: ArrayBuffer, offset: isize = 0): i32 {
      ERROR("process.stdin does not exist in an Envoy filter (Envoy's WASI fd_read answers ENOSYS). Read the plugin configuration in onConfigure (configuration.json() or a ConfigSchema), request data with this.requestHeaders / this.requestBody, or fetch data with this.httpCall.");
      return 0;
    }
    /** Not available in Envoy (a compile error). */
    export function close(): void {
      ERROR("process.stdin does not exist in an Envoy filter (Envoy's WASI fd_read answers ENOSYS).");
    }
  }
}
