// What one request cost, as the JSON the access log prints (filter state
// `wasm.tokenlimit.charge`, see docs/observability.md). Pure: the selection, the charge
// and the settled handles in, one compact JSON object out, written as UTF-8 bytes into a
// reused writer (it is built for every limited request).
import { JsonByteWriter } from "../json/byte_writer";
import { MAX_SHOWN_VALUE } from "../alerts/payload";
import { Usage } from "../usage/usage";
import { Decision } from "./decision";
import { ChargeResult } from "./charge";
import { CompiledPolicy } from "./policy";
import { Selection } from "./selection";

/**
 * Writes into `out` (reset first) `{"decision":"admitted","tokens":{"input":12,"output":88,
 * "total":100},"charged":100,"limits":[{"name":"free","counter":["alice"],"rates":[{"window":
 * "24h","limit":20000,"charged":100,"used":5100}]}]}`. `tokens` is absent without reported
 * usage; `used` is the counter after the charge (absent when it could not be written);
 * `fallback` and `aborted` appear when true. Counter values longer than 256 characters are
 * cut (and end in `...`).
 */
export function chargeRecord(out: JsonByteWriter, policy: CompiledPolicy, selection: Selection, d: Decision, charge: ChargeResult,
  usage: Usage | null, aborted: bool): JsonByteWriter {
  out.reset().ascii("{\"decision\":\"")
    .ascii(d.admitted ? "admitted" : policy.config.dryRun && d.status == 0 ? "dry_run_limited" : "failed_open").ascii("\"");
  if (usage !== null && usage.hasUsage) {
    out.ascii(",\"tokens\":{\"input\":").int(usage.input).ascii(",\"output\":").int(usage.output)
      .ascii(",\"total\":").int(usage.total).ascii("}");
  }
  out.ascii(",\"charged\":").int(charge.tokens);
  if (charge.fallback) out.ascii(",\"fallback\":true");
  if (aborted) out.ascii(",\"aborted\":true");
  writeLimits(out, policy, selection, d, charge);
  return out.ascii("}");
}

/**
 * Writes into `out` (reset first) a refused request: `{"decision":"limited","limit":"free",
 * "rate":0,"limit_tokens":20000,"retry_after":3600,"charged":0,"limits":[...]}` (no `used`:
 * nothing was charged).
 */
export function limitedRecord(out: JsonByteWriter, policy: CompiledPolicy, selection: Selection, d: Decision): JsonByteWriter {
  out.reset().ascii("{\"decision\":\"limited\",\"limit\":").string(d.limitName).ascii(",\"rate\":").int(d.rateIndex)
    .ascii(",\"limit_tokens\":").int(d.limit).ascii(",\"retry_after\":").int(d.retryAfterSeconds).ascii(",\"charged\":0");
  writeLimits(out, policy, selection, d, null);
  return out.ascii("}");
}

function writeLimits(out: JsonByteWriter, policy: CompiledPolicy, selection: Selection, d: Decision, charge: ChargeResult | null): void {
  out.ascii(",\"limits\":[");
  const specs = selection.specs;
  const handles = d.handles;
  for (let i = 0, n = specs.length; i < n; i++) {
    const spec = unchecked(specs[i]);
    const first = i == 0 || unchecked(selection.limitOfSpec[i - 1]) != unchecked(selection.limitOfSpec[i]);
    if (first) {
      if (i > 0) out.ascii("]},");
      out.ascii("{\"name\":").string(spec.limitName).ascii(",\"counter\":[");
      const values = spec.values;
      for (let k = 0, m = values.length; k < m; k++) {
        if (k > 0) out.ascii(",");
        out.string(unchecked(values[k]), MAX_SHOWN_VALUE);
      }
      out.ascii("]");
      if (spec.soft) out.ascii(",\"soft\":true");
      out.ascii(",\"rates\":[");
    } else out.ascii(",");
    const rate = unchecked(policy.limits[unchecked(selection.limitOfSpec[i])]).rates;
    const window = spec.rateIndex >= 0 && spec.rateIndex < rate.length ? unchecked(rate[spec.rateIndex]).window : "";
    out.ascii("{\"window\":").string(window).ascii(",\"limit\":").int(spec.limit);
    if (charge !== null) out.ascii(",\"charged\":").int(i < charge.costs.length ? unchecked(charge.costs[i]) : 0);
    if (charge !== null && i < handles.length) {
      const used = unchecked(handles[i]).used;
      if (used >= 0) out.ascii(",\"used\":").int(used);
    }
    out.ascii("}");
  }
  if (specs.length > 0) out.ascii("]}");
  out.ascii("]");
}
