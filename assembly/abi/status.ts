// Enumerations of the Proxy-Wasm ABI, named as in the spec (proxy-wasm-spec, abi 0.2.1).

/** Result of every hostcall. */
export namespace WasmResult {
  export const Ok: i32 = 0;
  export const NotFound: i32 = 1;
  export const BadArgument: i32 = 2;
  export const SerializationFailure: i32 = 3;
  export const ParseFailure: i32 = 4;
  export const BadExpression: i32 = 5;
  export const InvalidMemoryAccess: i32 = 6;
  export const Empty: i32 = 7;
  export const CasMismatch: i32 = 8;
  export const ResultMismatch: i32 = 9;
  export const InternalFailure: i32 = 10;
  export const BrokenConnection: i32 = 11;
  export const Unimplemented: i32 = 12;
}

export namespace LogLevel {
  export const Trace: i32 = 0;
  export const Debug: i32 = 1;
  export const Info: i32 = 2;
  export const Warn: i32 = 3;
  export const Error: i32 = 4;
  export const Critical: i32 = 5;
}

/** Return of `proxy_on_request_headers` / `proxy_on_response_headers`. */
export namespace FilterHeadersStatus {
  export const Continue: i32 = 0;
  export const StopIteration: i32 = 1;
  export const ContinueAndEndStream: i32 = 2;
  export const StopAllIterationAndBuffer: i32 = 3;
  export const StopAllIterationAndWatermark: i32 = 4;
}

/** Return of the body callbacks. */
export namespace FilterDataStatus {
  export const Continue: i32 = 0;
  export const StopIterationAndBuffer: i32 = 1;
  export const StopIterationAndWatermark: i32 = 2;
  export const StopIterationNoBuffer: i32 = 3;
}

export namespace FilterTrailersStatus {
  export const Continue: i32 = 0;
  export const StopIteration: i32 = 1;
}

export namespace HeaderMapType {
  export const RequestHeaders: i32 = 0;
  export const RequestTrailers: i32 = 1;
  export const ResponseHeaders: i32 = 2;
  export const ResponseTrailers: i32 = 3;
  export const GrpcReceiveInitialMetadata: i32 = 4;
  export const GrpcReceiveTrailingMetadata: i32 = 5;
  export const HttpCallResponseHeaders: i32 = 6;
  export const HttpCallResponseTrailers: i32 = 7;
}

export namespace BufferType {
  export const HttpRequestBody: i32 = 0;
  export const HttpResponseBody: i32 = 1;
  export const DownstreamData: i32 = 2;
  export const UpstreamData: i32 = 3;
  export const HttpCallResponseBody: i32 = 4;
  export const GrpcReceiveBuffer: i32 = 5;
  export const VmConfiguration: i32 = 6;
  export const PluginConfiguration: i32 = 7;
  export const CallData: i32 = 8;
}

export namespace StreamType {
  export const Request: i32 = 0;
  export const Response: i32 = 1;
  export const Downstream: i32 = 2;
  export const Upstream: i32 = 3;
}

export namespace MetricType {
  export const Counter: i32 = 0;
  export const Gauge: i32 = 1;
  export const Histogram: i32 = 2;
}

export namespace GrpcStatus {
  export const Ok: i32 = 0;
  export const Unavailable: i32 = 14;
  /** "No gRPC status": what `proxy_send_local_response` takes for a plain HTTP reply. */
  export const None: i32 = -1;
}
