// Names of the per-limit metrics. A limit name may hold `_`, `-` and `.`, and Envoy's
// Prometheus endpoint turns every character but [A-Za-z0-9_] into `_`: written as is,
// `team-daily`, `team_daily` and `team.daily` would export one metric name three times.
// So the name is escaped into [A-Za-z0-9_] one-to-one (`_` -> `__`, `-` -> `_h`,
// `.` -> `_d`): every `_` starts a two-character escape, so no two names share an escape,
// and none contains a `.`, so a stats tag regex finds it between two dots.

/** Every per-limit metric starts with this, then the escaped limit name, then `.`. */
export const LIMIT_METRIC_PREFIX = "tokenlimit.limit.";

/**
 * `name` escaped into [A-Za-z0-9_]: `_` becomes `__`, `-` becomes `_h`, `.` becomes `_d`,
 * anything else outside [A-Za-z0-9] `_x` and its code in hex (limit names never hold
 * one; kept one-to-one all the same). Allocates.
 */
export function escapeMetricPart(name: string): string {
  let plain = true;
  for (let i = 0, n = name.length; i < n; i++) {
    if (!isAlnum(name.charCodeAt(i))) { plain = false; break; }
  }
  if (plain) return name;
  const parts = new Array<string>();
  for (let i = 0, n = name.length; i < n; i++) {
    const c = name.charCodeAt(i);
    if (isAlnum(c)) parts.push(String.fromCharCode(c));
    else if (c == 0x5f) parts.push("__");
    else if (c == 0x2d) parts.push("_h");
    else if (c == 0x2e) parts.push("_d");
    else parts.push("_x" + (<u32>c).toString(16) + "_");
  }
  return parts.join("");
}

/** `tokenlimit.limit.<escaped name>.<metric>`. */
export function limitMetricName(limit: string, metric: string): string {
  return LIMIT_METRIC_PREFIX + escapeMetricPart(limit) + "." + metric;
}

/**
 * The budget alert counter of `limit` at threshold `label` (`80pct`, `15000`):
 * `tokenlimit.limit.<escaped name>.budget_alerts.<label>`.
 */
export function budgetAlertMetricName(limit: string, label: string): string {
  return limitMetricName(limit, "budget_alerts." + escapeMetricPart(label));
}

// @ts-ignore: decorator
@inline function isAlnum(c: i32): bool {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
}
