// What Envoy provides to a proxy-wasm module: every host function it registers, by module and name,
// with its Wasm signature and where it may be called. Source: proxy-wasm-abi.md §2, §5.1, §6.1.
// The conformance checker and the emulator's linker both read this table; it is the only copy.
import { sig, type WasmSignature } from "./signature.ts";

/** ABI versions Envoy recognises, identified by the module's marker export. */
export type AbiVersion = "0.1.0" | "0.2.0" | "0.2.1";

/** The two module names under which Envoy registers the WASI functions. */
export const WASI_MODULES = ["wasi_snapshot_preview1", "wasi_unstable"] as const;

/** One host function Envoy registers. */
export interface HostImport {
  /** Import module: `env`, `wasi_snapshot_preview1` or `wasi_unstable`. */
  readonly module: string;
  readonly name: string;
  readonly signature: WasmSignature;
  /** ABI versions that get this import (env imports are ABI-specific, §2.3); WASI and extras: all. */
  readonly abiVersions: readonly AbiVersion[];
  /** Callable while `_initialize`/`_start`/`main` run (Envoy's restricted list, §5.1); else traps "restricted_callback". */
  readonly allowedDuringStart: boolean;
  /** Callable inside the guest allocator (`malloc`/`proxy_on_memory_allocate`). */
  readonly allowedDuringAlloc: boolean;
}

const ALL: readonly AbiVersion[] = ["0.1.0", "0.2.0", "0.2.1"];
const V02: readonly AbiVersion[] = ["0.2.0", "0.2.1"];

const I = (n: number) => Array(n).fill("i32").join(" ");

/** `env` proxy_* imports: name → [signature, ABI versions]. */
const PROXY_CALLS = [
  ["proxy_log", `${I(3)} -> i32`, ALL],
  ["proxy_get_log_level", `${I(1)} -> i32`, ["0.2.1"]],
  ["proxy_get_current_time_nanoseconds", `${I(1)} -> i32`, ALL],
  ["proxy_set_tick_period_milliseconds", `${I(1)} -> i32`, ALL],
  ["proxy_set_effective_context", `${I(1)} -> i32`, ALL],
  ["proxy_done", `-> i32`, ALL],
  ["proxy_get_status", `${I(3)} -> i32`, ALL],
  ["proxy_call_foreign_function", `${I(6)} -> i32`, ALL],
  ["proxy_get_property", `${I(4)} -> i32`, ALL],
  ["proxy_set_property", `${I(4)} -> i32`, ALL],
  ["proxy_get_buffer_bytes", `${I(5)} -> i32`, ALL],
  ["proxy_get_buffer_status", `${I(3)} -> i32`, ALL],
  ["proxy_set_buffer_bytes", `${I(5)} -> i32`, ALL],
  ["proxy_get_header_map_pairs", `${I(3)} -> i32`, ALL],
  ["proxy_set_header_map_pairs", `${I(3)} -> i32`, ALL],
  ["proxy_get_header_map_value", `${I(5)} -> i32`, ALL],
  ["proxy_add_header_map_value", `${I(5)} -> i32`, ALL],
  ["proxy_replace_header_map_value", `${I(5)} -> i32`, ALL],
  ["proxy_remove_header_map_value", `${I(3)} -> i32`, ALL],
  ["proxy_get_header_map_size", `${I(2)} -> i32`, ALL],
  ["proxy_continue_stream", `${I(1)} -> i32`, V02],
  ["proxy_close_stream", `${I(1)} -> i32`, V02],
  ["proxy_send_local_response", `${I(8)} -> i32`, ALL],
  ["proxy_get_configuration", `${I(2)} -> i32`, ["0.1.0"]],
  ["proxy_continue_request", `-> i32`, ["0.1.0"]],
  ["proxy_continue_response", `-> i32`, ["0.1.0"]],
  ["proxy_clear_route_cache", `-> i32`, ["0.1.0"]],
  ["proxy_http_call", `${I(10)} -> i32`, ALL],
  ["proxy_grpc_call", `${I(12)} -> i32`, ALL],
  ["proxy_grpc_stream", `${I(9)} -> i32`, ALL],
  ["proxy_grpc_send", `${I(4)} -> i32`, ALL],
  ["proxy_grpc_cancel", `${I(1)} -> i32`, ALL],
  ["proxy_grpc_close", `${I(1)} -> i32`, ALL],
  ["proxy_get_shared_data", `${I(5)} -> i32`, ALL],
  ["proxy_set_shared_data", `${I(5)} -> i32`, ALL],
  ["proxy_register_shared_queue", `${I(3)} -> i32`, ALL],
  ["proxy_resolve_shared_queue", `${I(5)} -> i32`, ALL],
  ["proxy_enqueue_shared_queue", `${I(3)} -> i32`, ALL],
  ["proxy_dequeue_shared_queue", `${I(3)} -> i32`, ALL],
  ["proxy_define_metric", `${I(4)} -> i32`, ALL],
  ["proxy_increment_metric", `i32 i64 -> i32`, ALL],
  ["proxy_record_metric", `i32 i64 -> i32`, ALL],
  ["proxy_get_metric", `${I(2)} -> i32`, ALL],
] as const satisfies ReadonlyArray<readonly [string, string, readonly AbiVersion[]]>;

/** Envoy-specific `env` extras (§2.7). */
const ENVOY_EXTRAS = [
  ["envoy_resolve_dns", `${I(3)} -> i32`],
  ["pthread_equal", `${I(2)} -> i32`],
  ["emscripten_notify_memory_growth", `i32 ->`],
] as const satisfies ReadonlyArray<readonly [string, string]>;

/**
 * WASI preview1 functions current Envoy releases register (cpp-host up to the 2024-12 additions that the Go SDK
 * needs: fd_fdstat_set_flags, sched_yield, poll_oneoff). The 2026-04 stubs are deliberately absent: a module that
 * imports them does not load on current Envoy releases.
 */
const WASI_CALLS = [
  ["fd_write", `${I(4)} -> i32`],
  ["fd_read", `${I(4)} -> i32`],
  ["fd_seek", `i32 i64 i32 i32 -> i32`],
  ["fd_close", `i32 -> i32`],
  ["fd_fdstat_get", `${I(2)} -> i32`],
  ["fd_fdstat_set_flags", `${I(2)} -> i32`],
  ["fd_prestat_get", `${I(2)} -> i32`],
  ["fd_prestat_dir_name", `${I(3)} -> i32`],
  ["environ_sizes_get", `${I(2)} -> i32`],
  ["environ_get", `${I(2)} -> i32`],
  ["args_sizes_get", `${I(2)} -> i32`],
  ["args_get", `${I(2)} -> i32`],
  ["clock_time_get", `i32 i64 i32 -> i32`],
  ["random_get", `${I(2)} -> i32`],
  ["proc_exit", `i32 ->`],
  ["path_open", `i32 i32 i32 i32 i32 i64 i64 i32 i32 -> i32`],
  ["sched_yield", `-> i32`],
  ["poll_oneoff", `${I(4)} -> i32`],
] as const satisfies ReadonlyArray<readonly [string, string]>;

/** Name of every `env` host function Envoy registers (proxy_* calls and Envoy's extras), as a type. */
export type EnvImportName = (typeof PROXY_CALLS)[number][0] | (typeof ENVOY_EXTRAS)[number][0];
/** Name of every WASI function Envoy registers, as a type. */
export type WasiImportName = (typeof WASI_CALLS)[number][0];

/** WASI names callable during `_initialize`/`_start`/`main` (cpp-host 2024-12 allowlist, §5.1). */
const WASI_ALLOWED_DURING_START = new Set<string>([
  "fd_write",
  "args_sizes_get",
  "args_get",
  "environ_sizes_get",
  "environ_get",
  "fd_prestat_get",
  "fd_prestat_dir_name",
  "clock_time_get",
  "random_get",
  "fd_fdstat_get",
  "fd_fdstat_set_flags",
]);
const ALLOWED_DURING_ALLOC = new Set<string>(["proxy_log", "fd_write", "clock_time_get"]);

/** Every import Envoy registers, for all ABI versions. Filter with {@link envoyImportsFor}. */
export const ENVOY_IMPORTS: readonly HostImport[] = [
  ...PROXY_CALLS.map(([name, s, abiVersions]) => ({
    module: "env",
    name,
    signature: sig(s),
    abiVersions,
    allowedDuringStart: name === "proxy_log",
    allowedDuringAlloc: ALLOWED_DURING_ALLOC.has(name),
  })),
  ...ENVOY_EXTRAS.map(([name, s]) => ({
    module: "env",
    name,
    signature: sig(s),
    abiVersions: ALL,
    allowedDuringStart: false,
    allowedDuringAlloc: false,
  })),
  ...WASI_MODULES.flatMap((module) =>
    WASI_CALLS.map(([name, s]) => ({
      module,
      name,
      signature: sig(s),
      abiVersions: ALL,
      allowedDuringStart: WASI_ALLOWED_DURING_START.has(name),
      allowedDuringAlloc: ALLOWED_DURING_ALLOC.has(name),
    })),
  ),
];

/** Key used to index imports: `module.name`. */
export function importKey(module: string, name: string): string {
  return `${module}.${name}`;
}

const byVersion = new Map<AbiVersion, ReadonlyMap<string, HostImport>>();

/** The imports Envoy registers for one ABI version, keyed by `module.name`. */
export function envoyImportsFor(version: AbiVersion): ReadonlyMap<string, HostImport> {
  let table = byVersion.get(version);
  if (!table) {
    table = new Map(
      ENVOY_IMPORTS.filter((i) => i.abiVersions.includes(version)).map((i) => [importKey(i.module, i.name), i]),
    );
    byVersion.set(version, table);
  }
  return table;
}

/** Names of every `env.proxy_*` hostcall registered for `version` (used to check "imports every hostcall" fixtures). */
export function proxyHostcallNames(version: AbiVersion): string[] {
  return ENVOY_IMPORTS.filter(
    (i) => i.module === "env" && i.name.startsWith("proxy_") && i.abiVersions.includes(version),
  ).map((i) => i.name);
}
