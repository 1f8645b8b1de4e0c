// The JSON body of a budget alert webhook call, and the warn log line of an alert. Pure.
import { BudgetAlert } from "../limits/alerts";
import { windowEnd } from "../limits/window";
import { quoteJson } from "../json/path";
import { rfc3339, epochSeconds } from "./time_text";

/**
 * The webhook payload of `a`, sent at `nowMs`:
 * `{"type":"budget_alert","limit":"free","rate":0,"window":"24h","counter":["alice"],
 *   "threshold":"80%","threshold_tokens":16000,"used":16020,"used_before":15900,
 *   "limit_tokens":20000,"window_start":"2026-11-29T00:00:00Z","window_start_epoch":...,
 *   "reset":"2026-11-30T00:00:00Z","reset_epoch":...,"sent_at":"...","sent_at_epoch":...}`.
 * Allocates.
 */
export function alertPayload(a: BudgetAlert, nowMs: i64): string {
  const reset = windowEnd(a.windowStartMs, a.windowMs);
  const parts = new Array<string>();
  parts.push("{\"type\":\"budget_alert\",\"limit\":");
  parts.push(quoteJson(a.limitName));
  parts.push(",\"rate\":" + a.rateIndex.toString());
  parts.push(",\"window\":" + quoteJson(a.window));
  parts.push(",\"counter\":" + valuesJson(a.values));
  parts.push(",\"threshold\":" + quoteJson(a.label));
  parts.push(",\"threshold_tokens\":" + a.threshold.toString());
  parts.push(",\"used\":" + a.used.toString());
  parts.push(",\"used_before\":" + a.usedBefore.toString());
  parts.push(",\"limit_tokens\":" + a.limit.toString());
  parts.push(",\"window_start\":\"" + rfc3339(a.windowStartMs) + "\"");
  parts.push(",\"window_start_epoch\":" + epochSeconds(a.windowStartMs).toString());
  parts.push(",\"reset\":\"" + rfc3339(reset) + "\"");
  parts.push(",\"reset_epoch\":" + epochSeconds(reset).toString());
  parts.push(",\"sent_at\":\"" + rfc3339(nowMs) + "\"");
  parts.push(",\"sent_at_epoch\":" + epochSeconds(nowMs).toString());
  parts.push("}");
  return parts.join("");
}

/**
 * `tokenlimit: budget alert: limit free rate 0 (24h) counter ["alice"] crossed 80% (16000 tokens):
 * used 16020 of 20000 (was 15900), window 2026-11-29T00:00:00Z, resets 2026-11-30T00:00:00Z`.
 */
export function alertLogLine(a: BudgetAlert): string {
  return "tokenlimit: budget alert: limit " + a.limitName + " rate " + a.rateIndex.toString() + " (" + a.window +
    ") counter " + valuesJson(a.values) + " crossed " + a.label + " (" + a.threshold.toString() + " tokens): used " +
    a.used.toString() + " of " + a.limit.toString() + " (was " + a.usedBefore.toString() + "), window " +
    rfc3339(a.windowStartMs) + ", resets " + rfc3339(windowEnd(a.windowStartMs, a.windowMs));
}

/** Longest counter value written whole into a payload, a log line or the access log. */
export const MAX_SHOWN_VALUE: i32 = 256;

/**
 * `v`, or its first MAX_SHOWN_VALUE characters and `...` (a counter value comes from the
 * request, e.g. a header, and must not make every alert or log line as long as it is).
 */
export function shownValue(v: string): string {
  return v.length <= MAX_SHOWN_VALUE ? v : v.substring(0, MAX_SHOWN_VALUE) + "...";
}

/** The counter's values as a JSON array of strings, each cut by `shownValue`. */
export function valuesJson(values: string[]): string {
  const parts = new Array<string>();
  parts.push("[");
  for (let i = 0, n = values.length; i < n; i++) {
    if (i > 0) parts.push(",");
    parts.push(quoteJson(shownValue(unchecked(values[i]))));
  }
  parts.push("]");
  return parts.join("");
}
