// A limiter remembers where a caller's counter was found, and reads that slot first on the
// caller's next request. The stored identity decides, so a stale hint changes nothing.
import { LocalLimiter, DEFAULT_MAX_RETRIES } from "../limits/local_limiter";
import { MemoryCounters } from "../counters/memory";
import { CounterSpec, AdmissionMode, DEFAULT_RESERVATION_TTL_MS } from "../limits/decision";
import { LimiterStats } from "../limits/limiter";
import { SettlementQueue } from "../limits/settlements";
import { describeKey } from "../limits/keys";
import { SlotHints, SlotKeys, homeSlot } from "../limits/slots";
import { MIN, T0, PREFIX, stored, identityOf } from "../limits/testing/limiter_fixtures";

function spec(user: string, limit: i64 = 1000): CounterSpec {
  return new CounterSpec("per-user", 0, limit, MIN, [user]);
}

function limiter(store: MemoryCounters, maxCounters: i32): LocalLimiter {
  return new LocalLimiter(store, PREFIX, DEFAULT_MAX_RETRIES, new LimiterStats(), new SettlementQueue(), DEFAULT_RESERVATION_TTL_MS, maxCounters);
}

/** One whole request of `user` costing `tokens` at `now`; returns whether it was admitted. */
function request(l: LocalLimiter, user: string, tokens: i64, now: i64): bool {
  const d = l.admit([spec(user)], now, AdmissionMode.Reserve, 10);
  if (d.admitted) l.settle(d.handles, [tokens], now);
  return d.admitted;
}

/** Every key and value of `store` touched by `users`' counters and the overflow counter, as text. */
function snapshot(store: MemoryCounters, capacity: i32): string {
  const keys = new SlotKeys(PREFIX);
  let out = "";
  for (let i = 0; i < capacity; i++) {
    const v = store.get(keys.slot("per-user", 0, i));
    out += v === null ? "-;" : describeKey(v) + ";";
  }
  const o = store.get(keys.overflow("per-user", 0));
  return out + (o === null ? "-" : describeKey(o));
}

describe("slot hints", () => {
  it("read a known caller's counter with one read, even away from its home slot", () => {
    const store = new MemoryCounters();
    const l = limiter(store, 2);
    // Someone whose home slot is alice's takes it first: alice's counter goes to the next slot.
    const home = homeSlot(identityOf(spec("alice")), 2);
    let first = "";
    for (let i = 0; i < 64 && first.length == 0; i++) if (homeSlot(identityOf(spec("u" + i.toString())), 2) == home) first = "u" + i.toString();
    expect(first.length).toBeGreaterThan(0);
    request(l, first, 1, T0);
    request(l, "alice", 5, T0);
    request(l, "alice", 5, T0);
    const reads = store.reads;
    const d = l.admit([spec("alice")], T0, AdmissionMode.Reserve, 10);
    expect(store.reads - reads).toBe(1);
    expect(d.remaining).toBe(1000 - 10 - 10);
    expect(stored(store, spec("alice"), 2).reserved).toBe(10);
    expect(stored(store, spec(first), 2).used).toBe(1);
  });

  it("change nothing when the slot was taken by another caller since: the same counters as without hints", () => {
    // One slot: alice's ended counter is reclaimed by bob, so alice's hint points at bob's.
    const warm = new MemoryCounters();
    const cold = new MemoryCounters();
    const hinted = limiter(warm, 1);
    for (let i = 0; i < 3; i++) request(hinted, "alice", 7, T0);
    for (let i = 0; i < 3; i++) request(limiter(cold, 1), "alice", 7, T0);
    request(limiter(warm, 1), "bob", 3, T0 + MIN);
    request(limiter(cold, 1), "bob", 3, T0 + MIN);
    expect(request(hinted, "alice", 11, T0 + MIN)).toBe(true);
    expect(request(limiter(cold, 1), "alice", 11, T0 + MIN)).toBe(true);
    expect(snapshot(warm, 1)).toBe(snapshot(cold, 1));
    // Alice, finding no slot, is counted in the overflow counter; bob's counter is untouched.
    expect(warm.get(new SlotKeys(PREFIX).overflow("per-user", 0))).not.toBeNull();
    expect(stored(warm, spec("bob"), 1).used).toBe(3);
  });

  it("follow a counter that moved to another slot", () => {
    const store = new MemoryCounters();
    const l = limiter(store, 2);
    request(l, "alice", 1, T0);
    request(l, "alice", 1, T0);
    // The window ends; another worker's limiter (no hints) reclaims slots for bob and carol.
    const other = limiter(store, 2);
    request(other, "bob", 1, T0 + MIN);
    request(other, "carol", 1, T0 + MIN);
    request(other, "alice", 1, T0 + MIN);
    expect(request(l, "alice", 4, T0 + MIN)).toBe(true);
    const fresh = limiter(store, 2);
    const d = fresh.admit([spec("alice")], T0 + MIN, AdmissionMode.Check, 0);
    expect(d.remaining).toBe(1000 - 1 - 4);
  });

  it("keep at most one entry per hash bucket and compare whole keys", () => {
    const hints = new SlotHints();
    const a = String.UTF8.encode("p/per-user|0|alice");
    const slotA = String.UTF8.encode("p/per-user|0|#1");
    hints.remember(a, slotA);
    const probe = String.UTF8.encode("p/per-user|0|alice");
    expect(hints.find(changetype<usize>(probe), probe.byteLength)).toBe(true);
    expect(describeKey(changetype<ArrayBuffer>(hints.slot))).toBe("p/per-user|0|#1");
    const prefix = String.UTF8.encode("p/per-user|0|alic");
    expect(hints.find(changetype<usize>(prefix), prefix.byteLength)).toBe(false);
    const empty = new ArrayBuffer(0);
    expect(hints.find(changetype<usize>(empty), 0)).toBe(false);
  });
});
