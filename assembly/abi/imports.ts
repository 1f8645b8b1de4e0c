// The Proxy-Wasm ABI 0.2.1 hostcalls, declared exactly as Envoy (proxy-wasm-cpp-host)
// exports them: every parameter is i32 except metric values (i64), every result an i32
// status. This is the only file in the filter that declares host imports; the SDK's own
// declarations are not used because several of them have the wrong name or arity.
// Pointers are guest addresses; `*_ptr_ptr` parameters receive an address the host
// allocated through our exported `malloc`.

// @ts-ignore: decorator
@external("env", "proxy_log")
export declare function proxy_log(level: i32, message_ptr: usize, message_size: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_log_level")
export declare function proxy_get_log_level(level_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_status")
export declare function proxy_get_status(code_ptr: usize, message_ptr_ptr: usize, message_size_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_set_tick_period_milliseconds")
export declare function proxy_set_tick_period_milliseconds(period: u32): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_current_time_nanoseconds")
export declare function proxy_get_current_time_nanoseconds(time_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_property")
export declare function proxy_get_property(path_ptr: usize, path_size: usize, value_ptr_ptr: usize, value_size_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_set_property")
export declare function proxy_set_property(path_ptr: usize, path_size: usize, value_ptr: usize, value_size: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_continue_stream")
export declare function proxy_continue_stream(stream_type: i32): i32;

// @ts-ignore: decorator
@external("env", "proxy_close_stream")
export declare function proxy_close_stream(stream_type: i32): i32;

// @ts-ignore: decorator
@external("env", "proxy_send_local_response")
export declare function proxy_send_local_response(
  status_code: u32,
  details_ptr: usize, details_size: usize,
  body_ptr: usize, body_size: usize,
  headers_ptr: usize, headers_size: usize,
  grpc_status: i32,
): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_shared_data")
export declare function proxy_get_shared_data(key_ptr: usize, key_size: usize, value_ptr_ptr: usize, value_size_ptr: usize, cas_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_set_shared_data")
export declare function proxy_set_shared_data(key_ptr: usize, key_size: usize, value_ptr: usize, value_size: usize, cas: u32): i32;

// @ts-ignore: decorator
@external("env", "proxy_register_shared_queue")
export declare function proxy_register_shared_queue(name_ptr: usize, name_size: usize, token_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_resolve_shared_queue")
export declare function proxy_resolve_shared_queue(vm_id_ptr: usize, vm_id_size: usize, name_ptr: usize, name_size: usize, token_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_dequeue_shared_queue")
export declare function proxy_dequeue_shared_queue(token: u32, data_ptr_ptr: usize, data_size_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_enqueue_shared_queue")
export declare function proxy_enqueue_shared_queue(token: u32, data_ptr: usize, data_size: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_header_map_value")
export declare function proxy_get_header_map_value(map: i32, key_ptr: usize, key_size: usize, value_ptr_ptr: usize, value_size_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_add_header_map_value")
export declare function proxy_add_header_map_value(map: i32, key_ptr: usize, key_size: usize, value_ptr: usize, value_size: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_replace_header_map_value")
export declare function proxy_replace_header_map_value(map: i32, key_ptr: usize, key_size: usize, value_ptr: usize, value_size: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_remove_header_map_value")
export declare function proxy_remove_header_map_value(map: i32, key_ptr: usize, key_size: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_header_map_pairs")
export declare function proxy_get_header_map_pairs(map: i32, pairs_ptr_ptr: usize, pairs_size_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_set_header_map_pairs")
export declare function proxy_set_header_map_pairs(map: i32, pairs_ptr: usize, pairs_size: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_header_map_size")
export declare function proxy_get_header_map_size(map: i32, size_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_buffer_status")
export declare function proxy_get_buffer_status(buffer: i32, length_ptr: usize, flags_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(buffer: i32, start: u32, length: u32, data_ptr_ptr: usize, data_size_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(buffer: i32, start: u32, length: u32, data_ptr: usize, data_size: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_http_call")
export declare function proxy_http_call(
  upstream_ptr: usize, upstream_size: usize,
  headers_ptr: usize, headers_size: usize,
  body_ptr: usize, body_size: usize,
  trailers_ptr: usize, trailers_size: usize,
  timeout_ms: u32, token_ptr: usize,
): i32;

// @ts-ignore: decorator
@external("env", "proxy_grpc_call")
export declare function proxy_grpc_call(
  service_ptr: usize, service_size: usize,
  service_name_ptr: usize, service_name_size: usize,
  method_ptr: usize, method_size: usize,
  initial_metadata_ptr: usize, initial_metadata_size: usize,
  request_ptr: usize, request_size: usize,
  timeout_ms: u32, token_ptr: usize,
): i32;

// @ts-ignore: decorator
@external("env", "proxy_grpc_stream")
export declare function proxy_grpc_stream(
  service_ptr: usize, service_size: usize,
  service_name_ptr: usize, service_name_size: usize,
  method_ptr: usize, method_size: usize,
  initial_metadata_ptr: usize, initial_metadata_size: usize,
  token_ptr: usize,
): i32;

// @ts-ignore: decorator
@external("env", "proxy_grpc_send")
export declare function proxy_grpc_send(token: u32, message_ptr: usize, message_size: usize, end_stream: u32): i32;

// @ts-ignore: decorator
@external("env", "proxy_grpc_cancel")
export declare function proxy_grpc_cancel(token: u32): i32;

// @ts-ignore: decorator
@external("env", "proxy_grpc_close")
export declare function proxy_grpc_close(token: u32): i32;

// @ts-ignore: decorator
@external("env", "proxy_define_metric")
export declare function proxy_define_metric(metric_type: i32, name_ptr: usize, name_size: usize, id_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_increment_metric")
export declare function proxy_increment_metric(metric_id: u32, offset: i64): i32;

// @ts-ignore: decorator
@external("env", "proxy_record_metric")
export declare function proxy_record_metric(metric_id: u32, value: u64): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_metric")
export declare function proxy_get_metric(metric_id: u32, value_ptr: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_set_effective_context")
export declare function proxy_set_effective_context(context_id: u32): i32;

// @ts-ignore: decorator
@external("env", "proxy_done")
export declare function proxy_done(): i32;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "proc_exit")
export declare function proc_exit(code: u32): void;
