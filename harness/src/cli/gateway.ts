// `proxy-wasm-as gateway <command>`: ship to Envoy Gateway. Subcommands are loaded only when used.
import { type Command, PROGRAM } from "./command.ts";
import { CliError } from "./errors.ts";

/** Subcommand name → summary and loader. */
const SUBCOMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<Command> }>> = {
  envoy: {
    summary: "print the Envoy configuration Envoy Gateway produces for a Wasm EnvoyExtensionPolicy",
    load: async () => (await import("./gateway-envoy.ts")).gatewayEnvoyCommand,
  },
};

const HELP = [
  `Usage: ${PROGRAM} gateway <${Object.keys(SUBCOMMANDS).join("|")}> [options]   (${PROGRAM} gateway <command> --help)`,
  "",
  ...Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(8)}  ${c.summary}`),
].join("\n");

/** The `gateway` command. */
export const gatewayCommand: Command = {
  help: HELP,
  async run(argv, io) {
    const [name, ...rest] = argv;
    if (!name || name === "--help" || name === "-h") {
      io.print(HELP);
      return name ? 0 : 2;
    }
    const sub = SUBCOMMANDS[name];
    if (!sub) {
      throw new CliError(`unknown gateway command "${name}"`, {
        hint: `commands: ${Object.keys(SUBCOMMANDS).join(", ")} (see \`${PROGRAM} gateway --help\`)`,
        exitCode: 2,
      });
    }
    return (await sub.load()).run(rest, io);
  },
};
