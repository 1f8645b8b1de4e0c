// One Wasm VM (an instance of the module on one "thread"), as cpp-host's WasmBase + V8 run
// it, and the contexts that live in it, as Envoy's Wasm `Context`
// (source/extensions/common/wasm/context.cc) on top of cpp-host's ContextBase. The two
// refer to each other (a VM holds its contexts, a context calls into its VM), as in
// cpp-host, hence one file.
//
// The VM: the import table with restricted windows, calls into the guest with trap handling
// (a trap marks the VM failed for good), the current/effective context stack, deferred
// "after VM call" actions, the allocator, context ids, tick timers and callout tokens.
// Contexts: the VM context (id 0, used by start functions and malloc), root contexts (one
// per plugin per VM: configuration, ticks, queues, outbound calls) and, in
// stream_context.ts, HTTP stream contexts. This file holds what hostcalls see when no
// stream is involved.
import { START_ALLOWED, MALLOC_ALLOWED, WasmResult, HeaderMapType, BufferType, StreamType } from "./abi.ts";
import type { LoadedModule } from "./loader.ts";
import type { HostCore } from "./core.ts";
import { GuestMemory } from "./memory.ts";
import { VmMetrics } from "./metrics.ts";
import type { TaskHandle } from "./clock.ts";
import type { HeaderMap } from "./headers.ts";
import { BodyBuffer, constView, instanceView, type BufferView } from "./buffers.ts";
import { Attr, navigate, splitPath, type AttributeTable, type PropertyResult } from "./properties.ts";
import { runProbes } from "./probe.ts";
import type { HttpCallRecord, GrpcCallRecord, GrpcStreamRecord } from "./types.ts";

/** A trap raised by the host itself (e.g. a restricted hostcall). */
export class HostTrap extends Error {}

function isTrap(e: unknown): e is Error {
  if (e instanceof WebAssembly.RuntimeError || e instanceof HostTrap) return true;
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** The signature of a hostcall implementation: the VM, then the raw wasm arguments. */
export type Hostcall = (vm: WasmVm, ...args: any[]) => number | void;

/** The hostcall implementations by import module: "env" (Proxy-Wasm) and WASI (both module names). */
export interface Hostcalls {
  env: Record<string, Hostcall>;
  wasi: Record<string, Hostcall>;
}

export class WasmVm {
  readonly memory: GuestMemory;
  readonly metrics: VmMetrics;
  readonly contexts = new Map<number, ContextBase>();
  readonly vmContext: ContextBase;
  /** Root contexts by plugin key. */
  readonly roots = new Map<string, RootContext>();
  exports: Record<string, (...a: any[]) => any> = {};
  failed = false;
  failMessage = "";
  /** The VM was thrown away (the canary): nothing is delivered to it any more. */
  dead = false;
  restricted: Set<string> | null = null;
  stopIteration = false;
  nextHttpCall = 0;
  nextGrpcCall = 1;
  nextGrpcStream = 2;
  private nextContextId = 1;
  private stack: Array<{ ctx: ContextBase; eff: number }> = [];
  private afterCall: Array<() => void> = [];
  private timers = new Map<number, { period: number; handle?: TaskHandle }>();

  constructor(
    readonly name: string,
    readonly core: HostCore,
    readonly loaded: LoadedModule,
    readonly vmId: string,
    readonly vmConfig: Uint8Array,
    private readonly hostcalls: Hostcalls,
  ) {
    this.memory = new GuestMemory((n) => this.allocate(n));
    this.metrics = new VmMetrics(core.metrics);
    this.vmContext = new ContextBase(this, 0, 0, null);
  }

  /** Instantiates the module with Envoy's import table. False (and failed) when instantiation throws. */
  instantiate(): boolean {
    const imports: Record<string, Record<string, unknown>> = {};
    for (const imp of this.loaded.shape.imports) {
      imports[imp.module] ??= {};
      const key = `${imp.module}.${imp.name}`;
      if (imp.kind === "function") {
        const impl = imp.module === "env" ? this.hostcalls.env[imp.name] : this.hostcalls.wasi[imp.name];
        const i64 = imp.type!.params.map((p) => p === "i64");
        imports[imp.module][imp.name] = (...args: any[]) => {
          if (this.restricted && !this.restricted.has(key)) throw new HostTrap("restricted_callback");
          for (let i = 0; i < args.length; i++) if (!i64[i]) args[i] = args[i] >>> 0;
          return impl(this, ...args);
        };
      } else if (imp.kind === "memory") {
        const l = imp.limits!;
        imports[imp.module][imp.name] = new WebAssembly.Memory({ initial: l.min, maximum: l.max });
      } else if (imp.kind === "table") {
        const l = imp.limits!;
        imports[imp.module][imp.name] = new WebAssembly.Table({ element: "anyfunc", initial: l.min, maximum: l.max });
      }
    }
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(this.loaded.module, imports as WebAssembly.Imports);
    } catch (e) {
      this.fail("UnableToInitializeCode", `Failed to create new Wasm instance: ${(e as Error).message}`);
      return false;
    }
    this.exports = instance.exports as Record<string, (...a: any[]) => any>;
    const mem = Object.values(instance.exports).find((v) => v instanceof WebAssembly.Memory) as WebAssembly.Memory | undefined;
    const imported = this.loaded.memoryImport ? imports[this.loaded.memoryImport.module][this.loaded.memoryImport.name] as WebAssembly.Memory : undefined;
    this.memory.attach(mem ?? imported!);
    return true;
  }

  /**
   * Marks the VM failed (it never recovers) and logs as Envoy's Wasm::error does. Runtime
   * errors (traps) are also reported in `core.traps`.
   */
  fail(state: string, message: string, fn = ""): void {
    if (!this.failed) this.failMessage = message;
    this.failed = true;
    if (state === "RuntimeError") this.core.traps.push({ vm: this.name, function: fn, message });
    this.core.log(4, `Wasm VM failed ${message}`, this.name, 0, "", "host");
  }

  /** The context hostcalls act on: the effective context if one is set, else the current one. */
  contextOrEffective(): ContextBase {
    const top = this.stack[this.stack.length - 1];
    if (!top) return this.vmContext;
    if (top.eff !== 0) {
      const c = this.contexts.get(top.eff);
      if (c) return c;
    }
    return top.ctx;
  }

  /** proxy_set_effective_context. */
  setEffective(id: number): number {
    const c = this.contexts.get(id);
    if (!c) return WasmResult.BadArgument;
    const top = this.stack[this.stack.length - 1];
    if (top) top.eff = id;
    return WasmResult.Ok;
  }

  /** True when `fn` is exported (and passed the signature check). */
  has(fn: string): boolean {
    return this.loaded.functions.has(fn);
  }

  /**
   * Calls a guest export with `ctx` as the current context. A trap fails the VM and yields 0,
   * like cpp-host's WasmCallWord. Other JS errors (host bugs) propagate.
   */
  call(ctx: ContextBase, fn: string, ...args: number[]): number {
    const f = this.exports[fn];
    const rec = this.core.trace ? { vm: this.name, fn, args, result: undefined as number | undefined } : undefined;
    if (rec) this.core.calls.push(rec);
    this.stack.push({ ctx, eff: 0 });
    let result = 0;
    try {
      if (this.core.probes.length) runProbes(this, fn, args, this.core.probes);
      const r = f(...args);
      result = typeof r === "number" ? r >>> 0 : 0;
    } catch (e) {
      if (!isTrap(e)) throw e;
      this.fail("RuntimeError", `Function: ${fn} failed: Uncaught RuntimeError: ${e.message}`, fn);
    } finally {
      this.stack.pop();
    }
    if (rec) rec.result = result;
    return result;
  }

  /** Queues an action for when the current VM call returns (addAfterVmCallAction). */
  addAfterCall(action: () => void): void {
    this.afterCall.push(action);
  }

  /** Runs `fn` like cpp-host's DeferAfterCallActions scope: afterwards clears stop-iteration and runs queued actions. */
  deferred<T>(fn: () => T): T {
    try {
      return fn();
    } finally {
      this.stopIteration = false;
      while (this.afterCall.length) this.afterCall.shift()!();
    }
  }

  /** Guest allocation through `malloc` in its restricted window; 0 on failure. */
  allocate(size: number): number {
    this.restricted = MALLOC_ALLOWED;
    let ptr: number;
    try {
      ptr = this.call(this.vmContext, this.loaded.allocator, size);
    } finally {
      this.restricted = null; // cpp-host resets to unrestricted, whatever was set before
    }
    if (ptr === 0 || !this.memory.valid(ptr, size)) return 0;
    return ptr;
  }

  /** WasmBase::startVm: `_initialize` (+ `main`/`__main_void`) or `_start`, restricted to START_ALLOWED. */
  startVm(): boolean {
    this.restricted = START_ALLOWED;
    try {
      if (this.has("_initialize")) {
        this.call(this.vmContext, "_initialize");
        if (this.has("main")) this.call(this.vmContext, "main", 0, 0);
        else if (this.has("__main_void")) this.call(this.vmContext, "__main_void");
      } else if (this.has("_start")) {
        this.call(this.vmContext, "_start");
      }
    } finally {
      this.restricted = null;
    }
    return !this.failed;
  }

  allocContextId(): number {
    while (this.contexts.has(this.nextContextId)) this.nextContextId++;
    return this.nextContextId++;
  }

  /** WasmBase::start: a root context for `plugin` (on_context_create + on_vm_start). Null when start fails. */
  start(plugin: Plugin): RootContext | null {
    const existing = this.roots.get(plugin.key);
    if (existing) {
      existing.onStart();
      return existing;
    }
    const root = new RootContext(this, plugin);
    this.roots.set(plugin.key, root);
    return root.onStart() ? root : null;
  }

  /** Wasm::setTimerPeriod: (re)arms the tick timer of a root context; 0 stops it. */
  setTimerPeriod(rootId: number, periodMs: number): void {
    const t = this.timers.get(rootId) ?? { period: 0 };
    this.timers.set(rootId, t);
    t.handle?.cancel();
    t.handle = undefined;
    t.period = periodMs;
    if (periodMs > 0) t.handle = this.core.scheduler.schedule(periodMs, () => this.tick(rootId));
  }

  private tick(rootId: number): void {
    const t = this.timers.get(rootId);
    if (!t || !this.has("proxy_on_tick")) return;
    t.handle = undefined;
    const ctx = this.contexts.get(rootId);
    if (ctx instanceof RootContext) ctx.onTick();
    // Wasm::tickHandler re-arms with the period in force after the tick.
    if (!t.handle && t.period > 0) t.handle = this.core.scheduler.schedule(t.period, () => this.tick(rootId));
  }

  /** Stops every timer (VM teardown). */
  stopTimers(): void {
    for (const t of this.timers.values()) t.handle?.cancel();
    this.timers.clear();
  }
}

// ------------------------------------------------------------------ contexts

/** A plugin configuration (Envoy's PluginBase). */
export interface Plugin {
  name: string;
  rootId: string;
  vmId: string;
  configuration: Uint8Array;
  failOpen: boolean;
  /** Identity of the plugin (root id + configuration), as cpp-host's plugin key. */
  key: string;
  /** Attributes visible to root contexts (only `xds.*` is reachable there). */
  attributes: AttributeTable;
}

/** A received HTTP call response, visible during on_http_call_response. */
export interface CallResponse {
  headers: HeaderMap;
  body: Uint8Array;
  trailers: HeaderMap | null;
}

/** An HTTP call waiting for its answer: the record tests see and the timers that deliver it. */
export interface PendingHttpCall {
  record: HttpCallRecord;
  timers: TaskHandle[];
  /** Drops the real request of a call to a connected cluster. */
  abort?: () => void;
}

/** A unary gRPC call waiting for its answer. */
export interface PendingGrpcCall {
  record: GrpcCallRecord;
  timers: TaskHandle[];
  /** Cancels the real call of a call to a connected cluster. */
  abort?: () => void;
}

/** An open gRPC stream. */
export interface PendingGrpcStream {
  record: GrpcStreamRecord;
}

export class ContextBase {
  /** in_vm_context_created_: on_context_create has been called (or skipped for a failed VM). */
  inVmCreated = false;
  accessLogPhase = false;

  constructor(
    readonly vm: WasmVm,
    readonly id: number,
    readonly parentId: number,
    readonly plugin: Plugin | null,
  ) {}

  get isRoot(): boolean {
    return this.parentId === 0;
  }

  /** root_context(): the root for streams, itself for roots; null for the VM context. */
  get root(): RootContext | null {
    return null;
  }

  /** Envoy's log prefix for this context. */
  logPrefix(): string {
    return "";
  }

  /** Mutable header map (Context::getMap); null means BAD_ARGUMENT. */
  getMap(_type: number): HeaderMap | null {
    return null;
  }

  /** Readable header map (Context::getConstMap). */
  getConstMap(type: number): HeaderMap | null {
    const root = this.root;
    if (!root) return null;
    switch (type) {
      case HeaderMapType.GrpcReceiveInitialMetadata:
        return root.grpcInitialMetadata;
      case HeaderMapType.GrpcReceiveTrailingMetadata:
        return root.grpcTrailingMetadata;
      case HeaderMapType.HttpCallResponseHeaders:
        return root.httpCallResponse?.headers ?? null;
      case HeaderMapType.HttpCallResponseTrailers:
        return root.httpCallResponse?.trailers ?? null;
      default:
        return null;
    }
  }

  /** The body this context can see for HttpRequestBody / HttpResponseBody (none outside streams). */
  protected bodyBuffer(_response: boolean): BufferView {
    return instanceView(null);
  }

  /** Context::getBuffer; null means NOT_FOUND. */
  getBuffer(type: number): BufferView | null {
    const root = this.root;
    switch (type) {
      case BufferType.CallData:
      case BufferType.NetworkDownstreamData:
      case BufferType.NetworkUpstreamData:
        return instanceView(null);
      case BufferType.VmConfiguration:
        return constView(this.vm.vmConfig);
      case BufferType.PluginConfiguration:
        // temp_plugin_ is per context: only a root context inside on_configure (or its own on_context_create).
        return (this as Partial<RootContext>).tempPlugin && this.plugin ? constView(this.plugin.configuration) : null;
      case BufferType.HttpRequestBody:
        return this.bodyBuffer(false);
      case BufferType.HttpResponseBody:
        return this.bodyBuffer(true);
      case BufferType.HttpCallResponseBody:
        return root?.httpCallResponse ? constView(root.httpCallResponse.body) : null;
      case BufferType.GrpcReceiveBuffer:
        return instanceView(root?.grpcReceiveBuffer ?? null);
      default:
        return null;
    }
  }

  /** Attribute lookup for a stream (undefined: not a stream attribute). */
  protected streamProperty(_segments: string[]): PropertyResult | undefined {
    return undefined;
  }

  /** Context::getProperty. */
  getProperty(path: string): PropertyResult {
    const segments = splitPath(path);
    if (segments.length === 0) return { status: WasmResult.SerializationFailure };
    const stream = this.streamProperty(segments);
    if (stream) return stream;
    const [top, ...rest] = segments;
    const plugin = this.plugin ?? this.root?.plugin ?? null;
    switch (top) {
      case "plugin_name":
        return plugin ? navigate(Attr.string(plugin.name), rest, [top], undefined) : { status: WasmResult.NotFound };
      case "plugin_root_id":
        return navigate(Attr.string(plugin?.rootId ?? ""), rest, [top], undefined);
      case "plugin_vm_id":
        return navigate(Attr.string(this.vm.vmId), rest, [top], undefined);
      case "xds": {
        // XDSWrapper needs only local info, so it works in root contexts too.
        if (rest.length === 0) return { status: WasmResult.SerializationFailure };
        const v = plugin?.attributes.get([top, rest[0]]);
        return v ? navigate(v, rest.slice(1), [top, rest[0]], plugin!.attributes) : { status: WasmResult.NotFound };
      }
      default:
        return { status: WasmResult.NotFound };
    }
  }

  /** Context::setProperty: needs a stream (filter state). */
  setProperty(_path: string, _value: Uint8Array): number {
    return WasmResult.NotFound;
  }

  /** Context::continueStream without stream callbacks. */
  continueStream(type: number): number {
    if (type === StreamType.Upstream) return WasmResult.Unimplemented;
    return WasmResult.Ok;
  }

  /** Context::closeStream without stream callbacks. */
  closeStream(_type: number): number {
    return WasmResult.Ok;
  }

  /** Context::sendLocalResponse without decoder callbacks: nothing happens. */
  sendLocalResponse(_code: number, _body: Uint8Array, _headers: Array<[string, string]>, _grpcStatus: number, _details: string): number {
    return WasmResult.Ok;
  }
}

export class RootContext extends ContextBase {
  /** temp_plugin_: the plugin configuration is readable (on_context_create of a root, on_configure). */
  tempPlugin = false;
  statusCode = 0;
  statusMessage = "";
  httpCallResponse: CallResponse | null = null;
  grpcReceiveBuffer: BodyBuffer | null = null;
  grpcInitialMetadata: HeaderMap | null = null;
  grpcTrailingMetadata: HeaderMap | null = null;
  readonly httpRequests = new Map<number, PendingHttpCall>();
  readonly grpcCallRequests = new Map<number, PendingGrpcCall>();
  readonly grpcStreams = new Map<number, PendingGrpcStream>();
  deleted = false;

  constructor(vm: WasmVm, readonly rootPlugin: Plugin) {
    super(vm, vm.allocContextId(), 0, rootPlugin);
    vm.contexts.set(this.id, this);
  }

  override get root(): RootContext {
    return this;
  }

  override logPrefix(): string {
    return [this.rootPlugin.rootId, this.vm.vmId].filter((s) => s).map((s) => " " + s).join("");
  }

  /** ContextBase::onStart: on_context_create(id, 0) then on_vm_start(id, vm_config_size). */
  onStart(): boolean {
    const vm = this.vm;
    return vm.deferred(() => {
      if (vm.has("proxy_on_context_create")) {
        this.tempPlugin = true;
        vm.call(this, "proxy_on_context_create", this.id, 0);
        this.inVmCreated = true;
        this.tempPlugin = false;
      }
      if (vm.has("proxy_on_vm_start")) return vm.call(this, "proxy_on_vm_start", this.id, vm.vmConfig.length) !== 0;
      return true;
    });
  }

  /** ContextBase::onConfigure: on_configure(id, plugin_config_size); a failed VM "succeeds". */
  onConfigure(): boolean {
    const vm = this.vm;
    if (vm.failed) return true;
    if (!this.inVmCreated && vm.has("proxy_on_context_create")) vm.deferred(() => vm.call(this, "proxy_on_context_create", this.id, 0));
    this.inVmCreated = true;
    if (!vm.has("proxy_on_configure")) return true;
    return vm.deferred(() => {
      this.tempPlugin = true;
      const r = vm.call(this, "proxy_on_configure", this.id, this.rootPlugin.configuration.length) !== 0;
      this.tempPlugin = false;
      return r;
    });
  }

  onTick(): void {
    if (!this.vm.failed && this.vm.has("proxy_on_tick")) this.vm.deferred(() => this.vm.call(this, "proxy_on_tick", this.id));
  }

  onQueueReady(token: number): void {
    if (!this.vm.failed && this.vm.has("proxy_on_queue_ready")) this.vm.deferred(() => this.vm.call(this, "proxy_on_queue_ready", this.id, token));
  }

  onDone(): boolean {
    if (!this.vm.failed && this.vm.has("proxy_on_done")) return this.vm.deferred(() => this.vm.call(this, "proxy_on_done", this.id) !== 0);
    return true;
  }

  onDelete(): void {
    if (this.inVmCreated && !this.vm.failed && this.vm.has("proxy_on_delete")) this.vm.deferred(() => this.vm.call(this, "proxy_on_delete", this.id));
  }

  /** on_done returned false: the root waits for proxy_done before on_delete. */
  pendingDone = false;

  /** WasmBase::startShutdown for this plugin: on_done, then on_delete unless on_done asked to wait. */
  shutdown(): void {
    if (this.deleted) return;
    if (this.onDone()) this.destroy();
    else this.pendingDone = true;
  }

  /** proxy_done from the waiting root: on_delete runs after the current VM call. */
  finishDone(): number {
    this.pendingDone = false;
    this.vm.addAfterCall(() => this.destroy());
    return WasmResult.Ok;
  }

  /** Cancels everything this root context has outstanding (~Context). */
  cancelCalls(): void {
    for (const p of this.httpRequests.values()) {
      for (const t of p.timers) t.cancel();
      p.abort?.();
      p.record.state = "cancelled";
    }
    this.httpRequests.clear();
    for (const p of this.grpcCallRequests.values()) {
      for (const t of p.timers) t.cancel();
      p.abort?.();
      p.record.state = "cancelled";
    }
    this.grpcCallRequests.clear();
    for (const s of this.grpcStreams.values()) s.record.cancelled = true;
    this.grpcStreams.clear();
  }

  private destroy(): void {
    this.onDelete();
    this.cancelCalls();
    this.deleted = true;
    this.vm.setTimerPeriod(this.id, 0);
    this.vm.contexts.delete(this.id);
    this.vm.roots.delete(this.rootPlugin.key);
  }
}
