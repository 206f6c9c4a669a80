// What Envoy expects a proxy-wasm module to export: the ABI markers, allocator, entry points and callbacks,
// with the exact signatures Envoy checks (a present export with another signature fails the load, §1.3).
import { sig, type WasmSignature } from "./signature.ts";
import type { AbiVersion } from "./envoy-imports.ts";

/** Marker export name → ABI version; Envoy takes the first marker found in export order (§1.1). */
export const ABI_MARKERS: Readonly<Record<string, AbiVersion>> = {
  proxy_abi_version_0_1_0: "0.1.0",
  proxy_abi_version_0_2_0: "0.2.0",
  proxy_abi_version_0_2_1: "0.2.1",
};

/** Allocator exports in Envoy's lookup order: `malloc` first, then `proxy_on_memory_allocate`. */
export const ALLOCATOR_EXPORTS = ["malloc", "proxy_on_memory_allocate"] as const;

const I = (n: number) => Array(n).fill("i32").join(" ");

/** Expected signature of every export Envoy looks up, for ABI 0.2.x. */
const EXPORTS_02: Record<string, WasmSignature> = {
  proxy_abi_version_0_1_0: sig("->"),
  proxy_abi_version_0_2_0: sig("->"),
  proxy_abi_version_0_2_1: sig("->"),
  malloc: sig("i32 -> i32"),
  proxy_on_memory_allocate: sig("i32 -> i32"),
  _initialize: sig("->"),
  _start: sig("->"),
  main: sig("i32 i32 -> i32"),
  __main_void: sig("-> i32"),
  proxy_on_context_create: sig(`${I(2)} ->`),
  proxy_on_vm_start: sig(`${I(2)} -> i32`),
  proxy_on_configure: sig(`${I(2)} -> i32`),
  proxy_validate_configuration: sig(`${I(2)} -> i32`),
  proxy_on_tick: sig("i32 ->"),
  proxy_on_queue_ready: sig(`${I(2)} ->`),
  proxy_on_foreign_function: sig(`${I(3)} ->`),
  proxy_on_new_connection: sig("i32 -> i32"),
  proxy_on_downstream_data: sig(`${I(3)} -> i32`),
  proxy_on_upstream_data: sig(`${I(3)} -> i32`),
  proxy_on_downstream_connection_close: sig(`${I(2)} ->`),
  proxy_on_upstream_connection_close: sig(`${I(2)} ->`),
  proxy_on_request_headers: sig(`${I(3)} -> i32`),
  proxy_on_request_body: sig(`${I(3)} -> i32`),
  proxy_on_request_trailers: sig(`${I(2)} -> i32`),
  proxy_on_request_metadata: sig(`${I(2)} -> i32`),
  proxy_on_response_headers: sig(`${I(3)} -> i32`),
  proxy_on_response_body: sig(`${I(3)} -> i32`),
  proxy_on_response_trailers: sig(`${I(2)} -> i32`),
  proxy_on_response_metadata: sig(`${I(2)} -> i32`),
  proxy_on_http_call_response: sig(`${I(5)} ->`),
  proxy_on_grpc_receive_initial_metadata: sig(`${I(3)} ->`),
  proxy_on_grpc_receive: sig(`${I(3)} ->`),
  proxy_on_grpc_receive_trailing_metadata: sig(`${I(3)} ->`),
  proxy_on_grpc_close: sig(`${I(3)} ->`),
  proxy_on_done: sig("i32 -> i32"),
  proxy_on_log: sig("i32 ->"),
  proxy_on_delete: sig("i32 ->"),
  envoy_on_resolve_dns: sig(`${I(3)} ->`),
  envoy_on_stats_update: sig(`${I(2)} ->`),
};

/** Expected export signatures for `version` (0.1.0 differs only in the 2-param header callbacks). */
export function envoyExportsFor(version: AbiVersion): Readonly<Record<string, WasmSignature>> {
  if (version !== "0.1.0") return EXPORTS_02;
  return {
    ...EXPORTS_02,
    proxy_on_request_headers: sig(`${I(2)} -> i32`),
    proxy_on_response_headers: sig(`${I(2)} -> i32`),
  };
}
