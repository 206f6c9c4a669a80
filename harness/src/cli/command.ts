// What every `proxy-wasm-as` command provides, and the argument parsing they share.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError } from "./errors.ts";
import type { CliIo } from "./io.ts";

/** The program name users type. */
export const PROGRAM = "proxy-wasm-as";

/** One command of the CLI. `run` returns the exit code and throws CliError (or a harness error) on bad input. */
export interface Command {
  /** The full `--help` text. */
  readonly help: string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv` strictly with `options` (plus --help); a parse error becomes a usage CliError pointing at --help. */
export function parseCommandArgs<T extends Options>(command: string, argv: readonly string[], options: T) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (cause) {
    throw new CliError((cause as Error).message, { hint: `see \`${PROGRAM} ${command} --help\``, exitCode: 2, cause });
  }
}
