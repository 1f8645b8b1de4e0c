// Settlements that could not be written when their response ended (the store failed, or
// compare-and-swap lost to other writers past the retry limit) wait here and are written
// again on the root's tick, relative to the counter as it is then. One queue per worker
// VM, shared by every policy it ran, so a stream admitted under an older configuration is
// retried too. Each entry either reaches its counter or is counted as lost, with its tokens.
import { CounterHandle, LimitStatus } from "./decision";
import { Limiter, LimiterEvent } from "./limiter";
import { nonNegative } from "./saturate";

/** How long a settlement is retried before it is given up, whatever the tick period. */
export const DEFAULT_MAX_AGE_MS: i64 = 60_000;
/** Settlements held at most; one more is counted as lost at once (memory stays bounded). */
export const DEFAULT_MAX_PENDING: i32 = 4096;

class PendingSettlement {
  /** When the first retry ran (-1: not yet); the age counts from there. */
  firstRetryMs: i64 = -1;
  constructor(readonly limiter: Limiter, readonly handle: CounterHandle, readonly cost: i64) {}
}

/** Failed settlements and releases of a worker, retried by `retry` (the root's tick). */
export class SettlementQueue {
  private pending: Array<PendingSettlement> = new Array<PendingSettlement>();

  constructor(
    readonly maxAgeMs: i64 = DEFAULT_MAX_AGE_MS,
    readonly maxPending: i32 = DEFAULT_MAX_PENDING,
  ) {}

  /** Settlements waiting for their next attempt. */
  get size(): i32 {
    return this.pending.length;
  }

  /**
   * Holds `handle`'s settlement at `cost` tokens (0: a release) for the next `retry`.
   * When the queue is full it is lost at once: counted in `limiter.stats`.
   */
  defer(limiter: Limiter, handle: CounterHandle, cost: i64): void {
    if (this.pending.length >= this.maxPending) {
      giveUp(limiter, handle, nonNegative(cost));
      return;
    }
    limiter.stats.record(LimiterEvent.SettlementDeferred);
    this.pending.push(new PendingSettlement(limiter, handle, nonNegative(cost)));
  }

  /**
   * Writes every held settlement once more at `nowMs`. Those that succeed are counted as
   * recovered; those still failing `maxAgeMs` after their first retry are given up and
   * counted as lost.
   * Returns how many are still held. Never traps.
   */
  retry(nowMs: i64): i32 {
    const held = this.pending;
    let kept = 0;
    for (let i = 0, n = held.length; i < n; i++) {
      const p = unchecked(held[i]);
      const h = p.handle;
      if (h.done) continue;
      if (p.firstRetryMs < 0) p.firstRetryMs = nowMs;
      if (p.limiter.retrySettlement(h, p.cost, nowMs) == LimitStatus.Ok) {
        h.done = true;
        p.limiter.stats.record(LimiterEvent.SettlementRecovered);
        continue;
      }
      if (nowMs - p.firstRetryMs >= this.maxAgeMs) {
        giveUp(p.limiter, h, p.cost);
        continue;
      }
      unchecked(held[kept++] = p);
    }
    held.length = kept;
    return kept;
  }
}

/** Counts a settlement that will never reach its counter, with the tokens it carried. */
function giveUp(limiter: Limiter, handle: CounterHandle, cost: i64): void {
  handle.done = true;
  if (cost > 0) {
    limiter.stats.record(LimiterEvent.SettlementLost);
    limiter.stats.recordLostTokens(cost);
  } else {
    limiter.stats.record(LimiterEvent.LostRelease);
  }
}
