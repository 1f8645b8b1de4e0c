// Cached mode: admission answered from this proxy's view of each global counter (shared
// data, counters/view.ts), costs batched per counter and reported on tick, views refreshed
// at most every ttl. No round trip on the request path once a counter has a view; the
// first request of a counter (no view yet) asks the service directly and leaves the view.
//
// A sync of one counter is taken by one worker with compare-and-swap (a lease): it takes
// the counter's pending cost and sends it. envoy-rls: ShouldRateLimit with hits_addend =
// the pending cost (at least 1: a refresh with nothing pending pays one hit ahead, kept as
// a negative pending), whose limit_remaining is the new view. Limitador: Report with the
// pending cost (when > 0), then CheckRateLimit, whose OK/OVER_LIMIT is the new view.
import { RlsAnswer, RlsCode, RlsDescriptor, decodeRateLimitResponse, encodeRateLimitRequest } from "../counters/ratelimit_proto";
import { ServiceCallHandler, ServiceFailure, ServiceMethod, ServiceStats, ServiceTransport } from "../counters/service";
import { ViewStore } from "../counters/view";
import { CounterStore, WasmResult } from "../counters/store";
import { windowStart } from "./window";
import { satAdd } from "./saturate";

/** Outcome of admitting against a view. */
export enum ViewAdmission { Miss = 0, Admit = 1, Reject = 2, Failed = 3 }

/** Most counters one worker keeps syncing; past it, new counters are served in direct mode. */
export const MAX_CACHED_COUNTERS: i32 = 65536;

/** A counter this worker admitted on: what a sync of it needs. */
export class CachedCounter {
  touchedMs: i64 = 0;
  syncing: bool = false;
  constructor(readonly key: ArrayBuffer, readonly name: string, readonly descriptor: RlsDescriptor, readonly windowMs: i64) {}
}

/** One sync in flight: Limitador's Report then CheckRateLimit, or envoy-rls's ShouldRateLimit. */
class SyncCall extends ServiceCallHandler {
  checking: bool = false;
  constructor(readonly cache: CachedCounters, readonly counter: CachedCounter, readonly start: i64, readonly hits: i64) { super(); }

  onAnswer(ptr: usize, len: usize): void { this.cache.synced(this, ptr, len); }
  onFailure(failure: ServiceFailure): void { this.cache.syncFailed(this); }
}

export class CachedCounters {
  private views: ViewStore;
  private known: Map<string, CachedCounter> = new Map<string, CachedCounter>();
  private answer: RlsAnswer = new RlsAnswer();
  private domain: ArrayBuffer;
  /** Remaining of the last view read by `admit` (for the client's headers). */
  remaining: i64 = 0;

  constructor(
    store: CounterStore,
    readonly rls: bool,
    readonly transport: ServiceTransport,
    readonly cluster: string,
    domain: string,
    readonly timeoutMs: u32,
    readonly ttlMs: i64,
    readonly flushMs: i64,
    readonly stats: ServiceStats,
  ) {
    this.views = new ViewStore(store);
    this.domain = String.UTF8.encode(domain);
  }

  /** Counters this worker keeps syncing. */
  get size(): i32 { return this.known.size; }

  /**
   * Admits against the view of `key` in the window of `nowMs`, reserving `est` on
   * admission: Miss when the view was never answered (or this worker cannot keep one
   * more counter), Reject when its budget is spent.
   */
  admit(key: ArrayBuffer, name: string, windowMs: i64, nowMs: i64, est: i64): ViewAdmission {
    if (!this.known.has(name) && this.known.size >= MAX_CACHED_COUNTERS) return ViewAdmission.Miss;
    const start = windowStart(nowMs, windowMs);
    const vs = this.views;
    for (let i = 0, n = vs.attempts; i < n; i++) {
      if (!vs.read(key, start, windowMs)) return ViewAdmission.Failed;
      const v = vs.view;
      if (v.fetchedMs == 0) return ViewAdmission.Miss;
      // Limitador's view is only "one more hit fits": it tells no budget to subtract from.
      const budget = this.rls ? v.budget() : v.remaining;
      this.remaining = budget;
      if (budget <= 0) {
        this.touch(name, nowMs);
        return ViewAdmission.Reject;
      }
      // Close to the end of the budget, what other replicas spent since the view was
      // answered matters: ask the service (a round trip only for these requests).
      if (this.rls && budget <= est) return ViewAdmission.Miss;
      if (est == 0) {
        this.touch(name, nowMs);
        return ViewAdmission.Admit;
      }
      v.reserved = satAdd(v.reserved, est);
      const w = vs.write(key);
      if (w == WasmResult.Ok) {
        this.touch(name, nowMs);
        return ViewAdmission.Admit;
      }
      if (w != WasmResult.CasMismatch) return ViewAdmission.Failed;
    }
    return ViewAdmission.Failed;
  }

  /**
   * Records the service's direct answer for a counter that had no view: `remaining` (after
   * `counted` hits it counted) as of `nowMs`, and `held` reserved by the admitted request.
   * Registers the counter for syncing. False when the store failed.
   */
  populate(key: ArrayBuffer, name: string, descriptor: RlsDescriptor, windowMs: i64, nowMs: i64, remaining: i64, held: i64): bool {
    if (!this.known.has(name)) {
      if (this.known.size >= MAX_CACHED_COUNTERS) return false;
      this.known.set(name, new CachedCounter(key, name, descriptor, windowMs));
    }
    this.touch(name, nowMs);
    const start = windowStart(nowMs, windowMs);
    const vs = this.views;
    for (let i = 0, n = vs.attempts; i < n; i++) {
      if (!vs.read(key, start, windowMs)) return false;
      const v = vs.view;
      v.remaining = remaining;
      v.fetchedMs = nowMs;
      v.reserved = satAdd(v.reserved, held);
      // The first flush comes a flush interval after the counter's first request.
      if (v.syncedMs == 0) v.syncedMs = nowMs;
      const w = vs.write(key);
      if (w == WasmResult.Ok) return true;
      if (w != WasmResult.CasMismatch) return false;
    }
    return false;
  }

  /**
   * What this proxy holds against `key` that the service does not know yet (pending,
   * reporting, reserved) in the window of `nowMs`; 0 when there is no view.
   */
  outstanding(key: ArrayBuffer, windowMs: i64, nowMs: i64): i64 {
    const vs = this.views;
    if (!vs.read(key, windowStart(nowMs, windowMs), windowMs)) return 0;
    const v = vs.view;
    const held = v.pending + v.reporting + v.reserved;
    return held > 0 ? held : 0;
  }

  /** Whether `name` is a counter this worker syncs (settled costs then go to its view). */
  has(name: string): bool { return this.known.has(name); }

  /**
   * Gives back `held` (reserved in the window starting at `start`) and adds `cost` to the
   * pending cost of the counter's current view. False when the store failed.
   */
  settle(key: ArrayBuffer, windowMs: i64, start: i64, nowMs: i64, held: i64, cost: i64): bool {
    const vs = this.views;
    for (let i = 0, n = vs.attempts; i < n; i++) {
      if (!vs.read(key, windowStart(nowMs, windowMs), windowMs)) return false;
      const v = vs.view;
      if (v.windowStart == start && held > 0) v.reserved = v.reserved > held ? v.reserved - held : 0;
      v.pending = satAdd(v.pending, cost);
      const w = vs.write(key);
      if (w == WasmResult.Ok) return true;
      if (w != WasmResult.CasMismatch) return false;
    }
    return false;
  }

  /**
   * On tick: syncs every counter whose pending cost waited a flush interval, or whose view
   * is older than ttl and was used since; forgets counters whose window is over and owe
   * nothing.
   */
  tick(nowMs: i64): void {
    const names = this.known.keys();
    for (let i = 0, n = names.length; i < n; i++) {
      const c = this.known.get(unchecked(names[i]));
      if (c.syncing) continue;
      const start = windowStart(nowMs, c.windowMs);
      const vs = this.views;
      if (!vs.read(c.key, start, c.windowMs)) continue;
      const v = vs.view;
      const flush = v.pending > 0 && nowMs - v.syncedMs >= this.flushMs;
      const refresh = c.touchedMs > v.fetchedMs && nowMs - v.fetchedMs >= this.ttlMs;
      if (!flush && !refresh) {
        if (v.pending <= 0 && v.reporting == 0 && v.reserved == 0 && c.touchedMs < start) this.known.delete(c.name);
        continue;
      }
      if (v.leaseUntilMs > nowMs) continue;
      this.startSync(c, nowMs);
    }
  }

  /** Takes counter `c`'s pending cost with its lease (CAS) and sends it. */
  private startSync(c: CachedCounter, nowMs: i64): void {
    const start = windowStart(nowMs, c.windowMs);
    const vs = this.views;
    let hits: i64 = -1;
    for (let i = 0, n = vs.attempts; i < n && hits < 0; i++) {
      if (!vs.read(c.key, start, c.windowMs)) return;
      const v = vs.view;
      if (v.leaseUntilMs > nowMs) return;
      // envoy-rls counts at least one hit per call: with nothing pending, pay one ahead.
      const take = this.rls ? (v.pending > 1 ? v.pending : 1) : (v.pending > 0 ? v.pending : 0);
      v.pending -= take;
      v.reporting = satAdd(v.reporting, take);
      v.leaseUntilMs = nowMs + 2 * <i64>this.timeoutMs + 1;
      v.syncedMs = nowMs;
      const w = vs.write(c.key);
      if (w == WasmResult.Ok) hits = take;
      else if (w != WasmResult.CasMismatch) return;
    }
    if (hits < 0) return;
    const sync = new SyncCall(this, c, start, hits);
    c.syncing = true;
    if (!this.rls && hits == 0) {
      sync.checking = true;
      this.send(sync, ServiceMethod.CheckRateLimit, 1);
    } else {
      this.send(sync, this.rls ? ServiceMethod.ShouldRateLimit : ServiceMethod.Report, hits);
    }
  }

  private send(sync: SyncCall, method: ServiceMethod, hits: i64): void {
    const addend = <u32>(hits > <i64>u32.MAX_VALUE ? <i64>u32.MAX_VALUE : hits);
    const request = encodeRateLimitRequest(this.domain, [sync.counter.descriptor], addend);
    if (this.transport.call(this.cluster, method, request, this.timeoutMs, true, sync) == 0) this.syncFailed(sync);
  }

  synced(sync: SyncCall, ptr: usize, len: usize): void {
    const ans = this.answer;
    const ok = decodeRateLimitResponse(ptr, len, ans) && (ans.overallCode == RlsCode.Ok || ans.overallCode == RlsCode.OverLimit);
    if (!this.rls && !sync.checking) {
      // Limitador's Report landed; now ask whether one more hit fits.
      this.finish(sync, true, false, 0);
      sync.checking = true;
      sync.counter.syncing = true;
      this.send(sync, ServiceMethod.CheckRateLimit, 1);
      return;
    }
    if (!ok || (this.rls && (ans.count != 1 || !ans.status(0).hasCurrentLimit))) {
      this.stats.failure(ServiceFailure.BadAnswer);
      this.finish(sync, sync.checking, false, 0);
      return;
    }
    const remaining: i64 = this.rls ? <i64>ans.status(0).limitRemaining : (ans.overallCode == RlsCode.Ok ? 1 : 0);
    this.finish(sync, true, true, ans.overallCode == RlsCode.OverLimit && this.rls ? 0 : remaining);
  }

  syncFailed(sync: SyncCall): void {
    // A failed Report (or envoy-rls call) gives its hits back to pending; a failed check
    // after a Report that landed only leaves the view as it was.
    this.finish(sync, sync.checking, false, 0);
  }

  /**
   * Ends a sync step: `landed` — the hits reached the service (else they return to
   * pending); `fresh` — `remaining` is the service's new answer.
   */
  private finish(sync: SyncCall, landed: bool, fresh: bool, remaining: i64): void {
    const c = sync.counter;
    c.syncing = false;
    const vs = this.views;
    const hits = sync.checking && !this.rls ? 0 : sync.hits;
    for (let i = 0, n = vs.attempts; i < n; i++) {
      if (!vs.read(c.key, sync.start, c.windowMs)) return;
      const v = vs.view;
      if (v.windowStart == sync.start) {
        v.reporting = v.reporting > hits ? v.reporting - hits : 0;
        if (!landed) v.pending = satAdd(v.pending, hits);
      }
      if (fresh) {
        v.remaining = remaining;
        // As of when the sync started: what was admitted meanwhile is refreshed again.
        v.fetchedMs = v.syncedMs > 0 ? v.syncedMs : 1;
      }
      v.leaseUntilMs = 0;
      const w = vs.write(c.key);
      if (w == WasmResult.Ok) return;
      if (w != WasmResult.CasMismatch) return;
    }
  }

  private touch(name: string, nowMs: i64): void {
    if (this.known.has(name)) this.known.get(name).touchedMs = nowMs;
  }
}
