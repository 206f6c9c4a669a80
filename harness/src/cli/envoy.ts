// `proxy-wasm-as envoy provision|check|leftovers`: the envoy layer's command line (harness/src/envoy/cli.ts).
import { envoyCliUsage, runEnvoyCli } from "../envoy/cli.ts";
import { type Command, PROGRAM } from "./command.ts";

/** The `envoy` command. */
export const envoyCommand: Command = {
  help: envoyCliUsage(`${PROGRAM} envoy`),
  run: (argv, io) => runEnvoyCli(argv, io.print, `${PROGRAM} envoy`),
};
