// Raw layer: every `env` host function Envoy registers for proxy-wasm ABI 0.2.1, with names verbatim and
// exact Wasm signatures (usize/u32/i32 are i32 on wasm32; i64 only where the host declares a 64-bit value).
// Nothing else is imported: no env.abort/trace/seed, no 0.1.0-only calls. Only the layer above
// (sdk/assembly/host) may call these; every call returns a status code (see Status in ./types).
// Out-parameters (`*_ptr`) point at static 4- or 8-byte slots; the host writes data it allocates with our
// exported `malloc` and the caller frees it. See /docs or the ABI reference §2 for each call's semantics.

/** Logs `size` UTF-8 bytes at `level` (0 trace … 5 critical). */
@external("env", "proxy_log")
export declare function proxy_log(level: i32, message_ptr: usize, message_size: usize): u32;
/** Writes Envoy's current `wasm` log level (u32) to `return_level_ptr`. */
@external("env", "proxy_get_log_level")
export declare function proxy_get_log_level(return_level_ptr: usize): u32;
/** Writes wall-clock nanoseconds since the epoch (u64) to `return_time_ptr`. */
@external("env", "proxy_get_current_time_nanoseconds")
export declare function proxy_get_current_time_nanoseconds(return_time_ptr: usize): u32;
/** Sets the tick period of the current root context (0 disables ticks). */
@external("env", "proxy_set_tick_period_milliseconds")
export declare function proxy_set_tick_period_milliseconds(period_ms: u32): u32;
/** Makes later host calls in this callback act on `context_id`. */
@external("env", "proxy_set_effective_context")
export declare function proxy_set_effective_context(context_id: u32): u32;
/** Tells the host that a root context that returned false from proxy_on_done is finished. */
@external("env", "proxy_done")
export declare function proxy_done(): u32;
/** Reads the status code and message of the last gRPC close / failed HTTP call. */
@external("env", "proxy_get_status")
export declare function proxy_get_status(return_code_ptr: usize, return_message_ptr: usize, return_message_size: usize): u32;
/** Calls a host-registered foreign function by name. */
@external("env", "proxy_call_foreign_function")
export declare function proxy_call_foreign_function(name_ptr: usize, name_size: usize, args_ptr: usize, args_size: usize, return_results_ptr: usize, return_results_size: usize): u32;

@external("env", "proxy_get_property")
export declare function proxy_get_property(path_ptr: usize, path_size: usize, return_value_ptr: usize, return_value_size: usize): u32;
@external("env", "proxy_set_property")
export declare function proxy_set_property(path_ptr: usize, path_size: usize, value_ptr: usize, value_size: usize): u32;

@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(buffer_type: u32, start: u32, max_size: u32, return_buffer_data: usize, return_buffer_size: usize): u32;
@external("env", "proxy_get_buffer_status")
export declare function proxy_get_buffer_status(buffer_type: u32, return_buffer_size: usize, return_flags: usize): u32;
@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(buffer_type: u32, start: u32, size: u32, buffer_data: usize, buffer_size: usize): u32;

@external("env", "proxy_get_header_map_pairs")
export declare function proxy_get_header_map_pairs(map_type: u32, return_map_data: usize, return_map_size: usize): u32;
@external("env", "proxy_set_header_map_pairs")
export declare function proxy_set_header_map_pairs(map_type: u32, map_data: usize, map_size: usize): u32;
@external("env", "proxy_get_header_map_value")
export declare function proxy_get_header_map_value(map_type: u32, key_data: usize, key_size: usize, return_value_data: usize, return_value_size: usize): u32;
@external("env", "proxy_add_header_map_value")
export declare function proxy_add_header_map_value(map_type: u32, key_data: usize, key_size: usize, value_data: usize, value_size: usize): u32;
@external("env", "proxy_replace_header_map_value")
export declare function proxy_replace_header_map_value(map_type: u32, key_data: usize, key_size: usize, value_data: usize, value_size: usize): u32;
@external("env", "proxy_remove_header_map_value")
export declare function proxy_remove_header_map_value(map_type: u32, key_data: usize, key_size: usize): u32;
/** Envoy writes HeaderMap::byteSize() (sum of key and value lengths), not a count. */
@external("env", "proxy_get_header_map_size")
export declare function proxy_get_header_map_size(map_type: u32, return_size: usize): u32;

@external("env", "proxy_continue_stream")
export declare function proxy_continue_stream(stream_type: u32): u32;
@external("env", "proxy_close_stream")
export declare function proxy_close_stream(stream_type: u32): u32;
@external("env", "proxy_send_local_response")
export declare function proxy_send_local_response(status_code: u32, status_code_details_ptr: usize, status_code_details_size: usize, body_ptr: usize, body_size: usize, headers_ptr: usize, headers_size: usize, grpc_status: i32): u32;

@external("env", "proxy_http_call")
export declare function proxy_http_call(upstream_ptr: usize, upstream_size: usize, headers_ptr: usize, headers_size: usize, body_ptr: usize, body_size: usize, trailers_ptr: usize, trailers_size: usize, timeout_ms: u32, return_token_ptr: usize): u32;
@external("env", "proxy_grpc_call")
export declare function proxy_grpc_call(service_ptr: usize, service_size: usize, service_name_ptr: usize, service_name_size: usize, method_name_ptr: usize, method_name_size: usize, initial_metadata_ptr: usize, initial_metadata_size: usize, message_ptr: usize, message_size: usize, timeout_ms: u32, return_token_ptr: usize): u32;
@external("env", "proxy_grpc_stream")
export declare function proxy_grpc_stream(service_ptr: usize, service_size: usize, service_name_ptr: usize, service_name_size: usize, method_name_ptr: usize, method_name_size: usize, initial_metadata_ptr: usize, initial_metadata_size: usize, return_token_ptr: usize): u32;
@external("env", "proxy_grpc_send")
export declare function proxy_grpc_send(token: u32, message_ptr: usize, message_size: usize, end_stream: u32): u32;
@external("env", "proxy_grpc_cancel")
export declare function proxy_grpc_cancel(token: u32): u32;
@external("env", "proxy_grpc_close")
export declare function proxy_grpc_close(token: u32): u32;

@external("env", "proxy_get_shared_data")
export declare function proxy_get_shared_data(key_ptr: usize, key_size: usize, return_value_ptr: usize, return_value_size: usize, return_cas: usize): u32;
@external("env", "proxy_set_shared_data")
export declare function proxy_set_shared_data(key_ptr: usize, key_size: usize, value_ptr: usize, value_size: usize, cas: u32): u32;
@external("env", "proxy_register_shared_queue")
export declare function proxy_register_shared_queue(name_ptr: usize, name_size: usize, return_token: usize): u32;
@external("env", "proxy_resolve_shared_queue")
export declare function proxy_resolve_shared_queue(vm_id_ptr: usize, vm_id_size: usize, name_ptr: usize, name_size: usize, return_token: usize): u32;
@external("env", "proxy_enqueue_shared_queue")
export declare function proxy_enqueue_shared_queue(token: u32, value_ptr: usize, value_size: usize): u32;
@external("env", "proxy_dequeue_shared_queue")
export declare function proxy_dequeue_shared_queue(token: u32, return_value_ptr: usize, return_value_size: usize): u32;

@external("env", "proxy_define_metric")
export declare function proxy_define_metric(metric_type: u32, name_ptr: usize, name_size: usize, return_metric_id: usize): u32;
@external("env", "proxy_increment_metric")
export declare function proxy_increment_metric(metric_id: u32, offset: i64): u32;
@external("env", "proxy_record_metric")
export declare function proxy_record_metric(metric_id: u32, value: i64): u32;
@external("env", "proxy_get_metric")
export declare function proxy_get_metric(metric_id: u32, return_value: usize): u32;
