// `proxy-wasm-as inspect <ref>`: what an image in a registry says about the module it holds (OCI annotations and
// the module facts `istio push` writes), from the manifest alone; `--verify` downloads the module and checks them.
import { inspectImage } from "../packaging/index.ts";
import { type Command, PROGRAM, parseCommandArgs } from "./command.ts";
import { CliError } from "./errors.ts";
import { inspectionRows, REGISTRY_FLAGS, REGISTRY_FLAGS_HELP, registryOptionsFrom, table } from "./registry-flags.ts";

const HELP = `Usage: ${PROGRAM} inspect <host[:port]/repo[:tag][@sha256:…]> [options]

Prints what the image says about its module: title, version, description, source, created (OCI annotations) and
the module's sha256, size, proxy-wasm ABI, declared root ids and proxy_on_* exports (written by \`istio push\`).
Reads the manifest only (a Docker-format image: its config too).

Options:
  --verify           download the module as istio-agent does and check the facts against it (exit 1 on a mismatch)
${REGISTRY_FLAGS_HELP}

Example:
  ${PROGRAM} inspect 127.0.0.1:5000/filters/headers:v1 --verify`;

/** The `inspect` command. */
export const inspectCommand: Command = {
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("inspect", argv, {
      ...REGISTRY_FLAGS,
      verify: { type: "boolean" },
    });
    if (values.help) {
      io.print(HELP);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new CliError(`inspect takes one image reference (got ${positionals.length})`, {
        hint: `e.g. \`${PROGRAM} inspect 127.0.0.1:5000/filters/headers:v1\``,
        exitCode: 2,
      });
    }
    const inspection = await inspectImage(positionals[0]!, {
      ...registryOptionsFrom("inspect", values),
      verify: values.verify,
    });
    io.print(values.json ? JSON.stringify(inspection, null, 2) : table(inspectionRows(inspection)));
    return (inspection.verification?.differences.length ?? 0) > 0 && inspection.metadata.module ? 1 : 0;
  },
};
