import { JsonByteWriter } from "../json/byte_writer";
import { ChargeRecordTemplate, chargeRecord, limitedRecord } from "../limits/charge_record";
import { compilePolicy, CompiledLimit, CompiledPolicy, PolicyEnvironment } from "../limits/policy";
import { Selection } from "../limits/selection";
import { CounterHandle, CounterSpec, Decision } from "../limits/decision";
import { ChargeResult } from "../limits/charge";
import { Usage } from "../usage/usage";
import { parseConfig, PluginConfig, RateConfig } from "../config";
import { MemoryCounters } from "../counters/memory";
import { CompileOptions } from "../cel";

function text(w: JsonByteWriter): string {
  return String.UTF8.decodeUnsafe(w.ptr, <usize>w.length);
}

function policyOf(json: string): CompiledPolicy {
  const c = parseConfig(json).config;
  return compilePolicy(c === null ? new PluginConfig() : c, new PolicyEnvironment(new CompileOptions(), new MemoryCounters()));
}

// Two limits, the second with two rates and soft: `limits` sorts them by name.
const TWO_LIMITS = "{\"limits\":{" +
  "\"team-daily\":{\"soft\":true,\"rates\":[{\"limit\":5000,\"window\":\"1h\"},{\"limit\":90000,\"window\":\"24h\"}],\"counters\":[{\"expression\":\"filter_state['team']\"}]}," +
  "\"free\":{\"rates\":[{\"limit\":20000,\"window\":\"24h\"}],\"counters\":[{\"expression\":\"filter_state['user']\"}]}}}";

/** The selection selectLimits makes of `policy` when every limit applies, with `values` as every counter's values. */
function selectAll(policy: CompiledPolicy, values: string[]): Selection {
  const s = new Selection();
  for (let i = 0; i < policy.limits.length; i++) {
    const limit = policy.limits[i];
    s.limitStarts.push(s.specs.length);
    for (let r = 0; r < limit.rates.length; r++) {
      const spec = new CounterSpec(limit.name, r, limit.rates[r].limit, limit.rates[r].windowMs, values);
      spec.soft = limit.soft;
      s.specs.push(spec);
      s.limitOfSpec.push(i);
    }
  }
  return s;
}

function settled(n: i32, used: i64): Decision {
  const d = new Decision();
  for (let i = 0; i < n; i++) {
    const h = new CounterHandle(new ArrayBuffer(0), "", 0, 0);
    h.used = used + i;
    d.handles.push(h);
  }
  return d;
}

function limitNamed(name: string, window: string): CompiledLimit {
  const limit = new CompiledLimit();
  limit.name = name;
  const rate = new RateConfig();
  rate.limit = 7;
  rate.window = window;
  limit.rates.push(rate);
  return limit;
}

describe("the access log's charge record", () => {
  it("writes an admitted request's record, limits in order, soft limits marked, every rate with its window", () => {
    const policy = policyOf(TWO_LIMITS);
    const selection = selectAll(policy, ["alice"]);
    const charge = new ChargeResult();
    charge.tokens = 100;
    charge.costs = [100, 100, 100];
    const usage = new Usage();
    usage.input = 12;
    usage.output = 88;
    usage.total = 100;
    usage.hasUsage = true;
    const out = chargeRecord(new JsonByteWriter(), policy, selection, settled(3, 5100), charge, usage, false);
    expect(text(out)).toBe("{\"decision\":\"admitted\",\"tokens\":{\"input\":12,\"output\":88,\"total\":100},\"charged\":100," +
      "\"limits\":[{\"name\":\"free\",\"counter\":[\"alice\"],\"rates\":[{\"window\":\"24h\",\"limit\":20000,\"charged\":100,\"used\":5100}]}," +
      "{\"name\":\"team-daily\",\"counter\":[\"alice\"],\"soft\":true,\"rates\":[{\"window\":\"1h\",\"limit\":5000,\"charged\":100,\"used\":5101}," +
      "{\"window\":\"24h\",\"limit\":90000,\"charged\":100,\"used\":5102}]}]}");
  });

  it("writes a refused request's record without charges, and an empty selection as an empty list", () => {
    const policy = policyOf(TWO_LIMITS);
    const d = settled(0, 0);
    d.admitted = false;
    d.limitName = "free";
    d.rateIndex = 0;
    d.limit = 20000;
    d.retryAfterSeconds = 3600;
    const w = new JsonByteWriter();
    expect(text(limitedRecord(w, policy, selectAll(policy, ["bob", "x\"y"]), d))).toBe(
      "{\"decision\":\"limited\",\"limit\":\"free\",\"rate\":0,\"limit_tokens\":20000,\"retry_after\":3600,\"charged\":0," +
      "\"limits\":[{\"name\":\"free\",\"counter\":[\"bob\",\"x\\\"y\"],\"rates\":[{\"window\":\"24h\",\"limit\":20000}]}," +
      "{\"name\":\"team-daily\",\"counter\":[\"bob\",\"x\\\"y\"],\"soft\":true,\"rates\":[{\"window\":\"1h\",\"limit\":5000},{\"window\":\"24h\",\"limit\":90000}]}]}");
    expect(text(limitedRecord(w, policy, new Selection(), d))).toBe(
      "{\"decision\":\"limited\",\"limit\":\"free\",\"rate\":0,\"limit_tokens\":20000,\"retry_after\":3600,\"charged\":0,\"limits\":[]}");
  });

  it("renders a name and a window that need escaping exactly as the writer escapes them per request", () => {
    const name = "q\"\\\n\té☕😀\x01" + String.fromCharCode(0xd800);
    const window = "1h\"\x7f";
    const template = new ChargeRecordTemplate([limitNamed(name, window)]);
    const kept = new JsonByteWriter();
    template.writeHead(kept, 0, name);
    template.writeRate(kept, 0, 0);
    const direct = new JsonByteWriter();
    direct.ascii("{\"name\":").string(name).ascii(",\"counter\":[").ascii("{\"window\":").string(window).ascii(",\"limit\":");
    expect(text(kept)).toBe(text(direct));
    expect(text(kept)).toBe("{\"name\":\"q\\\"\\\\\\n\\té☕😀\\u0001\\ud800\",\"counter\":[{\"window\":\"1h\\\"\\u007f\",\"limit\":");
  });

  it("writes a spec whose name or rate is not its limit's from the spec itself", () => {
    const template = new ChargeRecordTemplate([limitNamed("free", "24h")]);
    const w = new JsonByteWriter();
    template.writeHead(w, 0, "other");
    template.writeHead(w, 5, "free");
    template.writeRate(w, 0, 1);
    template.writeRate(w, -1, 0);
    expect(text(w)).toBe("{\"name\":\"other\",\"counter\":[{\"name\":\"free\",\"counter\":[{\"window\":\"\",\"limit\":{\"window\":\"\",\"limit\":");
  });
});
