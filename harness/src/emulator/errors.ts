// Errors the emulator throws. Each message says what went wrong and what to do; each carries the module's logs.

/** One captured log line. `contextId` 0 = VM context (start-up, allocator). */
export interface LogEntry {
  readonly level: LogLevelName;
  readonly message: string;
  readonly contextId: number;
  /** Plugin root id of the context that logged (empty for the VM context). */
  readonly rootId: string;
}

/** Envoy log levels, 0 trace … 5 critical. */
export type LogLevelName = "trace" | "debug" | "info" | "warning" | "error" | "critical";

/** A log level as options accept it: Envoy's names, and "warn" as an alias of "warning" (the name before Envoy's was adopted). */
export type LogLevelInput = LogLevelName | "warn";

/** Envoy's name of `level` ("warn" → "warning"). */
export function logLevelName(level: LogLevelInput): LogLevelName {
  return level === "warn" ? "warning" : level;
}

/** Level names indexed by their proxy-wasm number. */
export const LOG_LEVELS: readonly LogLevelName[] = ["trace", "debug", "info", "warning", "error", "critical"];

function withLogs(message: string, logs: readonly LogEntry[]): string {
  if (logs.length === 0) return `${message}\n(the module logged nothing)`;
  const tail = logs.slice(-20).map((l) => `  [${l.level}] ${l.message}`);
  return `${message}\nRecent module logs:\n${tail.join("\n")}`;
}

/** The module cannot be loaded the way Envoy would load it (link, ABI, entry point, vm_start/configure). */
export class WasmLoadError extends Error {
  override readonly name = "WasmLoadError";
  readonly logs: readonly LogEntry[];
  /** Envoy-side problems found by the conformance checker, when the failure is a link/export problem. */
  readonly problems: readonly string[];
  constructor(message: string, logs: readonly LogEntry[] = [], problems: readonly string[] = [], options?: { cause?: unknown }) {
    super(withLogs(message, logs), options);
    this.logs = logs;
    this.problems = problems;
  }
}

/** A callback trapped: the VM is now failed. Carries the Wasm stack (`wasmStack`) and recent logs. */
export class WasmTrapError extends Error {
  override readonly name = "WasmTrapError";
  /** The export that was running, e.g. "proxy_on_request_headers". */
  readonly exportName: string;
  /** Stack of the original trap, including Wasm frames (function names when the module has a name section). */
  readonly wasmStack: string;
  readonly logs: readonly LogEntry[];
  constructor(exportName: string, cause: unknown, logs: readonly LogEntry[]) {
    const c = cause as { message?: string; stack?: string };
    super(withLogs(`Function: ${exportName} failed: Uncaught RuntimeError: ${c?.message ?? String(cause)}`, logs), { cause });
    this.exportName = exportName;
    this.wasmStack = c?.stack ?? String(cause);
    this.logs = logs;
  }
}

/** The test used the emulator API wrongly (e.g. body after end of stream). Nothing was sent to the module. */
export class EmulatorUsageError extends Error {
  override readonly name = "EmulatorUsageError";
}
