// Budget alerts leaving the filter: the metric, the warn log line, and the webhook call.
// The call is dispatched from the root context (its response comes back to the root, so
// it outlives the stream that crossed the threshold) and never holds the request or the
// response: a stream only queues and starts it. Failed calls are retried on the root's
// tick with backoff (alerts/webhook_queue.ts).
import { AlertSink, BudgetAlert } from "../limits/alerts";
import { WebhookConfig } from "../config/alerts";
import { alertLogLine, alertPayload } from "../alerts/payload";
import { WebhookQueue, PendingAlert } from "../alerts/webhook_queue";
import { FilterMetrics, WebhookMetrics } from "./metrics";
import { httpCall, setEffectiveContext } from "../abi/calls";
import { Header, getHeader } from "../abi/headers";
import { HeaderMapType, WasmResult } from "../abi/status";
import { nowMillis } from "../abi/time";
import { TickPeriod } from "./tick";
import { logWarn } from "../abi/log";
import { parseStatusCode } from "../usage/http";

// How often the root looks for retries that fell due (once any has waited).
const RETRY_TICK_MS: u32 = 1000;
const NO_TRAILERS = new Array<Header>(0);

/** The webhook calls of one root context (one per worker VM), across configurations. */
export class AlertDispatcher {
  private queue: WebhookQueue = new WebhookQueue();

  constructor(readonly rootId: u32, readonly metrics: WebhookMetrics, private tick: TickPeriod) {}

  /** Queues an alert body for `webhook`; false when the queue is full (counted as dropped). */
  enqueue(webhook: WebhookConfig, body: string, nowMs: i64): bool {
    if (this.queue.add(webhook, String.UTF8.encode(body), nowMs)) return true;
    this.metrics.dropped.inc();
    logWarn("tokenlimit: budget alert dropped: " + this.queue.size.toString() + " alerts already wait for the webhook");
    return false;
  }

  /**
   * Starts every due call as the root context, then makes `currentId` (the context whose
   * callback runs) effective again. Never waits for an answer.
   */
  dispatch(currentId: u32, nowMs: i64): void {
    const due = this.queue.due(nowMs);
    if (due.length == 0) return;
    const switched = currentId != this.rootId && setEffectiveContext(this.rootId) == WasmResult.Ok;
    for (let i = 0; i < due.length; i++) this.start(unchecked(due[i]), nowMs);
    if (switched) setEffectiveContext(currentId);
    this.armTick();
  }

  /** The root's `on_http_call_response`: true when `token` was one of ours. */
  onResponse(token: u32, headerCount: u32): bool {
    const p = this.queue.inFlight(token);
    if (p === null) return false;
    // No headers: the call was reset (or failed to connect in a way the host reports so).
    const status = headerCount == 0 ? 0 : parseStatusCode(getHeader(HeaderMapType.HttpCallResponseHeaders, ":status"));
    if (status >= 200 && status < 300) {
      this.metrics.delivered.inc();
      this.queue.remove(p);
      return true;
    }
    const retryable = status == 0 || status == 429 || status >= 500;
    if (!retryable) {
      this.metrics.failures.inc();
      this.metrics.dropped.inc();
      this.queue.remove(p);
      logWarn("tokenlimit: budget alert webhook " + p.webhook.cluster + " answered " + status.toString() + "; alert dropped");
      return true;
    }
    this.fail(p, nowMillis(), status == 0 ? "no response" : "status " + status.toString());
    return true;
  }

  /** The root's tick: the retries that fell due. */
  onTick(): void {
    if (this.queue.size > 0) this.dispatch(this.rootId, nowMillis());
  }

  private start(p: PendingAlert, nowMs: i64): void {
    const w = p.webhook;
    const headers = [
      new Header(":method", "POST"),
      new Header(":path", w.path),
      new Header(":authority", w.authority),
      new Header("content-type", "application/json"),
      new Header("x-tokenlimit-alert-attempt", (p.attempts + 1).toString()),
    ];
    const call = httpCall(w.cluster, headers, p.body, NO_TRAILERS, <u32>w.timeoutMs);
    this.metrics.calls.inc();
    if (call.status != WasmResult.Ok) {
      this.queue.started(p, 0);
      this.fail(p, nowMs, "the proxy refused the call to cluster " + w.cluster + " (status " + call.status.toString() + ")");
      return;
    }
    this.queue.started(p, call.token);
  }

  private fail(p: PendingAlert, nowMs: i64, why: string): void {
    this.metrics.failures.inc();
    if (this.queue.failed(p, nowMs)) {
      this.metrics.retries.inc();
      this.armTick();
      return;
    }
    this.metrics.dropped.inc();
    logWarn("tokenlimit: budget alert webhook " + p.webhook.cluster + " failed " + p.attempts.toString() + " times (last: " + why + "); alert dropped");
  }

  /** Ticks once a retry waits (they then go on: a tick with nothing due costs one callback). */
  private armTick(): void {
    if (this.queue.hasWaiting()) this.tick.request(RETRY_TICK_MS);
  }
}

/** A policy's alert sink: metric, log line, and the webhook when one is configured. */
export class AlertNotifier extends AlertSink {
  /** Alerts queued by the callback that is running, to start once the limiter is done. */
  pending: bool = false;

  constructor(private metrics: FilterMetrics, private webhook: WebhookConfig | null, readonly dispatcher: AlertDispatcher) {
    super();
  }

  fire(a: BudgetAlert): void {
    this.metrics.budgetAlerts.inc();
    this.metrics.limit(a.limitName).budgetAlerts(a.metricLabel).inc();
    logWarn(alertLogLine(a));
    const w = this.webhook;
    if (w === null) return;
    if (this.dispatcher.enqueue(w, alertPayload(a, nowMillis()), nowMillis())) this.pending = true;
  }

  /** Starts the calls queued while `currentId`'s callback ran. */
  flush(currentId: u32): void {
    if (!this.pending) return;
    this.pending = false;
    this.dispatcher.dispatch(currentId, nowMillis());
  }
}
