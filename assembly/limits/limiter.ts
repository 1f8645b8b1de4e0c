// The interface the filter codes against: it never names a backend. The one backend so far,
// LocalLimiter (local_limiter.ts), answers every call synchronously from the proxy's shared
// data. A rate-limit-service backend would answer `admit` with LimitStatus.Pending and
// complete the Decision from its gRPC callback; the filter's admission step
// (filter/admission_step.ts) already treats a pending answer as "hold the request".
import { AdmissionMode, CounterHandle, CounterSpec, Decision, LimitStatus } from "./decision";

/** What a limiter meets besides its decisions; each kind is exported as a metric. */
export enum LimiterEvent {
  /** A compare-and-swap write lost to another writer (and was retried). */
  CasConflict = 0,
  /** An operation gave up after its retries all lost (LimitStatus.Conflict). */
  RetriesExhausted = 1,
  /** A store call failed outright (LimitStatus.StoreError). */
  StoreError = 2,
  /** A stored value did not decode and was treated as a fresh counter. */
  CorruptValue = 3,
  /** A reservation could not be rolled back or released; it lapses with its TTL or window. */
  LostRelease = 4,
  /** A settlement or release failed and waits for the next tick (settlements.ts). */
  SettlementDeferred = 5,
  /** A deferred settlement or release reached its counter on a later tick. */
  SettlementRecovered = 6,
  /** A charge given up: its tokens never reached the counter (see `tokensLost`). */
  SettlementLost = 7,
  /** A counter found no slot (every one probed holds a running counter): counted in its rate's overflow counter. */
  CounterOverflow = 8,
}

/** Number of LimiterEvent kinds. */
export const LIMITER_EVENT_COUNT: i32 = 9;

/**
 * Running totals of LimiterEvents. The filter passes a subclass whose `record` also
 * increments a metric; tests read the totals.
 */
export class LimiterStats {
  casConflicts: i64 = 0;
  retriesExhausted: i64 = 0;
  storeErrors: i64 = 0;
  corruptValues: i64 = 0;
  lostReleases: i64 = 0;
  settlementsDeferred: i64 = 0;
  settlementsRecovered: i64 = 0;
  settlementsLost: i64 = 0;
  counterOverflows: i64 = 0;
  /** Tokens of given-up charges: charged to the caller, never written to a counter. */
  tokensLost: i64 = 0;

  /** Counts `tokens` (> 0) that a given-up charge carried. */
  recordLostTokens(tokens: i64): void {
    if (tokens > 0) this.tokensLost += tokens;
  }

  /** Counts one `event`. Never traps (an unknown kind is ignored). */
  record(event: LimiterEvent): void {
    switch (event) {
      case LimiterEvent.CasConflict: this.casConflicts++; break;
      case LimiterEvent.RetriesExhausted: this.retriesExhausted++; break;
      case LimiterEvent.StoreError: this.storeErrors++; break;
      case LimiterEvent.CorruptValue: this.corruptValues++; break;
      case LimiterEvent.LostRelease: this.lostReleases++; break;
      case LimiterEvent.SettlementDeferred: this.settlementsDeferred++; break;
      case LimiterEvent.SettlementRecovered: this.settlementsRecovered++; break;
      case LimiterEvent.SettlementLost: this.settlementsLost++; break;
      case LimiterEvent.CounterOverflow: this.counterOverflows++; break;
      default: break;
    }
  }
}

/** Counters shared by every worker of a proxy (local) or every replica (service). */
export abstract class Limiter {
  /**
   * True when `admit` answers later (LimitStatus.Pending) over the network: the filter
   * then asks once, when the request is complete, instead of checking first.
   */
  remote: bool = false;

  constructor(
    /** Where the limiter counts what it meets (see LimiterEvent). */
    readonly stats: LimiterStats,
  ) {}

  /**
   * Decides whether a request may proceed against every counter in `specs` (all rates of
   * all applicable limits) at `nowMs` (ms since the epoch), in `mode`, reserving
   * `estimate` tokens per counter in reserve mode. A counter whose limit is below `mustFit`
   * (the request's input estimate: what it is, not what it may generate) refuses it, as it
   * could never fit. On a rejection or error, reservations
   * already taken for this request are released before returning. Never traps; errors
   * are reported in `Decision.status` / `Decision.error`.
   */
  abstract admit(specs: CounterSpec[], nowMs: i64, mode: AdmissionMode, estimate: i64, mustFit: i64 = 0): Decision;

  /**
   * `admit`, for a request this limiter already answered a Check for with `check`, over the
   * same `specs`: a backend may start from what the check found (where each counter lives)
   * instead of looking again. The answer is the one `admit` would give. `check` is the
   * request's to give: its handles may be reused by the returned Decision.
   */
  admitAfterCheck(check: Decision, specs: CounterSpec[], nowMs: i64, mode: AdmissionMode, estimate: i64, mustFit: i64 = 0): Decision {
    return this.admit(specs, nowMs, mode, estimate, mustFit);
  }

  /**
   * Replaces each handle's reservation by its real cost: `costs[i]` tokens for
   * `handles[i]` (missing entries cost 0, negative count as 0), charged to the window
   * containing `nowMs`. Handles already done are skipped. Returns the first non-Ok
   * LimitStatus (the other handles are still settled), else LimitStatus.Ok.
   */
  abstract settle(handles: CounterHandle[], costs: i64[], nowMs: i64): i32;

  /** Drops each handle's reservation without charging anything (aborted streams). */
  abstract release(handles: CounterHandle[], nowMs: i64): i32;

  /**
   * One more attempt at a settlement of `cost` tokens (0: a release) that failed before,
   * relative to the counter as it is at `nowMs`; called by the SettlementQueue on a tick.
   * Returns a LimitStatus and never defers again. A backend that never defers keeps this.
   */
  retrySettlement(handle: CounterHandle, cost: i64, nowMs: i64): i32 {
    return LimitStatus.Ok;
  }
}
