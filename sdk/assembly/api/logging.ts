// Typed layer: level-checked logging. The level is read from Envoy once and kept (host/hostcalls.ts says for how
// long: until the next root callback, at most 64 stream callbacks), so a disabled level costs one comparison.
// Build expensive messages only behind `if (isLogEnabled(LogLevel.Debug))`.
import { LogLevel } from "../abi/types";
import { log } from "../host/hostcalls";

/** Logs at trace level (if enabled). */
export function logTrace(message: string): void { log(LogLevel.Trace, message); }
/** Logs at debug level (if enabled). */
export function logDebug(message: string): void { log(LogLevel.Debug, message); }
/** Logs at info level (if enabled). */
export function logInfo(message: string): void { log(LogLevel.Info, message); }
/** Logs at warn level (if enabled). */
export function logWarn(message: string): void { log(LogLevel.Warn, message); }
/** Logs at error level (if enabled). */
export function logError(message: string): void { log(LogLevel.Error, message); }
/** Logs at critical level (if enabled). */
export function logCritical(message: string): void { log(LogLevel.Critical, message); }
