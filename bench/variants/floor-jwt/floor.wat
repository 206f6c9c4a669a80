;; The jwt workloads' boundary floor: what any proxy-wasm module pays Envoy for this work's calls across the VM
;; boundary, with no verification at all. Per request Envoy enters the VM twice (to copy the Authorization value
;; in through malloc, and for proxy_on_request_headers) and the module makes the two host calls jwt-auth makes
;; for a valid token: read `authorization` and set the forwarded claim header (a constant here: this module checks
;; nothing, so it must never be used as a filter). jwt-auth reads the clock and adds its allowed requests to its
;; counter on its once-a-second tick, not per request (filters/jwt-auth/clock.as.ts), so this floor makes neither
;; call per request either (and, having no tick, none at all: under 0.1 % of a request's cost at the bench's rates).
;; The rows of the bench show it next to Envoy's native jwt_authn: no Wasm implementation of the work can cost
;; Envoy less than this.
;; Built with wat2wasm from the npm `wabt` package (bench/variants.ts), like the headers floor.
(module
  (import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $replace (param i32 i32 i32 i32 i32) (result i32)))

  ;; Page 0: constants and out-parameters; page 1: what Envoy copies in (a bump allocator reset per request).
  (memory (export "memory") 2)
  (data (i32.const 16) "authorization")          ;; 16, 13
  (data (i32.const 32) "x-user-id")              ;; 32, 9
  (data (i32.const 48) "user-42")                ;; 48, 7
  (global $VALUE_PTR i32 (i32.const 1024))       ;; out: pointer of the header value
  (global $VALUE_SIZE i32 (i32.const 1028))      ;; out: its size
  (global $COPIES i32 (i32.const 65536))         ;; where malloc hands out memory
  (global $HTTP_REQUEST_HEADERS i32 (i32.const 0))
  (global $CONTINUE i32 (i32.const 0))

  (global $next (mut i32) (i32.const 65536))

  ;; ABI marker: Envoy reads its name to pick ABI 0.2.1 and never calls it.
  (func (export "proxy_abi_version_0_2_1"))

  ;; Envoy copies the header value in through this; everything is dropped at the next request.
  (func (export "malloc") (param $size i32) (result i32) (local $block i32)
    (local.set $block (global.get $next))
    (if (i32.gt_u (i32.add (local.get $block) (local.get $size)) (i32.const 131072)) (then (return (i32.const 0))))
    (global.set $next (i32.add (local.get $block) (local.get $size)))
    (local.get $block))

  (func (export "proxy_on_request_headers") (param $context i32) (param $headers i32) (param $end_of_stream i32) (result i32)
    (global.set $next (global.get $COPIES))
    (drop (call $get (global.get $HTTP_REQUEST_HEADERS) (i32.const 16) (i32.const 13) (global.get $VALUE_PTR) (global.get $VALUE_SIZE)))
    (drop (call $replace (global.get $HTTP_REQUEST_HEADERS) (i32.const 32) (i32.const 9) (i32.const 48) (i32.const 7)))
    (global.get $CONTINUE))
)
