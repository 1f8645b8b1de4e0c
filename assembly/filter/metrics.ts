// The filter's metrics. Envoy shows them in Prometheus (with its `wasmcustom` prefix);
// per-limit series carry the limit name, escaped one-to-one (metric_names.ts), between
// `tokenlimit.limit.` and the metric, where a stats tag regex turns it into a tag.
// Limiter and identity statistics reach them through subclasses of the statistics the
// pure modules keep, so counting costs nothing until something happens.
import { Counter, Gauge, Histogram } from "../abi/metrics";
import { ServiceFailure, ServiceStats, SERVICE_FAILURE_COUNT, serviceFailureName } from "../counters/service";
import { LimiterEvent, LimiterStats, LIMITER_EVENT_COUNT } from "../limits/limiter";
import { IdentityFailure, IdentityStats, identityFailureName, IDENTITY_FAILURE_COUNT } from "../attributes";
import { budgetAlertMetricName, limitMetricName } from "./metric_names";

/** Per-limit counters: requests admitted and limited, tokens charged, budget alerts per threshold. */
export class LimitMetrics {
  admitted: Counter;
  limited: Counter;
  tokens: Counter;
  private alerts: Map<string, Counter> = new Map<string, Counter>();
  constructor(readonly name: string) {
    this.admitted = new Counter(limitMetricName(name, "requests_admitted"));
    this.limited = new Counter(limitMetricName(name, "requests_limited"));
    this.tokens = new Counter(limitMetricName(name, "tokens_charged"));
  }

  /** The budget alert counter of threshold `metricLabel` (`80pct`, `15000`), defined on first use. */
  budgetAlerts(metricLabel: string): Counter {
    if (this.alerts.has(metricLabel)) return this.alerts.get(metricLabel);
    const c = new Counter(budgetAlertMetricName(this.name, metricLabel));
    this.alerts.set(metricLabel, c);
    return c;
  }
}

/** What happens to budget alerts on their way to the webhook. */
export class WebhookMetrics {
  /** Attempts started (first ones and retries). */
  calls: Counter = new Counter("tokenlimit.alert_webhook.calls");
  /** Alerts the webhook accepted (2xx). */
  delivered: Counter = new Counter("tokenlimit.alert_webhook.delivered");
  /** Attempts that failed: 5xx, 429, timeout, connect failure, reset, or refused by the host. */
  failures: Counter = new Counter("tokenlimit.alert_webhook.failures");
  /** Attempts scheduled again after a failure. */
  retries: Counter = new Counter("tokenlimit.alert_webhook.retries");
  /** Alerts given up: attempts used up, a 4xx answer, or the queue full. */
  dropped: Counter = new Counter("tokenlimit.alert_webhook.dropped");
}

/** Metric names of LimiterEvents, indexed by event. */
const LIMITER_EVENT_METRICS: Array<string> = [
  "tokenlimit.counter_cas_conflicts",
  "tokenlimit.counter_retries_exhausted",
  "tokenlimit.counter_store_failures",
  "tokenlimit.counter_values_corrupt",
  "tokenlimit.reservations_lost",
  "tokenlimit.settlements_deferred",
  "tokenlimit.settlements_recovered",
  "tokenlimit.settlements_lost",
  "tokenlimit.counters_overflowed",
];

/** LimiterStats whose every event also increments its metric. */
export class LimiterMetrics extends LimiterStats {
  private counters: StaticArray<Counter> = new StaticArray<Counter>(LIMITER_EVENT_COUNT);

  constructor() {
    super();
    for (let i = 0; i < LIMITER_EVENT_COUNT; i++) unchecked(this.counters[i] = new Counter(unchecked(LIMITER_EVENT_METRICS[i])));
  }

  /** Tokens charged to callers that never reached a counter (given-up settlements). */
  private tokensLostCounter: Counter = new Counter("tokenlimit.tokens_lost");

  record(event: LimiterEvent): void {
    super.record(event);
    const i = <i32>event;
    if (i >= 0 && i < LIMITER_EVENT_COUNT) unchecked(this.counters[i]).inc();
  }

  recordLostTokens(tokens: i64): void {
    super.recordLostTokens(tokens);
    if (tokens > 0) this.tokensLostCounter.add(tokens);
  }
}

/**
 * IdentityStats whose every outcome also increments a metric: `identity_found`, or
 * `identity_missing` and `identity_missing.<reason>`.
 */
export class IdentityMetrics extends IdentityStats {
  private foundCounter: Counter = new Counter("tokenlimit.identity_found");
  private missingCounter: Counter = new Counter("tokenlimit.identity_missing");
  /** Indexed by IdentityFailure; index 0 (None) is never used. */
  private reasons: StaticArray<Counter | null> = new StaticArray<Counter | null>(IDENTITY_FAILURE_COUNT);

  constructor() {
    super();
    for (let i = 1; i < IDENTITY_FAILURE_COUNT; i++) {
      unchecked(this.reasons[i] = new Counter("tokenlimit.identity_missing." + identityFailureName(<IdentityFailure>i)));
    }
  }

  record(reason: IdentityFailure): void {
    super.record(reason);
    if (reason == IdentityFailure.None) {
      this.foundCounter.inc();
      return;
    }
    this.missingCounter.inc();
    const i = <i32>reason;
    if (i > 0 && i < IDENTITY_FAILURE_COUNT) {
      const c = unchecked(this.reasons[i]);
      if (c !== null) c.inc();
    }
  }
}

/** ServiceStats whose every event also moves a metric `tokenlimit.service.*`. */
export class ServiceMetrics extends ServiceStats {
  private callsCounter: Counter = new Counter("tokenlimit.service.calls");
  private errorsCounter: Counter = new Counter("tokenlimit.service.errors");
  private errorCounters: StaticArray<Counter> = new StaticArray<Counter>(SERVICE_FAILURE_COUNT);
  private latencyHistogram: Histogram = new Histogram("tokenlimit.service.latency_ms");
  private sentCounter: Counter = new Counter("tokenlimit.service.reports_sent");
  private retriedCounter: Counter = new Counter("tokenlimit.service.reports_retried");
  private lostCounter: Counter = new Counter("tokenlimit.service.reports_lost");
  private pendingGauge: Gauge = new Gauge("tokenlimit.service.reports_pending");
  private allowedCounter: Counter = new Counter("tokenlimit.service.failure_mode_allowed");
  private deniedCounter: Counter = new Counter("tokenlimit.service.failure_mode_denied");
  private hitsCounter: Counter = new Counter("tokenlimit.service.cache_hits");
  private missesCounter: Counter = new Counter("tokenlimit.service.cache_misses");

  constructor() {
    super();
    for (let i = 0; i < SERVICE_FAILURE_COUNT; i++) {
      unchecked(this.errorCounters[i] = new Counter("tokenlimit.service.errors." + serviceFailureName(<ServiceFailure>i)));
    }
  }

  call(): void { super.call(); this.callsCounter.inc(); }
  failure(f: ServiceFailure): void {
    super.failure(f);
    this.errorsCounter.inc();
    const i = <i32>f;
    if (i >= 0 && i < SERVICE_FAILURE_COUNT) unchecked(this.errorCounters[i]).inc();
  }
  latency(ms: i64): void { this.latencyHistogram.record(ms < 0 ? 0 : <u64>ms); }
  reportSent(): void { super.reportSent(); this.sentCounter.inc(); }
  reportRetried(): void { super.reportRetried(); this.retriedCounter.inc(); }
  reportLost(): void { super.reportLost(); this.lostCounter.inc(); }
  pending(n: i64): void {
    if (n == this.reportsPending) return;
    super.pending(n);
    this.pendingGauge.set(n < 0 ? 0 : <u64>n);
  }
  failureOutcome(allowed: bool): void {
    super.failureOutcome(allowed);
    if (allowed) this.allowedCounter.inc();
    else this.deniedCounter.inc();
  }
  cacheHit(): void { super.cacheHit(); this.hitsCounter.inc(); }
  cacheMiss(): void { super.cacheMiss(); this.missesCounter.inc(); }
}

/** Filter-wide counters. Every path that charges nothing or falls back is counted. */
export class FilterMetrics {
  requestsAdmitted: Counter = new Counter("tokenlimit.requests_admitted");
  requestsLimited: Counter = new Counter("tokenlimit.requests_limited");
  dryRunLimited: Counter = new Counter("tokenlimit.dry_run_limited");
  tokensCharged: Counter = new Counter("tokenlimit.tokens_charged");
  usageMissing: Counter = new Counter("tokenlimit.usage_missing");
  usageUnreadable: Counter = new Counter("tokenlimit.usage_unreadable");
  /** Responses not read because usage.maxConcurrentReads were being read (charged onMissing). */
  usageNotReadAtCapacity: Counter = new Counter("tokenlimit.usage_not_read_at_capacity");
  fallbackCharges: Counter = new Counter("tokenlimit.fallback_charges");
  upstreamErrorsUncharged: Counter = new Counter("tokenlimit.upstream_errors_uncharged");
  expressionErrors: Counter = new Counter("tokenlimit.expression_errors");
  counterErrors: Counter = new Counter("tokenlimit.counter_expression_errors");
  storeErrors: Counter = new Counter("tokenlimit.store_errors");
  streamsAborted: Counter = new Counter("tokenlimit.streams_aborted");
  streamOptionsAdded: Counter = new Counter("tokenlimit.stream_options_added");
  /** 101 upgrades (WebSocket, Realtime API) charged `usage.upgradeTokens`. */
  upgradesCharged: Counter = new Counter("tokenlimit.upgrades_charged");
  /** Requests refused because an expression needed a request body the filter cannot read. */
  bodiesUnreadable: Counter = new Counter("tokenlimit.request_bodies_unreadable");
  /** Budget thresholds crossed, every limit and threshold together. */
  budgetAlerts: Counter = new Counter("tokenlimit.budget_alerts");
  webhook: WebhookMetrics = new WebhookMetrics();
  /** What every policy's limiter meets; shared by the policies of this VM. */
  limiter: LimiterMetrics = new LimiterMetrics();
  /** What the rate-limit service backends meet (defined when a policy first uses one). */
  private serviceOrNull: ServiceMetrics | null = null;
  /** Identity outcomes of every policy's requests. */
  identity: IdentityMetrics = new IdentityMetrics();
  private perLimit: Map<string, LimitMetrics> = new Map<string, LimitMetrics>();

  get service(): ServiceMetrics {
    let s = this.serviceOrNull;
    if (s === null) {
      s = new ServiceMetrics();
      this.serviceOrNull = s;
    }
    return s;
  }

  /** Metrics of the limit `name`, defined on first use. */
  limit(name: string): LimitMetrics {
    if (this.perLimit.has(name)) return this.perLimit.get(name);
    const m = new LimitMetrics(name);
    this.perLimit.set(name, m);
    return m;
  }
}
