// Envoy's log, captured line by line: parsed into levels/loggers, Wasm `proxy_log` lines extracted, and
// the lines that mean "a Wasm plugin failed" recognised so a start can fail at once.

/** One parsed Envoy log line (default log format `[time][thread][level][logger] [file:line] message`). */
export interface EnvoyLogLine {
  /** The raw text (continuation lines of a multi-line message are appended after "\n"). */
  raw: string;
  /** trace | debug | info | warning | error | critical (or "" for unparsed lines). */
  level: string;
  /** Envoy logger name, e.g. "wasm", "main", "config". */
  logger: string;
  /** The message part. */
  message: string;
}

/** A line a Wasm module logged with `proxy_log`, as Envoy printed it. */
export interface WasmLogLine {
  /** trace | debug | info | warning | error | critical. */
  level: string;
  /**
   * The words Envoy puts before the message, only those that are set: from stream contexts
   * [plugin name, root id, vm id]; from root contexts (start, configure, ticks) [root id, vm id].
   */
  prefix: string[];
  /** The module's message. */
  message: string;
  /** The whole Envoy line. */
  raw: string;
}

const LINE = /^\[([^\]]+)\]\[(\d+)\]\[(\w+)\]\[([\w.-]+)\] (?:\[[^\]]+\] )?(.*)$/;
const WASM_LOG = /^wasm log([^:]*): ([\s\S]*)$/;

/** Parses one Envoy log line; lines not in Envoy's format get empty level and logger. */
export function parseEnvoyLogLine(raw: string): EnvoyLogLine {
  const m = LINE.exec(raw);
  if (!m) return { raw, level: "", logger: "", message: raw };
  return { raw, level: m[3]!, logger: m[4]!, message: m[5]! };
}

/** The Wasm `proxy_log` line inside `line`, or undefined if it is not one. */
export function asWasmLogLine(line: EnvoyLogLine): WasmLogLine | undefined {
  if (line.logger !== "wasm") return undefined;
  const m = WASM_LOG.exec(line.message);
  if (!m) return undefined;
  return { level: line.level, prefix: m[1]!.trim().split(/\s+/).filter(Boolean), message: m[2]!, raw: line.raw };
}

/**
 * True for lines that mean Envoy could not load, start or configure a Wasm plugin (or failed to start at all):
 * Envoy's own critical lines and error lines of the `wasm` logger. A module's own `proxy_log` output is never one,
 * whatever its level: Envoy serves a module that logs at critical level and returns true from on_configure
 * (trace h1-configure-critical-log, Envoy 1.36.4 and 1.40.0).
 */
export function isFailureLine(line: EnvoyLogLine): boolean {
  if (asWasmLogLine(line) !== undefined) return false;
  return line.level === "critical" || (line.logger === "wasm" && line.level === "error");
}

/**
 * The log of one Envoy run. Runners feed it raw output chunks; tests read lines, Wasm lines and failures.
 * Listeners registered with {@link EnvoyLog.onLine} see every complete line as it arrives.
 */
export class EnvoyLog {
  /** Every complete line so far, in order. */
  readonly lines: EnvoyLogLine[] = [];
  #partial = "";
  #listeners = new Set<(line: EnvoyLogLine) => void>();

  /** Appends raw output (any chunking); complete lines are parsed and announced. */
  write(chunk: string | Buffer): void {
    const text = this.#partial + chunk.toString();
    const parts = text.split("\n");
    this.#partial = parts.pop() ?? "";
    for (const raw of parts) this.#push(raw);
  }

  /** Flushes a trailing partial line (call when the output ends). */
  end(): void {
    if (this.#partial) this.#push(this.#partial);
    this.#partial = "";
  }

  /** Calls `listener` for each future complete line; returns a function that unsubscribes. */
  onLine(listener: (line: EnvoyLogLine) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Lines logged by Wasm modules through `proxy_log`. */
  wasmLines(): WasmLogLine[] {
    return this.lines.flatMap((l) => asWasmLogLine(l) ?? []);
  }

  /** Lines that report Wasm errors or critical conditions: failure lines plus modules' own error/critical logs. */
  wasmErrors(): EnvoyLogLine[] {
    return this.lines.filter(
      (l) => isFailureLine(l) || (asWasmLogLine(l) !== undefined && (l.level === "error" || l.level === "critical")),
    );
  }

  /** The whole log as text. */
  text(): string {
    return this.lines.map((l) => l.raw).join("\n");
  }

  /** The last `count` lines as text (for error messages). */
  tail(count = 40): string[] {
    return this.lines.slice(-count).map((l) => l.raw);
  }

  #push(raw: string): void {
    const previous = this.lines.at(-1);
    if (!raw.trim()) {
      // Envoy ends every entry with one newline, so an empty line is part of the previous message: a module's
      // message that ends with "\n" (trace h1-log-warning-newline) keeps it.
      if (previous && raw === "") {
        previous.raw += "\n";
        previous.message += "\n";
      }
      return;
    }
    const parsed = parseEnvoyLogLine(raw);
    if (parsed.level === "" && previous) {
      // continuation of a multi-line message
      previous.raw += `\n${raw}`;
      previous.message += `\n${raw}`;
      return;
    }
    this.lines.push(parsed);
    for (const listener of this.#listeners) listener(parsed);
  }
}
