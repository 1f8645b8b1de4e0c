// Budget alerts: per limit, `alerts: [{ "at": "80%" }, { "at": 15000 }]` (a percentage of
// each rate's limit, or tokens) and `soft: true` (count and alert, never refuse); at the
// top level, `alerts.webhook`, where an alert is sent. Errors name the JSON path.

import { Value, MapValue, Kind } from "../cel/value";
import { pathKey, pathIndex, quoteJson } from "../json/path";
import { ConfigReader, describe, MAX_SAFE_INTEGER } from "./reader";
import { parseDuration, DURATION_EXAMPLES } from "./duration";

/** One threshold of a limit: `percent` of each rate's limit, or `tokens` (the other is 0). */
export class AlertThreshold {
  percent: i32 = 0;
  tokens: i64 = 0;
  /** As written: `80%` or `15000`. */
  label: string = "";
  /** For metric names: `80pct` or `15000`. */
  metricLabel: string = "";

  /** The tokens at which this threshold is crossed for a rate of `limit` tokens (>= 1). */
  tokensFor(limit: i64): i64 {
    if (this.percent == 0) return this.tokens;
    // limit <= 2^53 and percent <= 1000: the product stays far below i64's range.
    const t = (limit * <i64>this.percent + 99) / 100;
    return t < 1 ? 1 : t;
  }
}

/** Where alerts are sent: an HTTP POST through an Envoy cluster. */
export class WebhookConfig {
  cluster: string = "";
  path: string = "/";
  /** The :authority of the call; the cluster name when not set. */
  authority: string = "";
  timeoutMs: i64 = 5000;
  /** Attempts per alert, the first included (retries back off 1s, 2s, 4s ... up to 60s). */
  maxAttempts: i32 = 6;
}

/** The top-level `alerts` section. */
export class AlertsConfig {
  webhook: WebhookConfig | null = null;
}

export const MAX_ALERTS_PER_LIMIT: i32 = 16;
export const MAX_ALERT_PERCENT: i32 = 1000;
const MAX_WEBHOOK_TIMEOUT_MS: i64 = 60_000;
const ALERT_FIELDS: Array<string> = ["at"];
const ALERTS_FIELDS: Array<string> = ["webhook"];
const WEBHOOK_FIELDS: Array<string> = ["cluster", "path", "authority", "timeout", "maxAttempts"];

/** Reads a limit's `alerts` list at `path` (absent: none). Duplicates are errors. */
export function readAlertThresholds(r: ConfigReader, obj: MapValue, path: string): Array<AlertThreshold> {
  const out = new Array<AlertThreshold>();
  const items = r.array(obj, "alerts", path);
  if (items === null) return out;
  const listPath = pathKey(path, "alerts");
  if (items.length > MAX_ALERTS_PER_LIMIT) {
    r.error(listPath, "at most " + MAX_ALERTS_PER_LIMIT.toString() + " thresholds, got " + items.length.toString());
    return out;
  }
  for (let i = 0; i < items.length; i++) {
    const itemPath = pathIndex(listPath, i);
    const item = unchecked(items[i]);
    if (item.kind != Kind.Map) {
      r.error(itemPath, "expected an object like {\"at\": \"80%\"} or {\"at\": 15000}, got " + describe(item));
      continue;
    }
    const entry = r.object(item, itemPath, ALERT_FIELDS);
    if (entry === null) continue;
    const at = r.required(entry, "at", itemPath);
    if (at === null) continue;
    const t = readThreshold(r, at, pathKey(itemPath, "at"));
    if (t === null) continue;
    let duplicate = false;
    for (let j = 0; j < out.length; j++) {
      const o = unchecked(out[j]);
      if (o.percent == t.percent && o.tokens == t.tokens) duplicate = true;
    }
    if (duplicate) {
      r.error(pathKey(itemPath, "at"), "duplicate threshold " + quoteJson(t.label));
      continue;
    }
    out.push(t);
  }
  return out;
}

function readThreshold(r: ConfigReader, v: Value, path: string): AlertThreshold | null {
  const t = new AlertThreshold();
  if (v.kind == Kind.String) {
    const s = v.str;
    const n = s.length;
    let ok = n >= 2 && n <= 5 && s.charCodeAt(n - 1) == 0x25;
    let p = 0;
    for (let i = 0; ok && i < n - 1; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) ok = false;
      else p = p * 10 + (c - 0x30);
    }
    if (!ok || p < 1 || p > MAX_ALERT_PERCENT) {
      r.error(path, "expected a percentage of the limit from \"1%\" to \"" + MAX_ALERT_PERCENT.toString() +
        "%\" (whole percent) or a number of tokens, got " + describe(v));
      return null;
    }
    t.percent = p;
    t.label = p.toString() + "%";
    t.metricLabel = p.toString() + "pct";
    return t;
  }
  if (v.kind == Kind.Int || v.kind == Kind.Uint || v.kind == Kind.Double) {
    const before = r.errors.length;
    const tokens = r.integerValue(v, path, 0, 1, MAX_SAFE_INTEGER);
    if (r.errors.length > before) return null;
    t.tokens = tokens;
    t.label = tokens.toString();
    t.metricLabel = t.label;
    return t;
  }
  r.error(path, "expected a percentage like \"80%\" or a number of tokens like 15000, got " + describe(v));
  return null;
}

/** Reads the top-level `alerts` (absent: no webhook). */
export function readAlertsConfig(r: ConfigReader, v: Value | null, path: string): AlertsConfig {
  const out = new AlertsConfig();
  if (v === null) return out;
  const obj = r.object(v, path, ALERTS_FIELDS);
  if (obj === null) return out;
  const hook = r.member(obj, "webhook");
  if (hook === null) return out;
  const hookPath = pathKey(path, "webhook");
  const h = r.object(hook, hookPath, WEBHOOK_FIELDS);
  if (h === null) return out;
  const w = new WebhookConfig();
  const cluster = r.required(h, "cluster", hookPath);
  if (cluster !== null) {
    if (cluster.kind != Kind.String || !isHeaderText(cluster.str, 255)) {
      r.error(pathKey(hookPath, "cluster"), "expected the name of an Envoy cluster (1 to 255 visible characters), got " + describe(cluster));
    } else w.cluster = cluster.str;
  }
  const p = r.string(h, "path", hookPath, w.path);
  if (p.length == 0 || p.charCodeAt(0) != 0x2f || !isHeaderText(p, 2048)) {
    r.error(pathKey(hookPath, "path"), "expected a request path starting with \"/\" (visible characters, no spaces), got " + describe(Value.string(p)));
  } else w.path = p;
  const a = r.string(h, "authority", hookPath, "");
  if (a.length > 0 && !isHeaderText(a, 255)) {
    r.error(pathKey(hookPath, "authority"), "expected a host name (visible characters, no spaces), got " + describe(Value.string(a)));
  }
  w.authority = a.length > 0 ? a : w.cluster;
  const timeout = r.member(h, "timeout");
  if (timeout !== null) {
    const tPath = pathKey(hookPath, "timeout");
    if (timeout.kind != Kind.String) {
      r.error(tPath, "expected a duration string (" + DURATION_EXAMPLES + "), got " + describe(timeout));
    } else {
      const d = parseDuration(timeout.str);
      if (d.error.length > 0) r.error(tPath, d.error);
      else if (d.ms > MAX_WEBHOOK_TIMEOUT_MS) r.error(tPath, "must be at most 60s, got " + quoteJson(timeout.str));
      else w.timeoutMs = d.ms;
    }
  }
  w.maxAttempts = <i32>r.integer(h, "maxAttempts", hookPath, w.maxAttempts, 1, 20);
  out.webhook = w;
  return out;
}

/** 1..max visible ASCII characters (no space, no control): safe in a header. */
function isHeaderText(s: string, max: i32): bool {
  const n = s.length;
  if (n == 0 || n > max) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}
