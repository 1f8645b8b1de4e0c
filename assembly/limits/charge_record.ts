// What one request cost, as the JSON the access log prints (filter state
// `wasm.tokenlimit.charge`, see docs/observability.md). Pure: the selection, the charge
// and the settled handles in, one compact JSON object out.
import { quoteJson } from "../json/path";
import { valuesJson } from "../alerts/payload";
import { Usage } from "../usage/usage";
import { Decision } from "./decision";
import { ChargeResult } from "./charge";
import { CompiledPolicy } from "./policy";
import { Selection } from "./selection";

/**
 * `{"decision":"admitted","tokens":{"input":12,"output":88,"total":100},"charged":100,
 *   "limits":[{"name":"free","counter":["alice"],"rates":[{"window":"24h","limit":20000,
 *   "charged":100,"used":5100}]}]}`. `tokens` is absent without reported usage; `used` is
 * the counter after the charge (absent when it could not be written); `fallback` and
 * `aborted` appear when true. Counter values longer than 256 characters are cut (and end in
 * `...`). Allocates.
 */
export function chargeRecord(policy: CompiledPolicy, selection: Selection, d: Decision, charge: ChargeResult,
  usage: Usage | null, aborted: bool): string {
  const parts = new Array<string>();
  parts.push("{\"decision\":\"" + (d.admitted ? "admitted" : policy.config.dryRun && d.status == 0 ? "dry_run_limited" : "failed_open") + "\"");
  if (usage !== null && usage.hasUsage) {
    parts.push(",\"tokens\":{\"input\":" + usage.input.toString() + ",\"output\":" + usage.output.toString() +
      ",\"total\":" + usage.total.toString() + "}");
  }
  parts.push(",\"charged\":" + charge.tokens.toString());
  if (charge.fallback) parts.push(",\"fallback\":true");
  if (aborted) parts.push(",\"aborted\":true");
  writeLimits(parts, policy, selection, d, charge);
  parts.push("}");
  return parts.join("");
}

/**
 * A refused request: `{"decision":"limited","limit":"free","rate":0,"limit_tokens":20000,
 * "retry_after":3600,"charged":0,"limits":[...]}` (no `used`: nothing was charged).
 */
export function limitedRecord(policy: CompiledPolicy, selection: Selection, d: Decision): string {
  const parts = new Array<string>();
  parts.push("{\"decision\":\"limited\",\"limit\":" + quoteJson(d.limitName) + ",\"rate\":" + d.rateIndex.toString() +
    ",\"limit_tokens\":" + d.limit.toString() + ",\"retry_after\":" + d.retryAfterSeconds.toString() + ",\"charged\":0");
  writeLimits(parts, policy, selection, d, null);
  parts.push("}");
  return parts.join("");
}

function writeLimits(parts: Array<string>, policy: CompiledPolicy, selection: Selection, d: Decision, charge: ChargeResult | null): void {
  parts.push(",\"limits\":[");
  const specs = selection.specs;
  const handles = d.handles;
  for (let i = 0, n = specs.length; i < n; i++) {
    const spec = unchecked(specs[i]);
    const first = i == 0 || unchecked(selection.limitOfSpec[i - 1]) != unchecked(selection.limitOfSpec[i]);
    if (first) {
      if (i > 0) parts.push("]},");
      parts.push("{\"name\":" + quoteJson(spec.limitName) + ",\"counter\":" + valuesJson(spec.values));
      if (spec.soft) parts.push(",\"soft\":true");
      parts.push(",\"rates\":[");
    } else parts.push(",");
    const rate = unchecked(policy.limits[unchecked(selection.limitOfSpec[i])]).rates;
    const window = spec.rateIndex >= 0 && spec.rateIndex < rate.length ? unchecked(rate[spec.rateIndex]).window : "";
    parts.push("{\"window\":" + quoteJson(window) + ",\"limit\":" + spec.limit.toString());
    if (charge !== null) parts.push(",\"charged\":" + (i < charge.costs.length ? unchecked(charge.costs[i]) : 0).toString());
    if (charge !== null && i < handles.length) {
      const used = unchecked(handles[i]).used;
      if (used >= 0) parts.push(",\"used\":" + used.toString());
    }
    parts.push("}");
  }
  if (specs.length > 0) parts.push("]}");
  parts.push("]");
}
