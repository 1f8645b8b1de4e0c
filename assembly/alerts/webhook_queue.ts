// Alerts waiting to reach the webhook: sent at once, retried with exponential backoff
// (1s, 2s, 4s ... at most 60s) when the webhook fails, given up after the configured
// attempts. Bounded: past MAX_PENDING waiting alerts, new ones are dropped (and counted),
// so a webhook that is down for a day cannot grow the VM's memory. Pure: the filter's
// glue makes the calls and reports their outcomes.
import { WebhookConfig } from "../config/alerts";

/** Most alerts kept waiting or in flight at once, per worker. */
export const MAX_PENDING: i32 = 256;
const FIRST_BACKOFF_MS: i64 = 1000;
const MAX_BACKOFF_MS: i64 = 60_000;

/** One alert on its way. */
export class PendingAlert {
  /** Attempts made so far. */
  attempts: i32 = 0;
  /** When the next attempt may be made (ms since the epoch). */
  dueMs: i64 = 0;
  /** The call in flight (0: none). */
  token: u32 = 0;
  constructor(readonly webhook: WebhookConfig, readonly body: ArrayBuffer) {}
}

/** The delay before attempt `attempts + 1`, after `attempts` failed ones (>= 1). */
export function backoffMs(attempts: i32): i64 {
  if (attempts <= 1) return FIRST_BACKOFF_MS;
  if (attempts > 7) return MAX_BACKOFF_MS;
  const d = FIRST_BACKOFF_MS << <i64>(attempts - 1);
  return d > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : d;
}

export class WebhookQueue {
  private entries: Array<PendingAlert> = new Array<PendingAlert>();

  get size(): i32 { return this.entries.length; }

  /** Queues `body` for `webhook`, due now. False (nothing queued) when the queue is full. */
  add(webhook: WebhookConfig, body: ArrayBuffer, nowMs: i64): bool {
    if (this.entries.length >= MAX_PENDING) return false;
    const p = new PendingAlert(webhook, body);
    p.dueMs = nowMs;
    this.entries.push(p);
    return true;
  }

  /** The alerts not in flight whose next attempt is due at `nowMs`. */
  due(nowMs: i64): Array<PendingAlert> {
    const out = new Array<PendingAlert>();
    for (let i = 0, n = this.entries.length; i < n; i++) {
      const p = unchecked(this.entries[i]);
      if (p.token == 0 && p.dueMs <= nowMs) out.push(p);
    }
    return out;
  }

  /** True when some alert waits for a later attempt (not in flight). */
  hasWaiting(): bool {
    for (let i = 0, n = this.entries.length; i < n; i++) if (unchecked(this.entries[i]).token == 0) return true;
    return false;
  }

  /** The alert whose call has `token`, or null. */
  inFlight(token: u32): PendingAlert | null {
    if (token == 0) return null;
    for (let i = 0, n = this.entries.length; i < n; i++) {
      const p = unchecked(this.entries[i]);
      if (p.token == token) return p;
    }
    return null;
  }

  /** Records that an attempt of `p` started with call `token` (0: the host refused it). */
  started(p: PendingAlert, token: u32): void {
    p.attempts++;
    p.token = token;
  }

  /** `p` was delivered (or will never be): forgets it. */
  remove(p: PendingAlert): void {
    const i = this.entries.indexOf(p);
    if (i >= 0) this.entries.splice(i, 1);
  }

  /**
   * An attempt of `p` failed at `nowMs`: schedules the next one after the backoff and
   * returns true, or forgets `p` and returns false when its attempts are used up.
   */
  failed(p: PendingAlert, nowMs: i64): bool {
    p.token = 0;
    if (p.attempts >= p.webhook.maxAttempts) {
      this.remove(p);
      return false;
    }
    p.dueMs = nowMs + backoffMs(p.attempts);
    return true;
  }
}
