import { LocalLimiter } from "../limits/local_limiter";
import { MemoryCounters } from "../counters/memory";
import { CounterState, encodeCounterOf } from "../counters/value";
import { CounterSpec, Decision, LimitStatus, AdmissionMode } from "../limits/decision";
import { MIN, T0, PREFIX, stored, homeSlotKey, identityOf } from "../limits/testing/limiter_fixtures";

const DAY: i64 = 86_400_000;

function spec(limit: i64, user: string = "alice", name: string = "per-user", window: i64 = MIN): CounterSpec {
  return new CounterSpec(name, 0, limit, window, [user]);
}

function one(s: CounterSpec): CounterSpec[] {
  return [s];
}

function charge(l: LocalLimiter, s: CounterSpec, tokens: i64, now: i64): void {
  const d = l.admit(one(s), now, AdmissionMode.Check, 0);
  l.settle(d.handles, [tokens], now);
}

describe("check-only admission", () => {
  it("admits while used < limit and writes nothing", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d = l.admit(one(spec(100)), T0, AdmissionMode.Check, 50);
    expect(d.admitted).toBe(true);
    expect(d.status).toBe(LimitStatus.Ok);
    expect(d.remaining).toBe(100);
    expect(d.handles[0].reserved).toBe(0);
    expect(store.writes).toBe(0);
  });
  it("rejects once used reaches the limit", () => {
    const l = new LocalLimiter(new MemoryCounters(), PREFIX);
    charge(l, spec(100), 99, T0);
    expect(l.admit(one(spec(100)), T0, AdmissionMode.Check, 0).admitted).toBe(true);
    charge(l, spec(100), 1, T0);
    const d = l.admit(one(spec(100)), T0, AdmissionMode.Check, 0);
    expect(d.admitted).toBe(false);
    expect(d.remaining).toBe(0);
    expect(d.limitName).toBe("per-user");
  });
  it("rejects everything under a limit of 0", () => {
    const l = new LocalLimiter(new MemoryCounters(), PREFIX);
    expect(l.admit(one(spec(0)), T0, AdmissionMode.Check, 0).admitted).toBe(false);
    expect(l.admit(one(spec(0)), T0, AdmissionMode.Reserve, 1).admitted).toBe(false);
  });
  it("admits a request no limit applies to, with no counter to report", () => {
    const l = new LocalLimiter(new MemoryCounters(), PREFIX);
    const d = l.admit([], T0, AdmissionMode.Reserve, 10);
    expect(d.admitted).toBe(true);
    expect(d.hasCounter).toBe(false);
    expect(d.handles.length).toBe(0);
  });
});

describe("reservation admission", () => {
  it("reserves the estimate on the counter", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d = l.admit(one(spec(1000)), T0, AdmissionMode.Reserve, 300);
    expect(d.admitted).toBe(true);
    expect(d.handles[0].reserved).toBe(300);
    expect(d.remaining).toBe(700);
    expect(stored(store, spec(1000)).reserved).toBe(300);
    expect(stored(store, spec(1000)).used).toBe(0);
  });
  it("counts other requests' reservations against the budget", () => {
    const l = new LocalLimiter(new MemoryCounters(), PREFIX);
    expect(l.admit(one(spec(1000)), T0, AdmissionMode.Reserve, 600).admitted).toBe(true);
    const d = l.admit(one(spec(1000)), T0, AdmissionMode.Reserve, 600);
    expect(d.admitted).toBe(true); // 600 < 1000: budget remains, the estimate is reserved in full
    expect(d.remaining).toBe(0);
    expect(l.admit(one(spec(1000)), T0, AdmissionMode.Reserve, 1).admitted).toBe(false);
  });
  it("rejects when used plus reserved reaches the limit", () => {
    const l = new LocalLimiter(new MemoryCounters(), PREFIX);
    charge(l, spec(1000), 900, T0);
    l.admit(one(spec(1000)), T0, AdmissionMode.Reserve, 100);
    const d = l.admit(one(spec(1000)), T0, AdmissionMode.Reserve, 1);
    expect(d.admitted).toBe(false);
    expect(d.status).toBe(LimitStatus.Ok);
    expect(d.handles[0].reserved).toBe(0);
  });
  it("rolls back earlier reservations when a later counter rejects", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    charge(l, spec(500, "alice", "per-model"), 500, T0);
    const specs = [spec(1000, "alice", "per-user"), spec(500, "alice", "per-model")];
    const d = l.admit(specs, T0, AdmissionMode.Reserve, 200);
    expect(d.admitted).toBe(false);
    expect(d.limitName).toBe("per-model");
    expect(d.counterIndex).toBe(1);
    expect(stored(store, specs[0]).reserved).toBe(0);
    expect(d.handles[0].reserved).toBe(0);
    expect(d.handles.length).toBe(2);
  });
  it("takes a per-counter estimate over the request's", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const out = spec(1000, "alice", "output");
    out.estimate = 40;
    const d = l.admit([spec(1000), out], T0, AdmissionMode.Reserve, 300);
    expect(d.handles[0].reserved).toBe(300);
    expect(d.handles[1].reserved).toBe(40);
    expect(stored(store, out).reserved).toBe(40);
  });
  it("writes nothing for a zero estimate", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    expect(l.admit(one(spec(10)), T0, AdmissionMode.Reserve, 0).admitted).toBe(true);
    expect(store.writes).toBe(0);
  });
});

describe("decision details", () => {
  it("reports the counter with the least remaining on admission", () => {
    const l = new LocalLimiter(new MemoryCounters(), PREFIX);
    const d = l.admit([spec(10_000, "alice", "daily", DAY), spec(1000, "alice", "minute")], T0, AdmissionMode.Reserve, 100);
    expect(d.limitName).toBe("minute");
    expect(d.limit).toBe(1000);
    expect(d.remaining).toBe(900);
    expect(d.resetMs).toBe(MIN);
    expect(d.retryAfterSeconds).toBe(60);
  });
  it("gives ms until the window ends and retry-after of at least 1s", () => {
    const l = new LocalLimiter(new MemoryCounters(), PREFIX);
    charge(l, spec(10), 10, T0);
    const d = l.admit(one(spec(10)), T0 + MIN - 1, AdmissionMode.Check, 0);
    expect(d.admitted).toBe(false);
    expect(d.resetMs).toBe(1);
    expect(d.retryAfterSeconds).toBe(1);
  });
  it("reports the exhausted counter that resets last when several are exhausted", () => {
    const l = new LocalLimiter(new MemoryCounters(), PREFIX);
    charge(l, spec(10, "alice", "minute"), 10, T0);
    charge(l, spec(10, "alice", "daily", DAY), 10, T0);
    const d = l.admit([spec(10, "alice", "minute"), spec(10, "alice", "daily", DAY)], T0, AdmissionMode.Check, 0);
    expect(d.admitted).toBe(false);
    expect(d.limitName).toBe("daily");
    expect(d.resetMs).toBe(DAY - (T0 % DAY));
  });
  it("keeps users apart", () => {
    const l = new LocalLimiter(new MemoryCounters(), PREFIX);
    charge(l, spec(10, "alice"), 10, T0);
    expect(l.admit(one(spec(10, "alice")), T0, AdmissionMode.Check, 0).admitted).toBe(false);
    expect(l.admit(one(spec(10, "bob")), T0, AdmissionMode.Check, 0).admitted).toBe(true);
  });
});

describe("windows in stored counters", () => {
  it("reads a counter from an earlier window as fresh", () => {
    const l = new LocalLimiter(new MemoryCounters(), PREFIX);
    charge(l, spec(10), 10, T0);
    const d = l.admit(one(spec(10)), T0 + MIN, AdmissionMode.Check, 0);
    expect(d.admitted).toBe(true);
    expect(d.remaining).toBe(10);
  });
  it("keeps one key per counter however many windows pass", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    for (let w = 0; w < 1000; w++) {
      const now = T0 + <i64>w * MIN + 17;
      const d = l.admit([spec(100, "alice"), spec(100, "bob"), spec(100, "carol")], now, AdmissionMode.Reserve, 5);
      l.settleAll(d.handles, 7, now);
    }
    expect(store.size()).toBe(3 + 1); // and the marker that creating keys writes (CAS_MARK_KEY)
    expect(stored(store, spec(100, "bob")).used).toBe(7);
    expect(stored(store, spec(100, "bob")).windowStart).toBe(T0 + 999 * MIN);
  });
  it("honours a counter already in the next window (a worker whose clock is ahead)", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    charge(l, spec(10), 10, T0 + MIN); // written by a worker already in the next minute
    const d = l.admit(one(spec(10)), T0 + MIN - 2, AdmissionMode.Check, 0);
    expect(d.admitted).toBe(false);
    expect(d.resetMs).toBe(MIN + 2);
    expect(stored(store, spec(10)).used).toBe(10);
  });
  it("reads a counter stored far in the future as fresh", () => {
    const l = new LocalLimiter(new MemoryCounters(), PREFIX);
    charge(l, spec(10), 10, T0 + 5 * MIN);
    expect(l.admit(one(spec(10)), T0, AdmissionMode.Check, 0).admitted).toBe(true);
  });
  it("carries what was spent, not a fresh budget, when the window length of a rate changes", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    charge(l, spec(10, "alice", "per-user", DAY), 10, T0);
    expect(l.admit(one(spec(10, "alice", "per-user", MIN)), T0, AdmissionMode.Check, 0).admitted).toBe(false);
    expect(l.admit(one(spec(10, "alice", "per-user", MIN)), T0 + MIN, AdmissionMode.Check, 0).admitted).toBe(true);
  });
  it("starts fresh under a new window length once the old window has ended", () => {
    const l = new LocalLimiter(new MemoryCounters(), PREFIX);
    charge(l, spec(10, "alice", "per-user", MIN), 10, T0);
    expect(l.admit(one(spec(10, "alice", "per-user", DAY)), T0 + MIN, AdmissionMode.Check, 0).admitted).toBe(true);
  });
});

describe("hostile stored values", () => {
  it("treats a value that does not decode as fresh, counts it, and overwrites it", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    store.put(homeSlotKey(spec(10)), String.UTF8.encode("{\"used\":999}"));
    const d = l.admit(one(spec(10)), T0, AdmissionMode.Reserve, 3);
    expect(d.admitted).toBe(true);
    expect(l.stats.corruptValues).toBe(1);
    expect(stored(store, spec(10)).reserved).toBe(3);
  });
  it("saturates instead of overflowing on huge counts and estimates", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    store.put(homeSlotKey(spec(1)), encodeCounterOf(new CounterState().set(T0, MIN, i64.MAX_VALUE - 5, 0), identityOf(spec(1)), new ArrayBuffer(0)));
    const d = l.admit(one(spec(i64.MAX_VALUE)), T0, AdmissionMode.Reserve, i64.MAX_VALUE);
    expect(d.admitted).toBe(true);
    expect(stored(store, spec(1)).reserved).toBe(i64.MAX_VALUE);
    expect(d.remaining).toBe(0);
    expect(l.admit(one(spec(i64.MAX_VALUE)), T0, AdmissionMode.Reserve, i64.MAX_VALUE).admitted).toBe(false);
    l.settle(d.handles, [i64.MAX_VALUE], T0);
    expect(stored(store, spec(1)).used).toBe(i64.MAX_VALUE);
    expect(stored(store, spec(1)).reserved).toBe(0);
  });
  it("reads a negative limit or estimate as zero", () => {
    const l = new LocalLimiter(new MemoryCounters(), PREFIX);
    const d = l.admit(one(spec(-5)), T0, AdmissionMode.Reserve, -7);
    expect(d.admitted).toBe(false);
    expect(d.limit).toBe(0);
    const ok = l.admit(one(spec(5)), T0, AdmissionMode.Reserve, -7);
    expect(ok.handles[0].reserved).toBe(0);
  });
});
