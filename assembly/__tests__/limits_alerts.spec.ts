import { LocalLimiter } from "../limits/local_limiter";
import { MemoryCounters } from "../counters/memory";
import { CounterSpec, AdmissionMode, DEFAULT_RESERVATION_TTL_MS } from "../limits/decision";
import { LimiterStats } from "../limits/limiter";
import { AlertSink, BudgetAlert, RateAlerts } from "../limits/alerts";
import { MIN, T0, PREFIX, stored } from "../limits/testing/limiter_fixtures";
import { SettlementQueue } from "../limits/settlements";
import { DEFAULT_MAX_COUNTERS } from "../limits/slots";

/** Records every crossing as `<label>:<before>-><after>`. */
class Recorder extends AlertSink {
  seen: Array<string> = new Array<string>();
  last: BudgetAlert | null = null;
  fire(a: BudgetAlert): void {
    this.seen.push(a.label + ":" + a.usedBefore.toString() + "->" + a.used.toString());
    this.last = a;
  }
}

function alerts(): RateAlerts {
  const t = new StaticArray<i64>(3);
  t[0] = 800; t[1] = 1000; t[2] = 600;
  return new RateAlerts(t, ["80%", "100%", "600"], ["80pct", "100pct", "600"], "1m");
}

function spec(soft: bool = false): CounterSpec {
  const s = new CounterSpec("team-daily", 0, 1000, MIN, ["alice"]);
  s.alerts = alerts();
  s.soft = soft;
  return s;
}

function charge(l: LocalLimiter, cost: i64, now: i64 = T0): void {
  const d = l.admit([spec()], now, AdmissionMode.Reserve, 100);
  l.settle(d.handles, [cost], now);
}

describe("budget alert crossings", () => {
  it("reports a threshold when a charge moves used from below it to at or above it", () => {
    const r = new Recorder();
    const l = new LocalLimiter(new MemoryCounters(), PREFIX, 16, new LimiterStats(), new SettlementQueue(), DEFAULT_RESERVATION_TTL_MS, DEFAULT_MAX_COUNTERS, r);
    charge(l, 599);
    expect(r.seen.length).toBe(0);
    charge(l, 1);
    expect(r.seen.join(",")).toBe("600:599->600");
  });
  it("reports every threshold one charge crosses", () => {
    const r = new Recorder();
    const l = new LocalLimiter(new MemoryCounters(), PREFIX, 16, new LimiterStats(), new SettlementQueue(), DEFAULT_RESERVATION_TTL_MS, DEFAULT_MAX_COUNTERS, r);
    charge(l, 1200);
    expect(r.seen.join(",")).toBe("80%:0->1200,100%:0->1200,600:0->1200");
  });
  it("never reports a threshold twice in a window, and again in the next", () => {
    const r = new Recorder();
    const l = new LocalLimiter(new MemoryCounters(), PREFIX, 16, new LimiterStats(), new SettlementQueue(), DEFAULT_RESERVATION_TTL_MS, DEFAULT_MAX_COUNTERS, r);
    charge(l, 900);
    charge(l, 50);
    charge(l, 50);
    charge(l, 500);
    expect(r.seen.join(",")).toBe("80%:0->900,600:0->900,100%:950->1000");
    charge(l, 650, T0 + MIN);
    expect(r.seen.length).toBe(4);
    expect(r.seen[3]).toBe("600:0->650");
    expect(r.last!.windowStartMs).toBe(T0 - (T0 % MIN) + MIN);
  });
  it("describes the counter: limit, values, window, used before and after", () => {
    const r = new Recorder();
    const l = new LocalLimiter(new MemoryCounters(), PREFIX, 16, new LimiterStats(), new SettlementQueue(), DEFAULT_RESERVATION_TTL_MS, DEFAULT_MAX_COUNTERS, r);
    charge(l, 700);
    const a = r.last!;
    expect(a.limitName).toBe("team-daily");
    expect(a.values.join(",")).toBe("alice");
    expect(a.limit).toBe(1000);
    expect(a.window).toBe("1m");
    expect(a.windowMs).toBe(MIN);
    expect(a.threshold).toBe(600);
    expect(a.metricLabel).toBe("600");
  });
  it("reports nothing for a release, a zero charge, or a counter without alerts", () => {
    const r = new Recorder();
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX, 16, new LimiterStats(), new SettlementQueue(), DEFAULT_RESERVATION_TTL_MS, DEFAULT_MAX_COUNTERS, r);
    const d = l.admit([spec()], T0, AdmissionMode.Reserve, 900);
    l.release(d.handles, T0);
    charge(l, 0);
    const plain = new CounterSpec("plain", 0, 1000, MIN, ["alice"]);
    const p = l.admit([plain], T0, AdmissionMode.Reserve, 100);
    l.settle(p.handles, [5000], T0);
    expect(r.seen.length).toBe(0);
  });
  it("two limiters (two workers) writing the same counter report each crossing once between them", () => {
    const store = new MemoryCounters();
    const r = new Recorder();
    const a = new LocalLimiter(store, PREFIX, 16, new LimiterStats(), new SettlementQueue(), DEFAULT_RESERVATION_TTL_MS, DEFAULT_MAX_COUNTERS, r);
    const b = new LocalLimiter(store, PREFIX, 16, new LimiterStats(), new SettlementQueue(), DEFAULT_RESERVATION_TTL_MS, DEFAULT_MAX_COUNTERS, r);
    const da = a.admit([spec()], T0, AdmissionMode.Reserve, 100);
    const db = b.admit([spec()], T0, AdmissionMode.Reserve, 100);
    a.settle(da.handles, [590], T0);
    b.settle(db.handles, [20], T0);
    charge(a, 100);
    charge(b, 100);
    charge(a, 500);
    expect(r.seen.join(",")).toBe("600:590->610,80%:710->810,100%:810->1310");
    expect(stored(store, spec()).used).toBe(1310);
  });
});

describe("soft counters", () => {
  it("admit past their limit, reserve, and do not govern the decision", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d0 = l.admit([spec(true)], T0, AdmissionMode.Reserve, 100);
    l.settle(d0.handles, [1500], T0);
    const d = l.admit([spec(true)], T0, AdmissionMode.Reserve, 100);
    expect(d.admitted).toBe(true);
    expect(d.hasCounter).toBe(false);
    expect(stored(store, spec(true)).reserved).toBe(100);
  });
  it("a hard counter next to a soft one still refuses, and the soft reservation is given back", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const hard = new CounterSpec("hard", 0, 100, MIN, ["alice"]);
    const first = l.admit([hard], T0, AdmissionMode.Reserve, 10);
    l.settle(first.handles, [100], T0);
    const d = l.admit([spec(true), hard], T0, AdmissionMode.Reserve, 50);
    expect(d.admitted).toBe(false);
    expect(d.limitName).toBe("hard");
    expect(stored(store, spec(true)).reserved).toBe(0);
  });
});
