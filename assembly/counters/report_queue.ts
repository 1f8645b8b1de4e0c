// Reports of what requests cost, on their way to the rate-limit service. A report is sent
// at once from the root context (it must complete after its stream is gone); one that
// fails waits and is sent again on tick with exponential backoff, up to MAX_REPORT_ATTEMPTS
// sends, then counted as lost. Nothing here refunds: the protocols cannot.
import { ServiceCallHandler, ServiceFailure, ServiceMethod, ServiceStats, ServiceTransport } from "./service";

/** Sends of one report before it is given up (counted in `reports lost`). */
export const MAX_REPORT_ATTEMPTS: i32 = 6;
/** Wait before the first retry; doubles with each further failure. */
export const FIRST_RETRY_MS: i64 = 100;
/** Longest wait between two sends of a report. */
export const MAX_RETRY_MS: i64 = 5000;
/** Most reports waiting for a retry; a failure past this is lost at once (the service is down). */
export const MAX_WAITING_REPORTS: i32 = 4096;

/** One report: what to send, and how often it was sent. */
class QueuedReport extends ServiceCallHandler {
  attempts: i32 = 0;
  /** When to send it again; 0 = failed just now, the next tick sets the time. */
  dueMs: i64 = 0;
  inFlight: bool = false;

  constructor(readonly queue: ReportQueue, readonly cluster: string, readonly method: ServiceMethod, readonly request: ArrayBuffer, readonly timeoutMs: u32) {
    super();
  }

  onAnswer(ptr: usize, len: usize): void {
    // Any answer means the service counted the hits: Report never refuses, and
    // ShouldRateLimit counts even when it answers OVER_LIMIT.
    this.inFlight = false;
    this.queue.answered(this);
  }

  onFailure(failure: ServiceFailure): void {
    this.inFlight = false;
    this.queue.failed(this);
  }
}

/** Reports of one VM (every policy it had), sent through `transport`. */
export class ReportQueue {
  private waiting: Array<QueuedReport> = new Array<QueuedReport>();
  private inFlight: i32 = 0;

  constructor(private transport: ServiceTransport, private stats: ServiceStats) {}

  /** Reports sent and not yet answered, plus those waiting for a retry. */
  get pending(): i32 { return this.inFlight + this.waiting.length; }

  /** Sends `request` now, waiting `timeoutMs` per send; retried on tick if it fails. Allocates one entry. */
  send(cluster: string, method: ServiceMethod, request: ArrayBuffer, timeoutMs: u32): void {
    this.start(new QueuedReport(this, cluster, method, request, timeoutMs));
  }

  /** Sends every waiting report whose time has come; times the ones that just failed. */
  tick(nowMs: i64): void {
    const due = new Array<QueuedReport>();
    const keep = new Array<QueuedReport>();
    for (let i = 0, n = this.waiting.length; i < n; i++) {
      const r = unchecked(this.waiting[i]);
      if (r.dueMs == 0) r.dueMs = nowMs + backoffMs(r.attempts);
      if (r.dueMs <= nowMs) due.push(r);
      else keep.push(r);
    }
    this.waiting = keep;
    for (let i = 0, n = due.length; i < n; i++) {
      this.stats.reportRetried();
      this.start(unchecked(due[i]));
    }
    this.stats.pending(this.pending);
  }

  answered(r: QueuedReport): void {
    this.inFlight--;
    this.stats.reportSent();
    this.stats.pending(this.pending);
  }

  failed(r: QueuedReport): void {
    this.inFlight--;
    this.wait(r);
  }

  private start(r: QueuedReport): void {
    r.attempts++;
    r.inFlight = true;
    this.inFlight++;
    const token = this.transport.call(r.cluster, r.method, r.request, r.timeoutMs, true, r);
    if (token == 0) {
      r.inFlight = false;
      this.inFlight--;
      this.wait(r);
    }
    this.stats.pending(this.pending);
  }

  private wait(r: QueuedReport): void {
    if (r.attempts >= MAX_REPORT_ATTEMPTS || this.waiting.length >= MAX_WAITING_REPORTS) {
      this.stats.reportLost();
    } else {
      r.dueMs = 0;
      this.waiting.push(r);
    }
    this.stats.pending(this.pending);
  }
}

/** Wait after the `attempts`-th failed send: 100 ms, 200 ms, 400 ms ... at most 5 s. */
export function backoffMs(attempts: i32): i64 {
  let ms = FIRST_RETRY_MS;
  for (let i = 1; i < attempts && ms < MAX_RETRY_MS; i++) ms <<= 1;
  return ms > MAX_RETRY_MS ? MAX_RETRY_MS : ms;
}
