// The filter's metrics. Envoy shows them in Prometheus (with its `wasmcustom` prefix);
// per-limit series carry the limit name in the metric name, as Envoy's Wasm stats do.
// Limiter and identity statistics reach them through subclasses of the statistics the
// pure modules keep, so counting costs nothing until something happens.
import { Counter } from "../abi/metrics";
import { LimiterEvent, LimiterStats, LIMITER_EVENT_COUNT } from "../limits/limiter";
import { IdentityFailure, IdentityStats, identityFailureName, IDENTITY_FAILURE_COUNT } from "../attributes";

/** Per-limit counters: requests admitted and limited, tokens charged. */
export class LimitMetrics {
  admitted: Counter;
  limited: Counter;
  tokens: Counter;
  constructor(name: string) {
    this.admitted = new Counter("tokenlimit.limit." + name + ".requests_admitted");
    this.limited = new Counter("tokenlimit.limit." + name + ".requests_limited");
    this.tokens = new Counter("tokenlimit.limit." + name + ".tokens_charged");
  }
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
  /** What every policy's limiter meets; shared by the policies of this VM. */
  limiter: LimiterMetrics = new LimiterMetrics();
  /** Identity outcomes of every policy's requests. */
  identity: IdentityMetrics = new IdentityMetrics();
  private perLimit: Map<string, LimitMetrics> = new Map<string, LimitMetrics>();

  /** Metrics of the limit `name`, defined on first use. */
  limit(name: string): LimitMetrics {
    if (this.perLimit.has(name)) return this.perLimit.get(name);
    const m = new LimitMetrics(name);
    this.perLimit.set(name, m);
    return m;
  }
}
