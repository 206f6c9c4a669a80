// Plain AssemblyScript in a filter: `console`, wired in by the shared asconfig (`"use": ["console=proxy_wasm_as_console"]`).
// Built on @assemblyscript/wasi-shim's WASI bindings, but not on its console: the shim writes the message and its
// "\n" with separate fd_write calls (plus "Info: "/"Warning: " prefixes), and Envoy turns EVERY fd_write into its
// own log line (proxy-wasm-cpp-host writevImpl: no buffering, one trailing "\n" stripped), so one console.log
// became two lines, the second empty. Here each call is ONE fd_write of two iovecs (the UTF-8 message and "\n"),
// so it is one Envoy log line, at the level Envoy gives the descriptor: fd 1 (stdout) info, fd 2 (stderr) error.
// As in Node, log/info/debug write to stdout and warn/error/failed asserts to stderr.
import { clockid, fd_write, iovec } from "@assemblyscript/wasi-shim/assembly/bindings/wasi_snapshot_preview1";
import { clockNanoseconds } from "./time";

// @ts-ignore: decorator
@inline const STDOUT: u32 = 1;
// @ts-ignore: decorator
@inline const STDERR: u32 = 2;
// @ts-ignore: decorator
@inline const NEWLINE: u8 = 0x0a;
// @ts-ignore: decorator
@inline const NANOS_PER_MILLI: u64 = 1_000_000;

/** Writes `message` and a newline to `fd` with one fd_write: one Envoy log line. */
function writeLine(fd: u32, message: string): void {
  const vectors = memory.data(2 * offsetof<iovec>());
  const written = memory.data(sizeof<usize>());
  const newline = memory.data(1);
  store<u8>(newline, NEWLINE);
  const size = <usize>String.UTF8.byteLength(message);
  const bytes = heap.alloc(size == 0 ? 1 : size);
  String.UTF8.encodeUnsafe(changetype<usize>(message), message.length, bytes);
  changetype<iovec>(vectors).buf = bytes;
  changetype<iovec>(vectors).buf_len = size;
  changetype<iovec>(vectors + offsetof<iovec>()).buf = newline;
  changetype<iovec>(vectors + offsetof<iovec>()).buf_len = 1;
  fd_write(fd, vectors, 2, written); // Envoy's answer for fd 1/2 is always success; nothing to do otherwise
  heap.free(bytes);
}

// @ts-ignore: decorator
@lazy const timers = new Map<string, u64>();

/** `console` for Envoy filters (global; selected with `--use console=proxy_wasm_as_console`). Each call is one Envoy log line. */
// @ts-ignore: decorator
@global export namespace proxy_wasm_as_console {
  /** Logs `message` at Envoy's info level (WASI stdout). */
  export function log(message: string = ""): void { writeLine(STDOUT, message); }
  /** Same as `log` (Envoy's info level). For Envoy's debug level, use `logDebug` of the SDK. */
  export function debug(message: string = ""): void { writeLine(STDOUT, message); }
  /** Same as `log` (Envoy's info level). */
  export function info(message: string = ""): void { writeLine(STDOUT, message); }
  /** Logs `message` at Envoy's error level (WASI stderr, as in Node). For Envoy's warning level, use `logWarn` of the SDK. */
  export function warn(message: string = ""): void { writeLine(STDERR, message); }
  /** Logs `message` at Envoy's error level (WASI stderr). */
  export function error(message: string = ""): void { writeLine(STDERR, message); }
  /** When `condition` is falsy, logs `Assertion failed: <message>` at Envoy's error level (and goes on, as in Node). */
  export function assert<T>(condition: T, message: string = ""): void {
    if (!condition) writeLine(STDERR, message.length ? "Assertion failed: " + message : "Assertion failed");
  }
  /** Starts the timer `label` (monotonic clock). */
  export function time(label: string = "default"): void {
    if (timers.has(label)) writeLine(STDERR, "Warning: Label '" + label + "' already exists for console.time()");
    else timers.set(label, clockNanoseconds(clockid.MONOTONIC));
  }
  /** Logs `<label>: <milliseconds>ms` since `time(label)`. */
  export function timeLog(label: string = "default"): void {
    if (!timers.has(label)) writeLine(STDERR, "Warning: No such label '" + label + "' for console.timeLog()");
    else writeLine(STDOUT, label + ": " + ((clockNanoseconds(clockid.MONOTONIC) - timers.get(label)) / NANOS_PER_MILLI).toString() + "ms");
  }
  /** Logs like `timeLog`, then forgets the timer. */
  export function timeEnd(label: string = "default"): void {
    timeLog(label);
    timers.delete(label);
  }
}
