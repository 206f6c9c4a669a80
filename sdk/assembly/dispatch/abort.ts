// Dispatch layer: the handler AssemblyScript calls on abort/throw/assert failure, wired in by the shared
// asconfig (`"use": ["abort=proxy_wasm_as_abort"]`). It logs ONE critical proxy_log line
// "abort: <message> at <file>:<line>:<column>" and then traps itself (`unreachable`): AS emits `unreachable` after
// its own throw/assert calls, but a direct `abort()` call in user code is an ordinary call that would return. It allocates nothing (it may run because memory ran out): the line is built in
// a static buffer and long parts are truncated.
import { logUnchecked } from "../host/hostcalls";
import { LogLevel } from "../abi/types";

const ABORT_BUFFER_SIZE: usize = 1024;

// Appends up to `maxChars` UTF-16 units of `text` at buffer+length; returns the new length.
function appendText(buffer: usize, length: usize, text: string | null, maxChars: i32): usize {
  if (text == null) return length;
  const room = <i32>((ABORT_BUFFER_SIZE - length) / 3);
  let chars = text.length;
  if (chars > maxChars) chars = maxChars;
  if (chars > room) chars = room;
  if (chars <= 0) return length;
  return length + String.UTF8.encodeUnsafe(changetype<usize>(text), chars, buffer + length);
}

function appendNumber(buffer: usize, length: usize, value: u32): usize {
  let digits: usize = 1;
  for (let rest = value; rest >= 10; rest /= 10) digits++;
  if (length + digits > ABORT_BUFFER_SIZE) return length;
  let at = buffer + length + digits;
  let rest = value;
  do { store<u8>(--at, 48 + rest % 10); rest /= 10; } while (rest != 0);
  return length + digits;
}

/** Abort handler (global; selected with `--use abort=proxy_wasm_as_abort`). Logs critically, then traps. */
// @ts-ignore: decorator
@global export function proxy_wasm_as_abort(message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0): void {
  const buffer = memory.data(1024);
  let length: usize = 0;
  length = appendText(buffer, length, "abort: ", 7);
  length = appendText(buffer, length, message, 200);
  if (fileName != null) {
    // a direct `abort(message)` call passes no position; throw and assert always do
    length = appendText(buffer, length, " at ", 4);
    length = appendText(buffer, length, fileName, 100);
    length = appendText(buffer, length, ":", 1);
    length = appendNumber(buffer, length, line);
    length = appendText(buffer, length, ":", 1);
    length = appendNumber(buffer, length, column);
  }
  logUnchecked(LogLevel.Critical, buffer, length);
  unreachable();
}
