// Choosing and running the load generator: wrk when it is installed (or can be: root with apt-get, through the
// harness's ensureDebianTools, the way the repository's benchmark suite gets it), else undici, saying why and what
// that means. undici is imported only when it is used.
import { cpus } from "node:os";
import { type DebianToolsEnvironment, ensureDebianTools, hasCommand, planDebianTools } from "../envoy/apt.ts";
import { type LoadRequest, type LoadSample, type LoadSettings, runWrk } from "./wrk.ts";

/** The load generators. */
export type LoadTool = "wrk" | "undici";

/** What measuring with undici instead of wrk means, for the user. */
export const UNDICI_CAVEAT =
  "undici runs inside this Node process, unpinned, and spends several times more CPU per request than wrk, so it is often the bottleneck: req/s then measures the client more than Envoy, and the throughput ratio moves toward 1×. Envoy's CPU time per request stays meaningful.";

/** The Debian package with wrk. */
const WRK = { command: "wrk", package: "wrk" } as const;

/** What {@link chooseLoadTool} decided. */
export interface LoadToolChoice {
  readonly tool: LoadTool;
  /** Why undici was chosen, and what that means for the figures (undefined for wrk). */
  readonly fallback?: string;
  /** CPUs to pin Envoy and the load generator to (taskset), when the machine has two cores or more and taskset; else undefined. */
  readonly pinning?: { readonly envoy: string; readonly load: string };
}

/**
 * Picks the load generator. `wanted`: "wrk" requires it (installs it as root with apt-get, else throws with the
 * command to run); "undici" uses undici; "auto" uses wrk when installed or installable, else undici with the
 * reason and its caveat. `who` names what needs it in messages ("proxy-wasm-as bench"). Pins Envoy to CPU 0
 * and wrk to CPU 1 when taskset is there and the machine has two CPUs or more (undici runs in this process: not pinned).
 * `environment` (PATH, whether apt-get may run) is for tests; the default is this process's.
 */
export function chooseLoadTool(
  wanted: "auto" | LoadTool,
  who: string,
  environment: DebianToolsEnvironment = {},
): LoadToolChoice {
  const pinning = hasCommand("taskset", environment.path) && cpus().length >= 2 ? { envoy: "0", load: "1" } : undefined;
  if (wanted === "undici")
    return { tool: "undici", fallback: `undici, as asked (--load undici): ${UNDICI_CAVEAT}`, pinning };
  if (wanted === "wrk") {
    ensureDebianTools([WRK], who, environment);
    return { tool: "wrk", pinning };
  }
  const plan = planDebianTools([WRK], environment);
  if (plan.action === "none") return { tool: "wrk", pinning };
  if (plan.action === "instructions")
    return {
      tool: "undici",
      fallback: `wrk is not installed, so the load comes from undici instead. ${UNDICI_CAVEAT} For trustworthy figures, ${plan.howTo} and run again.`,
      pinning,
    };
  try {
    ensureDebianTools([WRK], who, environment);
    return { tool: "wrk", pinning };
  } catch (error) {
    return {
      tool: "undici",
      fallback: `wrk could not be installed (${(error as Error).message.split("\n")[0]}), so the load comes from undici instead. ${UNDICI_CAVEAT}`,
      pinning,
    };
  }
}

/** Runs `request` against `url` with `tool` for `settings.durationSeconds` (`settings.cpus` pins wrk only). */
export async function generateLoad(
  tool: LoadTool,
  url: string,
  settings: LoadSettings,
  request: LoadRequest = {},
): Promise<LoadSample> {
  if (tool === "wrk") return runWrk(url, { ...settings, request });
  const { runUndiciLoad } = await import("./undici-load.ts");
  return runUndiciLoad(url, settings, request);
}
