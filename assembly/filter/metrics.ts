// The filter's metrics. Envoy shows them in Prometheus (with its `wasmcustom` prefix);
// per-limit series carry the limit name in the metric name, as Envoy's Wasm stats do.
import { Counter } from "../abi/metrics";

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

/** Filter-wide counters. Every path that charges nothing or falls back is counted. */
export class FilterMetrics {
  requestsAdmitted: Counter = new Counter("tokenlimit.requests_admitted");
  requestsLimited: Counter = new Counter("tokenlimit.requests_limited");
  dryRunLimited: Counter = new Counter("tokenlimit.dry_run_limited");
  tokensCharged: Counter = new Counter("tokenlimit.tokens_charged");
  usageMissing: Counter = new Counter("tokenlimit.usage_missing");
  usageUnreadable: Counter = new Counter("tokenlimit.usage_unreadable");
  fallbackCharges: Counter = new Counter("tokenlimit.fallback_charges");
  upstreamErrorsUncharged: Counter = new Counter("tokenlimit.upstream_errors_uncharged");
  expressionErrors: Counter = new Counter("tokenlimit.expression_errors");
  counterErrors: Counter = new Counter("tokenlimit.counter_expression_errors");
  identityMissing: Counter = new Counter("tokenlimit.identity_missing");
  storeErrors: Counter = new Counter("tokenlimit.store_errors");
  streamsAborted: Counter = new Counter("tokenlimit.streams_aborted");
  streamOptionsAdded: Counter = new Counter("tokenlimit.stream_options_added");
  perLimit: Map<string, LimitMetrics> = new Map<string, LimitMetrics>();

  /** Metrics of the limit `name`, defined on first use. */
  limit(name: string): LimitMetrics {
    if (this.perLimit.has(name)) return this.perLimit.get(name);
    const m = new LimitMetrics(name);
    this.perLimit.set(name, m);
    return m;
  }
}
