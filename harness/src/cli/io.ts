// Output of the CLI: results to stdout, progress and errors to stderr (so piping stdout stays clean).

/** Where a command writes. Tests pass their own to capture output. */
export interface CliIo {
  /** A result line (stdout). */
  print(text: string): void;
  /** A progress or diagnostic line (stderr). */
  info(text: string): void;
}

/** The process's stdout and stderr. */
export const processIo: CliIo = {
  print: (text) => void process.stdout.write(`${text}\n`),
  info: (text) => void process.stderr.write(`${text}\n`),
};

/** Starts a timed step: prints "<label>…" now and returns a function printing "<label>: done in X s". */
export function step(io: CliIo, label: string): (result?: string) => void {
  const started = performance.now();
  io.info(`${label}…`);
  return (result = "done") => io.info(`${label}: ${result} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * The `--config` value (or that of another `flag` taking the same form): inline JSON, `@file` (read as text), or
 * undefined. Returns the text Envoy should receive.
 */
export async function readConfigArgument(value: string | undefined, flag = "--config"): Promise<string | undefined> {
  if (value === undefined) return undefined;
  const { readFile } = await import("node:fs/promises");
  const { CliError } = await import("./errors.ts");
  let text = value;
  if (value.startsWith("@")) {
    try {
      text = await readFile(value.slice(1), "utf8");
    } catch (cause) {
      throw new CliError(`cannot read ${flag} file ${value.slice(1)}: ${(cause as Error).message}`, {
        hint: `pass ${flag} @path/to/config.json or inline JSON`,
        cause,
      });
    }
  }
  try {
    JSON.parse(text);
  } catch (cause) {
    throw new CliError(`${flag} is not valid JSON: ${(cause as Error).message}`, {
      hint: `pass a JSON value, e.g. ${flag} '{"header":"x-hello"}' or ${flag} @config.json`,
      cause,
    });
  }
  return text;
}
