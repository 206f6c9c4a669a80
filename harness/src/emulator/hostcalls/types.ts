// What every host-call domain file sees of the VM, and the typed tables they fill. The table types are keyed by
// the import names of harness/src/abi/envoy-imports.ts: a host call with a misspelt name fails tsc.
import type { AbiVersion, EnvImportName, LogLevel, WasiImportName } from "../../abi/index.ts";
import type { Callouts } from "../callouts.ts";
import type { GuestMemory } from "../guest-memory.ts";
import type { EmulatorHost } from "../host.ts";
import type { CallbackData, ContextState, VmSettings } from "../vm-types.ts";

/** A host function as linked into the module: Wasm numbers in, a status (or nothing) out. */
export type HostFunction = (...args: never[]) => number | undefined;

/** Implementations of `env` imports, by their Envoy name. */
export type EnvHostcalls = { readonly [Name in EnvImportName]?: HostFunction };
/** Implementations of WASI imports, by their WASI name. */
export type WasiHostcalls = { readonly [Name in WasiImportName]?: HostFunction };

/** The VM as the host calls see it. Implemented by WasmVm; valid only while a VM call is running. */
export interface HostcallVm {
  readonly memory: GuestMemory;
  readonly host: EmulatorHost;
  readonly settings: VmSettings;
  readonly abiVersion: AbiVersion;
  /** The callout engine (HTTP/gRPC/DNS) of this VM, given when the VM was built. */
  readonly callouts: Callouts;
  /** The context the module acts for: the effective context if it set one, else the called context. */
  current(): ContextState | null;
  /** The root context of {@link current}. */
  root(): ContextState | null;
  /** A live context by id. */
  context(id: number): ContextState | undefined;
  /** proxy_set_effective_context. */
  setEffective(ctx: ContextState): void;
  /** Logs a line attributed to `ctx` when `level` passes the VM's threshold. */
  log(level: LogLevel, ctx: ContextState | null, message: string): void;
  /** True when a line at `level` would be logged. */
  logs(level: LogLevel): boolean;
  /** The current `wasm` log level (0 trace … 5 critical): what proxy_get_log_level reports. */
  logLevel(): number;
  /** Data readable only during the running root callback (callout response, gRPC message, call data). */
  callbackData(): CallbackData | null;
  /** The plugin configuration, while on_context_create/on_configure of a root run; else null. */
  pluginConfiguration(): Uint8Array | null;
  /** proxy_set_tick_period_milliseconds for `root`. */
  setTick(root: ContextState, periodMs: number): void;
  /** Calls a root callback from the event loop (queue ready), then applies deferred work. */
  deliverToRoot(root: ContextState, name: string, ...args: number[]): void;
}
