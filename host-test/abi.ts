// The Proxy-Wasm ABI as Envoy implements it: status codes, enumerations, and the exact
// import and export signatures proxy-wasm-cpp-host registers (src/wasm.cc
// registerCallbacks/getFunctions, include/proxy-wasm/exports.h, src/exports.cc).
// A `Word` parameter is i32 in a wasm32 module, `int64_t`/`uint64_t` are i64, every
// hostcall result is an i32 `Word` except the void ones.
import type { FuncType } from "./binary.ts";
import type { Action, AbiVersion, LogLevelName } from "./types.ts";

/** Hostcall results (proxy_wasm::WasmResult). */
export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  BadExpression: 5,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  ResultMismatch: 9,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;

/** The log level names; the index of a name is its ABI value (trace 0 ... critical 5). */
export const LogLevels: readonly LogLevelName[] = ["trace", "debug", "info", "warn", "error", "critical"];

export const HeaderMapType = {
  RequestHeaders: 0,
  RequestTrailers: 1,
  ResponseHeaders: 2,
  ResponseTrailers: 3,
  GrpcReceiveInitialMetadata: 4,
  GrpcReceiveTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;
export const HEADER_MAP_TYPE_MAX = 7;

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  NetworkDownstreamData: 2,
  NetworkUpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
} as const;
export const BUFFER_TYPE_MAX = 8;

export const StreamType = { Request: 0, Response: 1, Downstream: 2, Upstream: 3 } as const;
export const STREAM_TYPE_MAX = 3;

export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2 } as const;

/** Envoy's Http::FilterHeadersStatus values a Wasm callback can lead to, by name. */
export const HEADERS_STATUS: readonly Action[] = ["Continue", "StopIteration", "ContinueAndEndStream", "StopAllIterationAndBuffer", "StopAllIterationAndWatermark"];
export const DATA_STATUS: readonly Action[] = ["Continue", "StopIterationAndBuffer", "StopIterationAndWatermark", "StopIterationNoBuffer"];
export const TRAILERS_STATUS: readonly Action[] = ["Continue", "StopIteration"];


const I32 = "i32";
const I64 = "i64";
function sig(params: string, results = "i32"): FuncType {
  const p = params.split("").map((c) => (c === "L" ? I64 : I32));
  return { params: p, results: results === "" ? [] : [results] };
}
const w = (n: number) => "w".repeat(n);

/** `env.proxy_*` hostcalls every ABI version gets (FOR_ALL_HOST_FUNCTIONS). */
const COMMON_HOSTCALLS: Record<string, FuncType> = {
  proxy_log: sig(w(3)),
  proxy_get_status: sig(w(3)),
  proxy_set_property: sig(w(4)),
  proxy_get_property: sig(w(4)),
  proxy_send_local_response: sig(w(8)),
  proxy_get_shared_data: sig(w(5)),
  proxy_set_shared_data: sig(w(5)),
  proxy_register_shared_queue: sig(w(3)),
  proxy_resolve_shared_queue: sig(w(5)),
  proxy_dequeue_shared_queue: sig(w(3)),
  proxy_enqueue_shared_queue: sig(w(3)),
  proxy_get_header_map_value: sig(w(5)),
  proxy_add_header_map_value: sig(w(5)),
  proxy_replace_header_map_value: sig(w(5)),
  proxy_remove_header_map_value: sig(w(3)),
  proxy_get_header_map_pairs: sig(w(3)),
  proxy_set_header_map_pairs: sig(w(3)),
  proxy_get_header_map_size: sig(w(2)),
  proxy_get_buffer_status: sig(w(3)),
  proxy_get_buffer_bytes: sig(w(5)),
  proxy_set_buffer_bytes: sig(w(5)),
  proxy_http_call: sig(w(10)),
  proxy_grpc_call: sig(w(12)),
  proxy_grpc_stream: sig(w(9)),
  proxy_grpc_close: sig(w(1)),
  proxy_grpc_cancel: sig(w(1)),
  proxy_grpc_send: sig(w(4)),
  proxy_set_tick_period_milliseconds: sig(w(1)),
  proxy_get_current_time_nanoseconds: sig(w(1)),
  proxy_define_metric: sig(w(4)),
  proxy_increment_metric: sig("wL"),
  proxy_record_metric: sig("wL"),
  proxy_get_metric: sig(w(2)),
  proxy_set_effective_context: sig(w(1)),
  proxy_done: sig(""),
  proxy_call_foreign_function: sig(w(6)),
};

/** Hostcalls registered only for ABI 0.1.0; a 0.2.x module that imports one is refused. */
export const ABI_0_1_0_ONLY = ["proxy_get_configuration", "proxy_continue_request", "proxy_continue_response", "proxy_clear_route_cache"];

/** Other `env` functions cpp-host and Envoy register for every module. */
const ENV_EXTRAS: Record<string, FuncType> = {
  pthread_equal: sig(w(2)),
  emscripten_notify_memory_growth: sig(w(1), ""),
  // Envoy's own extension (source/extensions/common/wasm/wasm.cc registerCallbacks).
  envoy_resolve_dns: sig(w(3)),
};

/**
 * WASI functions provided under both `wasi_snapshot_preview1` and `wasi_unstable`. This is
 * the set every Envoy release of 2026 provides (cpp-host beb8a4e and f2db56a): the later
 * pin adds two dozen more (fd_advise, path_link, ...), which a module must not rely on.
 */
export const WASI_FUNCTIONS: Record<string, FuncType> = {
  fd_write: sig(w(4)),
  fd_read: sig(w(4)),
  fd_seek: sig("wLww"),
  fd_close: sig(w(1)),
  fd_fdstat_get: sig(w(2)),
  fd_fdstat_set_flags: sig(w(2)),
  environ_get: sig(w(2)),
  environ_sizes_get: sig(w(2)),
  args_get: sig(w(2)),
  args_sizes_get: sig(w(2)),
  clock_time_get: sig("wLw"),
  random_get: sig(w(2)),
  sched_yield: sig(""),
  poll_oneoff: sig(w(4)),
  proc_exit: sig(w(1), ""),
  path_open: sig("wwwwwLLww"),
  fd_prestat_get: sig(w(2)),
  fd_prestat_dir_name: sig(w(3)),
};
export const WASI_MODULES = ["wasi_snapshot_preview1", "wasi_unstable"];

/** Every import a module of `abi` may have, keyed "module.name", with its exact signature. */
export function providedImports(abi: AbiVersion): Map<string, FuncType> {
  const out = new Map<string, FuncType>();
  for (const [k, v] of Object.entries(COMMON_HOSTCALLS)) out.set(`env.${k}`, v);
  for (const [k, v] of Object.entries(ENV_EXTRAS)) out.set(`env.${k}`, v);
  if (abi === "0.1.0") {
    out.set("env.proxy_get_configuration", sig(w(2)));
    out.set("env.proxy_continue_request", sig(""));
    out.set("env.proxy_continue_response", sig(""));
    out.set("env.proxy_clear_route_cache", sig(""));
  } else {
    out.set("env.proxy_continue_stream", sig(w(1)));
    out.set("env.proxy_close_stream", sig(w(1)));
    if (abi === "0.2.1") out.set("env.proxy_get_log_level", sig(w(1)));
  }
  for (const m of WASI_MODULES) for (const [k, v] of Object.entries(WASI_FUNCTIONS)) out.set(`${m}.${k}`, v);
  return out;
}

/** Exports the host looks up, with the signature it requires (cpp-host getFunctions). */
export const MODULE_FUNCTIONS: Record<string, FuncType> = {
  _initialize: sig("", ""),
  _start: sig("", ""),
  main: sig(w(2)),
  __main_void: sig(""),
  malloc: sig(w(1)),
  proxy_on_memory_allocate: sig(w(1)),
  proxy_validate_configuration: sig(w(2)),
  proxy_on_vm_start: sig(w(2)),
  proxy_on_configure: sig(w(2)),
  proxy_on_tick: sig(w(1), ""),
  proxy_on_context_create: sig(w(2), ""),
  proxy_on_new_connection: sig(w(1)),
  proxy_on_downstream_data: sig(w(3)),
  proxy_on_upstream_data: sig(w(3)),
  proxy_on_downstream_connection_close: sig(w(2), ""),
  proxy_on_upstream_connection_close: sig(w(2), ""),
  proxy_on_request_headers: sig(w(3)),
  proxy_on_request_body: sig(w(3)),
  proxy_on_request_trailers: sig(w(2)),
  proxy_on_request_metadata: sig(w(2)),
  proxy_on_response_headers: sig(w(3)),
  proxy_on_response_body: sig(w(3)),
  proxy_on_response_trailers: sig(w(2)),
  proxy_on_response_metadata: sig(w(2)),
  proxy_on_http_call_response: sig(w(5), ""),
  proxy_on_grpc_receive: sig(w(3), ""),
  proxy_on_grpc_close: sig(w(3), ""),
  proxy_on_grpc_receive_initial_metadata: sig(w(3), ""),
  proxy_on_grpc_receive_trailing_metadata: sig(w(3), ""),
  proxy_on_queue_ready: sig(w(2), ""),
  proxy_on_foreign_function: sig(w(3), ""),
  proxy_on_done: sig(w(1)),
  proxy_on_log: sig(w(1), ""),
  proxy_on_delete: sig(w(1), ""),
  envoy_on_resolve_dns: sig(w(3), ""),
  envoy_on_stats_update: sig(w(2), ""),
};

/**
 * Hostcalls allowed while `_initialize`/`_start`/`main` run (WasmBase::startVm). Any other
 * hostcall traps with "restricted_callback". The intersection of the 2026 Envoy pins.
 */
export const START_ALLOWED = new Set<string>([
  "env.emscripten_notify_memory_growth",
  "env.proxy_log",
  ...["fd_write", "args_sizes_get", "args_get", "environ_sizes_get", "environ_get", "fd_prestat_get",
    "fd_prestat_dir_name", "clock_time_get", "random_get", "fd_fdstat_get", "fd_fdstat_set_flags"]
    .flatMap((f) => WASI_MODULES.map((m) => `${m}.${f}`)),
]);

/** Hostcalls allowed while the guest's `malloc` runs for the host (WasmBase::allocMemory). */
export const MALLOC_ALLOWED = new Set<string>([
  "env.proxy_log",
  ...["fd_write", "clock_time_get"].flatMap((f) => WASI_MODULES.map((m) => `${m}.${f}`)),
]);

/** The ABI marker exports, in the order BytecodeUtil::getAbiVersion recognises them. */
export const ABI_MARKERS: Record<string, AbiVersion> = {
  proxy_abi_version_0_1_0: "0.1.0",
  proxy_abi_version_0_2_0: "0.2.0",
  proxy_abi_version_0_2_1: "0.2.1",
};
