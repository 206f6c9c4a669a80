// Plain AssemblyScript in a filter: `process`, wired in by the shared asconfig (`"use": ["process=proxy_wasm_as_process"]`).
// What Envoy can do comes from @assemblyscript/wasi-shim: `argv` (always empty in Envoy) and `stdout`/`stderr` (each
// write is one Envoy log line), and its WASI bindings: `env` is read here with environ_sizes_get/environ_get (Envoy's
// vm_config.environment_variables; the shim's reader names a failure with a table of every WASI errno, 3.4 KB, for
// calls that cannot fail in Envoy), `hrtime` reads the monotonic clock as ./time does.
// What Envoy cannot do fails the BUILD, naming the SDK function to use: Envoy's proc_exit does not stop the VM (it
// logs at trace level and returns, so the callback would go on), and it has no stdin (fd_read answers ENOSYS).
import { clockid, environ_get, environ_sizes_get } from "@assemblyscript/wasi-shim/assembly/bindings/wasi_snapshot_preview1";
import { wasi_process } from "@assemblyscript/wasi-shim/assembly/wasi_process";
import { clockNanoseconds } from "./time";

/** The VM's environment variables (`KEY=VALUE` strings, as Envoy passes them) as a map. */
function readEnvironment(): Map<string, string> {
  const sizes = memory.data(2 * sizeof<usize>(), sizeof<usize>());
  const environment = new Map<string, string>();
  if (environ_sizes_get(sizes, sizes + sizeof<usize>()) != 0) return environment;
  const count = load<usize>(sizes);
  const bytes = load<usize>(sizes, sizeof<usize>());
  if (count == 0) return environment;
  const pointers = heap.alloc(count * sizeof<usize>());
  const strings = heap.alloc(bytes == 0 ? 1 : bytes);
  if (environ_get(pointers, strings) == 0) {
    for (let i: usize = 0; i < count; i++) {
      const start = load<usize>(pointers + i * sizeof<usize>());
      let end = start;
      while (end < strings + bytes && load<u8>(end) != 0) end++;
      const entry = String.UTF8.decodeUnsafe(start, end - start);
      const equals = entry.indexOf("=");
      if (equals < 0) environment.set(entry, "");
      else environment.set(entry.substring(0, equals), entry.substring(equals + 1));
    }
  }
  heap.free(strings);
  heap.free(pointers);
  return environment;
}

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
  @lazy export const env = readEnvironment();
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
  export function hrtime(): u64 { return clockNanoseconds(clockid.MONOTONIC); }
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
