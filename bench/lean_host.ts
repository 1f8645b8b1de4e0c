// A minimal Proxy-Wasm host for per-request benchmarks. host-test is faithful to Envoy and
// pays for it (copies, checks, tracing, scheduling: over 100 us a request), which hides the
// cost of the filter itself. Here every hostcall does the least it can: header maps and
// bodies are encoded once per scenario, keys are decoded without allocation where possible,
// results go back through the guest's allocator as Envoy's do. It implements exactly the
// calls our modules import, refuses any other import, and supports one stream at a time
// (or many opened side by side, for memory). Timers run only when the benchmark calls
// `tick()`. A unary gRPC call is answered by the `grpc` option's handler right after the
// guest callback that made it returns (on_grpc_receive on the root context); a request
// paused for it is resumed when the filter continues it. Without a handler, a call fails.
import { readFileSync } from "node:fs";
import { WasmResult, HeaderMapType, BufferType } from "../host-test/index.ts";

const { Ok: OK, NotFound: NOT_FOUND, BadArgument: BAD_ARGUMENT, CasMismatch: CAS_MISMATCH } = WasmResult;
const { RequestHeaders: REQUEST_HEADERS, ResponseHeaders: RESPONSE_HEADERS } = HeaderMapType;
const { HttpRequestBody: REQUEST_BODY, HttpResponseBody: RESPONSE_BODY, PluginConfiguration: PLUGIN_CONFIGURATION, GrpcReceiveBuffer: GRPC_RECEIVE } = BufferType;

const enc = new TextEncoder();
const HTTP11 = enc.encode("HTTP/1.1");

/** A key the guest passed, decoded, with the request attribute it names (if any). */
interface Key { bytes: Uint8Array; text: string; property: RequestProperty }

function sameBytes(a: Uint8Array, m: Uint8Array, ptr: number, size: number): boolean {
  if (a.length !== size) return false;
  for (let i = 0; i < size; i++) if (a[i] !== m[ptr + i]) return false;
  return true;
}

/** The request attributes the host derives from the request headers. */
const enum RequestProperty { None, Path, UrlPath, Host, Method, Scheme, Id, Protocol }

function propertyOf(path: string): RequestProperty {
  switch (path) {
    case "request\0path": return RequestProperty.Path;
    case "request\0url_path": return RequestProperty.UrlPath;
    case "request\0host": return RequestProperty.Host;
    case "request\0method": return RequestProperty.Method;
    case "request\0scheme": return RequestProperty.Scheme;
    case "request\0id": return RequestProperty.Id;
    case "request\0protocol": return RequestProperty.Protocol;
    default: return RequestProperty.None;
  }
}

/** A header map as Envoy holds it: ordered pairs, lowercase names. */
class HeaderMap {
  names: string[];
  values: Uint8Array[];
  private blob: Uint8Array | null = null;
  /** `request.url_path` (the path before its query), derived once; undefined until asked. */
  private url: Uint8Array | null | undefined = undefined;

  constructor(pairs: Array<[string, string]>) {
    this.names = pairs.map(([k]) => k);
    this.values = pairs.map(([, v]) => enc.encode(v));
  }

  clone(): HeaderMap {
    const m = Object.create(HeaderMap.prototype) as HeaderMap;
    m.names = this.names.slice();
    m.values = this.values.slice();
    m.blob = this.blob;
    m.url = this.url;
    return m;
  }

  get(name: string): Uint8Array | null {
    const i = this.names.indexOf(name);
    return i < 0 ? null : this.values[i];
  }

  set(name: string, value: Uint8Array): void {
    const i = this.names.indexOf(name);
    if (i < 0) {
      this.names.push(name);
      this.values.push(value);
    } else this.values[i] = value;
    this.blob = null;
    this.url = undefined;
  }

  remove(name: string): void {
    for (let i = this.names.indexOf(name); i >= 0; i = this.names.indexOf(name)) {
      this.names.splice(i, 1);
      this.values.splice(i, 1);
    }
    this.blob = null;
    this.url = undefined;
  }

  urlPath(): Uint8Array | null {
    if (this.url === undefined) {
      const p = this.get(":path");
      const q = p === null ? -1 : p.indexOf(63);
      this.url = p === null ? null : q < 0 ? p : p.slice(0, q);
    }
    return this.url;
  }

  /** The ABI's pairs blob: count, (key size, value size) per pair, then each key\0 value\0. */
  pairs(): Uint8Array {
    if (this.blob) return this.blob;
    const keys = this.names.map((n) => enc.encode(n));
    let size = 4 + 8 * keys.length;
    for (let i = 0; i < keys.length; i++) size += keys[i].length + this.values[i].length + 2;
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, keys.length, true);
    let at = 4 + 8 * keys.length;
    for (let i = 0; i < keys.length; i++) {
      dv.setUint32(4 + 8 * i, keys[i].length, true);
      dv.setUint32(8 + 8 * i, this.values[i].length, true);
      out.set(keys[i], at);
      at += keys[i].length + 1;
      out.set(this.values[i], at);
      at += this.values[i].length + 1;
    }
    this.blob = out;
    return out;
  }
}

/** One exchange, encoded once and replayed many times. */
export interface Scenario {
  requestHeaders: Record<string, string>;
  requestBody?: string;
  responseHeaders: Record<string, string>;
  responseBody?: string;
}

export class PreparedScenario {
  readonly requestHeaders: HeaderMap;
  readonly responseHeaders: HeaderMap;
  readonly requestBody: Uint8Array;
  readonly responseBody: Uint8Array;

  constructor(s: Scenario) {
    // Envoy adds these before any filter runs.
    this.requestHeaders = new HeaderMap([...Object.entries(s.requestHeaders), ["x-forwarded-proto", "https"], ["x-request-id", "5c1f7f52-8bb6-4a10-9d56-9f0e2fd0a1b3"]]);
    this.responseHeaders = new HeaderMap(Object.entries(s.responseHeaders));
    this.requestBody = enc.encode(s.requestBody ?? "");
    this.responseBody = enc.encode(s.responseBody ?? "");
  }
}

/** A stream opened with `open`, not yet finished. */
class Stream {
  requestHeaders: HeaderMap;
  responseHeaders: HeaderMap;
  localStatus = 0;
  /** Its index among the host's open streams. */
  slot = 0;
  /** The filter continued the request after pausing it (proxy_continue_stream). */
  continued = false;
  /** Bytes the filter set with proxy_set_property (filter state), counted, not kept. */
  filterStateBytes = 0;
  constructor(readonly id: number, readonly scenario: PreparedScenario) {
    // Copy-on-write would save little: the maps are small arrays of shared values.
    this.requestHeaders = scenario.requestHeaders.clone();
    this.responseHeaders = scenario.responseHeaders.clone();
  }
}

interface GuestExports {
  memory: WebAssembly.Memory;
  malloc?: (size: number) => number;
  proxy_on_memory_allocate?: (size: number) => number;
  _initialize?: () => void;
  _start?: () => void;
  proxy_on_context_create(id: number, parent: number): void;
  proxy_on_vm_start(id: number, size: number): number;
  proxy_on_configure(id: number, size: number): number;
  proxy_on_request_headers(id: number, count: number, eos: number): number;
  proxy_on_request_body(id: number, size: number, eos: number): number;
  proxy_on_response_headers(id: number, count: number, eos: number): number;
  proxy_on_response_body(id: number, size: number, eos: number): number;
  proxy_on_log(id: number): void;
  proxy_on_done(id: number): number;
  proxy_on_delete(id: number): void;
  proxy_on_tick?(id: number): void;
  proxy_on_grpc_receive?(id: number, token: number, size: number): void;
}

/** Answers a unary gRPC call: the response message's bytes. */
export type LeanGrpcHandler = (service: string, method: string, message: Uint8Array) => Uint8Array;

export interface LeanHostOptions {
  pluginConfig: string;
  /** Wall clock, ms since the epoch. */
  now: number;
  /** Envoy's log level number: 0 trace .. 5 critical (default 2, info). */
  logLevel?: number;
  /** Properties by their null-separated path, in Envoy's encodings. */
  properties?: Record<string, Uint8Array>;
  /** Answers the filter's unary gRPC calls (a rate-limit service); without it, calls fail. */
  grpc?: LeanGrpcHandler;
  /** Further import modules (profiling builds: `rtrace`). */
  extraImports?: Record<string, Record<string, (...args: number[]) => unknown>>;
  /**
   * Told of every hostcall before it runs, with the guest's memory, for tests that compare
   * what two modules ask the proxy; without it the calls are not wrapped.
   */
  onHostcall?: (name: string, args: ReadonlyArray<number | bigint>, memory: Uint8Array) => void;
}

const ROOT_ID = 1;

export class LeanHost {
  private exports!: GuestExports;
  private alloc!: (size: number) => number;
  private bytes = new Uint8Array(0);
  private view = new DataView(new ArrayBuffer(8));
  private current: Stream | null = null;
  private configuration: Uint8Array;
  private readonly shared = new Map<string, { value: Uint8Array; cas: number }>();
  private nextCas = 1;
  private readonly metricNames: string[] = [];
  private readonly metricValues: number[] = [];
  private readonly properties = new Map<string, Uint8Array>();
  private readonly keys = new Map<number, Key>();
  private readonly keyAt = new Map<number, Key>();
  private nextId = ROOT_ID + 1;
  nowMs: number;
  private nanosOf = -1;
  private nanos = 0n;
  logLevel: number;
  readonly logs: string[] = [];
  private readonly grpc: LeanGrpcHandler | undefined;
  private readonly pendingCalls: Array<{ token: number; service: string; method: string; message: Uint8Array }> = [];
  private nextGrpcToken = 1;
  private grpcReceive: Uint8Array = new Uint8Array(0);
  private effective = ROOT_ID;
  // Open streams, each at its `slot`: a Map's set and delete per stream cost more than the
  // whole pass-through request (about 0.6 us in V8), so an array with swap-removal it is.
  private readonly streams: Stream[] = [];
  /** Unary gRPC calls the filter made. */
  grpcCalls = 0;

  private constructor(opts: LeanHostOptions) {
    this.grpc = opts.grpc;
    this.configuration = enc.encode(opts.pluginConfig);
    this.nowMs = opts.now;
    this.logLevel = opts.logLevel ?? 2;
    for (const [k, v] of Object.entries(opts.properties ?? {})) this.properties.set(k, v);
  }

  static async create(wasm: string, opts: LeanHostOptions): Promise<LeanHost> {
    const host = new LeanHost(opts);
    const module = await WebAssembly.compile(readFileSync(wasm));
    const env = host.hostcalls();
    const watch = opts.onHostcall;
    if (watch) {
      for (const [name, fn] of Object.entries(env)) {
        env[name] = ((...args: Array<number | bigint>) => {
          watch(name, args, new Uint8Array(host.exports.memory.buffer));
          return (fn as (...a: Array<number | bigint>) => number)(...args);
        }) as (...args: never[]) => number;
      }
    }
    const imports: WebAssembly.Imports = { env: {}, wasi_snapshot_preview1: {}, ...Object.fromEntries(Object.keys(opts.extraImports ?? {}).map((k) => [k, {}])) };
    for (const imp of WebAssembly.Module.imports(module)) {
      const fn = imp.module === "env" ? env[imp.name] : imp.module === "wasi_snapshot_preview1" ? host.wasi()[imp.name] : opts.extraImports?.[imp.module]?.[imp.name];
      if (fn === undefined) throw new Error(`lean host: ${wasm} imports ${imp.module}.${imp.name}, which the benchmark host does not provide`);
      (imports[imp.module] as Record<string, unknown>)[imp.name] = fn;
    }
    const instance = await WebAssembly.instantiate(module, imports);
    const ex = instance.exports as unknown as GuestExports;
    host.exports = ex;
    const alloc = ex.malloc ?? ex.proxy_on_memory_allocate;
    if (!alloc) throw new Error("lean host: the module exports no allocator");
    host.alloc = alloc;
    ex._initialize?.();
    ex._start?.();
    ex.proxy_on_context_create(ROOT_ID, 0);
    if (!ex.proxy_on_vm_start(ROOT_ID, 0)) throw new Error("lean host: on_vm_start refused");
    if (!ex.proxy_on_configure(ROOT_ID, host.configuration.length)) throw new Error(`lean host: configuration refused: ${host.logs.join(" | ")}`);
    host.deliverCalls();
    return host;
  }

  /** Bytes of linear memory (it never shrinks, so this is the peak). */
  memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  metric(name: string): number | undefined {
    const i = this.metricNames.indexOf(name);
    return i < 0 ? undefined : this.metricValues[i];
  }

  sharedDataSize(): number {
    return this.shared.size;
  }

  /** Serves one whole exchange; returns the status the client sees. */
  exchange(s: PreparedScenario): number {
    const stream = this.open(s);
    return this.finish(stream);
  }

  /**
   * Starts a stream and runs its request phase (headers, then the body in one chunk).
   * The stream stays open until `finish`: in-flight streams, for measuring memory.
   */
  open(s: PreparedScenario): Stream {
    const ex = this.exports;
    const stream = new Stream(this.nextId++, s);
    stream.slot = this.streams.length;
    this.streams.push(stream);
    this.current = stream;
    this.effective = stream.id;
    ex.proxy_on_context_create(stream.id, ROOT_ID);
    const hasBody = s.requestBody.length > 0;
    const h = ex.proxy_on_request_headers(stream.id, stream.requestHeaders.names.length, hasBody ? 0 : 1);
    if (stream.localStatus === 0 && h !== 0) this.awaitContinue(stream, "request headers", h);
    if (stream.localStatus === 0 && hasBody) {
      this.current = stream;
      this.effective = stream.id;
      const b = ex.proxy_on_request_body(stream.id, s.requestBody.length, 1);
      if (stream.localStatus === 0 && b !== 0) this.awaitContinue(stream, "request body", b);
    }
    this.current = null;
    return stream;
  }

  /** The open stream `id` (the latest opened are looked at first). */
  private openStream(id: number): Stream | undefined {
    for (let i = this.streams.length - 1; i >= 0; i--) if (this.streams[i].id === id) return this.streams[i];
    return undefined;
  }

  /** A paused request: its calls are answered now; it must then be continued or answered. */
  private awaitContinue(stream: Stream, phase: string, action: number): void {
    stream.continued = false;
    this.current = null;
    this.deliverCalls();
    this.current = stream;
    if (stream.localStatus === 0 && !stream.continued) throw new Error(`lean host: ${phase} paused (${action}) and nothing resumed it`);
  }

  /** Runs the root context's on_tick once (the benchmark decides when a tick period has passed), then answers its calls. */
  tick(): void {
    this.effective = ROOT_ID;
    this.exports.proxy_on_tick?.(ROOT_ID);
    this.deliverCalls();
  }

  /** Answers the calls made so far, each in on_grpc_receive of the root context. */
  private deliverCalls(): void {
    const ex = this.exports;
    while (this.pendingCalls.length) {
      const c = this.pendingCalls.shift()!;
      if (!this.grpc) throw new Error(`lean host: the filter called ${c.service}/${c.method} and no gRPC handler is set`);
      this.grpcReceive = this.grpc(c.service, c.method, c.message);
      this.effective = ROOT_ID;
      ex.proxy_on_grpc_receive?.(ROOT_ID, c.token, this.grpcReceive.length);
      this.grpcReceive = new Uint8Array(0);
    }
  }

  /** Runs the response phase of an open stream (unless it was answered locally) and ends it. */
  finish(stream: Stream): number {
    const ex = this.exports;
    this.current = stream;
    const s = stream.scenario;
    if (stream.localStatus === 0) {
      const hasBody = s.responseBody.length > 0;
      ex.proxy_on_response_headers(stream.id, stream.responseHeaders.names.length, hasBody ? 0 : 1);
      if (hasBody) ex.proxy_on_response_body(stream.id, s.responseBody.length, 1);
    }
    ex.proxy_on_log(stream.id);
    ex.proxy_on_done(stream.id);
    ex.proxy_on_delete(stream.id);
    this.current = null;
    const last = this.streams.pop()!;
    if (last !== stream) {
      this.streams[stream.slot] = last;
      last.slot = stream.slot;
    }
    this.deliverCalls();
    return stream.localStatus || 200;
  }

  // --- guest memory -------------------------------------------------------------------

  /** The memory's bytes; a view of a buffer that growing memory detached has length 0. */
  private mem(): Uint8Array {
    if (this.bytes.length === 0) {
      const buf = this.exports.memory.buffer;
      this.bytes = new Uint8Array(buf);
      this.view = new DataView(buf);
    }
    return this.bytes;
  }

  /**
   * A key (header name, property path, shared-data key) as a byte string. The same few
   * keys come back on every request, mostly from the same address (a static string, a
   * reused buffer), so the key last read at an address is checked byte for byte first;
   * otherwise each is decoded once and found again by a hash of its bytes.
   */
  private readAscii(ptr: number, size: number): string {
    return this.key(ptr, size).text;
  }

  private key(ptr: number, size: number): Key {
    const m = this.mem();
    const last = this.keyAt.get(ptr);
    if (last !== undefined && sameBytes(last.bytes, m, ptr, size)) return last;
    let h = size;
    for (let i = 0; i < size; i++) h = (Math.imul(h, 31) + m[ptr + i]) | 0;
    let hit = this.keys.get(h);
    if (hit === undefined || !sameBytes(hit.bytes, m, ptr, size)) {
      let text = "";
      for (let i = 0; i < size; i++) text += String.fromCharCode(m[ptr + i]);
      hit = { bytes: m.slice(ptr, ptr + size), text, property: propertyOf(text) };
      if (this.keys.size < 65536) this.keys.set(h, hit);
    }
    if (this.keyAt.size < 65536) this.keyAt.set(ptr, hit);
    return hit;
  }

  /** Bytes of guest memory copied out (a loop beats `slice` on the small values headers hold). */
  private copyIn(ptr: number, size: number): Uint8Array {
    const m = this.mem();
    if (size > 64) return m.slice(ptr, ptr + size);
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) out[i] = m[ptr + i];
    return out;
  }

  private copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): number {
    let ptr = 0;
    if (data.length > 0) {
      ptr = this.alloc(data.length);
      if (ptr === 0) return BAD_ARGUMENT;
      this.mem().set(data, ptr);
    }
    this.mem();
    this.view.setUint32(ptrPtr, ptr, true);
    this.view.setUint32(sizePtr, data.length, true);
    return OK;
  }

  private map(type: number): HeaderMap | null {
    const s = this.current;
    if (s === null) return null;
    if (type === REQUEST_HEADERS) return s.requestHeaders;
    if (type === RESPONSE_HEADERS) return s.responseHeaders;
    return null;
  }

  /** The request attributes Envoy derives from the request headers, as strings. */
  private requestProperty(property: RequestProperty): Uint8Array | undefined {
    const s = this.current;
    if (s === null) return undefined;
    const h = s.requestHeaders;
    switch (property) {
      case RequestProperty.Path: return h.get(":path") ?? undefined;
      case RequestProperty.UrlPath: return h.urlPath() ?? undefined;
      case RequestProperty.Host: return h.get(":authority") ?? undefined;
      case RequestProperty.Method: return h.get(":method") ?? undefined;
      case RequestProperty.Scheme: return h.get(":scheme") ?? undefined;
      case RequestProperty.Id: return h.get("x-request-id") ?? undefined;
      case RequestProperty.Protocol: return HTTP11;
      default: return undefined;
    }
  }

  private wasi(): Record<string, (...args: number[]) => number> {
    return {
      proc_exit: (code: number) => {
        throw new Error(`lean host: proc_exit(${code}) — the module aborted`);
      },
    };
  }

  private hostcalls(): Record<string, (...args: never[]) => number> {
    return {
      proxy_log: (level: number, ptr: number, size: number) => {
        if (level >= this.logLevel) this.logs.push(new TextDecoder().decode(this.mem().subarray(ptr, ptr + size)));
        return OK;
      },
      proxy_get_log_level: (ptr: number) => {
        this.mem();
        this.view.setUint32(ptr, this.logLevel, true);
        return OK;
      },
      proxy_get_current_time_nanoseconds: (ptr: number) => {
        this.mem();
        if (this.nanosOf !== this.nowMs) {
          this.nanosOf = this.nowMs;
          this.nanos = BigInt(this.nowMs) * 1_000_000n;
        }
        this.view.setBigUint64(ptr, this.nanos, true);
        return OK;
      },
      // The filter's tick (failed settlements) never fires here: the bench host has no timers.
      proxy_set_tick_period_milliseconds: (_period: number) => OK,
      proxy_define_metric: (_type: number, ptr: number, size: number, idPtr: number) => {
        const name = this.readAscii(ptr, size);
        let id = this.metricNames.indexOf(name);
        if (id < 0) {
          id = this.metricNames.length;
          this.metricNames.push(name);
          this.metricValues.push(0);
        }
        this.mem();
        this.view.setUint32(idPtr, id, true);
        return OK;
      },
      proxy_increment_metric: (id: number, delta: bigint) => {
        if (id >= this.metricValues.length) return NOT_FOUND;
        this.metricValues[id] += Number(delta);
        return OK;
      },
      proxy_get_header_map_value: (type: number, keyPtr: number, keySize: number, valuePtrPtr: number, valueSizePtr: number) => {
        const map = this.map(type);
        if (map === null) return BAD_ARGUMENT;
        const v = map.get(this.readAscii(keyPtr, keySize));
        if (v === null) return NOT_FOUND;
        return this.copyOut(v, valuePtrPtr, valueSizePtr);
      },
      proxy_get_header_map_pairs: (type: number, ptrPtr: number, sizePtr: number) => {
        const map = this.map(type);
        if (map === null) return BAD_ARGUMENT;
        return this.copyOut(map.pairs(), ptrPtr, sizePtr);
      },
      proxy_replace_header_map_value: (type: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number) => {
        const map = this.map(type);
        if (map === null) return BAD_ARGUMENT;
        map.set(this.readAscii(keyPtr, keySize), this.copyIn(valuePtr, valueSize));
        return OK;
      },
      // Adding (the charge trailer, off in the benchmarks' policy) sets the one value the maps hold per name.
      proxy_add_header_map_value: (type: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number) => {
        const map = this.map(type);
        if (map === null) return BAD_ARGUMENT;
        map.set(this.readAscii(keyPtr, keySize), this.copyIn(valuePtr, valueSize));
        return OK;
      },
      proxy_remove_header_map_value: (type: number, keyPtr: number, keySize: number) => {
        const map = this.map(type);
        if (map === null) return BAD_ARGUMENT;
        map.remove(this.readAscii(keyPtr, keySize));
        return OK;
      },
      // The size of a body buffered until its trailers (the scenarios end their bodies with data).
      proxy_get_buffer_status: (type: number, lengthPtr: number, flagsPtr: number) => {
        const s = this.current;
        if (s === null) return NOT_FOUND;
        let data: Uint8Array;
        if (type === REQUEST_BODY) data = s.scenario.requestBody;
        else if (type === RESPONSE_BODY) data = s.scenario.responseBody;
        else return NOT_FOUND;
        this.mem();
        this.view.setUint32(lengthPtr, data.length, true);
        this.view.setUint32(flagsPtr, 0, true);
        return OK;
      },
      proxy_get_buffer_bytes: (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
        let data: Uint8Array;
        if (type === PLUGIN_CONFIGURATION) data = this.configuration;
        else if (type === GRPC_RECEIVE) data = this.grpcReceive;
        else {
          const s = this.current;
          if (s === null) return NOT_FOUND;
          if (type === REQUEST_BODY) data = s.scenario.requestBody;
          else if (type === RESPONSE_BODY) data = s.scenario.responseBody;
          else return NOT_FOUND;
        }
        if (start > data.length) return BAD_ARGUMENT;
        const end = Math.min(data.length, start + length);
        return this.copyOut(data.subarray(start, end), ptrPtr, sizePtr);
      },
      proxy_set_buffer_bytes: () => OK,
      proxy_record_metric: (id: number, value: bigint) => {
        if (id >= this.metricValues.length) return NOT_FOUND;
        this.metricValues[id] = Number(value);
        return OK;
      },
      proxy_set_effective_context: (id: number) => {
        if (id !== ROOT_ID && this.openStream(id) === undefined) return BAD_ARGUMENT;
        this.effective = id;
        return OK;
      },
      proxy_continue_stream: () => {
        const s = this.openStream(this.effective);
        if (s === undefined) return NOT_FOUND;
        s.continued = true;
        return OK;
      },
      proxy_get_status: (codePtr: number, msgPtrPtr: number, msgSizePtr: number) => {
        this.mem();
        this.view.setUint32(codePtr, 0, true);
        return this.copyOut(new Uint8Array(0), msgPtrPtr, msgSizePtr);
      },
      proxy_grpc_call: (_svcPtr: number, _svcSize: number, namePtr: number, nameSize: number, methodPtr: number, methodSize: number,
        _mdPtr: number, _mdSize: number, msgPtr: number, msgSize: number, _timeout: number, tokenPtr: number) => {
        const token = this.nextGrpcToken;
        this.nextGrpcToken += 4;
        this.grpcCalls++;
        this.pendingCalls.push({ token, service: this.readAscii(namePtr, nameSize), method: this.readAscii(methodPtr, methodSize), message: this.mem().slice(msgPtr, msgPtr + msgSize) });
        this.mem();
        this.view.setUint32(tokenPtr, token, true);
        return OK;
      },
      proxy_grpc_cancel: (token: number) => {
        const i = this.pendingCalls.findIndex((c) => c.token === token);
        if (i < 0) return NOT_FOUND;
        this.pendingCalls.splice(i, 1);
        return OK;
      },
      proxy_send_local_response: (code: number) => {
        if (this.current) this.current.localStatus = code;
        return OK;
      },
      proxy_get_property: (pathPtr: number, pathSize: number, valuePtrPtr: number, valueSizePtr: number) => {
        const key = this.key(pathPtr, pathSize);
        const v = (key.property === RequestProperty.None ? undefined : this.requestProperty(key.property)) ?? this.properties.get(key.text);
        if (v === undefined) return NOT_FOUND;
        return this.copyOut(v, valuePtrPtr, valueSizePtr);
      },
      proxy_get_shared_data: (keyPtr: number, keySize: number, valuePtrPtr: number, valueSizePtr: number, casPtr: number) => {
        const e = this.shared.get(this.readAscii(keyPtr, keySize));
        if (e === undefined) return NOT_FOUND;
        const r = this.copyOut(e.value, valuePtrPtr, valueSizePtr);
        this.view.setUint32(casPtr, e.cas, true);
        return r;
      },
      proxy_set_shared_data: (keyPtr: number, keySize: number, valuePtr: number, valueSize: number, cas: number) => {
        const key = this.readAscii(keyPtr, keySize);
        const e = this.shared.get(key);
        if (cas !== 0 && e !== undefined && e.cas !== cas) return CAS_MISMATCH;
        this.shared.set(key, { value: this.mem().slice(valuePtr, valuePtr + valueSize), cas: this.nextCas++ });
        return OK;
      },
      // Filter state (the access log's charge): its size counted per stream; Envoy copies it into a CelState.
      proxy_set_property: (keyPtr: number, keySize: number, valuePtr: number, valueSize: number) => {
        const s = this.current;
        if (s) s.filterStateBytes += valueSize;
        return OK;
      },
      // Budget alerts' webhook: no request crosses a threshold in the benchmarks.
      proxy_http_call: () => BAD_ARGUMENT,
    } as unknown as Record<string, (...args: never[]) => number>;
  }
}
