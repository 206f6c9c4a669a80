// `proxy-wasm-as gateway <command>`: ship to Envoy Gateway. A small subcommand table; each subcommand lives in its
// own file and is imported only when used.
import { type Command, PROGRAM } from "./command.ts";
import { CliError } from "./errors.ts";

/** Subcommand name → summary and loader. */
const SUBCOMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<Command> }>> = {
  policy: {
    summary: "print a validated EnvoyExtensionPolicy for a module (HTTP or Image code, sha256, targets)",
    load: async () => (await import("./gateway-policy.ts")).gatewayPolicyCommand,
  },
  envoy: {
    summary: "print the Envoy configuration Envoy Gateway renders for a Wasm EnvoyExtensionPolicy (--run: run it)",
    load: async () => (await import("./gateway-envoy.ts")).gatewayEnvoyCommand,
  },
};

const help = () =>
  [
    `Usage: ${PROGRAM} gateway <command> [options]   (${PROGRAM} gateway <command> --help for details)`,
    "",
    "Ship a proxy-wasm module to Envoy Gateway.",
    "",
    "Commands:",
    ...Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(8)}  ${c.summary}`),
  ].join("\n");

/** The `gateway` command: dispatches to its subcommands. */
export const gatewayCommand: Command = {
  get help() {
    return help();
  },
  async run(argv, io) {
    const [name, ...rest] = argv;
    if (!name || name === "--help" || name === "-h" || name === "help") {
      io.print(help());
      return name ? 0 : 2;
    }
    const entry = SUBCOMMANDS[name];
    if (!entry)
      throw new CliError(`unknown gateway command "${name}"`, {
        hint: `commands: ${Object.keys(SUBCOMMANDS).join(", ")} (see \`${PROGRAM} gateway --help\`)`,
        exitCode: 2,
      });
    return (await entry.load()).run(rest, io);
  },
};
