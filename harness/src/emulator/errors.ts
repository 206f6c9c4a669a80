// Errors the emulator throws. Each message says what went wrong and what to do; each carries the module's logs.
import { HarnessError } from "../errors.ts";

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
export class WasmLoadError extends HarnessError {
  override readonly name = "WasmLoadError";
  readonly logs: readonly LogEntry[];
  /** Envoy-side problems found by the conformance checker, when the failure is a link/export problem. */
  readonly problems: readonly string[];
  constructor(
    message: string,
    logs: readonly LogEntry[] = [],
    problems: readonly string[] = [],
    options?: { cause?: unknown; hint?: string },
  ) {
    super(withLogs(message, logs), options);
    this.logs = logs;
    this.problems = problems;
  }
}

/** A callback trapped: the VM is now failed. Carries the Wasm stack (`wasmStack`) and recent logs. */
export class WasmTrapError extends HarnessError {
  override readonly name = "WasmTrapError";
  /** The export that was running, e.g. "proxy_on_request_headers". */
  readonly exportName: string;
  /** Stack of the original trap, including Wasm frames (function names when the module has a name section). */
  readonly wasmStack: string;
  readonly logs: readonly LogEntry[];
  constructor(exportName: string, cause: unknown, logs: readonly LogEntry[]) {
    const c = cause as { message?: string; stack?: string };
    super(withLogs(`Function: ${exportName} failed: Uncaught RuntimeError: ${c?.message ?? String(cause)}`, logs), {
      cause,
      hint: "read the Wasm stack (error.wasmStack) and the module's logs above; the VM stays failed, as in Envoy",
    });
    this.exportName = exportName;
    this.wasmStack = c?.stack ?? String(cause);
    this.logs = logs;
  }
}

/** The test used the emulator API wrongly (e.g. body after end of stream). Nothing was sent to the module. */
export class EmulatorUsageError extends HarnessError {
  override readonly name = "EmulatorUsageError";
}

/**
 * A callback exceeded an execution limit of the emulator (not of Envoy). The VM is failed and every later call
 * into it throws the same error; it is never turned into a local reply, so the test fails where it happened.
 */
export abstract class WasmLimitError extends HarnessError {
  /** The export that was running, e.g. "proxy_on_request_headers" ("" while the VM started). */
  readonly exportName: string;
  /** The context the callback ran for (0 = VM context: start-up or allocator). */
  readonly contextId: number;
  readonly logs: readonly LogEntry[];
  constructor(message: string, exportName: string, contextId: number, logs: readonly LogEntry[], hint: string) {
    super(withLogs(message, logs), { hint });
    this.exportName = exportName;
    this.contextId = contextId;
    this.logs = logs;
  }
}

/** A callback ran longer than `callbackTimeoutMs` (an endless loop, or work far too slow for a filter). */
export class WasmTimeoutError extends WasmLimitError {
  override readonly name = "WasmTimeoutError";
  /** The deadline that expired, in milliseconds. */
  readonly timeoutMs: number;
  constructor(exportName: string, contextId: number, timeoutMs: number, logs: readonly LogEntry[]) {
    super(
      `${exportName || "start-up"} (context ${contextId}) still ran after ${timeoutMs} ms: the emulator stopped it`,
      exportName,
      contextId,
      logs,
      "look for a loop that never ends in this callback; if the work is legitimately slow, raise `callbackTimeoutMs` in the emulator options",
    );
    this.timeoutMs = timeoutMs;
  }
}

/** The module was refused growth of its linear memory past `memoryLimitBytes` and then trapped (out of memory). */
export class WasmMemoryLimitError extends WasmLimitError {
  override readonly name = "WasmMemoryLimitError";
  /** The ceiling, in bytes. */
  readonly limitBytes: number;
  /** The memory size the module asked for, in bytes. */
  readonly requestedBytes: number;
  constructor(
    exportName: string,
    contextId: number,
    limitBytes: number,
    requestedBytes: number,
    logs: readonly LogEntry[],
  ) {
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    super(
      `${exportName || "start-up"} (context ${contextId}) tried to grow the Wasm memory to ${mib(requestedBytes)}, over the limit of ${mib(limitBytes)}`,
      exportName,
      contextId,
      logs,
      "find the state that grows without bound (caches, maps keyed by client input, buffered bodies); if the module legitimately needs more, raise `memoryLimitBytes` in the emulator options",
    );
    this.limitBytes = limitBytes;
    this.requestedBytes = requestedBytes;
  }
}
