// What one request cost, as the JSON the access log prints (filter state
// `wasm.tokenlimit.charge`, see docs/observability.md). Pure: the selection, the charge
// and the settled handles in, one compact JSON object out, written as UTF-8 bytes into a
// reused writer (it is built for every limited request). Every constant part is encoded
// once: the keys when the module starts, a policy's limit names and windows when it is
// compiled (ChargeRecordTemplate), so a record costs copies and digits, not encodings.
import { JsonByteWriter } from "../json/byte_writer";
import { MAX_SHOWN_VALUE } from "../alerts/payload";
import { Usage } from "../usage/usage";
import { Decision } from "./decision";
import { ChargeResult } from "./charge";
import { CompiledLimit, CompiledPolicy } from "./policy";
import { Selection } from "./selection";

const ADMITTED = String.UTF8.encode("{\"decision\":\"admitted\"");
const DRY_RUN_LIMITED = String.UTF8.encode("{\"decision\":\"dry_run_limited\"");
const FAILED_OPEN = String.UTF8.encode("{\"decision\":\"failed_open\"");
const LIMITED = String.UTF8.encode("{\"decision\":\"limited\",\"limit\":");
const TOKENS_INPUT = String.UTF8.encode(",\"tokens\":{\"input\":");
const OUTPUT = String.UTF8.encode(",\"output\":");
const TOTAL = String.UTF8.encode(",\"total\":");
const CHARGED = String.UTF8.encode(",\"charged\":");
const TOKENS_END_CHARGED = String.UTF8.encode("},\"charged\":");
const FALLBACK = String.UTF8.encode(",\"fallback\":true");
const ABORTED = String.UTF8.encode(",\"aborted\":true");
const RATE = String.UTF8.encode(",\"rate\":");
const LIMIT_TOKENS = String.UTF8.encode(",\"limit_tokens\":");
const RETRY_AFTER = String.UTF8.encode(",\"retry_after\":");
const NOTHING_CHARGED_LIMITS = String.UTF8.encode(",\"charged\":0,\"limits\":[");
const LIMITS = String.UTF8.encode(",\"limits\":[");
// Written before the next spec (closing the last one), then at the end of the record.
const NEXT_RATE = String.UTF8.encode("},");
const NEXT_LIMIT = String.UTF8.encode("}]},");
const END_AFTER_LIMITS = String.UTF8.encode("}]}]}");
const END_WITHOUT_LIMITS = String.UTF8.encode("]}");
const NAME = String.UTF8.encode("{\"name\":");
const COUNTER = String.UTF8.encode(",\"counter\":[");
const RATES = String.UTF8.encode("],\"rates\":[");
const SOFT_RATES = String.UTF8.encode("],\"soft\":true,\"rates\":[");
const WINDOW = String.UTF8.encode("{\"window\":");
const LIMIT = String.UTF8.encode(",\"limit\":");
const USED = String.UTF8.encode(",\"used\":");
/** A rate the policy does not have (not from selectLimits): no window. */
const NO_WINDOW = String.UTF8.encode("{\"window\":\"\",\"limit\":");

/**
 * The parts of a policy's records fixed by its configuration, written once by the same
 * writer that writes the rest (so the bytes are those it would write per request).
 */
export class ChargeRecordTemplate {
  /** Per limit: `{"name":<name>,"counter":[`. */
  private heads: Array<ArrayBuffer> = new Array<ArrayBuffer>();
  /** Per limit, the name its head holds. */
  private names: Array<string> = new Array<string>();
  /** Per limit, per rate: `{"window":<window>,"limit":`. */
  private rates: Array<Array<ArrayBuffer>> = new Array<Array<ArrayBuffer>>();

  /** Encodes the names and windows of `limits`. Allocates; at configure time. */
  constructor(limits: Array<CompiledLimit>) {
    const w = new JsonByteWriter();
    for (let i = 0, n = limits.length; i < n; i++) {
      const limit = unchecked(limits[i]);
      this.heads.push(w.reset().bytes(NAME).string(limit.name).bytes(COUNTER).toBuffer());
      this.names.push(limit.name);
      const heads = new Array<ArrayBuffer>();
      for (let r = 0, rn = limit.rates.length; r < rn; r++) {
        heads.push(w.reset().bytes(WINDOW).string(unchecked(limit.rates[r]).window).bytes(LIMIT).toBuffer());
      }
      this.rates.push(heads);
    }
  }

  /** Writes `{"name":<name>,"counter":[` for the limit at `limitIndex` named `name`. */
  writeHead(out: JsonByteWriter, limitIndex: i32, name: string): void {
    // The name is the limit's own string when the spec comes from selectLimits.
    if (limitIndex >= 0 && limitIndex < this.heads.length && unchecked(this.names[limitIndex]) === name) {
      out.bytes(unchecked(this.heads[limitIndex]));
    } else {
      out.bytes(NAME).string(name).bytes(COUNTER);
    }
  }

  /** Writes `{"window":<window>,"limit":` for rate `rateIndex` of the limit at `limitIndex`. */
  writeRate(out: JsonByteWriter, limitIndex: i32, rateIndex: i32): void {
    if (limitIndex >= 0 && limitIndex < this.rates.length) {
      const rates = unchecked(this.rates[limitIndex]);
      if (rateIndex >= 0 && rateIndex < rates.length) {
        out.bytes(unchecked(rates[rateIndex]));
        return;
      }
    }
    out.bytes(NO_WINDOW);
  }
}

/**
 * Writes into `out` (reset first) `{"decision":"admitted","tokens":{"input":12,"output":88,
 * "total":100},"charged":100,"limits":[{"name":"free","counter":["alice"],"rates":[{"window":
 * "24h","limit":20000,"charged":100,"used":5100}]}]}`. `tokens` is absent without reported
 * usage; `used` is the counter after the charge (absent when it could not be written);
 * `fallback` and `aborted` appear when true. Counter values longer than 256 characters are
 * cut (and end in `...`). Allocates nothing once `out` has grown to its records' size.
 */
export function chargeRecord(out: JsonByteWriter, policy: CompiledPolicy, selection: Selection, d: Decision, charge: ChargeResult,
  usage: Usage | null, aborted: bool): JsonByteWriter {
  out.reset().bytes(d.admitted ? ADMITTED : policy.config.dryRun && d.status == 0 ? DRY_RUN_LIMITED : FAILED_OPEN);
  if (usage !== null && usage.hasUsage) {
    out.bytes(TOKENS_INPUT).int(usage.input).bytes(OUTPUT).int(usage.output).bytes(TOTAL).int(usage.total).bytes(TOKENS_END_CHARGED);
  } else {
    out.bytes(CHARGED);
  }
  out.int(charge.tokens);
  if (charge.fallback) out.bytes(FALLBACK);
  if (aborted) out.bytes(ABORTED);
  writeLimits(out.bytes(LIMITS), policy, selection, d, charge);
  return out;
}

/**
 * Writes into `out` (reset first) a refused request: `{"decision":"limited","limit":"free",
 * "rate":0,"limit_tokens":20000,"retry_after":3600,"charged":0,"limits":[...]}` (no `used`:
 * nothing was charged).
 */
export function limitedRecord(out: JsonByteWriter, policy: CompiledPolicy, selection: Selection, d: Decision): JsonByteWriter {
  out.reset().bytes(LIMITED).string(d.limitName).bytes(RATE).int(d.rateIndex)
    .bytes(LIMIT_TOKENS).int(d.limit).bytes(RETRY_AFTER).int(d.retryAfterSeconds).bytes(NOTHING_CHARGED_LIMITS);
  writeLimits(out, policy, selection, d, null);
  return out;
}

/** Writes the entries of the `limits` list (its `[` written) and closes the list and the record. */
function writeLimits(out: JsonByteWriter, policy: CompiledPolicy, selection: Selection, d: Decision, charge: ChargeResult | null): void {
  const template = policy.chargeRecord;
  const specs = selection.specs;
  const limitOfSpec = selection.limitOfSpec;
  const handles = d.handles;
  let previous = -1;
  for (let i = 0, n = specs.length; i < n; i++) {
    const spec = unchecked(specs[i]);
    const limitIndex = i < limitOfSpec.length ? unchecked(limitOfSpec[i]) : -1;
    if (i == 0 || limitIndex != previous) {
      if (i > 0) out.bytes(NEXT_LIMIT);
      template.writeHead(out, limitIndex, spec.limitName);
      const values = spec.values;
      for (let k = 0, m = values.length; k < m; k++) {
        if (k > 0) out.byte(0x2c); // ,
        out.string(unchecked(values[k]), MAX_SHOWN_VALUE);
      }
      out.bytes(spec.soft ? SOFT_RATES : RATES);
    } else out.bytes(NEXT_RATE);
    previous = limitIndex;
    template.writeRate(out, limitIndex, spec.rateIndex);
    out.int(spec.limit);
    if (charge !== null) {
      out.bytes(CHARGED).int(i < charge.costs.length ? unchecked(charge.costs[i]) : 0);
      if (i < handles.length) {
        const used = unchecked(handles[i]).used;
        if (used >= 0) out.bytes(USED).int(used);
      }
    }
  }
  out.bytes(specs.length > 0 ? END_AFTER_LIMITS : END_WITHOUT_LIMITS);
}
