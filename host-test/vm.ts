// One Wasm VM (an instance of the module on one "thread"), as cpp-host's WasmBase + V8 run
// it: the import table with restricted windows, calls into the guest with trap handling
// (a trap marks the VM failed for good), the current/effective context stack, deferred
// "after VM call" actions, the allocator, context ids, tick timers and callout tokens.
import { START_ALLOWED, MALLOC_ALLOWED, WasmResult } from "./abi.ts";
import type { LoadedModule } from "./loader.ts";
import type { HostCore } from "./core.ts";
import { GuestMemory } from "./memory.ts";
import { VmMetrics } from "./metrics.ts";
import type { TaskHandle } from "./clock.ts";
import { ENV_HOSTCALLS } from "./hostcalls.ts";
import { WASI_HOSTCALLS } from "./wasi.ts";
import { ContextBase, RootContext, type Plugin } from "./context.ts";
import { runProbes } from "./probe.ts";

/** A trap raised by the host itself (e.g. a restricted hostcall). */
export class HostTrap extends Error {}

function isTrap(e: unknown): e is Error {
  if (e instanceof WebAssembly.RuntimeError || e instanceof HostTrap) return true;
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** The signature of a hostcall implementation: the VM, then the raw wasm arguments. */
export type Hostcall = (vm: WasmVm, ...args: any[]) => number | void;

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
        const impl = imp.module === "env" ? ENV_HOSTCALLS[imp.name] : WASI_HOSTCALLS[imp.name];
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
