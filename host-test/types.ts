// The records tests read and the handlers they install: plain types, no behaviour. A leaf
// module: it imports nothing from host-test, so every other file can use it without a cycle.

/** Headers as tests write them: an object, or pairs (repeated names, exact order). */
export type HeaderInput = Record<string, string> | Array<[string, string]>;

/** A body as tests write it: text (sent as UTF-8) or bytes. */
export type BodyInput = string | Uint8Array;

/** Envoy's log level names, in ABI order (trace = 0 ... critical = 5). */
export type LogLevelName = "trace" | "debug" | "info" | "warn" | "error" | "critical";

/** The ABI versions Envoy knows; this host runs only the 0.2.x ones. */
export type AbiVersion = "0.1.0" | "0.2.0" | "0.2.1";

// ------------------------------------------------------------------ what the host recorded

/** One log line. `source` "wasm" for the filter's own logs, "host" for what Envoy logs itself. */
export interface LogEntry {
  level: LogLevelName;
  message: string;
  vm: string;
  contextId: number;
  /** Envoy's prefix (" <plugin name> <root id> <vm id>" for streams, " <root id> <vm id>" for root contexts). */
  prefix: string;
  source: "wasm" | "host";
}

/** A trap (or other fatal VM error) as Envoy reports it. */
export interface TrapRecord {
  vm: string;
  function: string;
  message: string;
}

/** One host->guest callback, for asserting callback order. */
export interface CallRecord {
  vm: string;
  fn: string;
  args: number[];
  result?: number;
}

// ------------------------------------------------------------------ streams

/** What a driver call led to: the filter's (converted) status, or what the host did instead. */
export type Action =
  /** Header statuses (on_request_headers / on_response_headers). */
  | "Continue"
  | "StopIteration"
  | "ContinueAndEndStream"
  | "StopAllIterationAndBuffer"
  | "StopAllIterationAndWatermark"
  /** Body statuses. */
  | "StopIterationAndBuffer"
  | "StopIterationAndWatermark"
  | "StopIterationNoBuffer"
  /** The filter is paused at headers: the part was queued by the filter manager. */
  | "Buffered"
  /** The stream already ended (local reply, reset, completion): the part was dropped. */
  | "Closed";

/** A request or response as one side received it. */
export interface Message {
  headers: Record<string, string>;
  headerPairs: Array<[string, string]>;
  body: string;
  bodyBytes: Uint8Array;
  /** Body chunks in the order they were forwarded. */
  chunks: Uint8Array[];
  trailers: Record<string, string> | null;
  /** The end of stream was forwarded. */
  ended: boolean;
  /** The stream was reset on this side before it ended. */
  reset: boolean;
}

/** What proxy_send_local_response asked for. */
export interface LocalResponse {
  status: number;
  /** The additional headers the filter passed. */
  headers: Record<string, string>;
  headerPairs: Array<[string, string]>;
  body: string;
  details: string;
  grpcStatus: number | null;
}

/**
 * One HTTP stream through the proxy (`host.newStream()`): verbs send the parts a client and
 * an upstream would, each returning the action Envoy takes; getters say what reached each side.
 */
export interface HttpStream {
  /** The worker whose VM serves the stream. */
  readonly worker: number;
  /** The filter's context id (0 when the filter is not installed). */
  readonly contextId: number;
  /** What reached the upstream after the filter, or null if the request never got there. */
  readonly upstreamRequest: Message | null;
  /** What the client received, or null before response headers were sent. */
  readonly downstreamResponse: (Message & { status: number }) | null;
  /** The filter's proxy_send_local_response (first one), or a host-generated local reply. */
  readonly localResponse: LocalResponse | null;
  /** The request is held (headers stopped, or a body or trailers held). */
  readonly requestPaused: boolean;
  /**
   * The stream's filter state under `key` as the access log's `%FILTER_STATE(key:PLAIN)%`
   * prints it (a filter's proxy_set_property("p", v) is key `wasm.p`), as UTF-8 text;
   * undefined when not set.
   */
  filterState(key: string): string | undefined;
  /** The response is held. */
  readonly responsePaused: boolean;
  /** Either direction is held and the stream is not closed. */
  readonly paused: boolean;
  /** on_log/on_done/on_delete have run. */
  readonly completed: boolean;
  /** The stream was reset (by the test, close_stream, or a late local reply). */
  readonly isReset: boolean;
  /** The stream completed or was reset: no more parts will be processed. */
  readonly closed: boolean;
  /** A local reply was sent: the request no longer goes upstream. */
  readonly answeredLocally: boolean;
  /** The response has been fully sent to the client (or the stream reset). */
  readonly responseComplete: boolean;

  /** Request headers from the client (the connection manager adds x-request-id / x-forwarded-proto first). */
  sendRequestHeaders(headers: HeaderInput, endOfStream?: boolean): Action;
  sendRequestBody(body: BodyInput, endOfStream?: boolean): Action;
  sendRequestTrailers(trailers: HeaderInput): Action;
  /** Response headers from the upstream. */
  sendResponseHeaders(headers: HeaderInput, endOfStream?: boolean): Action;
  sendResponseBody(body: BodyInput, endOfStream?: boolean): Action;
  sendResponseTrailers(trailers: HeaderInput): Action;
  /**
   * Completes the stream when `autoComplete` is off (on_log, on_done, on_delete). The response
   * must have been fully sent. No-op when already complete.
   */
  complete(): void;
  /** A downstream reset mid-stream: the upstream is reset too; on_log, on_done, on_delete follow. */
  reset(): void;
  /**
   * The upstream connection failed or was reset (the router's onUpstreamReset). Before response
   * headers arrived, the router answers 503 "upstream connect error or disconnect/reset before
   * headers" (a local reply, through the filter's response callbacks); after them, the stream is reset.
   */
  resetUpstream(reason?: "connection failure" | "connection termination"): void;
}

/**
 * Receives the parts of a stream as the filter manager forwards them (the `forward` option of
 * `host.newStream`), so that a driver can pass them on as they arrive: to a real upstream,
 * to a real client. Called from inside the host's loop: a sink does I/O, never a stream verb.
 * Header pairs are lower-cased, in order, pseudo-headers included.
 */
export interface StreamSink {
  /** The request leaves the filter chain for the upstream. */
  upstreamHeaders?(headers: Array<[string, string]>, endOfStream: boolean): void;
  upstreamData?(chunk: Uint8Array, endOfStream: boolean): void;
  upstreamTrailers?(trailers: Array<[string, string]>): void;
  /** The upstream request must be reset (a local reply or a reset before it ended). */
  upstreamReset?(): void;
  /** Response headers reach the client (the upstream's, or a local reply). */
  downstreamHeaders?(headers: Array<[string, string]>, endOfStream: boolean): void;
  downstreamData?(chunk: Uint8Array, endOfStream: boolean): void;
  downstreamTrailers?(trailers: Array<[string, string]>): void;
  /** The client's stream must be reset before its response ended. */
  downstreamReset?(): void;
  /** on_log, on_done and on_delete have run. */
  completed?(): void;
}

// ------------------------------------------------------------------ outbound calls

/** What a test handler may answer to an HTTP call. */
export type HttpCallOutcome =
  /** A response; `status` fills `:status` when headers lack it (default 200). */
  | { status?: number; headers?: HeaderInput; body?: BodyInput; trailers?: HeaderInput; delayMs?: number }
  /** The async client reports a reset: on_http_call_response(token, 0, 0, 0), get_status -> BROKEN_CONNECTION "reset". */
  | { reset: true; delayMs?: number }
  /** The upstream cannot be reached: Envoy's router answers 503 "upstream connect error ...". */
  | { connectFailure: true; delayMs?: number }
  /** The call fails inline: proxy_http_call returns INTERNAL_FAILURE and no callback follows. */
  | { sendFailure: true }
  /** No answer (until the call's timeout, or `record.respond`). */
  | { pending: true };

/** An HTTP call the filter made. */
export interface HttpCallRecord {
  state: "pending" | "answered" | "reset" | "timeout" | "cancelled" | "send-failure";
  /** The response delivered to the filter, once delivered. */
  response?: { status: number; headers: Array<[string, string]>; body: string };
  readonly token: number;
  /** The VM that made the call ("worker 0", "canary", ...). */
  readonly vm: string;
  readonly cluster: string;
  readonly headers: Array<[string, string]>;
  readonly body: Uint8Array;
  readonly trailers: Array<[string, string]>;
  readonly timeoutMs: number;
  readonly bodyText: string;
  /** First value of a request header. */
  header(name: string): string | undefined;
  /** Answers the call (scheduled after `delayMs`, default on the next loop turn). */
  respond(outcome: HttpCallOutcome): void;
}

export type HttpCallHandler = (call: HttpCallRecord) => HttpCallOutcome | void;

/** What a test handler may answer to a unary gRPC call. */
export type GrpcCallOutcome =
  /** Success: only on_grpc_receive is called (Envoy's unary handler has no metadata callbacks). */
  | { message: BodyInput; delayMs?: number }
  /** Failure: on_grpc_close(token, status); get_status gives (status, statusMessage). */
  | { status: number; statusMessage?: string; delayMs?: number }
  | { sendFailure: true }
  | { pending: true };

/** A unary gRPC call the filter made. */
export interface GrpcCallRecord {
  state: "pending" | "answered" | "failed" | "timeout" | "cancelled" | "send-failure";
  readonly token: number;
  readonly vm: string;
  readonly cluster: string;
  readonly serviceName: string;
  readonly method: string;
  readonly initialMetadata: Array<[string, string]>;
  readonly message: Uint8Array;
  readonly timeoutMs: number;
  /** Answers the call (scheduled after `delayMs`, default on the next loop turn). */
  respond(outcome: GrpcCallOutcome): void;
}

export type GrpcCallHandler = (call: GrpcCallRecord) => GrpcCallOutcome | void;

/** A gRPC stream the filter opened: what it sent, and verbs to answer. */
export interface GrpcStreamRecord {
  readonly sent: Uint8Array[];
  sentEnd: boolean;
  localClosed: boolean;
  remoteClosed: boolean;
  cancelled: boolean;
  readonly token: number;
  readonly vm: string;
  readonly cluster: string;
  readonly serviceName: string;
  readonly method: string;
  readonly initialMetadata: Array<[string, string]>;
  /** Delivers initial metadata (on_grpc_receive_initial_metadata). */
  sendInitialMetadata(md: HeaderInput, delayMs?: number): void;
  /** Delivers a message (on_grpc_receive). */
  sendMessage(message: BodyInput, delayMs?: number): void;
  /** Delivers trailing metadata (on_grpc_receive_trailing_metadata). */
  sendTrailingMetadata(md: HeaderInput, delayMs?: number): void;
  /** Closes from the server side (on_grpc_close with `status`). */
  close(status: number, message?: string, delayMs?: number): void;
}

export type GrpcStreamHandler = (stream: GrpcStreamRecord) => void;

// ------------------------------------------------------------------ probes

/** What a probe handler can do inside the callback. */
export interface GuestProbe {
  /** The callback's name and arguments. */
  fn: string;
  args: number[];
  /** The VM's name ("worker 0", "canary", ...). */
  vm: string;
  /** Calls a module export now; i32 results come back unsigned. A trap ends the callback. */
  call(exportName: string, ...args: Array<number | bigint>): number;
  /** Copies text (UTF-8) or bytes into scratch memory; returns [pointer, length]. */
  put(data: string | Uint8Array): [number, number];
  /** A zeroed scratch slot of `n` bytes (8-byte aligned). */
  slot(n?: number): number;
  u32(ptr: number): number;
  u64(ptr: number): bigint;
  /** Writes a u32 into guest memory (e.g. a test module's settings). */
  setU32(ptr: number, value: number): void;
  bytes(ptr: number, len: number): Uint8Array;
  /** The buffer a hostcall returned through a (pointer slot, size slot) pair. */
  result(ptrSlot: number, sizeSlot: number): Uint8Array;
  /** Same as `result`, decoded as UTF-8. */
  resultText(ptrSlot: number, sizeSlot: number): string;
}

export type ProbeHandler = (g: GuestProbe) => void;
