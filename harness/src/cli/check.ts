// `proxy-wasm-as check <module.wasm…>`: ABI conformance against Envoy's import/export tables, without Envoy.
import { checkWasmFiles } from "../abi/check-cli.ts";
import { type Command, parseCommandArgs, PROGRAM } from "./command.ts";
import { CliError } from "./errors.ts";

/** The `check` command. */
export const checkCommand: Command = {
  help: `Usage: ${PROGRAM} check <module.wasm> [more.wasm …]

Checks each module against the imports and exports Envoy provides and expects (ABI 0.2.1 / 0.2.0): ABI
version export, allocator, entry point, unknown or mistyped host functions. Prints one report per file and
exits 1 if Envoy would reject any of them. Works for modules from any SDK.

Example:
  ${PROGRAM} check build/my-filter.wasm`,
  async run(argv, io) {
    const { positionals, values } = parseCommandArgs("check", argv, {});
    if (values.help) {
      io.print(this.help);
      return 0;
    }
    if (positionals.length === 0)
      throw new CliError("check needs at least one .wasm file", {
        hint: `build first (\`${PROGRAM} build\`), then \`${PROGRAM} check build/<name>.wasm\``,
        exitCode: 2,
      });
    return checkWasmFiles(positionals, io.print, io.info) === 0 ? 0 : 1;
  },
};
