// The interface the filter codes against. The local backend (counters/local.ts) answers
// synchronously from shared data; a rate-limit-service backend implements the same calls
// and answers `admit` with LimitStatus.Pending, completing from its gRPC callback.
import { CounterHandle, CounterSpec, Decision } from "./decision";

/** Counters shared by every worker of a proxy (local) or every replica (service). */
export abstract class Limiter {
  /**
   * Decides whether a request may proceed against every counter in `specs` (all rates of
   * all applicable limits) at `nowMs` (ms since the epoch), in `mode` (Mode.Check or
   * Mode.Reserve) with `estimate` tokens reserved per counter in reserve mode. On a
   * rejection or error, reservations already taken for this request are released before
   * returning. Never traps; errors are reported in `Decision.status` / `Decision.error`.
   */
  abstract admit(specs: CounterSpec[], nowMs: i64, mode: i32, estimate: i64): Decision;

  /**
   * Replaces each handle's reservation by its real cost: `costs[i]` tokens for
   * `handles[i]` (missing entries cost 0, negative count as 0), charged to the window
   * containing `nowMs`. Handles already done are skipped. Returns the first non-Ok
   * LimitStatus (the other handles are still settled), else LimitStatus.Ok.
   */
  abstract settle(handles: CounterHandle[], costs: i64[], nowMs: i64): i32;

  /** Drops each handle's reservation without charging anything (aborted streams). */
  abstract release(handles: CounterHandle[], nowMs: i64): i32;
}
