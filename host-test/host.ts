// The test-facing facade: loads a module like Envoy, runs the configuration canary, starts
// one VM per worker, and offers verbs (newStream, exchange, clock.advance) and observers
// (logs, traps, metrics, shared data, calls). See host-test/README.md.
import { loadModule, readWasm, WasmLoadError, type LoadedModule } from "./loader.ts";
import { HostCore } from "./core.ts";
import { Clock } from "./clock.ts";
import { WasmVm, type Hostcalls, type Plugin } from "./vm.ts";
import { ENV_HOSTCALLS } from "./hostcalls.ts";
import { WASI_HOSTCALLS } from "./wasi.ts";
import { ActiveStream } from "./stream.ts";
import { runExchange, type ExchangeOptions, type ExchangeResult } from "./exchange.ts";
import { AttributeTable, type AttrInput } from "./properties.ts";
import { bodyBytes, toByteString } from "./pairs.ts";
import { LogLevels } from "./abi.ts";
import type { StatsTag } from "./metrics.ts";
import { formatFuncType } from "./binary.ts";
import { RemoteCluster } from "./remote.ts";
import type {
  AbiVersion, BodyInput, CallRecord, GrpcCallHandler, GrpcCallRecord, GrpcStreamHandler, GrpcStreamRecord,
  HttpCallHandler, HttpCallRecord, HttpStream, LogEntry, LogLevelName, ProbeHandler, StreamSink, TrapRecord,
} from "./types.ts";

/** Options of `Host.create`. Every field but `wasm` has a default. */
export interface HostOptions {
  /** The module: a path or its bytes. */
  wasm: string | Uint8Array;
  /** Plugin configuration passed to on_configure; objects are JSON-encoded. Default "". */
  pluginConfig?: string | object | Uint8Array;
  /** VM configuration passed to on_vm_start. Default "". */
  vmConfig?: string | Uint8Array;
  /** Plugin root_id (Istio: the WasmPlugin's pluginName). Default "". */
  rootId?: string;
  /** VM id; VMs with the same id share data and queues. Default "". */
  vmId?: string;
  /** Plugin name (the `plugin_name` attribute). Default "". */
  pluginName?: string;
  /** Worker threads, one VM each. Default 1. */
  workers?: number;
  /** Envoy's fail_open: streams on a failed VM pass through (true) or get 503 (false). Default false. */
  failOpen?: boolean;
  /** Envoy's log level (proxy_get_log_level; lower levels are dropped). Default "info". */
  logLevel?: LogLevelName;
  /** Wall clock at start, ms since the epoch. Default 2026-01-01T00:00:00Z. */
  now?: number;
  /**
   * Known clusters for outbound calls: names, or name -> an HTTP handler, `true`, or
   * `{ address: "host:port" }`: a real service, reached over HTTP/1.1 (HTTP calls) and
   * HTTP/2 (gRPC calls); see README.md, "Real clusters".
   */
  clusters?: string[] | Record<string, HttpCallHandler | true | { address: string }>;
  /** Runs when a real cluster's answer has been queued on the loop (default: `host.flush()`); a driver that follows real time pumps its clock here. */
  onRemoteAnswer?: () => void;
  /** Default stream attributes (dotted keys), merged over the built-in source/destination/connection defaults. */
  attributes?: Record<string, AttrInput>;
  /** Environment variables visible through WASI (Envoy's vm_config.environment_variables). */
  env?: Record<string, string>;
  /** Buffer limit per stream (per_connection_buffer_limit_bytes). Default 1 MiB. */
  bufferLimitBytes?: number;
  /** Complete streams (on_log/on_done/on_delete) as soon as the response ends, as Envoy does. Default true. */
  autoComplete?: boolean;
  /** The connection manager adds x-request-id when absent. Default true. */
  requestIdHeader?: boolean;
  /** The connection manager sets x-forwarded-proto when absent (null: don't). Default "http". */
  forwardedProto?: string | null;
  /** Downstream protocol (the `request.protocol` attribute). Default "HTTP/1.1". */
  protocol?: string;
  /** Run the configuration canary before starting workers, as Envoy does. Default true. */
  canary?: boolean;
  /** Record every host->guest call in `host.calls`. Default true (turn off for benchmarks). */
  trace?: boolean;
  /** Probes installed before any VM starts (see `host.probe`), e.g. to act inside the canary's on_configure. */
  probes?: Array<{ fn: string; handler: ProbeHandler; vm?: string; once?: boolean }>;
  /** Keep logs, warnings and call records for the observers. Default true (false: a long-running host's memory stays flat). */
  keepRecords?: boolean;
  /** Called with every log line Envoy would print, kept or not. */
  onLog?: (entry: LogEntry) => void;
}

/** One worker VM, for inspection. */
export interface WorkerInfo {
  name: string;
  failed: boolean;
  failMessage: string;
  rootContextId: number;
  memoryBytes: number;
}

const HOSTCALLS: Hostcalls = { env: ENV_HOSTCALLS, wasi: WASI_HOSTCALLS };

/** What host-test's own tests may reach inside a Host: see `hostInternals` (internal.ts). */
export interface HostInternals {
  readonly core: HostCore;
  readonly module: LoadedModule;
  /** The worker VMs, in order. */
  readonly vms: readonly WasmVm[];
}

const INTERNALS = new WeakMap<Host, HostInternals>();

/** The internals of `host`, for host-test's own unit tests (exported by internal.ts, not index.ts). */
export function hostInternals(host: Host): HostInternals {
  const i = INTERNALS.get(host);
  if (!i) throw new Error("host-test: not a Host");
  return i;
}

const DEFAULT_ATTRIBUTES: Record<string, AttrInput> = {
  "source.address": "127.0.0.1:40000",
  "source.port": 40000,
  "destination.address": "127.0.0.1:10000",
  "destination.port": 10000,
  "connection.mtls": false,
  "connection.requested_server_name": "",
};

function utf8(v: string | object | Uint8Array | undefined): Uint8Array {
  if (v === undefined) return new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  return bodyBytes(typeof v === "string" ? v : JSON.stringify(v));
}

export class Host {
  private readonly core: HostCore;
  /** Simulated time: `now()`, `nowNanos()`, `set(ms)`, `advance(ms)` (advancing runs what falls due). */
  readonly clock: Clock;
  /** ABI version the module declares. */
  readonly abiVersion: AbiVersion;
  /** False when the canary (or base VM) failed: Envoy would reject the configuration. */
  accepted = true;
  /** Why the configuration was rejected. */
  rejection: string | null = null;
  /** Per worker: the plugin started and configured. */
  configureResult: boolean[] = [];
  private plugin: Plugin;
  private readonly vms: WasmVm[] = [];
  private pluginFailed: boolean[] = [];
  private nextConnectionId = 1;
  private requestIds = 0;
  private readonly opts: Required<Omit<HostOptions, "wasm" | "pluginConfig" | "vmConfig" | "clusters" | "attributes" | "env" | "probes" | "keepRecords" | "onLog" | "onRemoteAnswer">>;
  private readonly defaults: AttributeTable;

  private constructor(private readonly module: LoadedModule, options: HostOptions) {
    this.opts = {
      rootId: options.rootId ?? "",
      vmId: options.vmId ?? "",
      pluginName: options.pluginName ?? "",
      workers: options.workers ?? 1,
      failOpen: options.failOpen ?? false,
      logLevel: options.logLevel ?? "info",
      now: options.now ?? Date.UTC(2026, 0, 1),
      bufferLimitBytes: options.bufferLimitBytes ?? 1024 * 1024,
      autoComplete: options.autoComplete ?? true,
      requestIdHeader: options.requestIdHeader ?? true,
      forwardedProto: options.forwardedProto === undefined ? "http" : options.forwardedProto,
      protocol: options.protocol ?? "HTTP/1.1",
      canary: options.canary ?? true,
      trace: options.trace ?? true,
    };
    this.core = new HostCore({
      logLevel: this.opts.logLevel, trace: this.opts.trace, env: options.env ?? {}, nowMs: this.opts.now,
      keepRecords: options.keepRecords ?? true, onLog: options.onLog,
    });
    this.clock = new Clock(this.core.scheduler);
    for (const p of options.probes ?? []) this.core.probes.push({ fn: p.fn, handler: p.handler, vm: p.vm, once: p.once ?? false });
    this.abiVersion = module.abi;
    const clusters = options.clusters ?? [];
    if (Array.isArray(clusters)) clusters.forEach((c) => this.core.clusters.add(c));
    else for (const [name, h] of Object.entries(clusters)) {
      this.core.clusters.add(name);
      if (typeof h === "function") this.core.httpHandlers.set(name, h);
      else if (typeof h === "object" && h !== null) this.core.remotes.set(name, new RemoteCluster(name, h.address));
    }
    this.core.onRemoteAnswer = options.onRemoteAnswer;
    const attrs = { ...DEFAULT_ATTRIBUTES, ...(options.attributes ?? {}) };
    if (options.attributes?.["source.address"] && options.attributes["source.port"] === undefined) {
      const m = /:(\d+)$/.exec(String(options.attributes["source.address"]));
      if (m) attrs["source.port"] = Number(m[1]);
    }
    this.defaults = new AttributeTable().set(attrs);
    this.plugin = this.makePlugin(options.pluginConfig);
    this.vmConfig = utf8(options.vmConfig);
    INTERNALS.set(this, { core: this.core, module, vms: this.vms });
  }

  private readonly vmConfig: Uint8Array;

  private makePlugin(config: HostOptions["pluginConfig"]): Plugin {
    const configuration = utf8(config);
    return {
      name: toByteString(this.opts.pluginName),
      rootId: toByteString(this.opts.rootId),
      vmId: toByteString(this.opts.vmId),
      configuration,
      failOpen: this.opts.failOpen,
      key: `${this.opts.rootId}||${Buffer.from(configuration).toString("base64")}`,
      attributes: this.defaults,
    };
  }

  /**
   * Loads the module (refusing it with Envoy's message as a WasmLoadError), runs the base VM's
   * start functions and the configuration canary, then starts and configures one VM per worker.
   * A canary failure does not throw: `accepted` is false and `rejection` says why.
   */
  static async create(options: HostOptions): Promise<Host> {
    const loaded = loadModule(await readWasm(options.wasm));
    const host = new Host(loaded, options);
    host.boot();
    return host;
  }

  private newVm(name: string): WasmVm {
    return new WasmVm(name, this.core, this.module, toByteString(this.opts.vmId), this.vmConfig, HOSTCALLS);
  }

  /** Canary: a fresh VM runs start + configure for `plugin`, then is thrown away. Returns the failure or null. */
  private canary(plugin: Plugin): string | null {
    const vm = this.newVm("canary");
    let failure: string | null = null;
    if (!vm.instantiate() || !vm.startVm()) failure = `Failed to initialize Wasm code: ${vm.failMessage}`;
    else {
      const root = vm.start(plugin);
      if (!root || vm.failed) failure = `Failed to start base Wasm${vm.failMessage ? ": " + vm.failMessage : ""}`;
      else if (!root.onConfigure() || vm.failed) failure = `Failed to configure base Wasm plugin${vm.failMessage ? ": " + vm.failMessage : ""}`;
      if (root) root.cancelCalls();
    }
    vm.stopTimers();
    vm.dead = true;
    return failure;
  }

  private boot(): void {
    const base = this.newVm("base");
    if (!base.instantiate() || !base.startVm()) {
      this.reject(`Failed to initialize Wasm code: ${base.failMessage}`);
      return;
    }
    if (this.opts.canary) {
      const failure = this.canary(this.plugin);
      if (failure) {
        this.reject(failure);
        return;
      }
    }
    for (let i = 0; i < this.opts.workers; i++) {
      const vm = this.newVm(`worker ${i}`);
      let ok = vm.instantiate() && vm.startVm();
      if (ok) {
        const root = vm.start(this.plugin);
        if (!root) {
          vm.fail("StartFailed", "Failed to start thread-local Wasm");
          ok = false;
        } else if (!root.onConfigure()) {
          this.core.log(4, "Failed to configure thread-local Wasm plugin", vm.name, 0, "", "host");
          vm.stopTimers();
          ok = false;
        }
      }
      this.vms.push(vm);
      this.pluginFailed.push(!ok);
      this.configureResult.push(ok && !vm.failed);
    }
    this.core.scheduler.flush();
  }

  private reject(message: string): void {
    this.accepted = false;
    this.rejection = message;
    this.core.log(4, `Unable to create Wasm HTTP filter: ${message}`, "host", 0, "", "host");
  }

  /**
   * A new configuration, as an xDS update: canary first (false, nothing changes, if it fails),
   * then every worker gets a new root context (on_context_create, on_vm_start, on_configure)
   * and the old one is shut down (on_done, on_delete). Streams created later use the new root.
   */
  reconfigure(pluginConfig: string | object | Uint8Array): boolean {
    const plugin = this.makePlugin(pluginConfig);
    const failure = this.canary(plugin);
    if (failure) {
      this.core.log(4, `Unable to create Wasm HTTP filter: ${failure}`, "host", 0, "", "host");
      return false;
    }
    const old = this.plugin;
    this.plugin = plugin;
    this.vms.forEach((vm, i) => {
      if (vm.failed) return;
      const root = vm.start(plugin);
      const ok = !!root && root.onConfigure();
      this.pluginFailed[i] = !ok;
      this.configureResult[i] = ok && !vm.failed;
      if (old.key !== plugin.key) vm.roots.get(old.key)?.shutdown();
    });
    this.core.scheduler.flush();
    return true;
  }

  /** Shuts every worker's root context down (on_done, on_delete), stops timers and closes real clusters' connections. */
  close(): void {
    for (const vm of this.vms) {
      for (const root of [...vm.roots.values()]) root.shutdown();
      vm.stopTimers();
    }
    for (const r of this.core.remotes.values()) r.close();
  }

  // ------------------------------------------------------------------ verbs

  /**
   * Starts a stream on a worker (default 0). The filter sees nothing until request headers are sent.
   * `forward` receives each part as it is forwarded (to pass it on to a real upstream or client);
   * `keepBodies: false` leaves the Message bodies empty so a long stream does not accumulate.
   */
  newStream(opts: { worker?: number; attributes?: Record<string, AttrInput>; autoComplete?: boolean; forward?: StreamSink; keepBodies?: boolean } = {}): HttpStream {
    if (!this.accepted) throw new Error(`host-test: the configuration was rejected: ${this.rejection}`);
    const w = opts.worker ?? 0;
    const vm = this.vms[w];
    if (!vm) throw new RangeError(`host-test: no worker ${w}`);
    const failed = vm.failed || this.pluginFailed[w];
    const root = vm.roots.get(this.plugin.key) ?? null;
    const attrs = this.defaults.clone();
    if (opts.attributes) {
      attrs.set(opts.attributes);
      if (opts.attributes["source.address"] && opts.attributes["source.port"] === undefined) {
        const m = /:(\d+)$/.exec(String(opts.attributes["source.address"]));
        if (m) attrs.set({ "source.port": Number(m[1]) });
      }
    }
    const core = this.core;
    const driving = { get depth() { return core.driving; }, set depth(v: number) { core.driving = v; } };
    // Fail open: Envoy does not install the filter on a failed VM. Fail closed: it installs a
    // context that answers 503.
    const install = !(failed && this.opts.failOpen);
    return new ActiveStream(vm, w, root, install, this.pluginFailed[w], attrs, {
      bufferLimitBytes: this.opts.bufferLimitBytes,
      autoComplete: opts.autoComplete ?? this.opts.autoComplete,
      requestIdHeader: this.opts.requestIdHeader,
      forwardedProto: this.opts.forwardedProto,
      protocol: this.opts.protocol,
      connectionId: this.nextConnectionId++,
      nextRequestId: () => {
        const n = ++this.requestIds;
        const hex = n.toString(16).padStart(12, "0");
        return `00000000-0000-4000-8000-${hex}`;
      },
      driving,
      flush: () => {
        if (core.driving === 0) core.scheduler.flush();
      },
      nowMs: () => core.scheduler.nowMs(),
      sink: opts.forward,
      keepBodies: opts.keepBodies ?? true,
    });
  }

  /**
   * Drives one whole exchange: request (chunked as asked), waiting in simulated time while the
   * filter holds the request (e.g. for a call), then the upstream response unless the filter
   * answered locally, then completion. Throws if the filter holds the stream with nothing pending.
   */
  exchange(o: ExchangeOptions): ExchangeResult {
    return runExchange(this.newStream({ worker: o.worker, attributes: o.attributes }), this.core.scheduler, o);
  }

  /**
   * Resolves once no call to a real cluster is in flight: every answer has been delivered
   * to the filter (or the host gave up on the call, e.g. at its timeout).
   */
  whenRemoteIdle(): Promise<void> {
    return this.core.whenRemoteIdle();
  }

  /** Runs everything due now (call responses, queue notifications). Drivers do this themselves. */
  flush(): void {
    this.core.scheduler.flush();
  }

  /** Makes `cluster` known and answers HTTP calls to it with `handler`. */
  onHttpCall(cluster: string, handler: HttpCallHandler): void {
    this.core.clusters.add(cluster);
    this.core.httpHandlers.set(cluster, handler);
  }

  /** Answers unary gRPC calls to `service`/`method` (the cluster must be known). */
  onGrpcCall(service: string, method: string, handler: GrpcCallHandler): void {
    this.core.grpcHandlers.set(`${service}/${method}`, handler);
  }

  /** Called when the filter opens a gRPC stream to `service`/`method`. */
  onGrpcStream(service: string, method: string, handler: GrpcStreamHandler): void {
    this.core.grpcStreamHandlers.set(`${service}/${method}`, handler);
  }

  /**
   * Runs `handler` at the start of every call of the guest export `fn` (e.g.
   * "proxy_on_request_headers"), inside that callback's context, before the guest's code.
   * `vm` limits it to one VM ("worker 0", "canary"). Returns a function that removes it.
   */
  probe(fn: string, handler: ProbeHandler, opts: { vm?: string; once?: boolean } = {}): () => void {
    const reg = { fn, handler, vm: opts.vm, once: opts.once ?? false };
    this.core.probes.push(reg);
    return () => {
      const i = this.core.probes.indexOf(reg);
      if (i >= 0) this.core.probes.splice(i, 1);
    };
  }

  /** Makes a cluster known (calls to it stay pending unless a handler or the test answers). */
  addCluster(name: string): void {
    this.core.clusters.add(name);
  }

  // ------------------------------------------------------------------ observers

  /** Log messages the filter wrote at `level` (all levels when omitted), in order. */
  logs(level?: LogLevelName): string[] {
    return this.core.logs.filter((l) => l.source === "wasm" && (level === undefined || l.level === level)).map((l) => l.message);
  }

  /** Every captured log line, the filter's and the host's (Envoy's own messages). */
  get logEntries(): LogEntry[] {
    return this.core.logs;
  }

  /** Traps and other fatal VM errors, in order. */
  get traps(): TrapRecord[] {
    return this.core.traps;
  }

  /** Every host->guest callback (when tracing), in order. */
  get calls(): CallRecord[] {
    return this.core.calls;
  }

  /** ABI misuse the host noticed but Envoy would not report (e.g. continuing a stream that is not paused). */
  get warnings(): string[] {
    return this.core.warnings;
  }

  /** The callback names of `calls`, optionally for one VM ("worker 0", "canary", ...). */
  callNames(vm?: string): string[] {
    return this.core.calls.filter((c) => vm === undefined || c.vm === vm).map((c) => c.fn);
  }

  /** Value of a counter or gauge the filter defined (name without Envoy's "wasmcustom." prefix). */
  metric(name: string): number | undefined {
    return this.core.metrics.value(name);
  }

  /** Samples recorded in a histogram the filter defined. */
  histogram(name: string): number[] | undefined {
    return this.core.metrics.samples(name);
  }

  /** The stats as Envoy's /stats/prometheus renders them, with the bootstrap's `stats_tags` if given. */
  prometheus(statsTags: readonly StatsTag[] = []): string {
    return this.core.metrics.prometheus(statsTags);
  }

  /** Shared data of this plugin's vm_id (or another vm_id). */
  get sharedData() {
    const core = this.core;
    const vmId = toByteString(this.opts.vmId);
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return {
      get(key: string, id = vmId): { value: Uint8Array; text: string; cas: number } | undefined {
        const r = core.sharedData.get(id, toByteString(key));
        return r.entry ? { value: r.entry.value.slice(), text: text(r.entry.value), cas: r.entry.cas } : undefined;
      },
      entries(id = vmId): Array<{ key: string; value: Uint8Array; text: string; cas: number }> {
        return core.sharedData.entries(id).map(([k, e]) => ({ key: Buffer.from(k, "latin1").toString("utf8"), value: e.value.slice(), text: text(e.value), cas: e.cas }));
      },
      /** Writes as a filter would (CAS rules apply); returns the status. */
      set(key: string, value: BodyInput, cas = 0, id = vmId): number {
        return core.sharedData.set(id, toByteString(key), bodyBytes(value), cas);
      },
      /**
       * Runs `handler` before each proxy_set_shared_data a filter makes (of any vm_id), with
       * the key written: a write the handler makes there lands between the filter's read and
       * its write, as another worker's would. Returns a function that removes the handler.
       */
      beforeFilterWrite(handler: (key: string) => void): () => void {
        const hook = (_vm: string, key: string) => handler(Buffer.from(key, "latin1").toString("utf8"));
        core.sharedData.writeHooks.push(hook);
        return () => {
          const i = core.sharedData.writeHooks.indexOf(hook);
          if (i >= 0) core.sharedData.writeHooks.splice(i, 1);
        };
      },
    };
  }

  /** Items waiting in a shared queue of this plugin's vm_id. */
  queueItems(name: string): Uint8Array[] {
    return this.core.queues.peek(toByteString(this.opts.vmId), toByteString(name));
  }

  /** HTTP calls the filter made, in order. */
  get httpCalls(): HttpCallRecord[] {
    return this.core.httpCalls;
  }

  /** Unary gRPC calls the filter made, in order. */
  get grpcCalls(): GrpcCallRecord[] {
    return this.core.grpcCalls;
  }

  /** gRPC streams the filter opened, in order. */
  get grpcStreams(): GrpcStreamRecord[] {
    return this.core.grpcStreams;
  }

  /** Current linear memory size of a worker's VM, in bytes. */
  memoryBytes(worker = 0): number {
    return this.vms[worker].memory.size;
  }

  /** Inspection of a worker VM. */
  worker(i = 0): WorkerInfo {
    const vm = this.vms[i];
    const root = vm.roots.get(this.plugin.key);
    return { name: vm.name, failed: vm.failed, failMessage: vm.failMessage, rootContextId: root?.id ?? 0, memoryBytes: vm.memory.size };
  }

  /** Number of worker VMs. */
  get workerCount(): number {
    return this.vms.length;
  }

  /** The module's imports with their signatures ("module.name", "i32 i32 -> i32"). */
  get imports(): Array<{ name: string; signature: string }> {
    return this.module.shape.imports.filter((i) => i.kind === "function").map((i) => ({ name: `${i.module}.${i.name}`, signature: formatFuncType(i.type!) }));
  }

  /** The log level names, ABI order (trace = 0 ... critical = 5). */
  static readonly logLevels = LogLevels;
}

