// State shared by every VM of one simulated proxy: the event loop, shared data and queues,
// the stat store, captured logs and traps, known clusters and call handlers.
import { Scheduler } from "./clock.ts";
import { SharedData, SharedQueues } from "./shared.ts";
import { MetricStore } from "./metrics.ts";
import { LogLevels } from "./abi.ts";
import type { ProbeRegistration } from "./probe.ts";
import type { RemoteCluster } from "./remote.ts";
import type {
  LogLevelName, LogEntry, TrapRecord, CallRecord, HttpCallHandler, HttpCallRecord,
  GrpcCallHandler, GrpcStreamHandler, GrpcCallRecord, GrpcStreamRecord,
} from "./types.ts";

export interface CoreOptions {
  logLevel: LogLevelName;
  trace: boolean;
  env: Record<string, string>;
  nowMs: number;
  /** Keep logs, warnings and call records (false for long-running hosts). */
  keepRecords?: boolean;
  onLog?: (entry: LogEntry) => void;
}

/** Deterministic xorshift PRNG for WASI random_get and generated request ids. */
export class Random {
  private s: number;
  constructor(seed = 0x9e3779b9) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

export class HostCore {
  readonly scheduler: Scheduler;
  readonly sharedData = new SharedData();
  readonly queues = new SharedQueues();
  readonly metrics = new MetricStore();
  readonly random = new Random();
  readonly logs: LogEntry[] = [];
  readonly traps: TrapRecord[] = [];
  readonly calls: CallRecord[] = [];
  readonly warnings: string[] = [];
  readonly clusters = new Set<string>();
  readonly httpHandlers = new Map<string, HttpCallHandler>();
  readonly grpcHandlers = new Map<string, GrpcCallHandler>();
  readonly grpcStreamHandlers = new Map<string, GrpcStreamHandler>();
  readonly httpCalls: HttpCallRecord[] = [];
  readonly grpcCalls: GrpcCallRecord[] = [];
  readonly grpcStreams: GrpcStreamRecord[] = [];
  readonly probes: ProbeRegistration[] = [];
  /** Clusters connected to real services, by name. */
  readonly remotes = new Map<string, RemoteCluster>();
  /** Real calls whose answer has not reached the loop yet. */
  remoteInFlight = 0;
  /** Runs after a real answer is queued on the loop; default: run what is due now. */
  onRemoteAnswer: (() => void) | undefined;
  private idleWaiters: Array<() => void> = [];
  logLevel: number;
  trace: boolean;
  env: Record<string, string>;
  /** Depth of test-driven operations in progress; drivers refuse to nest. */
  driving = 0;
  /** Logs, warnings and call records are kept for the observers. */
  readonly keepRecords: boolean;
  private readonly onLog: ((entry: LogEntry) => void) | undefined;

  constructor(opts: CoreOptions) {
    this.scheduler = new Scheduler(opts.nowMs);
    this.logLevel = LogLevels.indexOf(opts.logLevel);
    if (this.logLevel < 0) throw new Error(`unknown log level ${opts.logLevel}`);
    this.trace = opts.trace;
    this.env = opts.env;
    this.keepRecords = opts.keepRecords ?? true;
    this.onLog = opts.onLog;
  }

  /** Records a log line if Envoy's logger would print it (level >= the configured level). */
  log(level: number, message: string, vm: string, contextId: number, prefix: string, source: "wasm" | "host"): void {
    if (level < this.logLevel) return;
    const entry: LogEntry = { level: LogLevels[level], message, vm, contextId, prefix, source };
    if (this.keepRecords) this.logs.push(entry);
    this.onLog?.(entry);
  }

  warn(message: string): void {
    if (this.keepRecords) this.warnings.push(message);
  }

  /**
   * Starts a real call. `start` sends it and hands its outcome to `deliver` once; `apply`
   * queues that outcome on the loop as a handler's would be, then the loop is woken so the
   * VM is entered the same way. Returns the abort for when the host gives up on the call.
   */
  startRemote<T>(start: (deliver: (outcome: T) => void) => () => void, apply: (outcome: T) => void): () => void {
    let open = true;
    const finish = (): boolean => {
      if (!open) return false;
      open = false;
      this.remoteInFlight--;
      return true;
    };
    this.remoteInFlight++;
    const abort = start((outcome) => {
      if (!finish()) return;
      apply(outcome);
      if (this.onRemoteAnswer) this.onRemoteAnswer();
      else if (this.driving === 0) this.scheduler.flush();
      this.notifyIdle();
    });
    return () => {
      if (!finish()) return;
      abort();
      this.notifyIdle();
    };
  }

  /** Resolves once no real call is in flight (every answer delivered or given up). */
  whenRemoteIdle(): Promise<void> {
    if (this.remoteInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIdle(): void {
    if (this.remoteInFlight !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
