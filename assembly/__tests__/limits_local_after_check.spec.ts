// The admission that follows a check in the same request (the body was awaited) starts
// from what the check found, and decides exactly as a fresh admission would.
import { LocalLimiter } from "../limits/local_limiter";
import { MemoryCounters } from "../counters/memory";
import { CounterSpec, LimitStatus, AdmissionMode } from "../limits/decision";
import { MIN, T0, PREFIX, stored } from "../limits/testing/limiter_fixtures";

function spec(limit: i64, user: string = "alice"): CounterSpec {
  return new CounterSpec("per-user", 0, limit, MIN, [user]);
}

/** Another worker charges `tokens` to `s`'s counter. */
function otherCharges(store: MemoryCounters, s: CounterSpec, tokens: i64, now: i64 = T0): void {
  const other = new LocalLimiter(store, PREFIX);
  const d = other.admit([s], now, AdmissionMode.Reserve, 0);
  other.settle(d.handles, [tokens], now);
}

describe("admission after a check", () => {
  it("writes the reservation without reading the counter again when it did not change", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const s = [spec(1000)];
    otherCharges(store, s[0], 200);
    const check = l.admit(s, T0, AdmissionMode.Check, 0);
    const reads = store.reads;
    const writes = store.writes;
    const d = l.admitAfterCheck(check, s, T0 + 5, AdmissionMode.Reserve, 100);
    expect(d.admitted).toBe(true);
    expect(d.remaining).toBe(700);
    expect(store.reads - reads).toBe(0);
    expect(store.writes - writes).toBe(1);
    expect(stored(store, s[0]).used).toBe(200);
    expect(stored(store, s[0]).reserved).toBe(100);
    expect(d.handles[0]).toBe(check.handles[0]);
  });

  it("adds to what another worker wrote in between: the write from the check's read loses, is counted, and is redone", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const s = [spec(1000)];
    otherCharges(store, s[0], 100);
    const check = l.admit(s, T0, AdmissionMode.Check, 0);
    otherCharges(store, s[0], 300);
    const mismatches = store.mismatches;
    const d = l.admitAfterCheck(check, s, T0, AdmissionMode.Reserve, 100);
    expect(d.admitted).toBe(true);
    expect(d.remaining).toBe(500);
    expect(store.mismatches - mismatches).toBe(1);
    expect(l.stats.casConflicts).toBe(1);
    expect(stored(store, s[0]).used).toBe(400);
    expect(stored(store, s[0]).reserved).toBe(100);
    // And the charge lands on that counter.
    expect(l.settle(d.handles, [50], T0)).toBe(LimitStatus.Ok);
    expect(stored(store, s[0]).used).toBe(450);
    expect(stored(store, s[0]).reserved).toBe(0);
  });

  it("refuses a caller another worker exhausted after the check", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const s = [spec(1000)];
    const check = l.admit(s, T0, AdmissionMode.Check, 0);
    expect(check.admitted).toBe(true);
    otherCharges(store, s[0], 1000);
    const d = l.admitAfterCheck(check, s, T0, AdmissionMode.Reserve, 100);
    expect(d.admitted).toBe(false);
    expect(d.remaining).toBe(0);
    expect(stored(store, s[0]).used).toBe(1000);
    expect(stored(store, s[0]).reserved).toBe(0);
  });

  it("in check mode (nothing to write) decides on a fresh read", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const s = [spec(1000)];
    otherCharges(store, s[0], 10);
    const check = l.admit(s, T0, AdmissionMode.Check, 0);
    otherCharges(store, s[0], 990);
    const reads = store.reads;
    const d = l.admitAfterCheck(check, s, T0, AdmissionMode.Check, 0);
    expect(store.reads - reads).toBe(1);
    expect(d.admitted).toBe(false);
  });

  it("admits into a fresh window when the check's window ended before the body arrived", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const s = [spec(1000)];
    otherCharges(store, s[0], 990);
    const check = l.admit(s, T0 + MIN - 1, AdmissionMode.Check, 0);
    expect(check.admitted).toBe(true);
    const d = l.admitAfterCheck(check, s, T0 + MIN, AdmissionMode.Reserve, 500);
    expect(d.admitted).toBe(true);
    expect(d.remaining).toBe(500);
    const c = stored(store, s[0]);
    expect(c.windowStart).toBe(T0 + MIN);
    expect(c.used).toBe(0);
    expect(c.reserved).toBe(500);
  });

  it("keeps both reservations when two requests' checks and admissions interleave", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const a = [spec(1000)];
    const b = [spec(1000)];
    const checkA = l.admit(a, T0, AdmissionMode.Check, 0);
    const checkB = l.admit(b, T0, AdmissionMode.Check, 0);
    const da = l.admitAfterCheck(checkA, a, T0, AdmissionMode.Reserve, 100);
    const db = l.admitAfterCheck(checkB, b, T0, AdmissionMode.Reserve, 200);
    expect(da.admitted && db.admitted).toBe(true);
    expect(db.remaining).toBe(700);
    expect(stored(store, a[0]).reserved).toBe(300);
  });

  it("does not take a check's handle for another counter", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const check = l.admit([spec(1000, "alice")], T0, AdmissionMode.Check, 0);
    const bob = [spec(1000, "bob")];
    const d = l.admitAfterCheck(check, bob, T0, AdmissionMode.Reserve, 100);
    expect(d.handles[0]).not.toBe(check.handles[0]);
    expect(stored(store, bob[0]).reserved).toBe(100);
    expect(stored(store, spec(1000, "alice")).reserved).toBe(0);
  });

  it("gives back every reservation when one of several counters refuses", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const s = [spec(1000, "alice"), new CounterSpec("per-model", 0, 500, MIN, ["m"])];
    const check = l.admit(s, T0, AdmissionMode.Check, 0);
    otherCharges(store, s[1], 500);
    const d = l.admitAfterCheck(check, s, T0, AdmissionMode.Reserve, 100);
    expect(d.admitted).toBe(false);
    expect(d.limitName).toBe("per-model");
    expect(stored(store, s[0]).reserved).toBe(0);
    expect(stored(store, s[1]).reserved).toBe(0);
  });
});
