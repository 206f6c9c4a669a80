// The `proxy-wasm-as` command line: the command table and the dispatcher. main.ts runs it on process.argv; tests
// and tools call runProxyWasmAs (exported by index.ts). Commands are imported only when used, and this module
// imports only Node built-ins, so `init` loads no Envoy, undici or asc code and runs on any Node from 18 on.
import { type Command, PROGRAM } from "./command.ts";
import { CliError, describeError } from "./errors.ts";
import { type CliIo, processIo } from "./io.ts";
import { cliNodeProblem } from "./node-gate.ts";

/** Command name → summary and loader. */
const COMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<Command> }>> = {
  init: {
    summary: "scaffold a filter project (filter, emulator test, real-Envoy test, vitest preset)",
    load: async () => (await import("./init.ts")).initCommand,
  },
  build: {
    summary: "compile assembly/ into build/*.wasm and print sizes (--watch)",
    load: async () => (await import("./build.ts")).buildCommand,
  },
  run: {
    summary: "start Envoy with a filter, print its URL, stream the filter's logs",
    load: async () => (await import("./run.ts")).runCommand,
  },
  check: {
    summary: "what Envoy would do with modules: ABI, then start + one request on the emulator (no Envoy needed)",
    load: async () => (await import("./check.ts")).checkCommand,
  },
  bench: {
    summary: "your filter against no filter in one Envoy: req/s, p50/p99, ratios",
    load: async () => (await import("./bench.ts")).benchCommand,
  },
  envoy: {
    summary: "envoy provision|check|leftovers: Envoy in the per-user cache",
    load: async () => (await import("./envoy.ts")).envoyCommand,
  },
  istio: {
    summary: "istio package|push|check|wasmplugin|envoy: ship to Istio",
    load: async () => (await import("./istio.ts")).istioCommand,
  },
  inspect: {
    summary: "what an image in a registry says about its module: OCI annotations, ABI, exports, sha256",
    load: async () => (await import("./inspect.ts")).inspectCommand,
  },
  list: {
    summary: "the proxy-wasm modules a registry (or a prefix of it) holds, with their facts",
    load: async () => (await import("./list.ts")).listCommand,
  },
  gateway: {
    summary: "gateway policy|envoy: ship to Envoy Gateway (EnvoyExtensionPolicy, the Envoy config it renders)",
    load: async () => (await import("./gateway.ts")).gatewayCommand,
  },
};

/** The commands, in the order `--help` lists them. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** The overview printed by `proxy-wasm-as --help`. */
export function overview(): string {
  const width = Math.max(...COMMAND_NAMES.map((c) => c.length));
  return [
    `Usage: ${PROGRAM} <command> [options]        (${PROGRAM} <command> --help for details)`,
    "",
    "Write, test and ship Envoy proxy-wasm filters in AssemblyScript.",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "Start a project:  npm create proxy-wasm-as@latest my-filter && cd my-filter && npm test",
  ].join("\n");
}

/**
 * Runs the CLI with `argv` (without node and the script), writing through `io`; resolves with the exit code.
 * Every error becomes one message with its hint (unexpected errors keep their stack). Never exits the process.
 * On a Node.js older than the harness needs, every command but `init` is one line and exit code 1.
 */
export async function runProxyWasmAs(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const tooOld = cliNodeProblem(argv);
  if (tooOld !== undefined) {
    io.info(tooOld);
    return 1;
  }
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.print(overview());
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-v") {
    io.print((await import("./init.ts")).harnessVersion());
    return 0;
  }
  try {
    const entry = COMMANDS[name];
    if (!entry)
      throw new CliError(`unknown command "${name}"`, {
        hint: `commands: ${COMMAND_NAMES.join(", ")} (see \`${PROGRAM} --help\`)`,
        exitCode: 2,
      });
    return await (await entry.load()).run(rest, io);
  } catch (error) {
    io.info(describeError(error));
    return error instanceof CliError ? error.exitCode : 1;
  }
}
