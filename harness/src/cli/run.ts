// `proxy-wasm-as run <module.wasm>`: start Envoy with the filter, print its URL, stream the module's log lines until
// Ctrl-C, then stop Envoy and the upstream. For trying a filter with curl, like `func-e run`.
import { existsSync } from "node:fs";
import { basename } from "node:path";
import {
  assertEnvoyVersionString,
  asWasmLogLine,
  envoyTraps,
  formatEnvoyTrap,
  httpWasm,
  networkWasm,
  parseWasmFailure,
  startEnvoy,
  type EnvoyLogLine,
  type RunnerKind,
} from "../envoy/index.ts";
import { HarnessError, messageWithoutHint } from "../errors.ts";
import { jsonEchoResponder, startHttpUpstream, type UpstreamEndpoint } from "../traffic/index.ts";
import { type Command, parseCommandArgs, PROGRAM } from "./command.ts";
import { CliError } from "./errors.ts";
import { readConfigArgument, step } from "./io.ts";
import { watchForStuckWorkers } from "./stuck-worker-watch.ts";

/** The `run` command. */
export const runCommand: Command = {
  help: `Usage: ${PROGRAM} run <module.wasm> [options]

Starts Envoy with your filter in front of an upstream, prints the URL to send requests to, and streams the
lines your filter logs until Ctrl-C, and any trap of your filter with its frames in your source lines (from the
build/<name>.wasm.map that \`${PROGRAM} build\` keeps beside the module). Envoy is provisioned into the per-user
cache on first use.

Options:
  --config <json|@file>    plugin configuration (what your root context reads in onConfigure)
  --upstream <url>         forward to this HTTP upstream (e.g. http://127.0.0.1:8080)
  --echo                   forward to a built-in upstream that answers with the request it received, as JSON
                           (method, path, headers, body): curl shows what your filter sent upstream
                           (without --upstream/--echo, Envoy answers 200 itself after the filter)
  --tcp                    load the module as a network (TCP) filter instead of an HTTP filter
  --runner <process|container>   how Envoy runs (default process)
  --envoy-version <X.Y.Z>  Envoy version (default: the harness's pinned one)
  --log-level <level>      also show Envoy's own lines at this level or above: trace, debug, info, warning,
                           error or critical; trace also logs every host call your filter makes

Example:
  ${PROGRAM} run build/my-filter.wasm --echo --config '{"header":"x-hello"}'
  curl -i http://127.0.0.1:<port>/`,
  async run(argv, io) {
    const { positionals, values } = parseCommandArgs("run", argv, {
      config: { type: "string" },
      upstream: { type: "string" },
      echo: { type: "boolean" },
      tcp: { type: "boolean" },
      runner: { type: "string" },
      "envoy-version": { type: "string" },
      "log-level": { type: "string" },
    });
    if (values.help) {
      io.print(this.help);
      return 0;
    }
    const wasm = positionals[0];
    if (!wasm || positionals.length > 1)
      throw new CliError("run needs exactly one .wasm file", {
        hint: `e.g. \`${PROGRAM} run build/my-filter.wasm --echo\``,
        exitCode: 2,
      });
    if (!existsSync(wasm))
      throw new CliError(`${wasm} does not exist`, {
        hint: `build it first (\`${PROGRAM} build\`) and pass build/<name>.wasm`,
      });
    if (values.upstream && values.echo) throw new CliError("--upstream and --echo exclude each other", { exitCode: 2 });
    const runner = (values.runner ?? "process") as RunnerKind;
    if (runner !== "process" && runner !== "container")
      throw new CliError(`--runner must be process or container (got "${values.runner}")`, { exitCode: 2 });
    const level = values["log-level"];
    if (level !== undefined && !ENVOY_LEVELS.includes(level))
      throw new CliError(`--log-level must be one of Envoy's levels: ${ENVOY_LEVELS.join(", ")} (got "${level}")`, {
        hint: "e.g. --log-level warning shows Envoy's warnings and errors beside your filter's lines",
        exitCode: 2,
      });
    // The version names a folder of the cache: refused here, before anything is created or started.
    const version = values["envoy-version"];
    if (version !== undefined) {
      try {
        assertEnvoyVersionString(version, "--envoy-version");
      } catch (error) {
        throw new CliError(messageWithoutHint(error as Error), { hint: (error as HarnessError).hint, exitCode: 2 });
      }
    }
    const config = await readConfigArgument(values.config);
    const echo = values.echo ? await startHttpUpstream({ respond: jsonEchoResponder }) : undefined;
    const upstream: UpstreamEndpoint | undefined =
      echo ?? (values.upstream ? parseUpstream(values.upstream) : undefined);
    const filter = (values.tcp ? networkWasm : httpWasm)(wasm, { config, name: basename(wasm, ".wasm") });
    const done = step(io, `starting Envoy (${runner} runner) with ${wasm}`);
    let envoy: Awaited<ReturnType<typeof startEnvoy>> | undefined;
    try {
      envoy = await startEnvoy({
        runner,
        version: values["envoy-version"],
        filters: [filter],
        upstream,
        allowWasmErrors: true,
        wasmLogLevel: level === "trace" ? "trace" : undefined,
      });
    } catch (error) {
      await echo?.close();
      throw inCommandLineTerms(error);
    }
    done(`Envoy ${envoy.version} ready`);
    const showEnvoyLevels = level ? ENVOY_LEVELS.slice(Math.max(0, ENVOY_LEVELS.indexOf(level))) : [];
    const printLine = (line: EnvoyLogLine) => {
      const wasmLine = asWasmLogLine(line);
      if (wasmLine) io.print(`[${wasmLine.level}] ${wasmLine.message}`);
      else if (parseWasmFailure(line)) printTrap(line);
      else if (showEnvoyLevels.includes(line.level)) io.info(`envoy: ${line.raw}`);
    };
    // Envoy's backtrace follows its failure line: print once it is in.
    const printTrap = (line: EnvoyLogLine) =>
      setTimeout(() => {
        for (const trap of envoyTraps([line], [wasm])) {
          const [headline, ...frames] = formatEnvoyTrap(trap);
          io.print(`[trap] ${headline}`);
          for (const frame of frames) io.print(`     ${frame}`);
        }
        io.info("the filter's VM is failed now: Envoy applies its failure policy to every later request");
      }, BACKTRACE_WAIT_MS);
    for (const line of envoy.log.lines) printLine(line);
    const unsubscribe = envoy.log.onLine(printLine);
    io.print(`${values.tcp ? "tcp" : "listening on"} ${values.tcp ? `127.0.0.1:${envoy.port()}` : envoy.origin()}`);
    io.print(`admin    ${envoy.admin.url}`);
    if (!values.tcp) io.print(`try      curl -i ${envoy.origin()}/`);
    io.info("streaming the filter's log lines; Ctrl-C stops");
    const stopWatching = watchForStuckWorkers(envoy, wasm, io.info);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    unsubscribe();
    stopWatching();
    io.info("stopping Envoy…");
    await envoy.stop();
    await echo?.close();
    return 0;
  },
};

/** How long after Envoy's trap line its backtrace lines are awaited before the trap is printed. */
const BACKTRACE_WAIT_MS = 100;

/** Envoy's log levels, lowest first. */
const ENVOY_LEVELS = ["trace", "debug", "info", "warning", "error", "critical"];

/** startEnvoy options its error hints may suggest, and the `run` flag that does the same. */
const FLAG_FOR_OPTION: readonly (readonly [option: string, flag: string])[] = [
  ['wasmLogLevel: "trace"', "--log-level trace"],
];

/**
 * A harness error whose hint suggests a startEnvoy option, rephrased with the `run` flag that does the same (the
 * user typed a command, not a test); any other error is returned as it is.
 */
function inCommandLineTerms(error: unknown): unknown {
  if (!(error instanceof HarnessError) || !FLAG_FOR_OPTION.some(([option]) => error.hint.includes(option)))
    return error;
  const fix = `\nFix: ${error.hint}`;
  const message = error.message.endsWith(fix) ? error.message.slice(0, -fix.length) : error.message;
  const hint = FLAG_FOR_OPTION.reduce((text, [option, flag]) => text.replaceAll(option, flag), error.hint);
  return new CliError(message, { hint, cause: error });
}

/** `http://host:port` → an HTTP/1.1 upstream endpoint; anything else is a usage error. */
function parseUpstream(text: string): UpstreamEndpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--upstream must be a URL like http://127.0.0.1:8080 (got "${text}")`, { exitCode: 2 });
  }
  if (url.protocol !== "http:" || !url.port)
    throw new CliError(`--upstream must be http://<ip>:<port> (got "${text}")`, {
      hint: "HTTPS upstreams are not supported by `run`; use a plain-HTTP local service",
      exitCode: 2,
    });
  const host = url.hostname === "localhost" ? "127.0.0.1" : url.hostname.replace(/^\[|\]$/g, "");
  return { host, port: Number(url.port), protocol: "http1" };
}
