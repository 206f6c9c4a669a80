// `proxy-wasm-as istio <command>`: the packaging layer's command line (harness/src/packaging/cli.ts), unchanged.
import { runCli } from "../packaging/cli.ts";
import { type Command, PROGRAM } from "./command.ts";

/** The `istio` command: package, push, check, wasmplugin, envoy. */
export const istioCommand: Command = {
  help: `Usage: ${PROGRAM} istio <package|push|check|wasmplugin|envoy> [options]   (details: ${PROGRAM} istio --help)`,
  run: (argv, io) => runCli([...argv], io.print),
};
