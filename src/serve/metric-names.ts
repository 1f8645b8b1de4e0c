// The filter's metric names as it defines them (assembly/filter/metric_names.ts), and the
// Envoy `stats_tags` that turn the limit and the alert threshold into Prometheus labels.
// docs/observability.md documents both; envoy/envoy.yaml carries STATS_TAGS, and a test
// keeps the two equal.
import type { StatsTag } from "../../host-test/index.ts";

/** A limit name (or threshold) escaped one-to-one into [A-Za-z0-9_]: `_` -> `__`, `-` -> `_h`, `.` -> `_d`. */
export function escapeMetricPart(name: string): string {
  let out = "";
  for (const ch of name) {
    if (/^[A-Za-z0-9]$/.test(ch)) out += ch;
    else if (ch === "_") out += "__";
    else if (ch === "-") out += "_h";
    else if (ch === ".") out += "_d";
    else out += `_x${ch.codePointAt(0)!.toString(16)}_`;
  }
  return out;
}

/** `tokenlimit.limit.<escaped limit>.<metric>`, as the filter defines it (without Envoy's `wasmcustom.`). */
export function limitMetricName(limit: string, metric: string): string {
  return `tokenlimit.limit.${escapeMetricPart(limit)}.${metric}`;
}

/**
 * The bootstrap's `stats_config.stats_tags` for the filter's metrics: the escaped limit name
 * becomes the `tokenlimit_limit` label, an alert's threshold the `tokenlimit_threshold` label.
 */
export const STATS_TAGS: readonly StatsTag[] = [
  { tag_name: "tokenlimit_limit", regex: "^wasmcustom\\.tokenlimit\\.limit\\.((\\w+)\\.)" },
  { tag_name: "tokenlimit_threshold", regex: "^wasmcustom\\.tokenlimit\\.limit\\.\\w+\\.budget_alerts(\\.(\\w+))$" },
];
