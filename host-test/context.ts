// Contexts as Envoy's Wasm `Context` (source/extensions/common/wasm/context.cc) on top of
// cpp-host's ContextBase: the VM context (id 0, used by start functions and malloc), root
// contexts (one per plugin per VM: configuration, ticks, queues, outbound calls) and, in
// stream_context.ts, HTTP stream contexts. This file holds what hostcalls see when no
// stream is involved.
import { WasmResult, HeaderMapType, BufferType, StreamType } from "./abi.ts";
import type { WasmVm } from "./vm.ts";
import type { HeaderMap } from "./headers.ts";
import { BodyBuffer, constView, instanceView, type BufferView } from "./buffers.ts";
import { Attr, navigate, splitPath, type AttributeTable, type PropertyResult } from "./properties.ts";
import { cancelAll, type PendingHttpCall } from "./calls.ts";
import type { PendingGrpcCall, PendingGrpcStream } from "./grpc.ts";

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

  private destroy(): void {
    this.onDelete();
    cancelAll(this);
    this.deleted = true;
    this.vm.setTimerPeriod(this.id, 0);
    this.vm.contexts.delete(this.id);
    this.vm.roots.delete(this.rootPlugin.key);
  }
}
