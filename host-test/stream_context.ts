// The Wasm HTTP filter's per-stream Context (Envoy source/extensions/common/wasm/context.cc
// decodeHeaders/decodeData/..., log, onDestroy, getMap/getConstMap/getBuffer, properties)
// with cpp-host's ContextBase callbacks (CHECK_FAIL for fail open/closed and the
// conversion of guest return values). Which header map or body a hostcall can reach
// depends on these pointers, which Envoy sets for a callback and clears when it continues.
import { WasmResult, HeaderMapType, StreamType } from "./abi.ts";
import { ContextBase, type RootContext, type WasmVm } from "./vm.ts";
import type { HeaderMap } from "./headers.ts";
import { instanceView, BodyBuffer, type BufferView } from "./buffers.ts";
import { Attr, AttrValue, navigate, pairsToAttrMap, type AttributeTable, type PropertyResult } from "./properties.ts";
import { fromByteString, type Pair } from "./pairs.ts";

// Status values Envoy acts on after conversion.
export const CONTINUE = 0;
export const HEADERS_STOP_ALL_WATERMARK = 4;
export const DATA_STOP_NO_BUFFER = 3;
export const DATA_STOP_AND_BUFFER = 1;
export const TRAILERS_STOP = 1;

/** Stream info (Envoy StreamInfo) as far as attributes need it. */
export interface StreamInfo {
  startMs: number;
  protocol: string;
  bytesReceived: number;
  bytesSent: number;
  responseCode?: number;
  responseCodeDetails?: string;
  requestCompleteMs?: number;
  connectionId: number;
  filterState: Map<string, Uint8Array>;
}

/**
 * What the filter's context asks of the filter manager around it: Envoy's decoder/encoder
 * filter callbacks and the stream info. The filter manager (stream.ts) implements it.
 */
export interface FilterCallbacks {
  /** The worker's plugin could not be configured: streams behave as on a failed VM. */
  readonly pluginFailed: boolean;
  readonly info: StreamInfo;
  readonly attributes: AttributeTable;
  /** The body the filter manager holds for each direction (decodingBuffer/encodingBuffer). */
  readonly req: { readonly buffered: BodyBuffer | null };
  readonly resp: { readonly buffered: BodyBuffer | null };
  /** addDecodedData/addEncodedData while buffering: the chunk joins the held body. */
  addData(response: boolean, chunk: BodyBuffer): void;
  /** addDecodedTrailers/addEncodedTrailers (only in the last body callback). */
  addTrailers(response: boolean): HeaderMap;
  continueDecoding(): void;
  continueEncoding(): void;
  resetStream(): void;
  sendLocalReply(code: number, body: string, additional: Pair[], grpcStatus: number | null, details: string): void;
}

const WRAPPERS = new Set(["request", "response", "connection", "upstream", "source", "destination", "filter_state", "upstream_filter_state"]);

export class StreamContext extends ContextBase {
  reqHeaders: HeaderMap | null = null;
  reqBody: BodyBuffer | null = null;
  reqTrailers: HeaderMap | null = null;
  respHeaders: HeaderMap | null = null;
  respBody: BodyBuffer | null = null;
  respTrailers: HeaderMap | null = null;
  endOfStream = false;
  bufferingRequestBody = false;
  bufferingResponseBody = false;
  failureLocalReplySent = false;
  streamFailed = false;
  destroyed = false;
  private al: { req: HeaderMap | null; resp: HeaderMap | null; respTrailers: HeaderMap | null } = { req: null, resp: null, respTrailers: null };

  constructor(vm: WasmVm, readonly rootContext: RootContext, readonly fm: FilterCallbacks) {
    super(vm, vm.allocContextId(), rootContext.id, rootContext.rootPlugin);
    vm.contexts.set(this.id, this);
  }

  override get root(): RootContext {
    return this.rootContext;
  }

  override logPrefix(): string {
    const p = this.rootContext.rootPlugin;
    return [p.name, p.rootId, p.vmId].filter((s) => s).map((s) => " " + s).join("");
  }

  private get failed(): boolean {
    return this.vm.failed || this.fm.pluginFailed;
  }

  // ------------------------------------------------------------------ maps, buffers, properties

  override getMap(type: number): HeaderMap | null {
    switch (type) {
      case HeaderMapType.RequestHeaders:
        return this.reqHeaders;
      case HeaderMapType.RequestTrailers:
        if (!this.reqTrailers && this.reqBody && this.endOfStream) this.reqTrailers = this.fm.addTrailers(false);
        return this.reqTrailers;
      case HeaderMapType.ResponseHeaders:
        return this.respHeaders;
      case HeaderMapType.ResponseTrailers:
        if (!this.respTrailers && this.respBody && this.endOfStream) this.respTrailers = this.fm.addTrailers(true);
        return this.respTrailers;
      default:
        return null;
    }
  }

  override getConstMap(type: number): HeaderMap | null {
    switch (type) {
      case HeaderMapType.RequestHeaders:
        return this.accessLogPhase ? this.al.req : this.reqHeaders;
      case HeaderMapType.RequestTrailers:
        return this.accessLogPhase ? null : this.reqTrailers;
      case HeaderMapType.ResponseHeaders:
        return this.accessLogPhase ? this.al.resp : this.respHeaders;
      case HeaderMapType.ResponseTrailers:
        return this.accessLogPhase ? this.al.respTrailers : this.respTrailers;
      default:
        return super.getConstMap(type);
    }
  }

  protected override bodyBuffer(response: boolean): BufferView {
    if (response) return instanceView(this.bufferingResponseBody ? this.fm.resp.buffered : this.respBody);
    return instanceView(this.bufferingRequestBody ? this.fm.req.buffered : this.reqBody);
  }

  override setProperty(path: string, value: Uint8Array): number {
    // CelState with the default prototype (bytes, mutable) under "wasm.<path>".
    this.fm.info.filterState.set("wasm." + path, value.slice());
    return WasmResult.Ok;
  }

  protected override streamProperty(segments: string[]): PropertyResult | undefined {
    const [top, ...rest] = segments;
    const table = this.fm.attributes;
    if (WRAPPERS.has(top)) {
      if (rest.length === 0) return { status: WasmResult.SerializationFailure }; // wrappers cannot list their keys
      const v = table.get([top, rest[0]]) ?? this.derived(top, rest[0]);
      return v ? navigate(v, rest.slice(1), [top, rest[0]], table) : { status: WasmResult.NotFound };
    }
    if (top === "metadata") {
      if (rest[0] === "filter_metadata" && !table.has(["metadata", "filter_metadata"]) && !table.has(["metadata"])) {
        return navigate(new AttrValue("map", []), rest.slice(1), ["metadata", "filter_metadata"], table);
      }
      return navigate(table.get(["metadata"]) ?? Attr.message(new Uint8Array(0)), rest, ["metadata"], table);
    }
    if (top === "connection_id") return navigate(Attr.uint(this.fm.info.connectionId), rest, [top], table);
    if (top === "xds" || top.startsWith("plugin_")) return undefined;
    const state = this.fm.info.filterState.get("wasm." + top);
    if (state) return navigate(Attr.bytes(state), rest, [top], table);
    // Anything else in the table stands for state other filters set (CelState "wasm.<name>").
    for (let i = segments.length; i >= 1; i--) {
      const v = table.get(segments.slice(0, i));
      if (v) return navigate(v, segments.slice(i), segments.slice(0, i), table);
    }
    return { status: table.hasChildren(segments) ? WasmResult.SerializationFailure : WasmResult.NotFound };
  }

  /** Attributes Envoy derives from the stream (filters/common/expr/context.cc). */
  private derived(top: string, name: string): AttrValue | undefined {
    const info = this.fm.info;
    if (top === "request") {
      const h = this.reqHeaders ?? (this.accessLogPhase ? this.al.req : null);
      const hv = (k: string) => (h && h.get(k) !== undefined ? new AttrValue("string", h.get(k)) : undefined);
      const path = h?.get(":path");
      switch (name) {
        case "path": return hv(":path");
        case "url_path": return path === undefined ? undefined : new AttrValue("string", path.split("?")[0]);
        case "host": return hv(":authority");
        case "scheme": return hv(":scheme");
        case "method": return hv(":method");
        case "referer": return hv("referer");
        case "useragent": return hv("user-agent");
        case "id": return hv("x-request-id");
        case "query": {
          if (!h) return undefined;
          const q = path === undefined || !path.includes("?") ? "" : path.slice(path.indexOf("?") + 1).split("#")[0];
          return new AttrValue("string", q);
        }
        case "headers": return pairsToAttrMap(h ? h.pairs() : []);
        case "headers_bytes": return Attr.int(h ? h.byteSize : 0);
        case "time": return Attr.timestamp(info.startMs);
        case "protocol": return Attr.string(info.protocol);
        case "size": {
          const cl = h?.get("content-length");
          if (cl !== undefined) return /^\d+$/.test(cl) ? Attr.int(BigInt(cl)) : undefined;
          return Attr.int(info.bytesReceived);
        }
        case "total_size": return Attr.int(info.bytesReceived + (h ? h.byteSize : 0));
        case "duration": return info.requestCompleteMs === undefined ? undefined : Attr.duration(BigInt(Math.round(info.requestCompleteMs * 1e6)));
        default: return undefined;
      }
    }
    if (top === "response") {
      const h = this.respHeaders ?? (this.accessLogPhase ? this.al.resp : null);
      const t = this.respTrailers ?? (this.accessLogPhase ? this.al.respTrailers : null);
      switch (name) {
        case "code": return info.responseCode === undefined ? undefined : Attr.int(info.responseCode);
        case "code_details": return info.responseCodeDetails === undefined ? undefined : Attr.string(info.responseCodeDetails);
        case "flags": return Attr.int(0);
        case "size": return Attr.int(info.bytesSent);
        case "headers": return pairsToAttrMap(h ? h.pairs() : []);
        case "trailers": return pairsToAttrMap(t ? t.pairs() : []);
        case "headers_bytes": return Attr.int(h ? h.byteSize : 0);
        case "total_size": return Attr.int(info.bytesSent + (h ? h.byteSize : 0) + (t ? t.byteSize : 0));
        case "grpc_status": {
          const g = t?.get("grpc-status") ?? h?.get("grpc-status");
          return g !== undefined && /^\d+$/.test(g) ? Attr.int(Number(g)) : undefined;
        }
        default: return undefined;
      }
    }
    if (top === "connection" && name === "id") return Attr.uint(info.connectionId);
    if (top === "filter_state") {
      const s = info.filterState.get(fromByteString(name)) ?? info.filterState.get(name);
      return s ? Attr.bytes(s) : undefined;
    }
    return undefined;
  }

  // ------------------------------------------------------------------ stream control hostcalls

  override continueStream(type: number): number {
    switch (type) {
      case StreamType.Request:
        this.vm.addAfterCall(() => this.fm.continueDecoding());
        break;
      case StreamType.Response:
        this.vm.addAfterCall(() => this.fm.continueEncoding());
        break;
      case StreamType.Downstream:
        return WasmResult.Ok;
      case StreamType.Upstream:
        return WasmResult.Unimplemented;
      default:
        return WasmResult.BadArgument;
    }
    // Envoy clears the request pointers for either direction (context.cc continueStream).
    this.reqHeaders = null;
    this.reqBody = null;
    this.reqTrailers = null;
    return WasmResult.Ok;
  }

  override closeStream(type: number): number {
    if (type === StreamType.Request || type === StreamType.Response) {
      this.fm.info.responseCodeDetails ??= "wasm_close_stream";
      this.vm.addAfterCall(() => this.fm.resetStream());
    }
    return WasmResult.Ok;
  }

  override sendLocalResponse(code: number, body: Uint8Array, headers: Pair[], grpcStatus: number, details: string): number {
    const grpc = grpcStatus >= 0 && grpcStatus <= 16 ? grpcStatus : null;
    const d = details.replace(/[ \t\n\v\f\r]/g, "_");
    const text = Buffer.from(body).toString("latin1");
    this.vm.addAfterCall(() => this.fm.sendLocalReply(code, text, headers, grpc, d));
    return WasmResult.Ok;
  }

  // ------------------------------------------------------------------ callbacks into the guest

  /** CHECK_FAIL: on a failed VM, fail open continues, fail closed answers 503 once and stops. */
  private checkFail(open: number, closed: number): number | null {
    if (!this.failed) return null;
    if (this.plugin!.failOpen) return open;
    if (!this.streamFailed) {
      if (!this.failureLocalReplySent) {
        this.failureLocalReplySent = true;
        this.fm.sendLocalReply(503, "", [], 14, "wasm_fail_stream");
      }
      this.streamFailed = true;
    }
    return closed;
  }

  private invoke(fn: string, args: number[], open: number, closed: number, convert: (raw: number) => number): number {
    const pre = this.checkFail(open, closed);
    if (pre !== null) return pre;
    if (!this.vm.has(fn)) return CONTINUE;
    return this.vm.deferred(() => {
      const raw = this.vm.call(this, fn, this.id, ...args);
      const post = this.checkFail(open, closed);
      return post !== null ? post : convert(raw);
    });
  }

  private convertHeaders = (raw: number): number => {
    if (this.vm.stopIteration || raw > 4) return HEADERS_STOP_ALL_WATERMARK;
    if (raw === 1) return HEADERS_STOP_ALL_WATERMARK; // StopIteration is not allowed for 0.2.x (allow_on_headers_stop_iteration off)
    if (raw === 2) return CONTINUE; // ContinueAndEndStream falls into Envoy's default case
    return raw;
  };
  private convertData = (raw: number): number => (this.vm.stopIteration || raw > 3 ? DATA_STOP_NO_BUFFER : raw);
  private convertTrailers = (raw: number): number => (this.vm.stopIteration || raw > 1 ? TRAILERS_STOP : raw);

  /** ContextBase::onCreate. */
  onCreate(): void {
    if (!this.failed && !this.inVmCreated && this.vm.has("proxy_on_context_create")) {
      this.vm.deferred(() => this.vm.call(this, "proxy_on_context_create", this.id, this.rootContext.id));
    }
    this.inVmCreated = true;
  }

  decodeHeaders(headers: HeaderMap, eos: boolean): number {
    this.onCreate();
    this.reqHeaders = headers;
    this.endOfStream = eos;
    const r = this.invoke("proxy_on_request_headers", [headers.size, eos ? 1 : 0], CONTINUE, HEADERS_STOP_ALL_WATERMARK, this.convertHeaders);
    if (r === CONTINUE) this.reqHeaders = null;
    return r;
  }

  decodeData(chunk: BodyBuffer, eos: boolean): number {
    if (!this.inVmCreated) return CONTINUE;
    if (this.bufferingRequestBody) {
      this.fm.addData(false, chunk);
      if (this.destroyed) return DATA_STOP_AND_BUFFER;
    }
    this.reqBody = chunk;
    this.endOfStream = eos;
    const size = this.bodyBuffer(false).size();
    const r = this.invoke("proxy_on_request_body", [size, eos ? 1 : 0], CONTINUE, DATA_STOP_NO_BUFFER, this.convertData);
    this.bufferingRequestBody = r === DATA_STOP_AND_BUFFER;
    if (r === CONTINUE) this.reqBody = null;
    return r;
  }

  decodeTrailers(trailers: HeaderMap): number {
    if (!this.inVmCreated) return CONTINUE;
    this.reqTrailers = trailers;
    const r = this.invoke("proxy_on_request_trailers", [trailers.size], CONTINUE, TRAILERS_STOP, this.convertTrailers);
    if (r === CONTINUE) this.reqTrailers = null;
    return r;
  }

  encodeHeaders(headers: HeaderMap, eos: boolean): number {
    if (!this.inVmCreated || this.failureLocalReplySent) return CONTINUE;
    this.respHeaders = headers;
    this.endOfStream = eos;
    const r = this.invoke("proxy_on_response_headers", [headers.size, eos ? 1 : 0], CONTINUE, HEADERS_STOP_ALL_WATERMARK, this.convertHeaders);
    if (r === CONTINUE) this.respHeaders = null;
    return r;
  }

  encodeData(chunk: BodyBuffer, eos: boolean): number {
    if (!this.inVmCreated || this.failureLocalReplySent) return CONTINUE;
    if (this.bufferingResponseBody) {
      this.fm.addData(true, chunk);
      if (this.destroyed) return DATA_STOP_AND_BUFFER;
    }
    this.respBody = chunk;
    this.endOfStream = eos;
    const size = this.bodyBuffer(true).size();
    const r = this.invoke("proxy_on_response_body", [size, eos ? 1 : 0], CONTINUE, DATA_STOP_NO_BUFFER, this.convertData);
    this.bufferingResponseBody = r === DATA_STOP_AND_BUFFER;
    if (r === CONTINUE) this.respBody = null;
    return r;
  }

  encodeTrailers(trailers: HeaderMap): number {
    if (!this.inVmCreated || this.failureLocalReplySent) return CONTINUE;
    this.respTrailers = trailers;
    const r = this.invoke("proxy_on_response_trailers", [trailers.size], CONTINUE, TRAILERS_STOP, this.convertTrailers);
    if (r === CONTINUE) this.respTrailers = null;
    return r;
  }

  /** Context::log (access-log phase): creates the context if needed, then on_log with the final maps. */
  log(requestHeaders: HeaderMap | null, responseHeaders: HeaderMap | null, responseTrailers: HeaderMap | null): void {
    if (!this.inVmCreated) this.onCreate();
    this.accessLogPhase = true;
    this.al = { req: requestHeaders, resp: responseHeaders, respTrailers: responseTrailers };
    if (!this.failed && this.vm.has("proxy_on_log")) this.vm.deferred(() => this.vm.call(this, "proxy_on_log", this.id));
    this.accessLogPhase = false;
    this.al = { req: null, resp: null, respTrailers: null };
  }

  /** Context::onDestroy: on_done then on_delete. */
  onDestroy(): void {
    if (this.destroyed || !this.inVmCreated) return;
    this.destroyed = true;
    if (!this.failed && this.vm.has("proxy_on_done")) this.vm.deferred(() => this.vm.call(this, "proxy_on_done", this.id));
    if (this.inVmCreated && !this.failed && this.vm.has("proxy_on_delete")) this.vm.deferred(() => this.vm.call(this, "proxy_on_delete", this.id));
  }
}
