// The error of a start that failed: what went wrong in the words of the module (its own proxy_log lines, e.g. the
// SDK's "no root context registered…" or a configuration error) and of Envoy (its failure lines), and what to do.
//
// Why this file exists: Envoy prints a module's start-up lines ("wasm log: …", logger `wasm`, at the module's
// level) before its own conclusion (Envoy 1.36.4 and 1.40.0 alike, at any --component-log-level wasm up to the
// line's level: proxy_get_log_level answers, and proxy_log is allowed from proxy_on_context_create on). The harness
// used to keep only Envoy's failure lines and `wasm` error/warning lines, so a module's critical line (the SDK's
// missing-root line) was dropped and the user read only "Wasm VM failed Failed to start base Wasm".
import { EnvoyHarnessError, type ModuleLogLine } from "./errors.ts";
import { asWasmLogLine, type EnvoyLog, type EnvoyLogLine, isFailureLine } from "./log.ts";
import type { LaunchedEnvoy } from "./runner.ts";
import { envoyTraps, formatEnvoyTrap } from "./traps.ts";

/** At most this many of the module's own lines are shown (the last ones: the failure comes at the end). */
const MODULE_LINES_SHOWN = 20;

/** How the start failed, when Envoy itself reported it. */
export type StartFailureCause = "wasm" | "fatal" | "exit" | "timeout";

/** Details of a start failure that only the caller knows. */
export interface StartFailureDetails {
  /** The .wasm files Envoy loaded (host paths): a trap during start is told in their source lines. */
  readonly modules?: readonly string[];
  /** "exit": Envoy's exit code. */
  readonly exitCode?: number | null;
  /** "timeout": how long the harness waited. */
  readonly timeoutMs?: number;
}

/** The plugin Envoy names in "Plugin <name> failed to load", if it did. */
function failedPlugin(log: EnvoyLog): string | undefined {
  for (const line of log.lines) {
    const m = /Plugin (\S+) failed to load/.exec(line.message);
    if (m && m[1] !== "configured") return m[1];
  }
  return undefined;
}

/** What Envoy's lines say about the phase that failed, for the first line of the error. */
function wasmFailureSummary(log: EnvoyLog): string {
  const plugin = failedPlugin(log);
  const who = plugin ? `Wasm plugin "${plugin}"` : "a Wasm plugin";
  const envoyText = log.lines
    .filter((l) => asWasmLogLine(l) === undefined)
    .map((l) => l.message)
    .join("\n");
  const trap = /Function: (\w+) failed: ([^\n]*)/.exec(envoyText);
  if (trap) return `${who} trapped in ${trap[1]}: ${trap[2]}`;
  if (/Failed to configure base Wasm plugin/.test(envoyText))
    return `${who} refused its configuration (proxy_on_configure returned false)`;
  if (/Failed to start base Wasm/.test(envoyText)) return `${who} failed to start (proxy_on_vm_start returned false)`;
  if (/Failed to (load|initialize) Wasm/.test(envoyText)) return `Envoy could not load the module of ${who}`;
  return `${who} failed to load or configure`;
}

/**
 * The error for a start of `launched` that failed for `cause`: the first line says which plugin failed in which
 * phase (from Envoy's lines), then a trap's frames in source lines if one trapped, then the module's own log lines,
 * then Envoy's failure lines, then what to do.
 */
export function startFailure(
  launched: LaunchedEnvoy,
  log: EnvoyLog,
  cause: StartFailureCause,
  details: StartFailureDetails = {},
): EnvoyHarnessError {
  // The module's lines: every level it logged, the last MODULE_LINES_SHOWN (the failure comes at the end).
  const moduleEntries = log.lines
    .map((line) => ({ line, wasm: asWasmLogLine(line) }))
    .filter((e) => e.wasm !== undefined)
    .slice(-MODULE_LINES_SHOWN);
  const moduleLines: ModuleLogLine[] = moduleEntries.map(({ wasm }) => ({
    level: wasm!.level,
    message: wasm!.message,
    raw: wasm!.raw,
  }));
  const shownModuleLines = new Set(moduleEntries.map((e) => e.line));
  const isEnvoyFailureLine = (l: EnvoyLogLine) =>
    asWasmLogLine(l) === undefined &&
    (isFailureLine(l) || (l.logger === "wasm" && (l.level === "error" || l.level === "warning")));
  const logLines = log.lines.some(isEnvoyFailureLine)
    ? log.lines.filter((l) => isEnvoyFailureLine(l) || shownModuleLines.has(l)).map((l) => l.raw)
    : log.tail(25);
  const what =
    cause === "wasm"
      ? wasmFailureSummary(log)
      : cause === "fatal"
        ? "Envoy reported a fatal configuration error"
        : cause === "exit"
          ? `Envoy exited with code ${details.exitCode} during start`
          : `Envoy was not ready after ${details.timeoutMs} ms`;
  // A trap while the VM started or configured, in source lines (./traps.ts).
  const traps = envoyTraps(log.lines, details.modules ?? []).flatMap((t) => formatEnvoyTrap(t));
  const told = traps.length > 0 ? `\n${traps.join("\n")}` : "";
  return new EnvoyHarnessError(`Envoy (${launched.description}) did not start: ${what}${told}`, {
    logLines,
    moduleLines,
    hint: hintFor(cause, moduleLines),
  });
}

function hintFor(cause: StartFailureCause, moduleLines: readonly ModuleLogLine[]): string {
  if (cause === "fatal") return "fix the configuration (see Envoy's message above)";
  if (cause === "timeout") return "raise readyTimeoutMs or read the log above";
  const explained = moduleLines.some((l) => l.level === "error" || l.level === "critical");
  if (explained)
    return "the module's own lines above say why: fix the module, or the configuration it refused; `npx proxy-wasm-as check <module.wasm> --config …` shows the same without Envoy";
  return 'fix the module or its configuration; the module logged no reason (log one before returning false from onVmStart/onConfigure), and wasmLogLevel: "trace" shows every host call';
}
