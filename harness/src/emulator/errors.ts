// Errors the emulator throws. Each message says what went wrong and what to do; each carries the module's logs,
// and traps and limits carry the module's frames in its own source lines (harness/src/symbols).
import { HarnessError } from "../errors.ts";
import { formatTrap, frameLocation, type SourceFrame } from "../symbols/index.ts";

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

/** The frames of a trap or limit (innermost first) and, when they have no source lines, why. */
export interface TrapFrames {
  readonly frames: readonly SourceFrame[];
  /** Why the frames lack source lines (e.g. no source map beside the module). */
  readonly note?: string;
}

const NO_FRAMES: TrapFrames = { frames: [] };

/** `message` with the frames under it, as a trap error shows them. */
function withFrames(message: string, trap: TrapFrames): string {
  return trap.frames.length === 0 ? message : formatTrap(message, trap.frames, trap.note).join("\n");
}

/** The hint of a trap: where to look in the user's code, or how to get source lines. */
function trapHint(trap: TrapFrames): string {
  const mine = trap.frames.find((f) => f.kind === "user" && f.line !== undefined);
  const failed = "the VM stays failed, as in Envoy";
  if (mine)
    return `look at ${frameLocation(mine)} in ${mine.function} and the module's logs above; ${failed} (error.frames has every frame)`;
  if (trap.frames.length > 0 && trap.frames.every((f) => f.line === undefined))
    return `read the module's logs above; ${failed}. For source lines, build the module with \`proxy-wasm-as build\` (it keeps build/<name>.wasm.map beside the module)`;
  return `read the Wasm stack (error.wasmStack) and the module's logs above; ${failed}`;
}

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

/**
 * A callback trapped: the VM is now failed. The message shows the trap's frames in source lines (from the map the
 * build keeps beside the module) and the module's recent logs; `frames` has them structured.
 */
export class WasmTrapError extends HarnessError {
  override readonly name = "WasmTrapError";
  /** The export that was running, e.g. "proxy_on_request_headers". */
  readonly exportName: string;
  /** Stack of the original trap, including Wasm frames (function names when the module has a name section). */
  readonly wasmStack: string;
  /** The trap's frames, innermost first, in source terms where the module's source map has them. */
  readonly frames: readonly SourceFrame[];
  readonly logs: readonly LogEntry[];
  constructor(exportName: string, cause: unknown, logs: readonly LogEntry[], trap: TrapFrames = NO_FRAMES) {
    const c = cause as { message?: string; stack?: string };
    const headline = `Function: ${exportName} failed: Uncaught RuntimeError: ${c?.message ?? String(cause)}`;
    super(withLogs(withFrames(headline, trap), logs), {
      cause,
      hint: trapHint(trap),
    });
    this.exportName = exportName;
    this.wasmStack = c?.stack ?? String(cause);
    this.frames = trap.frames;
    this.logs = logs;
  }
}

/** The test used the emulator API wrongly (e.g. body after end of stream). Nothing was sent to the module. */
export class EmulatorUsageError extends HarnessError {
  override readonly name = "EmulatorUsageError";
}

/**
 * A callback ended in a way no failure policy may hide: it exceeded an execution limit of the emulator
 * ({@link WasmTimeoutError}, {@link WasmMemoryLimitError}) or did what aborts the whole Envoy process
 * ({@link EnvoyWouldAbortError}). The VM is failed and every later call into it throws the same error; it is never
 * turned into a local reply, so the test fails where it happened.
 */
export abstract class WasmLimitError extends HarnessError {
  /** The export that was running, e.g. "proxy_on_request_headers" ("" while the VM started). */
  readonly exportName: string;
  /** The context the callback ran for (0 = VM context: start-up or allocator). */
  readonly contextId: number;
  /** Where the module was when the limit hit, innermost first, in source terms where the source map has them. */
  readonly frames: readonly SourceFrame[];
  readonly logs: readonly LogEntry[];
  constructor(
    message: string,
    exportName: string,
    contextId: number,
    logs: readonly LogEntry[],
    hint: string,
    trap: TrapFrames = NO_FRAMES,
  ) {
    super(withLogs(withFrames(message, trap), logs), { hint });
    this.exportName = exportName;
    this.contextId = contextId;
    this.frames = trap.frames;
    this.logs = logs;
  }
}

/** A callback ran longer than `callbackTimeoutMs` (an endless loop, or work far too slow for a filter). */
export class WasmTimeoutError extends WasmLimitError {
  override readonly name = "WasmTimeoutError";
  /** The deadline that expired, in milliseconds. */
  readonly timeoutMs: number;
  constructor(
    exportName: string,
    contextId: number,
    timeoutMs: number,
    logs: readonly LogEntry[],
    trap: TrapFrames = NO_FRAMES,
  ) {
    const mine = trap.frames.find((f) => f.kind === "user" && f.line !== undefined);
    super(
      `${exportName || "start-up"} (context ${contextId}) still ran after ${timeoutMs} ms: the emulator stopped it`,
      exportName,
      contextId,
      logs,
      `look for a loop that never ends in this callback${mine ? ` (${frameLocation(mine)} in ${mine.function})` : ""}; if the work is legitimately slow, raise \`callbackTimeoutMs\` in the emulator options`,
      trap,
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
    trap: TrapFrames = NO_FRAMES,
  ) {
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    const mine = trap.frames.find((f) => f.kind === "user" && f.line !== undefined);
    super(
      `${exportName || "start-up"} (context ${contextId}) tried to grow the Wasm memory to ${mib(requestedBytes)}, over the limit of ${mib(limitBytes)}`,
      exportName,
      contextId,
      logs,
      `find the state that grows without bound (caches, maps keyed by client input, buffered bodies)${mine ? `, e.g. where ${frameLocation(mine)} in ${mine.function} allocates` : ""}; if the module legitimately needs more, raise \`memoryLimitBytes\` in the emulator options`,
      trap,
    );
    this.limitBytes = limitBytes;
    this.requestedBytes = requestedBytes;
  }
}

/** What {@link EnvoyWouldAbortError} reports: the host call, Envoy's panic, what the module asked and how to fix it. */
export interface EnvoyAbort {
  /** The proxy-wasm host call that makes Envoy abort, e.g. "proxy_grpc_call". */
  readonly hostCall: string;
  /** Envoy's own words as it dies, e.g. "panic: unset oneof". */
  readonly envoyPanic: string;
  /** Where in Envoy the panic is raised, e.g. "source/common/grpc/async_client_manager_impl.cc". */
  readonly envoySource: string;
  /** What the module asked, in one sentence. */
  readonly what: string;
  /** How to change the module so that Envoy does not abort. */
  readonly hint: string;
}

/**
 * The module did what makes Envoy abort its whole process (every listener, every connection), e.g. a gRPC call to a
 * cluster whose name parses as a targetless GrpcService protobuf. Thrown from the host call that did it, through
 * the callback that made it; no failure policy applies (Envoy has none for a crash), the VM stays failed and
 * every later call throws the same error. `runDifferential` marks such a scenario "envoy-would-abort".
 */
export class EnvoyWouldAbortError extends WasmLimitError {
  override readonly name = "EnvoyWouldAbortError";
  /** The host call that makes Envoy abort, e.g. "proxy_grpc_call". */
  readonly hostCall: string;
  /** Envoy's panic message, as Envoy prints it before it aborts. */
  readonly envoyPanic: string;
  constructor(abort: EnvoyAbort, exportName: string, contextId: number, logs: readonly LogEntry[], trap: TrapFrames) {
    const mine = trap.frames.find((f) => f.kind === "user" && f.line !== undefined);
    super(
      `${abort.hostCall} from ${exportName || "start-up"} (context ${contextId}${mine ? `, ${frameLocation(mine)} in ${mine.function}` : ""}) would abort Envoy: ${abort.what}. ` +
        `Envoy 1.36–1.40 then crashes the whole process with "${abort.envoyPanic}" (${abort.envoySource}), every connection of every listener with it`,
      exportName,
      contextId,
      logs,
      abort.hint,
      trap,
    );
    this.hostCall = abort.hostCall;
    this.envoyPanic = abort.envoyPanic;
  }
}
