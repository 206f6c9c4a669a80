// `proxy-wasm-as gateway envoy <policy.yaml>`: prints the Envoy configuration Envoy Gateway produces for Wasm
// EnvoyExtensionPolicies (harness/src/gateway/render-envoy.ts), as a bootstrap a local Envoy runs.
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { renderGatewayEnvoyYaml } from "../gateway/render-envoy.ts";
import { asWasmLogLine, type EnvoyLogLine } from "../envoy/index.ts";
import { originalUrlOf } from "../gateway/render.ts";
import { parseRenderInput, type RenderInput } from "../gateway/render-parse.ts";
import { modulesFor } from "../gateway/render-serve.ts";
import { GatewayError } from "../gateway/errors.ts";
import { type Command, PROGRAM, parseCommandArgs } from "./command.ts";
import { CliError } from "./errors.ts";
import type { CliIo } from "./io.ts";

const USAGE = `Usage: ${PROGRAM} gateway envoy <policy.yaml> [options]

Prints the Envoy configuration Envoy Gateway (v1.9) produces for the Wasm EnvoyExtensionPolicies in the file: one
disabled Wasm HTTP filter per extension (envoy.filters.http.wasm/envoyextensionpolicy/<ns>/<policy>/wasm/<i>),
enabled by typed_per_filter_config on the routes the policy targets, the module fetched by remote.http_uri through
wasm_cluster with its sha256 pinned. The file may also hold the Gateway and the HTTPRoutes (their paths and
hostnames); without HTTPRoutes each targeted HTTPRoute gets /<name> and a route on / that no policy targets is added.
The modules are served from a loopback server, as Envoy Gateway's Wasm cache serves them in a cluster.

Options:
  --listener-port <port>        the Gateway listener's port (default 10080)
  --upstream <http://ip:port>   where the routes forward to (default: each route answers 200 itself)
  --wasm-server <http://ip:port>  where Envoy fetches the modules (default http://127.0.0.1:18002)
  --module <url>=<file.wasm>    the module file of an extension (repeatable; a bare file when there is one
                                module): its sha256 is what Envoy checks for an Image source, or for an HTTP
                                source without code.http.sha256
  --out <file>                  write the YAML there instead of printing it
  --run                         run it: serve the modules (--module for each) on loopback, start Envoy with the
                                config, print the listener's URL and stream the filters' log lines until Ctrl-C`;

/** The `gateway envoy` subcommand. */
export const gatewayEnvoyCommand: Command = {
  help: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("gateway envoy", argv, {
      "listener-port": { type: "string" },
      upstream: { type: "string" },
      "wasm-server": { type: "string" },
      module: { type: "string", multiple: true },
      out: { type: "string" },
      run: { type: "boolean" },
    });
    if (values.help) {
      io.print(USAGE);
      return 0;
    }
    const [file, ...extra] = positionals;
    if (!file || extra.length > 0) {
      throw new CliError(file ? `one policy file, got ${positionals.length}` : "missing the policy file", {
        hint: `${PROGRAM} gateway envoy policy.yaml (write one with \`${PROGRAM} gateway policy --out policy.yaml\`)`,
        exitCode: 2,
      });
    }
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (cause) {
      throw new CliError(`cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? cause}`, {
        hint: `pass the EnvoyExtensionPolicy YAML (\`${PROGRAM} gateway policy --out policy.yaml\` writes one)`,
      });
    }
    const port = values["listener-port"] === undefined ? undefined : portOf(values["listener-port"]);
    const input = parseRenderInput(text, file, { port });
    const moduleFiles = modulesFor(input.policies, values.module ?? []);
    const upstream = values.upstream === undefined ? undefined : upstreamOf(values.upstream);
    if (values.run) return runIt(input, moduleFiles, upstream, port, io);
    const moduleSha256s = new Map<string, string>();
    for (const [url, wasm] of moduleFiles) {
      const bytes = await readFile(wasm).catch((cause: NodeJS.ErrnoException) => {
        throw new GatewayError(`cannot read the module ${wasm}: ${cause.code ?? cause}`, {
          hint: "build it first (`npx proxy-wasm-as build`) or fix the path",
        });
      });
      moduleSha256s.set(url, createHash("sha256").update(bytes).digest("hex"));
    }
    const yaml = renderGatewayEnvoyYaml(input, {
      wasmServerUrl: values["wasm-server"],
      moduleSha256s,
      upstream,
    });
    if (values.out) {
      await writeFile(values.out, yaml);
      io.info(`wrote the Envoy configuration to ${values.out}`);
    } else io.print(yaml.trimEnd());
    return 0;
  },
};

/** `--run`: the config in real Envoy, modules served on loopback, until Ctrl-C. */
async function runIt(
  input: RenderInput,
  modules: Map<string, string>,
  upstream: { host: string; port: number } | undefined,
  port: number | undefined,
  io: CliIo,
): Promise<number> {
  const missing = [
    ...new Set(
      input.policies.flatMap((p) =>
        (p.spec.wasm ?? []).map((w, i) => originalUrlOf(w, `${p.metadata.name} wasm[${i}]`)),
      ),
    ),
  ].filter((url) => !modules.has(url));
  if (missing.length > 0) {
    throw new CliError(`--run needs the module file of ${missing.join(", ")}`, {
      hint: `add --module ${missing[0]}=build/<filter>.wasm`,
      exitCode: 2,
    });
  }
  io.info("starting Envoy with Envoy Gateway's configuration…");
  const { startGatewayEnvoy } = await import("../gateway/render-run.ts");
  const envoy = await startGatewayEnvoy(input, { modules, upstream, listenerPort: port });
  for (const a of envoy.rendered.attached) {
    const where = a.route.path.type === "Exact" ? a.route.path.value : `${a.route.path.value}*`;
    io.print(
      `route ${where.padEnd(20)} ${a.wasms.length ? a.wasms.map((w) => w.wasmName).join(", ") : "(no extension)"}`,
    );
  }
  io.print(`listening on ${envoy.origin}`);
  io.print(`modules    ${envoy.modules.url}`);
  io.info("streaming the filters' log lines; Ctrl-C stops");
  const printLine = (line: EnvoyLogLine) => {
    const wasmLine = asWasmLogLine(line);
    if (wasmLine) io.print(`[${wasmLine.level}] ${wasmLine.message}`);
  };
  for (const line of envoy.log.lines) printLine(line);
  const unsubscribe = envoy.log.onLine(printLine);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  unsubscribe();
  io.info("stopping Envoy…");
  await envoy.stop();
  return 0;
}

function portOf(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new CliError(`--listener-port must be a port number 1-65535 (got "${text}")`, {
      hint: "e.g. --listener-port 10080",
      exitCode: 2,
    });
  }
  return port;
}

function upstreamOf(text: string): { host: string; port: number } {
  const m = /^(?:http:\/\/)?(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})\/?$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new CliError(`--upstream must be http://<IPv4 address>:<port> (got "${text}")`, {
      hint: "e.g. --upstream http://127.0.0.1:8080 (Envoy reaches it through a static cluster)",
      exitCode: 2,
    });
  }
  return { host: m[1]!, port: Number(m[2]) };
}
