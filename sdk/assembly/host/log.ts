// Checked layer, logging: proxy_log with Envoy's log level read once and kept (see below for how long), and the
// unchecked variant abort uses. Re-exported by hostcalls.ts, so callers import it from there with the rest.
import * as raw from "../abi/imports";
import { Status, LogLevel } from "../abi/types";
import { OUT_PTR, encodeValue, valueLength } from "./memory";

// Envoy never tells a module that its log level changed (ABI 0.2.1 has no such callback; `POST /logging` on the
// admin API changes the level without the module knowing), so the SDK asks with proxy_get_log_level and keeps the
// answer: until the next root callback (VM start, configure, tick, queue, foreign function, callout response:
// the dispatcher calls resetLogLevelCache there) and for at most LOG_LEVEL_REFRESH_CALLBACKS stream callbacks
// (the dispatcher calls countLogLevelCallback on every one). A level changed at run time is therefore seen from
// the next root callback, or at the latest 64 stream callbacks later; a level set at start is seen at once.
//
// Until the first callback the module runs its top-level code inside `_initialize`, where Envoy allows proxy_log
// but traps any other proxy_* call (restricted_callback: the VM fails to start and the line is lost). So nothing
// is asked then and every level is logged; Envoy drops the lines below its own level itself.

/** Stream callbacks for which a level read from Envoy is kept. */
export const LOG_LEVEL_REFRESH_CALLBACKS: i32 = 64;

const LEVEL_NOT_ASKABLE: i32 = -2;
const LEVEL_NOT_ASKED: i32 = -1;
let cachedLogLevel: i32 = LEVEL_NOT_ASKABLE;
let logLevelCallbacksLeft: i32 = 0;

/** Forgets the cached log level: the next log call asks Envoy. The dispatcher calls it at every root callback. */
export function resetLogLevelCache(): void { cachedLogLevel = LEVEL_NOT_ASKED; }

/** Counts one stream callback against the cached log level's lifetime (the dispatcher calls it on every one). */
// @ts-ignore: decorator
@inline export function countLogLevelCallback(): void {
  if (--logLevelCallbacksLeft <= 0 && cachedLogLevel != LEVEL_NOT_ASKABLE) cachedLogLevel = LEVEL_NOT_ASKED;
}

/**
 * Envoy's current `wasm` log level (Trace if the host refuses), as last read: see above for how long a read
 * is kept. Trace during the module's top-level code (`_initialize`), where Envoy forbids asking.
 */
export function getLogLevel(): LogLevel {
  if (cachedLogLevel < 0) {
    if (cachedLogLevel == LEVEL_NOT_ASKABLE) return LogLevel.Trace;
    store<u32>(OUT_PTR, 0);
    cachedLogLevel = raw.proxy_get_log_level(OUT_PTR) == Status.Ok ? <i32>load<u32>(OUT_PTR) : 0;
    logLevelCallbacksLeft = LOG_LEVEL_REFRESH_CALLBACKS;
  }
  return <LogLevel>cachedLogLevel;
}

/** True when a message at `level` would be printed; check it before building an expensive message. */
export function isLogEnabled(level: LogLevel): bool { return <i32>level >= <i32>getLogLevel(); }

/** Logs `message` at `level` if that level is enabled. */
export function log(level: LogLevel, message: string): void {
  if (<i32>level < <i32>getLogLevel()) return;
  const ptr = encodeValue(message);
  raw.proxy_log(level, ptr, valueLength);
}

/** Logs without consulting the level (used by abort, where asking the host could fail). */
export function logUnchecked(level: LogLevel, ptr: usize, size: usize): void { raw.proxy_log(level, ptr, size); }
