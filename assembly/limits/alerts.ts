// Budget alerts as the limiter sees them: the thresholds of one rate, in tokens, and the
// crossing it reports when a charge moves a counter's `used` from below a threshold to
// at or above it within one window. Each crossing is one successful compare-and-swap on
// the counter in shared data, which every worker of the proxy writes through: exactly one
// write moves `used` across a threshold in a window, so the alert fires once per counter,
// threshold and window, whichever worker settles it, with no bookkeeping of its own.

/** The thresholds of one rate of one limit, computed once at configure time. */
export class RateAlerts {
  constructor(
    /** Tokens, ascending order not required; one per threshold of the limit. */
    readonly thresholds: StaticArray<i64>,
    /** As written (`80%`, `15000`), indexed like `thresholds`. */
    readonly labels: Array<string>,
    /** For metric names (`80pct`, `15000`), indexed like `thresholds`. */
    readonly metricLabels: Array<string>,
    /** The rate's window as written (`24h`). */
    readonly window: string,
  ) {}
}

/** One counter crossing one threshold. */
export class BudgetAlert {
  limitName: string = "";
  rateIndex: i32 = 0;
  /** The counter's values (its `counters` expressions, in order). */
  values: string[] = [];
  /** The rate's limit in tokens. */
  limit: i64 = 0;
  window: string = "";
  windowStartMs: i64 = 0;
  windowMs: i64 = 0;
  /** `used` before and after the charge that crossed. */
  usedBefore: i64 = 0;
  used: i64 = 0;
  /** The threshold in tokens, and as written. */
  threshold: i64 = 0;
  label: string = "";
  metricLabel: string = "";
}

/** Receives crossings. The default does nothing; the filter's sends alerts. */
export class AlertSink {
  /** Called once per crossing, after the write that made it. Must not trap. */
  fire(alert: BudgetAlert): void {}
}

/**
 * Reports to `sink` every threshold of `alerts` that `before -> after` crosses
 * (`before < threshold <= after`). Allocates one BudgetAlert per crossing only.
 */
export function reportCrossings(sink: AlertSink, alerts: RateAlerts, limitName: string, rateIndex: i32, values: string[],
  limit: i64, windowStartMs: i64, windowMs: i64, before: i64, after: i64): void {
  const t = alerts.thresholds;
  for (let i = 0, n = t.length; i < n; i++) {
    const threshold = unchecked(t[i]);
    if (before >= threshold || after < threshold) continue;
    const a = new BudgetAlert();
    a.limitName = limitName;
    a.rateIndex = rateIndex;
    a.values = values;
    a.limit = limit;
    a.window = alerts.window;
    a.windowStartMs = windowStartMs;
    a.windowMs = windowMs;
    a.usedBefore = before;
    a.used = after;
    a.threshold = threshold;
    if (i < alerts.labels.length) a.label = unchecked(alerts.labels[i]);
    if (i < alerts.metricLabels.length) a.metricLabel = unchecked(alerts.metricLabels[i]);
    sink.fire(a);
  }
}
