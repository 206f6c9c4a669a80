// The second half of `proxy-wasm-as check`: start the module on the emulator as Envoy would (`_initialize`, root
// context, proxy_on_vm_start, proxy_on_configure with the given configuration) and send it one request (or open one
// TCP connection), then say what would fail in Envoy: no root context, a refused configuration, a trap, a callback
// that never returns. The emulator's own error is shown as it is (its message carries the module's recent log lines,
// and the source lines of the frames when the build has a source map), so this file never formats frames itself.
import { basename } from "node:path";
import {
  Emulator,
  type EmulatorOptions,
  type HeadersInit,
  WasmLimitError,
  WasmLoadError,
  WasmTimeoutError,
  WasmTrapError,
} from "../emulator/index.ts";
import { messageWithoutHint } from "../errors.ts";
import { userCodeOf } from "../envoy/request-timeout.ts";

/** The emulator's deadline per callback in `check`: a filter callback that runs this long would hang an Envoy worker. */
export const CHECK_CALLBACK_TIMEOUT_MS = 2_000;

/** What `check` starts the module with. */
export interface StartCheckOptions {
  /** Plugin configuration text (what onConfigure reads). */
  readonly config?: string;
  /** VM configuration text (what onVmStart reads). */
  readonly vmConfig?: string;
  /** Plugin root id. */
  readonly rootId?: string;
  /** Open one TCP connection instead of sending an HTTP request (a network filter). */
  readonly tcp?: boolean;
  /** The request's path; default "/". */
  readonly path?: string;
  /** The request's method; default "GET". */
  readonly method?: string;
  /** The request's headers. */
  readonly headers?: HeadersInit;
}

/** What would fail in Envoy, when something would. */
export type StartProblem = "no-root" | "vm-start" | "configure" | "load" | "trap" | "hang";

/** The outcome of {@link checkModuleStart}. */
export interface StartCheckResult {
  /** True when the module started, took the configuration and served the request without a trap or a hang. */
  readonly ok: boolean;
  readonly problem?: StartProblem;
  /** One line: what happened (e.g. "GET / → 200", or what would fail in Envoy). */
  readonly summary: string;
  /** The emulator's error message (the module's log lines, source frames), without its "Fix:" line. */
  readonly detail?: string;
  /** What to do about it. */
  readonly hint?: string;
}

/** The line the SDK logs when a module registers no root class (sdk/assembly/dispatch/exports.ts). */
const SDK_NO_ROOT = /no root context registered|no root class for this root_id/;

/**
 * Starts `file` on the emulator as Envoy would and sends one request (or opens one TCP connection). Never throws
 * for a module problem: the result says what would fail in Envoy.
 */
export async function checkModuleStart(file: string, options: StartCheckOptions = {}): Promise<StartCheckResult> {
  const emulatorOptions: EmulatorOptions = {
    label: file,
    pluginName: basename(file).replace(/\.wasm$/, ""),
    rootId: options.rootId,
    pluginConfig: options.config,
    vmConfig: options.vmConfig,
    callbackTimeoutMs: CHECK_CALLBACK_TIMEOUT_MS,
  };
  let emulator: Emulator;
  try {
    emulator = await Emulator.load(file, emulatorOptions);
  } catch (error) {
    return startFailure(error);
  }
  const what = options.tcp ? "one TCP connection" : `${options.method ?? "GET"} ${options.path ?? "/"}`;
  try {
    if (options.tcp) {
      const connection = emulator.tcpConnection();
      connection.downstreamData("ping", { endOfStream: true });
      connection.upstreamData("pong", { endOfStream: true });
      if (connection.error) return trapped(connection.error);
      return { ok: true, summary: `${what}: every callback returned` };
    }
    const result = await emulator.request({ method: options.method, path: options.path, headers: options.headers });
    if (result.stream.error) return trapped(result.stream.error);
    return { ok: true, summary: `${what} → ${result.status}` };
  } catch (error) {
    if (error instanceof WasmTimeoutError) return hang(error);
    if (error instanceof WasmTrapError) return trapped(error);
    if (error instanceof WasmLimitError)
      return {
        ok: false,
        problem: "trap",
        summary: firstLine(error),
        detail: messageWithoutHint(error),
        hint: error.hint,
      };
    // The request could not complete for a reason Envoy would not refuse (e.g. it waits for a callout upstream
    // the check does not provide): report it, but it is not a failure of the module's start.
    return { ok: true, summary: `${what}: ${firstLine(error as Error)}` };
  }
}

function startFailure(error: unknown): StartCheckResult {
  if (error instanceof WasmTimeoutError) return hang(error);
  if (!(error instanceof WasmLoadError)) throw error;
  const detail = messageWithoutHint(error);
  if (error.logs.some((l) => SDK_NO_ROOT.test(l.message)))
    return {
      ok: false,
      problem: "no-root",
      summary: "no root context: the module registers no root class for this plugin, so Envoy fails its start",
      detail,
      hint: "call registerRoot<YourRoot>() at the top level of the module's entry file (e.g. assembly/index.ts), after the class",
    };
  if (/proxy_on_configure returned false/.test(error.message))
    return {
      ok: false,
      problem: "configure",
      summary: "it refuses this configuration: proxy_on_configure returned false",
      detail,
      hint: "the module's lines above say what it refused: fix the configuration you pass (--config), or onConfigure",
    };
  if (/proxy_on_vm_start returned false/.test(error.message))
    return {
      ok: false,
      problem: "vm-start",
      summary: "its VM start fails: proxy_on_vm_start returned false",
      detail,
      hint: "the module's lines above say why onVmStart refused (the VM configuration is --vm-config)",
    };
  if (error.cause instanceof WasmTrapError) return trapped(error.cause, detail);
  return {
    ok: false,
    problem: "load",
    summary: `it does not load: ${firstLine(error)}`,
    detail,
    hint: error.hint || undefined,
  };
}

function trapped(error: WasmTrapError, detail = messageWithoutHint(error)): StartCheckResult {
  return {
    ok: false,
    problem: "trap",
    summary: `it traps in ${error.exportName}: Envoy then fails the plugin (fail closed: 503 for every later request)`,
    detail,
    hint: `fix the code where it trapped: ${userCodeOf(error) ?? "the module's lines and the frames above show where"}`,
  };
}

function hang(error: WasmTimeoutError): StartCheckResult {
  const callback = error.exportName || "the start-up";
  return {
    ok: false,
    problem: "hang",
    summary: `${callback} never returns (stopped after ${error.timeoutMs} ms): an Envoy worker would hang in it and serve no other request`,
    detail: messageWithoutHint(error),
    hint: `find the loop that never ends in ${callback} (${userCodeOf(error) ?? "the lines above show where"})`,
  };
}

function firstLine(error: Error): string {
  return error.message.split("\n")[0] ?? "";
}

/** The head line of `file`'s report when its ABI conforms. */
export function startCheckHead(file: string, result: StartCheckResult): string {
  return result.ok ? `${file}: loads and starts in Envoy` : `${file}: would FAIL in Envoy: ${result.summary}`;
}

/** The report lines of `result` under a file's ABI lines (indented by two spaces, like the ABI report). */
export function formatStartCheck(result: StartCheckResult): string[] {
  if (result.ok) return [`  on the emulator: VM start, configure, ${result.summary}`];
  const lines = ["  on the emulator:"];
  if (result.detail) lines.push(...result.detail.split("\n").map((l) => `    ${l}`));
  if (result.hint) lines.push(`  fix: ${result.hint}`);
  return lines;
}
