import { LocalLimiter } from "../limits/local_limiter";
import { MemoryCounters } from "../counters/memory";
import { CounterSpec, LimitStatus, AdmissionMode } from "../limits/decision";
import { MIN, T0, PREFIX, stored } from "../limits/testing/limiter_fixtures";


function spec(limit: i64, name: string = "per-user"): CounterSpec {
  return new CounterSpec(name, 0, limit, MIN, ["alice"]);
}

describe("settle", () => {
  it("replaces the reservation by the real usage", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 300);
    expect(l.settle(d.handles, [120], T0 + 5)).toBe(LimitStatus.Ok);
    expect(stored(store, spec(1000)).used).toBe(120);
    expect(stored(store, spec(1000)).reserved).toBe(0);
  });
  it("charges more than was reserved when the request used more", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 100);
    l.settle(d.handles, [450], T0);
    expect(stored(store, spec(1000)).used).toBe(450);
    expect(stored(store, spec(1000)).reserved).toBe(0);
  });
  it("leaves other requests' reservations in place", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const a = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 100);
    l.admit([spec(1000)], T0, AdmissionMode.Reserve, 250);
    l.settle(a.handles, [80], T0);
    expect(stored(store, spec(1000)).used).toBe(80);
    expect(stored(store, spec(1000)).reserved).toBe(250);
  });
  it("charges each handle its own cost (limits counting different token kinds)", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d = l.admit([spec(1000, "input"), spec(1000, "output")], T0, AdmissionMode.Reserve, 100);
    l.settle(d.handles, [30, 70], T0);
    expect(stored(store, spec(1, "input")).used).toBe(30);
    expect(stored(store, spec(1, "output")).used).toBe(70);
  });
  it("charges 0 for missing or negative costs but still returns the reservation", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d = l.admit([spec(1000, "a"), spec(1000, "b")], T0, AdmissionMode.Reserve, 100);
    l.settle(d.handles, [-5], T0);
    expect(stored(store, spec(1, "a")).used).toBe(0);
    expect(stored(store, spec(1, "a")).reserved).toBe(0);
    expect(stored(store, spec(1, "b")).used).toBe(0);
    expect(stored(store, spec(1, "b")).reserved).toBe(0);
  });
  it("charges a check-mode admission", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d = l.admit([spec(1000)], T0, AdmissionMode.Check, 0);
    l.settle(d.handles, [42], T0);
    expect(stored(store, spec(1000)).used).toBe(42);
  });
  it("settles a handle once: a second settle charges nothing", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 100);
    l.settle(d.handles, [10], T0);
    l.settle(d.handles, [10], T0);
    l.release(d.handles, T0);
    expect(stored(store, spec(1000)).used).toBe(10);
    expect(d.handles[0].done).toBe(true);
  });
  it("drops a reservation from an ended window and charges the window the response ended in", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d = l.admit([spec(1000)], T0 + MIN - 10, AdmissionMode.Reserve, 500);
    l.settle(d.handles, [200], T0 + MIN + 5);
    const s = stored(store, spec(1000));
    expect(s.windowStart).toBe(T0 + MIN);
    expect(s.used).toBe(200);
    expect(s.reserved).toBe(0);
  });
  it("adds to the new window's counts when others already wrote there", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const old = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 500);
    const fresh = l.admit([spec(1000)], T0 + MIN, AdmissionMode.Reserve, 50);
    l.settle(old.handles, [200], T0 + MIN + 1);
    const s = stored(store, spec(1000));
    expect(s.used).toBe(200);
    expect(s.reserved).toBe(50);
    expect(fresh.admitted).toBe(true);
  });
  it("charges a rejected (dry-run) decision's handles", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const full = l.admit([spec(10)], T0, AdmissionMode.Check, 0);
    l.settle(full.handles, [10], T0);
    const d = l.admit([spec(10)], T0, AdmissionMode.Reserve, 5);
    expect(d.admitted).toBe(false);
    l.settle(d.handles, [7], T0);
    expect(stored(store, spec(10)).used).toBe(17);
    expect(stored(store, spec(10)).reserved).toBe(0);
  });
});

describe("release", () => {
  it("drops the reservation without charging", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 300);
    expect(l.release(d.handles, T0)).toBe(LimitStatus.Ok);
    expect(stored(store, spec(1000)).used).toBe(0);
    expect(stored(store, spec(1000)).reserved).toBe(0);
    expect(l.admit([spec(1000)], T0, AdmissionMode.Reserve, 0).remaining).toBe(1000);
  });
  it("writes nothing once the reservation's window has ended", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 300);
    const writes = store.writes;
    l.release(d.handles, T0 + MIN);
    expect(store.writes).toBe(writes);
    expect(d.handles[0].done).toBe(true);
  });
  it("never takes reserved below zero, even for a handle that claims more", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 10);
    d.handles[0].reserved = i64.MAX_VALUE;
    l.release(d.handles, T0);
    expect(stored(store, spec(1000)).reserved).toBe(0);
  });
});
