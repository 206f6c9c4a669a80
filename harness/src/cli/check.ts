// `proxy-wasm-as check <module.wasm…>`: what Envoy would do with each module, without Envoy. First ABI conformance
// against Envoy's import/export tables (any SDK); then, unless --abi-only, the module's start on the emulator with
// the given configuration and one request (start-check.ts): no root context, a refused configuration, a trap or a
// callback that never returns fail the check, with the module's own lines.
import { readFileSync } from "node:fs";
import { checkModule, formatModuleReport } from "../abi/check-module.ts";
import type { HeadersInit } from "../emulator/index.ts";
import { type Command, parseCommandArgs, PROGRAM } from "./command.ts";
import { CliError } from "./errors.ts";
import { readConfigArgument } from "./io.ts";
import {
  CHECK_CALLBACK_TIMEOUT_MS,
  checkModuleStart,
  formatStartCheck,
  type StartCheckOptions,
  startCheckHead,
} from "./start-check.ts";

/** The `check` command. */
export const checkCommand: Command = {
  help: `Usage: ${PROGRAM} check <module.wasm> [more.wasm …] [options]

Tells what Envoy would do with each module, without Envoy:
  1. ABI: the imports and exports Envoy provides and expects (ABI 0.2.1 / 0.2.0): ABI version export,
     allocator, entry point, unknown or mistyped host functions.
  2. Start: runs the module on the emulator as Envoy starts it (VM start, plugin configure with --config) and
     sends it one request (or opens one TCP connection with --tcp). A module that registers no root context,
     refuses the configuration, traps, or runs a callback for over ${CHECK_CALLBACK_TIMEOUT_MS / 1000} s (a loop that
     would hang Envoy's worker) fails, with its own log lines.
Prints one report per file and exits 1 if Envoy would refuse any of them. Works for modules from any SDK.

Options:
  --config <json|@file>     plugin configuration (what your root context reads in onConfigure)
  --vm-config <json|@file>  VM configuration (what onVmStart reads)
  --root-id <id>            the plugin's root_id
  --path <path>             path of the request (default /)
  --header <name:value>     a request header (repeat for more)
  --tcp                     the module is a network (TCP) filter: open one connection instead
  --abi-only                only the ABI check: run none of the module's code

Examples:
  ${PROGRAM} check build/my-filter.wasm --config '{"header":"x-hello"}'
  ${PROGRAM} check build/my-filter.wasm --path /admin --header 'x-api-key: k-1'`,
  async run(argv, io) {
    const { positionals, values } = parseCommandArgs("check", argv, {
      config: { type: "string" },
      "vm-config": { type: "string" },
      "root-id": { type: "string" },
      path: { type: "string" },
      header: { type: "string", multiple: true },
      tcp: { type: "boolean" },
      "abi-only": { type: "boolean" },
    });
    if (values.help) {
      io.print(this.help);
      return 0;
    }
    if (positionals.length === 0)
      throw new CliError("check needs at least one .wasm file", {
        hint: `build first (\`${PROGRAM} build\`), then \`${PROGRAM} check build/<name>.wasm\``,
        exitCode: 2,
      });
    const start: StartCheckOptions = {
      config: await readConfigArgument(values.config),
      vmConfig: await readConfigArgument(values["vm-config"], "--vm-config"),
      rootId: values["root-id"],
      tcp: values.tcp,
      path: values.path,
      headers: parseHeaders(values.header ?? []),
    };
    let failed = 0;
    for (const file of positionals) {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        io.info(
          `${file}: cannot read it (${(e as Error).message}); check the path or build the module first (\`npx ${PROGRAM} build\`).`,
        );
        failed++;
        continue;
      }
      const report = checkModule(bytes);
      if (!report.ok || values["abi-only"]) {
        io.print(formatModuleReport(report, file));
        if (!report.ok) failed++;
        continue;
      }
      const started = await checkModuleStart(file, start);
      io.print(
        [
          startCheckHead(file, started),
          ...formatModuleReport(report, file).split("\n").slice(1),
          ...formatStartCheck(started),
        ].join("\n"),
      );
      if (!started.ok) failed++;
    }
    return failed === 0 ? 0 : 1;
  },
};

/** `--header "name: value"` values → request headers (lower-case names, repeated names kept). */
function parseHeaders(values: readonly string[]): HeadersInit {
  return values.map((text): [string, string] => {
    const colon = text.indexOf(":");
    if (colon <= 0)
      throw new CliError(`--header must be "name: value" (got "${text}")`, {
        hint: `e.g. --header 'x-api-key: k-1'`,
        exitCode: 2,
      });
    return [text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim()];
  });
}
