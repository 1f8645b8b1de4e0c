// The limiter of a rate-limit service shared by every replica, in direct mode: each
// admission asks the service (the request waits: LimitStatus.Pending), each settled
// request reports its cost. What each engine answers decides the design
// (docs/global-counters.md):
//
// envoy-rls (envoyproxy/ratelimit, ShouldRateLimit): one call per admission carrying one
//   descriptor per (limit, rate), hits_addend 1. The service counts that hit even when it
//   refuses, and answers `limit_remaining` per descriptor. This proxy subtracts its own
//   in-flight reservations (shared data, InflightReservations) and admits while
//   `remaining - inflight >= 0` (the local backend's `used + reserved < limit`); in reserve
//   mode it then holds `estimate - 1` in flight. The report sends `cost - 1`.
// limitador (Kuadrant's CheckRateLimit/Report): CheckRateLimit ignores hits_addend and
//   only asks whether one more hit fits, and answers no remaining budget; one call per
//   limit (one descriptor each, so Limitador's conditions on descriptors[0] see only that
//   limit); admitted when every answer is OK. The report sends the whole cost (0 is not
//   sent: Limitador counts it as 1).
import { AdmissionMode, CounterHandle, CounterSpec, Decision, LimitStatus, PendingDecision } from "./decision";
import { Limiter, LimiterEvent, LimiterStats } from "./limiter";
import { CounterKeyBuilder } from "./keys";
import { DescriptorBuilder } from "./service_descriptors";
import { ceilSeconds, nonNegative, satAdd, satSub } from "./saturate";
import { msUntilReset, safeWindow, windowStart } from "./window";
import { RlsAnswer, RlsCode, RlsDescriptor, decodeRateLimitResponse, encodeRateLimitRequest } from "../counters/ratelimit_proto";
import { ServiceCallHandler, ServiceFailure, ServiceMethod, ServiceStats, ServiceTransport, serviceFailureName } from "../counters/service";
import { ReportQueue } from "../counters/report_queue";
import { InflightReservations } from "../counters/inflight";
import { CounterStore } from "../counters/store";
import { CachedCounters, ViewAdmission } from "./cached_counters";

export enum ServiceEngine { Limitador = 0, EnvoyRls = 1 }

// The descriptor of a counter answered from its view (cached mode): never sent.
const NO_DESCRIPTOR = new RlsDescriptor();

/** Largest hits_addend (uint32); a larger cost is reported as this. */
const MAX_HITS: i64 = <i64>u32.MAX_VALUE;

/** A counter of one admission: what settling and reporting it needs. */
export class ServiceHandle extends CounterHandle {
  /** The service counted one hit for this counter at admission (envoy-rls). */
  hitCounted: bool = false;
  /** The admission that is still being decided (cancelled when the stream goes). */
  admission: ServiceAdmission | null = null;
  /** What the service is sent for this counter; built only when the service is asked. */
  descriptor: RlsDescriptor = NO_DESCRIPTOR;
  /** Cached mode: the counter's view holds its reservation and takes its cost. */
  cached: bool = false;
  /** What the service answered left (envoy-rls), or 1/0 for OK/OVER_LIMIT (Limitador). */
  answered: i64 = -1;

  constructor(
    /** This proxy's in-flight reservations of the counter live under this key. */
    key: ArrayBuffer,
    limitName: string,
    rateIndex: i32,
    windowMs: i64,
    /** The rate's limit (CounterHandle#limit). */
    rateLimit: i64,
    /** The tokens this counter reserves (the spec's own estimate, or the request's). */
    readonly estimate: i64,
    /** The first counter of its limit (limits are contiguous in spec order). */
    readonly firstOfLimit: bool,
  ) {
    super(key, limitName, rateIndex, windowMs);
    this.limit = rateLimit;
  }
}

/** One call of an admission: the counters [first, first + count) it asks about. */
class AdmissionCall extends ServiceCallHandler {
  token: u32 = 0;
  done: bool = false;
  constructor(readonly admission: ServiceAdmission, readonly first: i32, readonly count: i32) { super(); }

  onAnswer(ptr: usize, len: usize): void {
    if (this.done) return;
    this.done = true;
    this.admission.answered(this, ptr, len);
  }

  onFailure(failure: ServiceFailure): void {
    if (this.done) return;
    this.done = true;
    this.admission.fail(failure);
  }
}

/** An admission waiting for the service's answers. */
export class ServiceAdmission extends PendingDecision {
  calls: Array<AdmissionCall> = new Array<AdmissionCall>();
  outstanding: i32 = 0;
  finished: bool = false;
  rejected: bool = false;

  constructor(readonly limiter: ServiceLimiter, readonly decision: Decision, readonly mode: AdmissionMode) { super(); }

  answered(call: AdmissionCall, ptr: usize, len: usize): void {
    if (this.finished) return;
    this.outstanding--;
    if (!this.limiter.readAnswer(this, call, ptr, len)) {
      this.limiter.serviceStats.failure(ServiceFailure.BadAnswer);
      this.fail(ServiceFailure.BadAnswer);
      return;
    }
    if (this.outstanding == 0) this.finish();
  }

  /** Ends the admission as failed: the other calls are cancelled, the failure mode decides. */
  fail(failure: ServiceFailure): void {
    if (this.finished) return;
    this.cancelCalls();
    const d = this.decision;
    d.status = LimitStatus.ServiceError;
    d.error = serviceFailureName(failure);
    d.admitted = false;
    d.hasCounter = false;
    this.finish();
  }

  /** The stream went before the answer: nothing will read it. */
  cancel(): void {
    if (this.finished) return;
    this.cancelCalls();
    this.finished = true;
    this.decision.pending = null;
  }

  private cancelCalls(): void {
    for (let i = 0, n = this.calls.length; i < n; i++) {
      const c = unchecked(this.calls[i]);
      if (!c.done) {
        c.done = true;
        this.limiter.transport.cancel(c.token);
      }
    }
  }

  private finish(): void {
    this.finished = true;
    const d = this.decision;
    if (d.status == LimitStatus.Pending) this.limiter.decide(this);
    d.pending = null;
    const h = d.handles;
    for (let i = 0, n = h.length; i < n; i++) (<ServiceHandle>unchecked(h[i])).admission = null;
    const w = this.waiter;
    if (w !== null) w.complete(d);
  }
}

/** Limiter over Limitador or envoy-ratelimit (direct mode). One per policy and worker. */
export class ServiceLimiter extends Limiter {
  private keys: CounterKeyBuilder;
  private descriptors: DescriptorBuilder;
  private inflight: InflightReservations;
  private answer: RlsAnswer = new RlsAnswer();
  private domain: ArrayBuffer;

  /**
   * `keyPrefix` (the policy's, with its '|') starts the shared-data keys of this proxy's
   * in-flight reservations. `clock` gives ms since the epoch when an answer arrives.
   */
  constructor(
    readonly engine: ServiceEngine,
    readonly transport: ServiceTransport,
    readonly reports: ReportQueue,
    store: CounterStore,
    keyPrefix: string,
    readonly cluster: string,
    domain: string,
    readonly timeoutMs: u32,
    private clock: () => i64,
    stats: LimiterStats,
    readonly serviceStats: ServiceStats,
    /** Cached mode's views; null in direct mode. */
    readonly cache: CachedCounters | null = null,
  ) {
    super(stats);
    this.remote = true;
    // '~' is in no limit name, so these keys never meet a local counter's.
    this.keys = new CounterKeyBuilder(keyPrefix + (cache === null ? "~inflight|" : "~view|"));
    this.descriptors = new DescriptorBuilder(new CounterKeyBuilder(""));
    this.inflight = new InflightReservations(store);
    this.domain = String.UTF8.encode(domain);
  }

  /** See Limiter.admit: answers Pending (or a failure when no call could start). */
  admit(specs: CounterSpec[], nowMs: i64, mode: AdmissionMode, estimate: i64, mustFit: i64 = 0): Decision {
    const d = new Decision();
    if (changetype<usize>(specs) == 0 || specs.length == 0) return d;
    // A request whose input alone exceeds a limit can never fit: refused without a call.
    for (let i = 0, n = specs.length; i < n; i++) {
      const spec = unchecked(specs[i]);
      if (mustFit > spec.limit) return refusedOutright(d, spec, i, nowMs);
    }
    const rls = this.engine == ServiceEngine.EnvoyRls;
    for (let i = 0, n = specs.length; i < n; i++) {
      const spec = unchecked(specs[i]);
      const first = i == 0 || unchecked(specs[i - 1]).limitName != spec.limitName;
      const w = safeWindow(spec.windowMs);
      let est: i64 = 0;
      if (mode == AdmissionMode.Reserve) est = nonNegative(spec.estimate >= 0 ? spec.estimate : estimate);
      const h = new ServiceHandle(this.keys.build(spec.limitName, spec.rateIndex, spec.values), spec.limitName, spec.rateIndex, w,
        spec.limit, est, first);
      h.windowStart = windowStart(nowMs, w);
      d.handles.push(h);
    }
    // Cached mode answers from the views when it can: nothing below is needed then.
    if (this.cache !== null && this.admitFromViews(d, nowMs, mode)) return d;
    const a = new ServiceAdmission(this, d, mode);
    for (let i = 0, n = specs.length; i < n; i++) {
      const h = <ServiceHandle>unchecked(d.handles[i]);
      // Limitador: one descriptor per limit, shared by its rates.
      h.descriptor = rls || h.firstOfLimit ? this.descriptors.build(unchecked(specs[i]), rls) : (<ServiceHandle>unchecked(d.handles[i - 1])).descriptor;
      h.admission = a;
      if (!rls && h.firstOfLimit) a.calls.push(new AdmissionCall(a, i, 1));
    }
    if (rls) a.calls.push(new AdmissionCall(a, 0, specs.length));
    d.status = LimitStatus.Pending;
    d.admitted = false;
    d.pending = a;
    for (let i = 0, n = a.calls.length; i < n; i++) {
      const c = unchecked(a.calls[i]);
      const token = this.transport.call(this.cluster, rls ? ServiceMethod.ShouldRateLimit : ServiceMethod.CheckRateLimit,
        this.requestOf(d, c.first, c.count, 1), this.timeoutMs, false, c);
      if (token == 0) {
        c.done = true;
        a.fail(ServiceFailure.Unavailable);
        return d;
      }
      c.token = token;
      a.outstanding++;
    }
    return d;
  }

  /**
   * Reads one answer of `a` into its decision's handles; false when it is not a
   * well-formed answer to the call (then the admission fails as a bad answer).
   */
  readAnswer(a: ServiceAdmission, call: AdmissionCall, ptr: usize, len: usize): bool {
    const ans = this.answer;
    if (!decodeRateLimitResponse(ptr, len, ans)) return false;
    if (ans.overallCode != RlsCode.Ok && ans.overallCode != RlsCode.OverLimit) return false;
    if (this.engine == ServiceEngine.Limitador) {
      (<ServiceHandle>unchecked(a.decision.handles[call.first])).answered = ans.overallCode == RlsCode.Ok ? 1 : 0;
      if (ans.overallCode == RlsCode.OverLimit) {
        a.rejected = true;
        this.governRejected(a.decision, call.first, this.clock(), false, 0);
      }
      return true;
    }
    // envoy-rls: one status per descriptor, each for a limit the service knows.
    if (ans.count != call.count) return false;
    for (let i = 0; i < ans.count; i++) {
      const s = ans.status(i);
      if (s.code != RlsCode.Ok && s.code != RlsCode.OverLimit) return false;
      // A descriptor no rule matches would be admitted forever: the service's limits
      // file does not say what this policy says.
      if (!s.hasCurrentLimit) return false;
    }
    const d = a.decision;
    const now = this.clock();
    for (let i = 0; i < ans.count; i++) {
      const s = ans.status(i);
      const h = <ServiceHandle>unchecked(d.handles[call.first + i]);
      h.hitCounted = true;
      h.answered = <i64>s.limitRemaining;
      const cache = this.cache;
      const inflight = cache !== null ? cache.outstanding(h.key, h.windowMs, now) : this.inflight.read(h.key, now, h.windowMs);
      const reset = s.hasReset ? s.resetMs : msUntilReset(now, h.windowMs);
      // `limit_remaining` is after the hit this call counted: before it, remaining + 1.
      if (s.code == RlsCode.OverLimit || <i64>s.limitRemaining < inflight) {
        if (!a.rejected || reset > d.resetMs) this.governRejected(d, call.first + i, now, true, reset);
        a.rejected = true;
      } else if (!a.rejected) {
        const remaining = nonNegative(satSub(satSub(satAdd(<i64>s.limitRemaining, 1), inflight), h.estimate));
        if (!d.hasCounter || remaining < d.remaining || (remaining == d.remaining && reset > d.resetMs)) {
          this.govern(d, call.first + i, remaining, reset);
        }
      }
    }
    return true;
  }

  /** Completes a fully answered admission: reservations (envoy-rls), retry-after. */
  decide(a: ServiceAdmission): void {
    const d = a.decision;
    d.status = LimitStatus.Ok;
    d.admitted = !a.rejected;
    if (this.cache !== null) this.populateViews(a);
    if (a.rejected) {
      d.remaining = 0;
      const s = ceilSeconds(d.resetMs);
      d.retryAfterSeconds = s < 1 ? 1 : s;
      return;
    }
    if (d.hasCounter) d.retryAfterSeconds = ceilSeconds(d.resetMs);
    if (this.cache !== null) return;
    if (this.engine != ServiceEngine.EnvoyRls || a.mode != AdmissionMode.Reserve) return;
    const now = this.clock();
    for (let i = 0, n = d.handles.length; i < n; i++) {
      const h = <ServiceHandle>unchecked(d.handles[i]);
      // The hit counted at admission is part of the estimate.
      const hold = h.estimate > 1 ? h.estimate - 1 : 0;
      const start = windowStart(now, h.windowMs);
      if (hold > 0 && this.inflight.add(h.key, start, h.windowMs, hold)) {
        h.reserved = hold;
        h.windowStart = start;
      } else if (hold > 0) {
        this.stats.record(LimiterEvent.StoreError);
      }
    }
  }

  /**
   * Cached mode: answers `d` from the views of its counters when every one has a view.
   * False (nothing held) when one has none: the request then asks the service directly.
   */
  private admitFromViews(d: Decision, nowMs: i64, mode: AdmissionMode): bool {
    const cache = this.cache!;
    const rls = this.engine == ServiceEngine.EnvoyRls;
    let rejected = -1;
    let taken = 0;
    for (let i = 0, n = d.handles.length; i < n; i++) {
      const h = <ServiceHandle>unchecked(d.handles[i]);
      if (!rls && !h.firstOfLimit) continue;
      const est = mode == AdmissionMode.Reserve ? h.estimate : 0;
      const r = cache.admit(h.key, viewName(h.key), h.windowMs, nowMs, est);
      if (r == ViewAdmission.Admit) {
        h.cached = true;
        h.reserved = est;
        h.windowStart = windowStart(nowMs, h.windowMs);
        taken = i + 1;
        if (rls) {
          const remaining = nonNegative(cache.remaining - est);
          const reset = msUntilReset(nowMs, h.windowMs);
          if (!d.hasCounter || remaining < d.remaining) this.govern(d, i, remaining, reset);
        }
        continue;
      }
      if (r == ViewAdmission.Reject) { rejected = i; taken = i; break; }
      taken = i;
      break;
    }
    const allAnswered = rejected >= 0 || taken == d.handles.length || (!rls && this.allLimitsAnswered(d));
    if (!allAnswered || rejected >= 0) {
      // Give back what this request holds: it is refused, or it asks the service.
      for (let i = 0; i < d.handles.length; i++) {
        const h = <ServiceHandle>unchecked(d.handles[i]);
        if (h.cached && h.reserved > 0) cache.settle(h.key, h.windowMs, h.windowStart, nowMs, h.reserved, 0);
        h.reserved = 0;
        if (rejected < 0) h.cached = false;
      }
    }
    if (!allAnswered) {
      d.hasCounter = false;
      this.serviceStats.cacheMiss();
      return false;
    }
    this.serviceStats.cacheHit();
    d.status = LimitStatus.Ok;
    if (rejected >= 0) {
      d.admitted = false;
      const h = unchecked(d.handles[rejected]);
      const reset = rls ? msUntilReset(nowMs, h.windowMs) : h.windowMs;
      this.govern(d, rejected, 0, reset);
      const s = ceilSeconds(reset);
      d.retryAfterSeconds = s < 1 ? 1 : s;
      for (let i = 0; i < d.handles.length; i++) (<ServiceHandle>unchecked(d.handles[i])).done = true;
      return true;
    }
    d.admitted = true;
    if (!rls) d.hasCounter = false;
    if (d.hasCounter) d.retryAfterSeconds = ceilSeconds(d.resetMs);
    for (let i = 0; i < d.handles.length; i++) (<ServiceHandle>unchecked(d.handles[i])).cached = true;
    return true;
  }

  /** Limitador: whether the first counter of every limit was admitted from its view. */
  private allLimitsAnswered(d: Decision): bool {
    for (let i = 0, n = d.handles.length; i < n; i++) {
      const h = <ServiceHandle>unchecked(d.handles[i]);
      if (h.firstOfLimit && !h.cached) return false;
    }
    return true;
  }

  /** Cached mode: leaves the service's direct answers in the views, with this request's reservation. */
  private populateViews(a: ServiceAdmission): void {
    const cache = this.cache!;
    const d = a.decision;
    const rls = this.engine == ServiceEngine.EnvoyRls;
    const now = this.clock();
    for (let i = 0, n = d.handles.length; i < n; i++) {
      const h = <ServiceHandle>unchecked(d.handles[i]);
      if (!rls && !h.firstOfLimit) { h.cached = i > 0 && (<ServiceHandle>unchecked(d.handles[i - 1])).cached; continue; }
      if (h.answered < 0) continue;
      let hold: i64 = 0;
      if (!a.rejected && a.mode == AdmissionMode.Reserve) hold = rls ? (h.estimate > 1 ? h.estimate - 1 : 0) : h.estimate;
      if (cache.populate(h.key, viewName(h.key), h.descriptor, h.windowMs, now, h.answered, hold)) {
        h.cached = true;
        h.reserved = hold;
        h.windowStart = windowStart(now, h.windowMs);
      }
    }
  }

  /** Cached mode, on tick: syncs the counters whose time has come. */
  tick(nowMs: i64): void {
    const cache = this.cache;
    if (cache !== null) cache.tick(nowMs);
  }

  /** See Limiter.settle: gives back in-flight reservations and reports the costs. */
  settle(handles: CounterHandle[], costs: i64[], nowMs: i64): i32 {
    if (changetype<usize>(handles) == 0) return LimitStatus.Ok;
    const known = changetype<usize>(costs) == 0 ? 0 : costs.length;
    const rls = this.engine == ServiceEngine.EnvoyRls;
    let groupStart = -1;
    let groupCost: i64 = 0;
    const n = handles.length;
    for (let i = 0; i <= n; i++) {
      const h = i < n ? <ServiceHandle>unchecked(handles[i]) : null;
      if (h === null || h.firstOfLimit) {
        // A limit's counters all count the same kind of token: one report per limit.
        if (groupStart >= 0) this.report(handles, groupStart, i - groupStart, groupCost, rls, nowMs);
        if (h === null) break;
        groupStart = i;
        groupCost = i < known ? nonNegative(unchecked(costs[i])) : 0;
      }
      if (h.cached) {
        // The view takes the reservation back when the cost is added, in one write.
        if (rls || h.firstOfLimit) continue;
        h.done = true;
        continue;
      }
      this.giveBack(h);
    }
    return LimitStatus.Ok;
  }

  /** See Limiter.release: cancels a pending admission, gives back reservations, reports nothing. */
  release(handles: CounterHandle[], nowMs: i64): i32 {
    if (changetype<usize>(handles) == 0) return LimitStatus.Ok;
    for (let i = 0, n = handles.length; i < n; i++) {
      const h = <ServiceHandle>unchecked(handles[i]);
      const a = h.admission;
      if (a !== null) a.cancel();
      h.admission = null;
      this.giveBack(h);
    }
    return LimitStatus.Ok;
  }

  private giveBack(h: ServiceHandle): void {
    if (h.done) return;
    const a = h.admission;
    if (a !== null) a.cancel();
    const cache = this.cache;
    if (h.cached && cache !== null) {
      if (h.reserved > 0 && !cache.settle(h.key, h.windowMs, h.windowStart, this.clock(), h.reserved, 0)) this.stats.record(LimiterEvent.LostRelease);
    } else if (h.reserved > 0 && !this.inflight.add(h.key, h.windowStart, h.windowMs, -h.reserved)) this.stats.record(LimiterEvent.LostRelease);
    h.reserved = 0;
    h.done = true;
  }

  /** Reports `cost` for the `count` counters of one limit starting at `first`. */
  private report(handles: CounterHandle[], first: i32, count: i32, cost: i64, rls: bool, nowMs: i64): void {
    const h = <ServiceHandle>unchecked(handles[first]);
    const cache = this.cache;
    if (cache !== null && h.cached) {
      // Cached mode: the cost waits in each counter's view for the next flush.
      for (let i = 0; i < count; i++) {
        const c = <ServiceHandle>unchecked(handles[first + i]);
        if (!rls && i > 0) break;
        if (c.done) continue;
        const charge = rls && c.hitCounted ? cost - 1 : cost;
        if (!cache.settle(c.key, c.windowMs, c.windowStart, nowMs, c.reserved, charge)) this.stats.record(LimiterEvent.LostRelease);
        c.reserved = 0;
        c.done = true;
      }
      for (let i = 0; i < count; i++) (<ServiceHandle>unchecked(handles[first + i])).done = true;
      return;
    }
    // envoy-rls counted one hit per counter at admission (all or none of a call's).
    const hits = rls && h.hitCounted ? cost - 1 : cost;
    if (hits <= 0) return;
    const addend = <u32>(hits > MAX_HITS ? MAX_HITS : hits);
    // A counter the service was never asked about has no descriptor: nothing to report it under.
    if (h.descriptor.keys.length == 0) {
      this.serviceStats.reportLost();
      return;
    }
    const descriptors = new Array<RlsDescriptor>();
    if (rls) for (let i = 0; i < count; i++) descriptors.push((<ServiceHandle>unchecked(handles[first + i])).descriptor);
    else descriptors.push(h.descriptor);
    this.reports.send(this.cluster, rls ? ServiceMethod.ShouldRateLimit : ServiceMethod.Report, encodeRateLimitRequest(this.domain, descriptors, addend), this.timeoutMs);
  }

  /** The request asking about counters [first, first + count) of `d`, with `hits`. */
  private requestOf(d: Decision, first: i32, count: i32, hits: u32): ArrayBuffer {
    const descriptors = new Array<RlsDescriptor>();
    for (let i = 0; i < count; i++) descriptors.push((<ServiceHandle>unchecked(d.handles[first + i])).descriptor);
    return encodeRateLimitRequest(this.domain, descriptors, hits);
  }

  /**
   * Refusal on counter `index`. Limitador tells no reset (its windows start at a counter's
   * first hit), so retry-after is then the limit's longest window: never too early.
   */
  private governRejected(d: Decision, index: i32, nowMs: i64, known: bool, resetMs: i64): void {
    let reset = resetMs;
    if (!known) {
      reset = 0;
      for (let i = index, n = d.handles.length; i < n; i++) {
        const h = unchecked(d.handles[i]);
        if (i > index && (<ServiceHandle>h).firstOfLimit) break;
        if (h.windowMs > reset) reset = h.windowMs;
      }
      if (d.hasCounter && d.resetMs >= reset) return;
    }
    this.govern(d, index, 0, reset);
  }

  private govern(d: Decision, index: i32, remaining: i64, resetMs: i64): void {
    const h = <ServiceHandle>unchecked(d.handles[index]);
    d.hasCounter = true;
    d.limitName = h.limitName;
    d.rateIndex = h.rateIndex;
    d.counterIndex = index;
    d.limit = nonNegative(h.limit);
    d.remaining = remaining;
    d.resetMs = resetMs;
  }
}

/** The name a counter's view is known by in this worker: its key as text. */
function viewName(key: ArrayBuffer): string {
  return String.UTF8.decode(key);
}

/** `d` refusing the request on `spec` (index `i`) without asking the service. */
function refusedOutright(d: Decision, spec: CounterSpec, i: i32, nowMs: i64): Decision {
  const w = safeWindow(spec.windowMs);
  d.admitted = false;
  d.hasCounter = true;
  d.limitName = spec.limitName;
  d.rateIndex = spec.rateIndex;
  d.counterIndex = i;
  d.limit = spec.limit;
  d.remaining = 0;
  d.resetMs = windowStart(nowMs, w) + w - nowMs;
  return d;
}
