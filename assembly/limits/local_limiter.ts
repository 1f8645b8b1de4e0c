// The local limiter: counters in a CounterStore (shared data in the proxy), updated with
// compare-and-swap. Each counter is read, decided on and written back with the cas it
// was read at; when another worker wrote in between, the write fails with CasMismatch
// and the whole read-decide-write step is retried, at most `maxRetries` more times.
// Counters live in a fixed table of slots per rate (slots.ts); every write is relative to
// the counter as stored, and one that fails waits in the worker's SettlementQueue.
// Admission and charging semantics, and the overshoot they allow, are in
// assembly/limits/README.md.
import { AdmissionMode, CounterHandle, CounterSpec, Decision, LimitStatus, DEFAULT_RESERVATION_TTL_MS } from "./decision";
import { CounterKeyBuilder } from "./keys";
import { Limiter, LimiterEvent, LimiterStats } from "./limiter";
import { ceilSeconds, nonNegative, satAdd, satSub } from "./saturate";
import { safeWindow, windowEnd, windowStart } from "./window";
import { CounterStore, StoredRead, WasmResult } from "../counters/store";
import { CounterState, decodeCounter, encodeCounterOf, identityIs, VALUE_SIZE } from "../counters/value";
import { DEFAULT_MAX_COUNTERS, PROBE_SLOTS, SlotHints, SlotKeys, homeSlot } from "./slots";
import { SettlementQueue } from "./settlements";
import { AlertSink, reportCrossings } from "./alerts";

/** Default number of retries after a lost compare-and-swap. */
export const DEFAULT_MAX_RETRIES: i32 = 16;

// Outcomes of one counter's admission step.
const STEP_ADMITTED: i32 = 0;
const STEP_REJECTED: i32 = 1;
const STEP_CONFLICT: i32 = 2;
const STEP_STORE_ERROR: i32 = 3;

/**
 * A counter as a check read it (see `admitAfterCheck`): the value and its cas, kept for
 * the admission that follows in the same request. Reused from one request to the next.
 */
class CheckedRead {
  /** The key read: the handle's own key object (null: nothing kept). */
  key: ArrayBuffer | null = null;
  value: ArrayBuffer = new ArrayBuffer(0);
  cas: u32 = 0;
  /** Set when a value was judged since the step began (the key is set once the step ends). */
  judged: bool = false;

  /** Copies the value and cas just read (no allocation once a value of that size was kept). */
  keep(read: StoredRead): void {
    const n = read.value.byteLength;
    if (this.value.byteLength != n) this.value = new ArrayBuffer(n);
    memory.copy(changetype<usize>(this.value), changetype<usize>(read.value), <usize>n);
    this.cas = read.cas;
    this.judged = true;
  }
}

/** Limiter over a CounterStore with compare-and-swap. One per worker VM (root context). */
export class LocalLimiter extends Limiter {
  private keys: CounterKeyBuilder;
  private slots: SlotKeys;
  /** Where counters were last found (a hint; every read checks the stored identity). */
  private hints: SlotHints = new SlotHints();
  /** Slots per rate of a limit (`counters.maxCounters`). */
  private capacity: i32;
  private readBuf: StoredRead = new StoredRead();
  private legacyRead: StoredRead = new StoredRead();
  private stored: CounterState = new CounterState();
  /** The counter as it stands in the current window after the last read (see `current`). */
  private view: CounterState = new CounterState();
  private next: CounterState = new CounterState();
  private scratch: ArrayBuffer = new ArrayBuffer(VALUE_SIZE);
  /** Whether the last read found the key (false: the next write creates it). */
  private found: bool = false;
  /** Whether `view` is a counter of another window length taken over by the last read. */
  private migrated: bool = false;
  private maxRetries: i32;
  /** Length of a reservation period: a reservation expires after one to two of them. */
  private reservationTtlMs: i64;
  /** What the last check read of each counter, by spec position (see `admitAfterCheck`). */
  private checked: Array<CheckedRead> = new Array<CheckedRead>();
  /** Where `judge` keeps the value it judges during a check; null otherwise. */
  private keeping: CheckedRead | null = null;

  /**
   * `keyPrefix` starts every key (keep it distinct per policy so two filters sharing a
   * vm_id never share counters). `maxRetries` (clamped to 0..1000) bounds the retries
   * after a lost compare-and-swap. `stats` receives what the limiter meets (LimiterEvent);
   * `alerts` every budget threshold a charge crosses (see alerts.ts).
   */
  constructor(private store: CounterStore, keyPrefix: string, maxRetries: i32 = DEFAULT_MAX_RETRIES,
    stats: LimiterStats = new LimiterStats(),
    /** Where settlements that fail wait for the next tick (one per worker VM). */
    private deferred: SettlementQueue = new SettlementQueue(),
    reservationTtlMs: i64 = DEFAULT_RESERVATION_TTL_MS,
    maxCounters: i32 = DEFAULT_MAX_COUNTERS,
    private alerts: AlertSink = new AlertSink()) {
    super(stats);
    this.slots = new SlotKeys(keyPrefix);
    this.capacity = maxCounters < 1 ? 1 : maxCounters;
    this.reservationTtlMs = safeWindow(reservationTtlMs);
    this.keys = new CounterKeyBuilder(keyPrefix);
    this.maxRetries = maxRetries < 0 ? 0 : maxRetries > 1000 ? 1000 : maxRetries;
  }

  /** See Limiter.admit. Allocates the Decision, one handle and one key per spec. */
  admit(specs: CounterSpec[], nowMs: i64, mode: AdmissionMode, estimate: i64, mustFit: i64 = 0): Decision {
    return this.admitWith(null, specs, nowMs, mode, estimate, mustFit);
  }

  /**
   * See Limiter.admitAfterCheck: each counter the check located is not looked for again
   * (its handle is reused, with its key). When admitting writes the counter, the write
   * starts from the value and cas the check read: if another writer came in between, the
   * compare-and-swap fails and the counter is read again, as after any lost race (and
   * counted as one). A step that would write nothing decides on a fresh read. Allocates
   * the Decision only.
   */
  admitAfterCheck(check: Decision, specs: CounterSpec[], nowMs: i64, mode: AdmissionMode, estimate: i64, mustFit: i64 = 0): Decision {
    return this.admitWith(check, specs, nowMs, mode, estimate, mustFit);
  }

  private admitWith(check: Decision | null, specs: CounterSpec[], nowMs: i64, mode: AdmissionMode, estimate: i64, mustFit: i64): Decision {
    const d = new Decision();
    if (changetype<usize>(specs) == 0) return d;
    // The check's handles line up with the specs only when it had one per spec.
    const prior = check !== null && check.handles.length == specs.length ? check.handles : null;
    let rejected = false;
    let failed = false;
    for (let i = 0, n = specs.length; i < n; i++) {
      const spec = unchecked(specs[i]);
      if (changetype<usize>(spec) == 0) continue;
      const w = safeWindow(spec.windowMs);
      const h = this.handleOf(spec, w, prior === null ? null : unchecked(prior[i]));
      // A check keeps what it reads of each counter; the admission after it starts from that.
      const memo = this.checkedAt(i);
      const recall = check !== null && memo.key === h.key ? memo : null;
      memo.key = null;
      memo.judged = false;
      h.windowStart = windowStart(nowMs, w);
      h.limit = spec.limit;
      h.values = spec.values;
      h.alerts = spec.alerts;
      d.handles.push(h);
      if (failed) continue;
      if (rejected) {
        // A soft counter never refuses, so it never sets when to come back either.
        if (spec.soft) continue;
        // Already limited: look (without writing) for a counter that stays exhausted
        // longer, so retry-after does not send the client back too early.
        if (this.readCurrent(h, nowMs, w, true) == LimitStatus.Ok && satAdd(this.view.used, this.view.totalReserved()) >= spec.limit) {
          const reset = this.resetOf(nowMs, w);
          if (reset > d.resetMs) this.govern(d, spec, i, 0, reset);
        }
        continue;
      }
      let est: i64 = 0;
      if (mode == AdmissionMode.Reserve) est = nonNegative(spec.estimate >= 0 ? spec.estimate : estimate);
      // A request whose known part alone exceeds the limit could never fit (a soft limit only alerts).
      this.keeping = check === null && mode == AdmissionMode.Check ? memo : null;
      const step = mustFit > spec.limit && !spec.soft ? this.refuseOne(h, nowMs) : this.admitOne(h, spec.limit, nowMs, est, spec.soft, recall);
      this.keeping = null;
      if (memo.judged) memo.key = h.key;
      h.windowStart = this.view.windowStart;
      h.reservedSince = this.view.reservedSince;
      if (step == STEP_ADMITTED) {
        h.reserved = est;
        if (spec.soft) continue;
        const remaining = satSub(spec.limit, satAdd(this.view.used, this.view.totalReserved()));
        const reset = this.resetOf(nowMs, w);
        if (!d.hasCounter || remaining < d.remaining || (remaining == d.remaining && reset > d.resetMs)) {
          this.govern(d, spec, i, remaining, reset);
        }
      } else if (step == STEP_REJECTED) {
        rejected = true;
        d.admitted = false;
        this.govern(d, spec, i, 0, this.resetOf(nowMs, w));
      } else {
        failed = true;
        d.admitted = false;
        d.status = step == STEP_CONFLICT ? LimitStatus.Conflict : LimitStatus.StoreError;
        d.error = step == STEP_CONFLICT
          ? "limit " + spec.limitName + " rate " + spec.rateIndex.toString() + ": counter update lost to concurrent writers " + (this.maxRetries + 1).toString() + " times"
          : "limit " + spec.limitName + " rate " + spec.rateIndex.toString() + ": counter store failed";
      }
    }
    if (!d.admitted) {
      // Limited or failed: this request will not run, so give back what it holds.
      for (let i = 0, n = d.handles.length; i < n; i++) {
        const h = unchecked(d.handles[i]);
        if (h.reserved > 0) {
          if (this.applyOne(h, 0, nowMs) != LimitStatus.Ok) this.deferred.defer(this, h, 0);
          else h.reserved = 0;
        }
      }
      // A failed decision describes no counter: the failure mode, not a budget, decides.
      if (d.status != LimitStatus.Ok) d.hasCounter = false;
      if (d.hasCounter) {
        d.remaining = 0;
        const s = ceilSeconds(d.resetMs);
        d.retryAfterSeconds = s < 1 ? 1 : s;
      }
    } else if (d.hasCounter) {
      d.retryAfterSeconds = ceilSeconds(d.resetMs);
    }
    return d;
  }

  /** The kept read of the counter at spec position `i` (created on first use). */
  private checkedAt(i: i32): CheckedRead {
    const all = this.checked;
    while (all.length <= i) all.push(new CheckedRead());
    return unchecked(all[i]);
  }

  /**
   * A handle for `spec`: `earlier` (a check's handle) when it is one for this very counter
   * and has nothing to settle, its slot kept and the rest as new; else a new handle.
   */
  private handleOf(spec: CounterSpec, w: i64, earlier: CounterHandle | null): CounterHandle {
    if (earlier !== null && !earlier.done && earlier.reserved == 0 && earlier.values === spec.values
      && earlier.rateIndex == spec.rateIndex && earlier.windowMs == w && earlier.limitName == spec.limitName) {
      earlier.reservedSince = 0;
      earlier.used = -1;
      return earlier;
    }
    const keys = this.keys;
    keys.compose(spec.limitName, spec.rateIndex, spec.values);
    const hints = this.hints;
    if (hints.find(keys.composedPtr(), keys.composedLength())) {
      // Found before: read at that slot first (readCurrent looks again if it moved).
      const h = new CounterHandle(changetype<ArrayBuffer>(hints.identity), spec.limitName, spec.rateIndex, w);
      h.key = changetype<ArrayBuffer>(hints.slot);
      h.located = true;
      return h;
    }
    return new CounterHandle(keys.take(), spec.limitName, spec.rateIndex, w);
  }

  /** See Limiter.settle. */
  settle(handles: CounterHandle[], costs: i64[], nowMs: i64): i32 {
    let result = LimitStatus.Ok;
    if (changetype<usize>(handles) == 0) return result;
    const known = changetype<usize>(costs) == 0 ? 0 : costs.length;
    for (let i = 0, n = handles.length; i < n; i++) {
      const h = unchecked(handles[i]);
      if (changetype<usize>(h) == 0 || h.done) continue;
      const cost = i < known ? nonNegative(unchecked(costs[i])) : 0;
      const s = this.applyOne(h, cost, nowMs);
      if (s == LimitStatus.Ok) h.done = true;
      else {
        this.deferred.defer(this, h, cost);
        if (result == LimitStatus.Ok) result = s;
      }
    }
    return result;
  }

  /** See Limiter.retrySettlement. */
  retrySettlement(handle: CounterHandle, cost: i64, nowMs: i64): i32 {
    if (changetype<usize>(handle) == 0 || handle.done) return LimitStatus.Ok;
    return this.applyOne(handle, nonNegative(cost), nowMs);
  }

  /** Like `settle` with the same cost for every handle (limits that all count one kind). */
  settleAll(handles: CounterHandle[], cost: i64, nowMs: i64): i32 {
    if (changetype<usize>(handles) == 0) return LimitStatus.Ok;
    const costs = new Array<i64>(handles.length);
    costs.fill(cost);
    return this.settle(handles, costs, nowMs);
  }

  /** See Limiter.release. */
  release(handles: CounterHandle[], nowMs: i64): i32 {
    let result = LimitStatus.Ok;
    if (changetype<usize>(handles) == 0) return result;
    for (let i = 0, n = handles.length; i < n; i++) {
      const h = unchecked(handles[i]);
      if (changetype<usize>(h) == 0 || h.done) continue;
      const s = this.applyOne(h, 0, nowMs);
      if (s == LimitStatus.Ok) h.done = true;
      else {
        this.deferred.defer(this, h, 0);
        if (result == LimitStatus.Ok) result = s;
      }
    }
    return result;
  }

  /**
   * Refuses without writing (the counter is read into `view` for the window): for a
   * request whose input alone exceeds the limit, which admitting would let overshoot the
   * limit by its whole size.
   */
  private refuseOne(h: CounterHandle, nowMs: i64): i32 {
    return this.readCurrent(h, nowMs, h.windowMs, true) == LimitStatus.Ok ? STEP_REJECTED : STEP_STORE_ERROR;
  }

  /**
   * Reads the counter (leaving it in `view`) and admits while `used + reserved < limit`
   * (a `soft` counter always), adding `est` to `reserved` with compare-and-swap. A zero
   * estimate writes nothing.
   */
  private admitOne(h: CounterHandle, limit: i64, nowMs: i64, est: i64, soft: bool, recall: CheckedRead | null = null): i32 {
    // From the check's read first (`recall`), trusted only by a write that its cas admits.
    let recalled = recall !== null;
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      if (recalled) this.recall(changetype<CheckedRead>(recall), nowMs, h.windowMs);
      else if (this.readCurrent(h, nowMs, h.windowMs, true) != LimitStatus.Ok) return STEP_STORE_ERROR;
      const v = this.view;
      const rejected = !soft && satAdd(v.used, v.totalReserved()) >= limit;
      const reserve = !rejected && est > 0;
      // A counter taken over from another window length is written in its new form even
      // when nothing is reserved, so that what it carried is carried into one window only.
      if (!reserve && !this.migrated) {
        // Nothing to write, so nothing to confirm the check's read: decide on a fresh one.
        if (recalled) { recalled = false; attempt--; continue; }
        return rejected ? STEP_REJECTED : STEP_ADMITTED;
      }
      this.next.set(v.windowStart, v.windowMs, v.used, reserve ? satAdd(v.reserved, est) : v.reserved, v.reservedSince, v.reservedPrev);
      const s = this.write(h);
      if (s == WasmResult.Ok) {
        v.reserved = this.next.reserved;
        return rejected ? STEP_REJECTED : STEP_ADMITTED;
      }
      if (s != WasmResult.CasMismatch) return STEP_STORE_ERROR;
      // Another writer moved the counter since the check: a lost race like any other.
      recalled = false;
    }
    this.stats.record(LimiterEvent.RetriesExhausted);
    return STEP_CONFLICT;
  }

  /**
   * Gives back the handle's reservation (if it still lives in the counter) and adds `cost`
   * to the counter as it is now, with compare-and-swap. Returns a LimitStatus. Relative:
   * a counter another configuration's admissions keep (another window length) is added
   * to, never replaced.
   */
  private applyOne(h: CounterHandle, cost: i64, nowMs: i64): i32 {
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      const r = this.readCurrent(h, nowMs, h.windowMs, false);
      if (r != LimitStatus.Ok) return r;
      const v = this.view;
      // A reservation belongs to its window: once that window is over it no longer counts.
      // And to its reservation period: once expired (see readCurrent) it no longer counts.
      let cur = v.reserved;
      let prev = v.reservedPrev;
      let holds = v.windowStart == h.windowStart && v.windowMs == h.windowMs && h.reserved > 0;
      if (holds && h.reservedSince == v.reservedSince) cur = satSub(cur, h.reserved);
      else if (holds && h.reservedSince == v.reservedSince - this.reservationTtlMs) prev = satSub(prev, h.reserved);
      else holds = false;
      if (!holds && cost == 0) {
        h.used = v.used;
        return LimitStatus.Ok;
      }
      this.next.set(v.windowStart, v.windowMs, satAdd(v.used, cost), cur, v.reservedSince, prev);
      const s = this.write(h);
      if (s == WasmResult.Ok) {
        h.used = this.next.used;
        // This write, and no other, moved `used` from v.used to next.used in this window.
        const alerts = h.alerts;
        if (alerts !== null && cost > 0) {
          reportCrossings(this.alerts, alerts, h.limitName, h.rateIndex, h.values, h.limit, v.windowStart, v.windowMs, v.used, this.next.used);
        }
        return LimitStatus.Ok;
      }
      if (s != WasmResult.CasMismatch) return LimitStatus.StoreError;
    }
    this.stats.record(LimiterEvent.RetriesExhausted);
    return LimitStatus.Conflict;
  }

  /**
   * Reads `h`'s counter and sets `view` to it as it stands at `nowMs`, keeping the cas in
   * `readBuf` (see `judge`). The counter is read at the slot where it was found last, else
   * looked for (`locate`).
   */
  private readCurrent(h: CounterHandle, nowMs: i64, w: i64, adopt: bool): i32 {
    if (h.overflowed) return this.readOverflow(h, nowMs, w, adopt);
    if (h.located) {
      const st = this.store.read(h.key, this.readBuf);
      if (st == WasmResult.Ok && identityIs(this.readBuf.value, h.identity)) return this.judge(nowMs, w, adopt);
      if (st != WasmResult.Ok && st != WasmResult.NotFound) {
        this.stats.record(LimiterEvent.StoreError);
        return LimitStatus.StoreError;
      }
      // Its window ended and another counter took the slot: it starts afresh elsewhere.
      h.located = false;
    }
    return this.locate(h, nowMs, w, adopt);
  }

  /** Sets `view` from the check's read `m` (value and cas), judged at `nowMs` as `readCurrent` would. */
  private recall(m: CheckedRead, nowMs: i64, w: i64): void {
    this.readBuf.value = m.value;
    this.readBuf.cas = m.cas;
    this.judge(nowMs, w, true);
  }

  /** Reads the overflow counter `h` was sent to (it keeps it for the rest of the request). */
  private readOverflow(h: CounterHandle, nowMs: i64, w: i64, adopt: bool): i32 {
    const st = this.store.read(h.key, this.readBuf);
    if (st == WasmResult.NotFound) {
      this.migrated = false;
      this.view.set(windowStart(nowMs, w), w, 0, 0, windowStart(nowMs, this.reservationTtlMs));
      this.readBuf.cas = 0;
      this.found = false;
      return LimitStatus.Ok;
    }
    if (st != WasmResult.Ok) {
      this.stats.record(LimiterEvent.StoreError);
      return LimitStatus.StoreError;
    }
    return this.judge(nowMs, w, adopt);
  }

  /**
   * Looks for `h`'s counter over the slots from its home slot (limits/slots.ts): the slot
   * holding it, else the first slot free or held by a counter whose window ended (reclaimed
   * by the next write, with compare-and-swap), else the rate's overflow counter. Sets
   * `h.key` and reads like `readCurrent`.
   */
  private locate(h: CounterHandle, nowMs: i64, w: i64, adopt: bool): i32 {
    const cap = this.capacity;
    const home = homeSlot(h.identity, cap);
    const probes = cap < PROBE_SLOTS ? cap : PROBE_SLOTS;
    let freeKey: ArrayBuffer | null = null;
    let freeCas: u32 = 0;
    let freeExists = false;
    for (let j = 0; j < probes; j++) {
      const key = this.slots.slot(h.limitName, h.rateIndex, (home + j) % cap);
      const st = this.store.read(key, this.readBuf);
      if (st == WasmResult.NotFound) {
        // Counters are placed in the first slot available, so none lies past a slot never used.
        if (freeKey === null) freeKey = key;
        break;
      }
      if (st != WasmResult.Ok) {
        this.stats.record(LimiterEvent.StoreError);
        return LimitStatus.StoreError;
      }
      if (identityIs(this.readBuf.value, h.identity)) {
        h.key = key;
        h.located = true;
        this.hints.remember(h.identity, key);
        return this.judge(nowMs, w, adopt);
      }
      if (freeKey === null && this.ended(this.readBuf.value, nowMs)) {
        freeKey = key;
        freeCas = this.readBuf.cas;
        freeExists = true;
      }
    }
    this.migrated = false;
    this.view.set(windowStart(nowMs, w), w, 0, 0, windowStart(nowMs, this.reservationTtlMs));
    if (freeKey !== null) {
      h.key = freeKey;
      h.located = true;
      this.carryLegacy(h, nowMs, w);
      this.readBuf.cas = freeCas;
      this.found = freeExists;
      return LimitStatus.Ok;
    }
    // Every slot probed holds someone else's running counter: the rate's overflow counter.
    this.stats.record(LimiterEvent.CounterOverflow);
    const overflow = this.slots.overflow(h.limitName, h.rateIndex);
    h.key = overflow;
    h.identity = overflow;
    h.located = true;
    h.overflowed = true;
    return this.readOverflow(h, nowMs, w, adopt);
  }

  /**
   * A counter placed in a slot for the first time carries what an earlier version of the
   * filter (one key per counter, its identity key) counted in the running window, so an
   * upgrade in the middle of a window hands out no fresh budget. One read per placement.
   */
  private carryLegacy(h: CounterHandle, nowMs: i64, w: i64): void {
    if (this.store.read(h.identity, this.legacyRead) != WasmResult.Ok) return;
    const s = this.stored;
    if (!decodeCounter(this.legacyRead.value, s) || s.windowMs != w || this.ended(this.legacyRead.value, nowMs)) return;
    this.view.used = s.used;
  }

  /** Whether a stored value is reclaimable: it does not decode, or its window has ended. */
  private ended(value: ArrayBuffer, nowMs: i64): bool {
    const s = this.stored;
    if (!decodeCounter(value, s)) {
      this.stats.record(LimiterEvent.CorruptValue);
      return true;
    }
    const sCur = windowStart(nowMs, s.windowMs);
    return s.windowStart != sCur && !(s.windowStart > sCur && s.windowStart == windowEnd(sCur, s.windowMs));
  }

  /**
   * Sets `view` from the value just read into `readBuf` (found): the counter as it stands
   * at `nowMs`. A stored value counts while its window runs: the window containing `nowMs`
   * or the next one (another worker whose clock is a little ahead already rolled over;
   * going back would wipe its counts). Anything else (an ended window, a value that does
   * not decode) is a fresh counter in the window of length `w` containing `nowMs`.
   *
   * A running counter of another window length was kept by another configuration. To
   * settle (`adopt` false) it is taken as it is, so that the charge is added to it. To admit
   * (`adopt` true) under length `w`, it becomes a counter of the current `w` window that
   * carries what was spent (`used`) but not the other configuration's reservations: a
   * changed window never hands out a fresh budget in the middle of one.
   */
  private judge(nowMs: i64, w: i64, adopt: bool): i32 {
    const cur = windowStart(nowMs, w);
    const period = windowStart(nowMs, this.reservationTtlMs);
    this.view.set(cur, w, 0, 0, period);
    this.migrated = false;
    this.found = true;
    const keeping = this.keeping;
    if (keeping !== null) keeping.keep(this.readBuf);
    const s = this.stored;
    if (!decodeCounter(this.readBuf.value, s)) {
      this.stats.record(LimiterEvent.CorruptValue);
      return LimitStatus.Ok;
    }
    const sw = s.windowMs;
    const sCur = windowStart(nowMs, sw);
    if (s.windowStart != sCur && !(s.windowStart > sCur && s.windowStart == windowEnd(sCur, sw))) return LimitStatus.Ok;
    if (sw == w || !adopt) {
      // Reservations of the period before the previous one (or of another period length)
      // have expired: the request that took them is gone or will settle into nothing.
      // A worker whose clock is a little ahead may have started the next period already.
      let reserved: i64 = 0;
      let prev: i64 = 0;
      let since = period;
      if (s.reservedSince == period || s.reservedSince == period + this.reservationTtlMs) {
        reserved = s.reserved;
        prev = s.reservedPrev;
        since = s.reservedSince;
      } else if (s.reservedSince == period - this.reservationTtlMs) {
        prev = s.reserved;
      }
      this.view.set(s.windowStart, sw, s.used, reserved, since, prev);
    } else {
      this.view.set(cur, w, s.used, 0, period);
      this.migrated = true;
    }
    return LimitStatus.Ok;
  }

  /** Writes `next` with the cas of the last read; counts a lost race. */
  private write(h: CounterHandle): i32 {
    const value = encodeCounterOf(this.next, h.identity, this.scratch);
    this.scratch = value;
    // A key read missing is created without overwriting one another worker created since.
    const s = this.found ? this.store.compareAndSwap(h.key, value, this.readBuf.cas) : this.store.createIfAbsent(h.key, value);
    if (s == WasmResult.CasMismatch) {
      this.stats.record(LimiterEvent.CasConflict);
    } else if (s != WasmResult.Ok) {
      this.stats.record(LimiterEvent.StoreError);
    } else {
      // The value kept for a later admission is no longer the counter's.
      const keeping = this.keeping;
      if (keeping !== null) keeping.judged = false;
    }
    return s;
  }

  /** Milliseconds until the window of `view` ends. */
  private resetOf(nowMs: i64, w: i64): i64 {
    const end = windowEnd(this.view.windowStart, w);
    return end > nowMs ? end - nowMs : 0;
  }

  private govern(d: Decision, spec: CounterSpec, index: i32, remaining: i64, resetMs: i64): void {
    d.hasCounter = true;
    d.limitName = spec.limitName;
    d.rateIndex = spec.rateIndex;
    d.counterIndex = index;
    d.limit = nonNegative(spec.limit);
    d.remaining = remaining;
    d.resetMs = resetMs;
  }
}
