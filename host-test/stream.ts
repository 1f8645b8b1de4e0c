// One HTTP stream through the proxy: the connection manager and filter manager around the
// Wasm filter (Envoy source/common/http/filter_manager.cc, conn_manager_impl.cc), with the
// router as the only other filter. Tests drive it with verbs (send request/response parts,
// reset) and read what reached the upstream and the client.
//
// Flow-control rules implemented (single filter + router):
// - headers: Continue forwards; any stop is StopAll (body/trailers then queue in the filter
//   manager, not the filter) until proxy_continue_stream; after continuing, the queued body
//   goes through the filter (on_*_body once, with everything buffered).
// - body: Continue forwards the chunk (plus anything held); StopIterationAndBuffer and
//   ...Watermark hold it (Buffer: the next callback sees the accumulated body; over the buffer
//   limit -> 413 / 500); StopIterationNoBuffer drops the chunk.
// - trailers reach the filter even while the body is held; Stop holds them.
// - a local reply before the response started goes through the filter's response callbacks;
//   after response headers arrived (not yet sent) it goes straight to the client; after they
//   were sent the stream is reset.
// - when the response ends (or the stream resets) the stream completes: on_log, on_done, on_delete.
import { HEADERS_STATUS, DATA_STATUS, TRAILERS_STATUS } from "./abi.ts";
import { HeaderMap } from "./headers.ts";
import { BodyBuffer } from "./buffers.ts";
import { bodyBytes, fromByteString, type Pair } from "./pairs.ts";
import type { AttributeTable } from "./properties.ts";
import { prepareLocalReply } from "./local_reply.ts";
import { StreamContext, CONTINUE, type FilterCallbacks, type StreamInfo } from "./stream_context.ts";
import type { WasmVm, RootContext } from "./vm.ts";
import type { Action, BodyInput, HeaderInput, HttpStream, LocalResponse, Message, StreamSink } from "./types.ts";

/** Headers a request must still carry when it leaves the filter chain. */
const REQUIRED_REQUEST_HEADERS = [":method", ":path", ":authority"];

/** Stream settings from the host. */
export interface StreamSettings {
  bufferLimitBytes: number;
  autoComplete: boolean;
  requestIdHeader: boolean;
  forwardedProto: string | null;
  protocol: string;
  connectionId: number;
  nextRequestId: () => string;
  driving: { depth: number };
  flush: () => void;
  nowMs: () => number;
  /** Receives forwarded parts as they pass (serve). */
  sink?: StreamSink;
  /** Keep forwarded bodies for the Message getters (false: they stay empty, memory stays flat). */
  keepBodies: boolean;
}

class Direction {
  headers: HeaderMap | null = null;
  stoppedAll = false;
  stoppedSingle = false;
  streaming = false;
  buffered: BodyBuffer | null = null;
  ended = false;
  trailers: HeaderMap | null = null;
  trailersAdded = false;
  inCallback = false;
}

class Sink {
  headers: HeaderMap | null = null;
  body = new BodyBuffer();
  chunks: Uint8Array[] = [];
  trailers: HeaderMap | null = null;
  ended = false;
  reset = false;
  constructor(private readonly keep: boolean) {}
  /** Records a forwarded chunk (unless bodies are not kept). */
  append(bytes: Uint8Array): void {
    if (!this.keep) return;
    this.body.append(bytes);
    this.chunks.push(bytes);
  }
}

function view(s: Sink): Message {
  return {
    headers: s.headers ? s.headers.toObject() : {},
    headerPairs: s.headers ? s.headers.toPairs() : [],
    body: new TextDecoder().decode(s.body.bytes()),
    bodyBytes: s.body.bytes().slice(),
    chunks: s.chunks.map((c) => c.slice()),
    trailers: s.trailers ? s.trailers.toObject() : null,
    ended: s.ended,
    reset: s.reset,
  };
}

/** Envoy's ConnectionManagerImpl::ActiveStream with its filter manager: one stream, driven by tests. */
export class ActiveStream implements HttpStream, FilterCallbacks {
  readonly req = new Direction();
  readonly resp = new Direction();
  readonly info: StreamInfo;

  filterState(key: string): string | undefined {
    const v = this.info.filterState.get(key);
    return v === undefined ? undefined : new TextDecoder().decode(v);
  }
  /** The filter's context; null when the filter is not installed (failed VM, fail open). */
  /** The filter of this stream; null when it is not installed, or the connection manager refused the request before creating it. */
  ctx: StreamContext | null;
  /** The worker's plugin could not be configured: streams behave as on a failed VM. */
  readonly pluginFailed: boolean;
  private readonly upstream: Sink;
  private readonly downstream: Sink;
  private readonly sink: StreamSink;
  private upstreamStarted = false;
  private responseStarted = false;
  private downstreamHeadersSent = false;
  private decoderAborted = false;
  private encoderAborted = false;
  private local: LocalResponse | null = null;
  private done = false;
  private wasReset = false;

  constructor(
    readonly vm: WasmVm,
    readonly worker: number,
    root: RootContext | null,
    install: boolean,
    pluginFailed: boolean,
    readonly attributes: AttributeTable,
    private readonly settings: StreamSettings,
  ) {
    this.pluginFailed = pluginFailed;
    this.upstream = new Sink(settings.keepBodies);
    this.downstream = new Sink(settings.keepBodies);
    this.sink = settings.sink ?? {};
    this.info = { startMs: settings.nowMs(), protocol: settings.protocol, bytesReceived: 0, bytesSent: 0, connectionId: settings.connectionId, filterState: new Map() };
    this.ctx = install && root ? new StreamContext(vm, root, this) : null;
    this.failClosedWithoutVm = install && !root;
  }

  /** The filter should be installed (fail closed) but the worker has no root context at all. */
  private readonly failClosedWithoutVm: boolean;

  // ------------------------------------------------------------------ observers

  /** The filter's context id (0 when the filter is not installed). */
  get contextId(): number {
    return this.ctx?.id ?? 0;
  }
  /** What reached the upstream after the filter, or null if the request never got there. */
  get upstreamRequest(): Message | null {
    return this.upstreamStarted ? view(this.upstream) : null;
  }
  /** What the client received, or null before response headers were sent. */
  get downstreamResponse(): (Message & { status: number }) | null {
    if (!this.downstreamHeadersSent && !this.downstream.reset) return null;
    const m = view(this.downstream);
    return { ...m, status: Number(m.headers[":status"] ?? 0) };
  }
  /** The filter's proxy_send_local_response (first one), or a host-generated local reply. */
  get localResponse(): LocalResponse | null {
    return this.local;
  }
  get requestPaused(): boolean {
    return this.req.stoppedAll || this.req.stoppedSingle;
  }
  get responsePaused(): boolean {
    return this.resp.stoppedAll || this.resp.stoppedSingle;
  }
  get paused(): boolean {
    return !this.closed && (this.requestPaused || this.responsePaused);
  }
  /** on_log/on_done/on_delete have run. */
  get completed(): boolean {
    return this.done;
  }
  /** The stream was reset (by the test, close_stream, or a late local reply). */
  get isReset(): boolean {
    return this.wasReset;
  }
  /** The stream completed or was reset: no more parts will be processed. */
  get closed(): boolean {
    return this.done || this.wasReset;
  }
  /** A local reply was sent: the request no longer goes upstream. */
  get answeredLocally(): boolean {
    return this.local !== null;
  }
  /** The response has been fully sent to the client (or the stream reset). */
  get responseComplete(): boolean {
    return this.downstream.ended || this.wasReset;
  }

  // ------------------------------------------------------------------ test verbs

  private drive<T>(f: () => T): T {
    if (this.settings.driving.depth > 0) throw new Error("host-test: stream verbs cannot be called from inside a callback or handler");
    this.settings.driving.depth++;
    try {
      return f();
    } finally {
      this.settings.driving.depth--;
      this.settings.flush();
    }
  }

  /** Request headers from the client (the connection manager adds x-request-id / x-forwarded-proto first). */
  sendRequestHeaders(headers: HeaderInput, endOfStream = false): Action {
    if (this.req.headers) throw new Error("host-test: request headers were already sent");
    const h = HeaderMap.from(headers);
    if (this.settings.forwardedProto !== null && h.get("x-forwarded-proto") === undefined) h.add("x-forwarded-proto", this.settings.forwardedProto);
    if (this.settings.requestIdHeader && h.get("x-request-id") === undefined) h.add("x-request-id", this.settings.nextRequestId());
    return this.drive(() => {
      const refused = this.connectionManagerRefusal(h);
      return refused ?? this.decodeHeaders(h, endOfStream);
    });
  }

  /**
   * ConnectionManagerImpl::ActiveStream::decodeHeaders checks a request before it creates
   * the filter chain: no `:authority` (HTTP/1.1 `Host` becomes `:authority`) is answered
   * 400 `missing_host_header`; no `:path`, or an empty one, on anything but CONNECT is
   * answered 404 `missing_path_rejected`. No filter sees such a request: the filter is never
   * created (no on_context_create, no on_log). Returns the action, or undefined to go on.
   */
  private connectionManagerRefusal(h: HeaderMap): Action | undefined {
    const authority = h.get(":authority");
    const path = h.get(":path");
    let code = 0;
    let details = "";
    if (authority === undefined || authority === "") {
      code = 400;
      details = "missing_host_header";
    } else if ((h.get(":method") !== "CONNECT" || path !== undefined) && (path === undefined || path === "")) {
      code = 404;
      details = "missing_path_rejected";
    }
    if (code === 0) return undefined;
    const vm = this.ctx?.vm;
    const id = this.ctx?.id;
    this.ctx = null;
    if (vm !== undefined && id !== undefined) vm.contexts.delete(id);
    this.req.headers = h;
    this.req.ended = true;
    this.sendLocalReply(code, "", [], null, details);
    return "StopAllIterationAndWatermark";
  }

  /** A request body chunk from the client. */
  sendRequestBody(body: BodyInput, endOfStream = false): Action {
    if (!this.req.headers) throw new Error("host-test: send request headers first");
    if (this.req.ended && !this.closed) throw new Error("host-test: the request already ended");
    return this.drive(() => this.decodeData(bodyBytes(body), endOfStream));
  }

  /** Request trailers from the client (ends the request). */
  sendRequestTrailers(trailers: HeaderInput): Action {
    if (!this.req.headers) throw new Error("host-test: send request headers first");
    if (this.req.ended && !this.closed) throw new Error("host-test: the request already ended");
    return this.drive(() => this.decodeTrailers(HeaderMap.from(trailers)));
  }

  private checkUpstream(): void {
    if (this.closed || this.decoderAborted) throw new Error("host-test: the stream was answered locally or reset; no upstream response can arrive");
    if (!this.upstreamStarted) throw new Error("host-test: the upstream has not received the request headers (the filter paused the request)");
  }

  /** Response headers from the upstream. */
  sendResponseHeaders(headers: HeaderInput, endOfStream = false): Action {
    this.checkUpstream();
    if (this.resp.headers) throw new Error("host-test: response headers were already sent");
    const h = HeaderMap.from(headers);
    return this.drive(() => {
      this.responseStarted = true;
      const status = Number(fromByteString(h.get(":status") ?? ""));
      if (Number.isFinite(status)) this.info.responseCode = status;
      this.info.responseCodeDetails = "via_upstream";
      return this.encodeHeaders(h, endOfStream);
    });
  }

  /** A response body chunk from the upstream. */
  sendResponseBody(body: BodyInput, endOfStream = false): Action {
    if (this.closed || this.encoderAborted || this.downstream.ended) return "Closed";
    this.checkUpstream();
    if (!this.resp.headers) throw new Error("host-test: send response headers first");
    if (this.resp.ended) throw new Error("host-test: the response already ended");
    return this.drive(() => this.encodeData(bodyBytes(body), endOfStream));
  }

  /** Response trailers from the upstream (ends the response). */
  sendResponseTrailers(trailers: HeaderInput): Action {
    if (this.closed || this.encoderAborted || this.downstream.ended) return "Closed";
    this.checkUpstream();
    if (!this.resp.headers) throw new Error("host-test: send response headers first");
    if (this.resp.ended) throw new Error("host-test: the response already ended");
    return this.drive(() => this.encodeTrailers(HeaderMap.from(trailers)));
  }

  /**
   * Completes the stream when `autoComplete` is off (on_log, on_done, on_delete). The response
   * must have been fully sent. No-op when already complete.
   */
  complete(): void {
    if (this.done) return;
    if (!this.responseComplete) throw new Error("host-test: the response has not ended; send it or reset() the stream");
    this.drive(() => this.finish());
  }

  /** A downstream reset mid-stream: the upstream is reset too; on_log, on_done, on_delete follow. */
  reset(): void {
    if (this.done) return;
    this.drive(() => this.resetStream());
  }

  /** The upstream failed or reset: 503 before response headers (router local reply), else a reset. */
  resetUpstream(reason: "connection failure" | "connection termination" = "connection termination"): void {
    if (this.closed) return;
    if (!this.upstreamStarted) throw new Error("host-test: the upstream has not received the request headers");
    this.drive(() => {
      this.markUpstreamReset();
      if (!this.responseStarted && !this.local) {
        const details = `upstream_reset_before_response_started{${reason.replace(" ", "_")}}`;
        this.sendLocalReply(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`, [], null, details);
      } else {
        this.resetStream();
      }
    });
  }

  // ------------------------------------------------------------------ decoding (request path)

  private decodeHeaders(h: HeaderMap, eos: boolean): Action {
    if (this.closed) return "Closed";
    this.req.headers = h;
    this.req.ended = eos;
    if (!this.ctx && this.failClosedWithoutVm) {
      // Fail closed with no VM at all: Envoy's empty Context answers 503 (CHECK_FAIL).
      this.req.inCallback = true;
      this.sendLocalReply(503, "", [], 14, "wasm_fail_stream");
      this.req.inCallback = false;
      return "StopAllIterationAndWatermark";
    }
    if (!this.ctx) {
      this.forwardRequestHeaders(eos);
      return "Continue";
    }
    this.req.inCallback = true;
    const st = this.ctx.decodeHeaders(h, eos);
    this.req.inCallback = false;
    if (this.decoderAborted || this.closed) return HEADERS_STATUS[st];
    if (st === CONTINUE) this.forwardRequestHeaders(eos);
    else {
      this.req.stoppedAll = true;
      this.req.streaming = st === 4;
    }
    return HEADERS_STATUS[st];
  }

  private decodeData(bytes: Uint8Array, eos: boolean): Action {
    if (this.closed || this.decoderAborted) return "Closed";
    this.req.ended = eos;
    this.info.bytesReceived += bytes.length;
    const chunk = new BodyBuffer(bytes);
    if (!this.ctx) {
      this.forwardRequestData(chunk.take(), eos);
      return "Continue";
    }
    if (this.req.stoppedAll) {
      (this.req.buffered ??= new BodyBuffer()).moveFrom(chunk);
      this.checkLimit(false);
      return "Buffered";
    }
    return this.dataThroughFilter(false, chunk, eos);
  }

  private decodeTrailers(t: HeaderMap): Action {
    if (this.closed || this.decoderAborted) return "Closed";
    this.req.trailers = t;
    this.req.ended = true;
    if (!this.ctx) {
      this.forwardRequestTrailers();
      return "Continue";
    }
    if (this.req.stoppedAll) return "Buffered";
    return this.trailersThroughFilter(false);
  }

  /** proxy_continue_stream(Request), run after the VM call returns. */
  continueDecoding(): void {
    this.continueDirection(false);
  }

  /** proxy_continue_stream(Response), run after the VM call returns. */
  continueEncoding(): void {
    this.continueDirection(true);
  }

  // ------------------------------------------------------------------ encoding (response path)

  private encodeHeaders(h: HeaderMap, eos: boolean): Action {
    if (this.closed) return "Closed";
    this.resp.headers = h;
    this.resp.ended = eos;
    if (!this.ctx) {
      this.forwardResponseHeaders(eos);
      return "Continue";
    }
    this.resp.inCallback = true;
    const st = this.ctx.encodeHeaders(h, eos);
    this.resp.inCallback = false;
    if (this.encoderAborted || this.closed) return HEADERS_STATUS[st];
    if (st === CONTINUE) this.forwardResponseHeaders(eos);
    else {
      this.resp.stoppedAll = true;
      this.resp.streaming = st === 4;
    }
    return HEADERS_STATUS[st];
  }

  private encodeData(bytes: Uint8Array, eos: boolean): Action {
    if (this.closed || this.encoderAborted) return "Closed";
    this.resp.ended = eos;
    const chunk = new BodyBuffer(bytes);
    if (!this.ctx) {
      this.forwardResponseData(chunk.take(), eos);
      return "Continue";
    }
    if (this.resp.stoppedAll) {
      (this.resp.buffered ??= new BodyBuffer()).moveFrom(chunk);
      this.checkLimit(true);
      return "Buffered";
    }
    return this.dataThroughFilter(true, chunk, eos);
  }

  private encodeTrailers(t: HeaderMap): Action {
    if (this.closed || this.encoderAborted) return "Closed";
    this.resp.trailers = t;
    this.resp.ended = true;
    if (!this.ctx) {
      this.forwardResponseTrailers();
      return "Continue";
    }
    if (this.resp.stoppedAll) return "Buffered";
    return this.trailersThroughFilter(true);
  }

  // ------------------------------------------------------------------ shared filter-manager logic

  /** The held data carries end_of_stream: the source ended and no (received) trailers follow. */
  private dataEnds(d: Direction): boolean {
    return d.ended && (!d.trailers || d.trailersAdded);
  }

  private aborted(response: boolean): boolean {
    return this.closed || (response ? this.encoderAborted : this.decoderAborted);
  }

  /** Passes a body chunk (or the held buffer itself) through the filter and applies the status. */
  private dataThroughFilter(response: boolean, chunk: BodyBuffer, eos: boolean): Action {
    const d = response ? this.resp : this.req;
    d.inCallback = true;
    const st = response ? this.ctx!.encodeData(chunk, eos) : this.ctx!.decodeData(chunk, eos);
    d.inCallback = false;
    if (this.aborted(response)) return DATA_STATUS[st];
    if (st === CONTINUE) {
      let out: BodyBuffer;
      if (d.buffered && (d.stoppedSingle || d.buffered === chunk)) {
        d.buffered.moveFrom(chunk);
        out = d.buffered;
        d.buffered = null;
      } else {
        out = chunk;
      }
      d.stoppedSingle = false;
      this.forwardData(response, out.take(), this.dataEnds(d));
    } else {
      d.stoppedSingle = true;
      if (st === 1 || st === 2) {
        d.streaming = st === 2;
        if (chunk !== d.buffered) (d.buffered ??= new BodyBuffer()).moveFrom(chunk);
        this.checkLimit(response);
      } else if (chunk !== d.buffered) {
        chunk.take(); // StopIterationNoBuffer: the filter owns the chunk; nothing is kept
        if (eos && !d.buffered) d.buffered = new BodyBuffer();
      }
    }
    return DATA_STATUS[st];
  }

  private trailersThroughFilter(response: boolean): Action {
    const d = response ? this.resp : this.req;
    d.inCallback = true;
    const st = response ? this.ctx!.encodeTrailers(d.trailers!) : this.ctx!.decodeTrailers(d.trailers!);
    d.inCallback = false;
    if (this.aborted(response)) return TRAILERS_STATUS[st];
    if (st === CONTINUE) {
      if (d.stoppedSingle && d.buffered) this.forwardData(response, d.buffered.take(), false);
      d.buffered = null;
      d.stoppedSingle = false;
      this.forwardTrailers(response);
    } else {
      d.stoppedSingle = true;
    }
    return TRAILERS_STATUS[st];
  }

  private continueDirection(response: boolean): void {
    const d = response ? this.resp : this.req;
    const name = response ? "Response" : "Request";
    if (this.aborted(response)) return;
    if (d.inCallback) {
      this.vm.core.warn(`proxy_continue_stream(${name}) inside the stream's own ${name.toLowerCase()} callback was ignored (context ${this.contextId})`);
      return;
    }
    if (d.stoppedAll) {
      d.stoppedAll = false;
      const held = d.buffered;
      this.forwardHeaders(response, d.ended && !held && !d.trailers);
      if (held) this.dataThroughFilter(response, held, this.dataEnds(d));
      if (!this.aborted(response) && d.trailers && !d.stoppedSingle && !d.stoppedAll) this.trailersThroughFilter(response);
    } else if (d.stoppedSingle) {
      d.stoppedSingle = false;
      const held = d.buffered;
      d.buffered = null;
      if (held) this.forwardData(response, held.take(), this.dataEnds(d));
      if (d.trailers) this.forwardTrailers(response);
    } else {
      this.vm.core.warn(`proxy_continue_stream(${name}) while the ${name.toLowerCase()} was not paused (context ${this.contextId})`);
    }
  }

  /** addDecodedData/addEncodedData while buffering: the chunk joins the held body. */
  addData(response: boolean, chunk: BodyBuffer): void {
    const d = response ? this.resp : this.req;
    (d.buffered ??= new BodyBuffer()).moveFrom(chunk);
    this.checkLimit(response);
  }

  /** addDecodedTrailers/addEncodedTrailers (only in the last body callback). */
  addTrailers(response: boolean): HeaderMap {
    const d = response ? this.resp : this.req;
    d.trailers = new HeaderMap();
    d.trailersAdded = true;
    return d.trailers;
  }

  /** The buffer limit (per_connection_buffer_limit_bytes): held, non-streaming data over it fails the stream. */
  private checkLimit(response: boolean): void {
    const d = response ? this.resp : this.req;
    if (d.streaming || !d.buffered || d.buffered.length <= this.settings.bufferLimitBytes) return;
    if (response) this.sendLocalReply(500, "Internal Server Error", [], null, "response_payload_too_large");
    else this.sendLocalReply(413, "Payload Too Large", [], null, "request_payload_too_large");
  }

  // ------------------------------------------------------------------ forwarding

  private forwardHeaders(response: boolean, eos: boolean): void {
    if (response) this.forwardResponseHeaders(eos);
    else this.forwardRequestHeaders(eos);
  }

  private forwardData(response: boolean, bytes: Uint8Array, eos: boolean): void {
    if (response) this.forwardResponseData(bytes, eos);
    else this.forwardRequestData(bytes, eos);
  }

  private forwardTrailers(response: boolean): void {
    if (response) this.forwardResponseTrailers();
    else this.forwardRequestTrailers();
  }

  private forwardRequestHeaders(eos: boolean): void {
    // Envoy's router refuses a request a filter stripped of a required header (Router's
    // HeaderUtility::checkRequiredRequestHeaders): 503, and nothing reaches the upstream.
    const missing = REQUIRED_REQUEST_HEADERS.find((h) => this.req.headers!.get(h) === undefined);
    if (missing !== undefined) {
      this.sendLocalReply(503, "", [], null, `filter_removed_required_request_headers{missing_required_header:_${missing}}`);
      return;
    }
    this.upstreamStarted = true;
    this.upstream.headers = this.req.headers!.clone();
    if (eos) this.upstream.ended = true;
    this.sink.upstreamHeaders?.(this.upstream.headers.toPairs(), eos);
  }

  private forwardRequestData(bytes: Uint8Array, eos: boolean): void {
    const toTrailers = eos && this.req.trailersAdded && this.req.trailers !== null;
    if (bytes.length || eos) {
      this.upstream.append(bytes);
      this.sink.upstreamData?.(bytes, eos && !toTrailers);
    }
    if (toTrailers) this.forwardRequestTrailers();
    else if (eos) this.upstream.ended = true;
  }

  private forwardRequestTrailers(): void {
    this.upstream.trailers = this.req.trailers!.clone();
    this.upstream.ended = true;
    this.sink.upstreamTrailers?.(this.upstream.trailers.toPairs());
  }

  private forwardResponseHeaders(eos: boolean): void {
    this.downstream.headers = this.resp.headers!.clone();
    this.downstreamHeadersSent = true;
    this.sink.downstreamHeaders?.(this.downstream.headers.toPairs(), eos);
    if (eos) this.endDownstream();
  }

  private forwardResponseData(bytes: Uint8Array, eos: boolean): void {
    const toTrailers = eos && this.resp.trailersAdded && this.resp.trailers !== null;
    if (bytes.length || eos) {
      this.downstream.append(bytes);
      this.info.bytesSent += bytes.length;
      this.sink.downstreamData?.(bytes, eos && !toTrailers);
    }
    if (toTrailers) this.forwardResponseTrailers();
    else if (eos) this.endDownstream();
  }

  private forwardResponseTrailers(): void {
    this.downstream.trailers = this.resp.trailers!.clone();
    this.sink.downstreamTrailers?.(this.downstream.trailers.toPairs());
    this.endDownstream();
  }

  /**
   * The router resets the upstream stream: its request is marked reset if it had not ended,
   * and the sink is told (once) whenever the upstream exchange was still open, i.e. its
   * request or its response had not ended (Router::onDestroy resets it either way).
   */
  private markUpstreamReset(): void {
    if (!this.upstreamStarted) return;
    if (!this.upstream.ended) this.upstream.reset = true;
    if (this.upstreamResetSent || (this.upstream.ended && this.resp.ended)) return;
    this.upstreamResetSent = true;
    this.sink.upstreamReset?.();
  }

  private upstreamResetSent = false;

  private endDownstream(): void {
    if (this.downstream.ended) return;
    this.downstream.ended = true;
    if (this.settings.autoComplete) this.finish();
  }

  // ------------------------------------------------------------------ local replies, reset, completion

  /** FilterManager::sendLocalReply for this stream. `body` and header pairs are byte strings. */
  sendLocalReply(code: number, body: string, additional: Pair[], grpcStatus: number | null, details: string): void {
    if (this.done || this.wasReset) return;
    if (this.req.inCallback) this.decoderAborted = true;
    if (this.resp.inCallback) this.encoderAborted = true;
    this.info.responseCodeDetails = details;
    this.local ??= {
      status: code,
      headers: Object.fromEntries(additional.map(([k, v]) => [fromByteString(k), fromByteString(v)])),
      headerPairs: additional.map(([k, v]) => [fromByteString(k), fromByteString(v)]),
      body: fromByteString(body),
      details,
      grpcStatus,
    };
    const isGrpc = (this.req.headers?.get("content-type") ?? "").startsWith("application/grpc");
    const isHead = this.req.headers?.get(":method") === "HEAD";
    const prepared = prepareLocalReply(code, body, additional, grpcStatus, isGrpc, isHead);
    this.decoderAborted = true;
    this.markUpstreamReset();
    if (!this.responseStarted) {
      // The response has not started: the reply goes through the encoder filters, ours included.
      this.responseStarted = true;
      this.info.responseCode = code;
      this.resp.headers = null;
      this.encodeHeaders(prepared.headers, prepared.headersOnly);
      if (!prepared.headersOnly && !this.closed && !this.encoderAborted) this.encodeData(prepared.body, true);
    } else if (!this.downstreamHeadersSent) {
      // Response headers are in the filter chain but not sent: straight to the client.
      this.encoderAborted = true;
      this.resp.stoppedAll = this.resp.stoppedSingle = false;
      this.info.responseCode = code;
      this.downstream.headers = prepared.headers;
      this.downstreamHeadersSent = true;
      this.sink.downstreamHeaders?.(prepared.headers.toPairs(), prepared.headersOnly);
      if (!prepared.headersOnly) {
        this.downstream.append(prepared.body);
        this.info.bytesSent += prepared.body.length;
        this.sink.downstreamData?.(prepared.body, true);
      }
      this.endDownstream();
    } else {
      // Headers already went out: all Envoy can do is reset.
      this.resetStream();
    }
  }

  /** A reset (downstream, close_stream, or late local reply): both sides reset, then the stream completes. */
  resetStream(): void {
    if (this.done) return;
    this.wasReset = true;
    if (!this.downstream.ended) {
      this.downstream.reset = true;
      this.sink.downstreamReset?.();
    }
    this.markUpstreamReset();
    this.finish();
  }

  /** doDeferredStreamDestroy: completeRequest, access log (on_log), destroy filters (on_done, on_delete). */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.info.requestCompleteMs = this.settings.nowMs() - this.info.startMs;
    this.markUpstreamReset();
    if (this.ctx) {
      this.ctx.log(this.req.headers, this.downstream.headers, this.downstream.trailers);
      this.ctx.onDestroy();
      const ctx = this.ctx;
      this.vm.core.scheduler.schedule(0, () => ctx.vm.contexts.delete(ctx.id));
    }
    this.sink.completed?.();
  }
}

