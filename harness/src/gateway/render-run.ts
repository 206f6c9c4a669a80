// startGatewayEnvoy: runs what Envoy Gateway renders for a policy in a real Envoy. The modules are served by a
// loopback HTTP/2 server standing in for Envoy Gateway's Wasm cache, Envoy fetches them by `remote.http_uri` and
// checks their sha256, and the listener only comes up once every module is fetched and its VM started. A module
// Envoy refuses is told in one line (which extension, sha256 expected vs served, what to change) instead of a wait
// through Envoy's ten fetch retries (up to minutes) or a dump of Envoy's log.
import {
  EnvoyAdmin,
  EnvoyLog,
  isFailureLine,
  prepareRunner,
  type RunnerKind,
  type RunnerOptions,
} from "../envoy/index.ts";
import { httpRequest, type HttpRequestOptions, type HttpResponse } from "../traffic/index.ts";
import { renderGatewayEnvoy, type RenderGatewayEnvoyOptions, type RenderedGatewayEnvoy } from "./render-envoy.ts";
import { parseRenderInput, type RenderInput } from "./render-parse.ts";
import { serveWasmModules, type WasmModuleServer } from "./render-serve.ts";
import { GatewayError } from "./errors.ts";
import { stringify } from "yaml";

/** Options of {@link startGatewayEnvoy}. */
export interface StartGatewayEnvoyOptions extends RunnerOptions {
  /** "process" or "container"; default `$ENVOY_RUNNER`, else "process". */
  runner?: RunnerKind;
  /** The module file of each extension: original URL (as the policy names it) → local .wasm file. */
  modules: ReadonlyMap<string, string>;
  /** Where the routes forward to; without one each route answers 200 itself. */
  upstream?: { host: string; port: number };
  /** The Gateway listener's port; default 0 (the kernel picks one). */
  listenerPort?: number;
  /** Give up waiting for the listener after this long; default 30 s. */
  readyTimeoutMs?: number;
}

/** A running Envoy with Envoy Gateway's configuration. Stop it with `stop()` or `await using`. */
export interface GatewayEnvoy extends AsyncDisposable {
  /** What was rendered (and run). */
  readonly rendered: RenderedGatewayEnvoy;
  /** The bootstrap YAML Envoy runs. */
  readonly configYaml: string;
  /** The module server and its fetch counts. */
  readonly modules: WasmModuleServer;
  readonly log: EnvoyLog;
  readonly admin: EnvoyAdmin;
  /** "http://127.0.0.1:<port>" of the Gateway's listener. */
  readonly origin: string;
  /** Sends a request through the Gateway's listener. */
  request(path: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  stop(): Promise<void>;
}

/** How long to wait for Envoy's refetch before naming a mismatch (its first retry backs off about 1 s). */
const REFETCH_WAIT_MS = 5_000;

/**
 * Renders `input` (policy YAML, or parsed input) in local mode with the listener on a kernel-chosen port, serves
 * the modules, starts Envoy and waits until the listener is up. Rejects with a {@link GatewayError} when
 * Envoy refuses a module (sha256 mismatch: expected vs served) or fails to start it.
 */
export async function startGatewayEnvoy(
  input: RenderInput | string,
  options: StartGatewayEnvoyOptions,
): Promise<GatewayEnvoy> {
  const parsed =
    typeof input === "string"
      ? parseRenderInput(input, "policy", { port: options.listenerPort ?? 0 })
      : { ...input, gateway: { ...input.gateway, port: options.listenerPort ?? 0 } };
  const modules = await serveWasmModules(options.modules);
  let stopEnvoy = async () => {};
  try {
    const renderOptions: RenderGatewayEnvoyOptions = {
      wasmServerUrl: modules.url,
      moduleSha256s: modules.sha256s,
      upstream: options.upstream,
    };
    const rendered = renderGatewayEnvoy(parsed, renderOptions);
    const configYaml = stringify(rendered.bootstrap, { lineWidth: 0 });
    const {
      modules: _files,
      upstream: _upstream,
      readyTimeoutMs: _timeout,
      listenerPort: _port,
      ...runnerOptions
    } = options;
    const runner = await prepareRunner(runnerOptions);
    const log = new EnvoyLog();
    const launched = await runner.launch(configYaml, [], log);
    stopEnvoy = () => launched.stop();
    const listenerName = rendered.listener.name as string;
    const { admin, port } = await waitForListener(
      listenerName,
      rendered,
      modules,
      log,
      launched.exited,
      options.readyTimeoutMs ?? 30_000,
    );
    const origin = `http://127.0.0.1:${port}`;
    const stop = async () => {
      await launched.stop();
      await modules.close();
    };
    return {
      rendered,
      configYaml,
      modules,
      log,
      admin,
      origin,
      request: (path, requestOptions) => httpRequest(origin, path, requestOptions),
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stopEnvoy();
    await modules.close();
    throw error;
  }
}

async function waitForListener(
  listenerName: string,
  rendered: RenderedGatewayEnvoy,
  modules: WasmModuleServer,
  log: EnvoyLog,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<{ admin: EnvoyAdmin; port: number }> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  let admin: EnvoyAdmin | undefined;
  for (;;) {
    const refused = refusedModule(rendered, modules);
    if (refused) throw refused;
    if (exitCode !== undefined)
      throw envoyFailed(`Envoy exited (code ${exitCode}) before the Gateway's listener came up`, log);
    const sameCode = sharedCodeInFlight(rendered, log);
    if (sameCode) throw sameCode;
    const wasmFailure = log.lines.find((l) => l.logger === "wasm" && isFailureLine(l));
    if (wasmFailure) throw envoyFailed(`Envoy could not start a Wasm extension: ${wasmFailure.message}`, log);
    if (!admin) {
      const address = log.lines.map((l) => /admin address: (\S+)/.exec(l.message)?.[1]).find(Boolean);
      if (address) admin = new EnvoyAdmin(address);
    }
    if (admin) {
      // Static listeners are listed (with their port) before Envoy serves: it first waits for every module fetch
      // (an init target of the server), then /ready turns LIVE.
      const live = await admin.isLive().catch(() => false);
      const port = live
        ? (await admin.listenerPorts().catch(() => new Map<string, number>())).get(listenerName)
        : undefined;
      if (port) return { admin, port };
    }
    if (Date.now() > deadline) {
      const waiting = [...modules.modules.values()].filter((m) => m.fetches === 0).map((m) => m.originalUrl);
      throw new GatewayError(
        `the Gateway's listener did not come up within ${timeoutMs} ms${waiting.length ? `; Envoy never fetched ${waiting.join(", ")} from ${modules.url}` : ""}${modules.misses.length ? `; it asked the module server for unknown paths: ${modules.misses.join(", ")}` : ""}`,
        { hint: "check that every module of the policy was given (--module <url>=<file.wasm>)" },
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A module whose served sha256 differs from the one the config pins, once Envoy fetched it twice (it only fetches
 * again after refusing), or REFETCH_WAIT_MS after the first fetch (the listener cannot come up with it anyway).
 */
function refusedModule(rendered: RenderedGatewayEnvoy, modules: WasmModuleServer): GatewayError | undefined {
  for (const wasm of rendered.wasms) {
    const path = new URL(wasm.servingUrl).pathname.slice(1);
    const served = modules.modules.get(path);
    if (!served?.firstFetchAt || served.sha256 === wasm.sha256) continue;
    if (served.fetches < 2 && Date.now() - served.firstFetchAt < REFETCH_WAIT_MS) continue;
    return new GatewayError(
      `Envoy refused the module of ${wasm.name} (${wasm.originalUrl}): sha256 mismatch, the policy pins ${wasm.sha256} but the module served is ${served.sha256} (${served.file}; Envoy fetched it ${served.fetches} times)`,
      {
        hint: `put the module's sha256 in the policy (code.http.sha256: ${served.sha256}, \`sha256sum ${served.file}\`), or serve the module the policy was written for`,
      },
    );
  }
  return undefined;
}

/** Envoy's warning that precedes every remote code fetch (noise in an explanation). */
const UNSTABLE_FETCH_WARNING = "Wasm remote code fetch is unstable";

/**
 * Two extensions with the same module (same sha256): Envoy's remote code cache (source/extensions/common/wasm/wasm.cc)
 * fails a filter whose code is still being fetched for another one ("createWasm: failed to load (in progress)"), and
 * a static configuration never retries it.
 */
function sharedCodeInFlight(rendered: RenderedGatewayEnvoy, log: EnvoyLog): GatewayError | undefined {
  const index = log.lines.findIndex(
    (l) => l.logger === "wasm" && l.message.startsWith("createWasm: failed to load (in progress)"),
  );
  if (index < 0) return undefined;
  const plugin = log.lines
    .slice(index)
    .map((l) => /^Plugin (.+) failed to load$/.exec(l.message)?.[1])
    .find(Boolean);
  const failed = rendered.wasms.find((w) => w.wasmName === plugin);
  const first = failed && rendered.wasms.find((w) => w !== failed && w.sha256 === failed.sha256);
  const which = failed ? `${failed.name} (plugin ${failed.wasmName})` : `plugin ${plugin ?? "?"}`;
  return new GatewayError(
    `Envoy did not load ${which}: its module has the same sha256${failed ? ` (${failed.sha256})` : ""} as ${first ? first.name : "another extension"}'s, and Envoy fails a Wasm filter whose remote code is still being fetched for another filter ("createWasm: failed to load (in progress)")`,
    {
      hint: "attach each module once per listener, or give each extension its own build of the module (different bytes, so a different sha256)",
    },
  );
}

function envoyFailed(message: string, log: EnvoyLog): GatewayError {
  const lines = [
    ...new Set(
      log.lines
        .filter((l) => (l.logger === "wasm" && ["warning", "error", "critical"].includes(l.level)) || isFailureLine(l))
        .map((l) => l.message)
        .filter((m) => !m.startsWith(UNSTABLE_FETCH_WARNING)),
    ),
  ].slice(0, 8);
  return new GatewayError(
    `${message}${lines.length ? `\nEnvoy said:\n${lines.map((l) => `  ${l}`).join("\n")}` : ""}`,
    {
      hint: "run the module alone first (`npx proxy-wasm-as check <module.wasm>`), then the policy",
    },
  );
}
