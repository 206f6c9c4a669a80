;; The floor: the bench's header edits done by hand in WebAssembly text, the least any proxy-wasm module can do
;; for them in Envoy. Per request Envoy enters the VM twice (request headers, response headers) and the module
;; makes one host call per edit (6), with constant strings from its data segment: nothing is read back from
;; Envoy, so Envoy never calls malloc, and there is no allocator, runtime or per-stream state.
;; Envoy treats every callback export it does not find as "nothing to do" (proxy-wasm-cpp-host context.cc), so
;; this module exports only the two callbacks it needs, plus what Envoy requires of every module: the ABI
;; marker, memory and malloc. Built with wat2wasm from the npm `wabt` package (bench/variants.ts).
;;
;; Edits (the same as bench/workloads.ts HEADER_EDITS): request: remove x-internal, set x-bench-env: prod,
;; add x-bench-tag: filter; response: remove x-upstream-secret, set cache-control: no-store, add x-bench-filter: 1.
(module
  ;; proxy_*_header_map_value(map_type, key_ptr, key_size[, value_ptr, value_size]) -> status
  (import "env" "proxy_remove_header_map_value" (func $remove (param i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $replace (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; Constant strings (offset: text). Lengths are the literal sizes below.
  (data (i32.const 16) "x-internal")          ;; 16, 10
  (data (i32.const 32) "x-bench-env")         ;; 32, 11
  (data (i32.const 48) "prod")                ;; 48, 4
  (data (i32.const 64) "x-bench-tag")         ;; 64, 11
  (data (i32.const 80) "filter")              ;; 80, 6
  (data (i32.const 96) "x-upstream-secret")   ;; 96, 17
  (data (i32.const 128) "cache-control")      ;; 128, 13
  (data (i32.const 144) "no-store")           ;; 144, 8
  (data (i32.const 160) "x-bench-filter")     ;; 160, 14
  (data (i32.const 176) "1")                  ;; 176, 1

  ;; Map types (proxy-wasm ABI 0.2.1).
  (global $HTTP_REQUEST_HEADERS i32 (i32.const 0))
  (global $HTTP_RESPONSE_HEADERS i32 (i32.const 2))
  ;; Filter header status.
  (global $CONTINUE i32 (i32.const 0))

  ;; ABI marker: Envoy reads its name to pick ABI 0.2.1 and never calls it.
  (func (export "proxy_abi_version_0_2_1"))

  ;; Envoy refuses a module without malloc. This one never receives data, so Envoy never calls it; if it did,
  ;; 0 makes that host call fail cleanly (InvalidMemoryAccess) instead of handing out memory never freed.
  (func (export "malloc") (param $size i32) (result i32) (i32.const 0))

  (func (export "proxy_on_request_headers") (param $context i32) (param $headers i32) (param $end_of_stream i32) (result i32)
    (drop (call $remove (global.get $HTTP_REQUEST_HEADERS) (i32.const 16) (i32.const 10)))
    (drop (call $replace (global.get $HTTP_REQUEST_HEADERS) (i32.const 32) (i32.const 11) (i32.const 48) (i32.const 4)))
    (drop (call $add (global.get $HTTP_REQUEST_HEADERS) (i32.const 64) (i32.const 11) (i32.const 80) (i32.const 6)))
    (global.get $CONTINUE))

  (func (export "proxy_on_response_headers") (param $context i32) (param $headers i32) (param $end_of_stream i32) (result i32)
    (drop (call $remove (global.get $HTTP_RESPONSE_HEADERS) (i32.const 96) (i32.const 17)))
    (drop (call $replace (global.get $HTTP_RESPONSE_HEADERS) (i32.const 128) (i32.const 13) (i32.const 144) (i32.const 8)))
    (drop (call $add (global.get $HTTP_RESPONSE_HEADERS) (i32.const 160) (i32.const 14) (i32.const 176) (i32.const 1)))
    (global.get $CONTINUE))
)
