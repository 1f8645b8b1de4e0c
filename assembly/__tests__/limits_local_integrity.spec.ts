// Nothing lost: a counter's first writes by two workers, a settlement written after a
// reconfiguration, and settlements that fail and are retried on a tick.
import { LocalLimiter } from "../limits/local_limiter";
import { MemoryCounters, WriteHook } from "../counters/memory";
import { WasmResult } from "../counters/store";
import { CounterSpec, LimitStatus, AdmissionMode } from "../limits/decision";
import { LimiterStats } from "../limits/limiter";
import { SettlementQueue } from "../limits/settlements";
import { describeKey } from "../limits/keys";
import { MIN, T0, PREFIX, stored, identityOf } from "../limits/testing/limiter_fixtures";

const DAY: i64 = 86_400_000;

function spec(limit: i64, window: i64 = MIN): CounterSpec {
  return new CounterSpec("per-user", 0, limit, window, ["alice"]);
}

/** Another worker that, once, charges `cost` to alice's counter just before the first write to it. */
class CreatesFirst extends WriteHook {
  limiter: LocalLimiter;
  done: bool = false;
  constructor(store: MemoryCounters, public cost: i64) {
    super();
    this.limiter = new LocalLimiter(store, PREFIX);
  }
  beforeWrite(store: MemoryCounters, key: ArrayBuffer, writeIndex: i32): void {
    if (this.done || !describeKey(key).includes("per-user|0|#")) return;
    this.done = true;
    const d = this.limiter.admit([spec(1_000_000)], T0, AdmissionMode.Check, 0);
    this.limiter.settle(d.handles, [this.cost], T0);
  }
}

/** Bumps the version of every counter key before each write to it: every compare-and-swap loses. */
class Contended extends WriteHook {
  beforeWrite(store: MemoryCounters, key: ArrayBuffer, writeIndex: i32): void {
    if (!describeKey(key).includes("per-user|0|#")) return;
    const cur = store.get(key);
    if (cur != null) store.put(key, cur);
  }
}

describe("first write race", () => {
  it("two workers creating the same counter keep both charges (100 + 200 = 300)", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const d = l.admit([spec(1_000_000)], T0, AdmissionMode.Check, 0); // reads the key: missing
    // The other worker creates the key with 200 between this worker's read and its write.
    store.hook = new CreatesFirst(store, 200);
    expect(l.settle(d.handles, [100], T0)).toBe(LimitStatus.Ok);
    store.hook = null;
    expect(stored(store, spec(1)).used).toBe(300);
    expect(l.stats.casConflicts).toBe(1);
  });
  it("two workers reserving on a new counter keep both reservations", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    store.hook = new ReservesFirst(store, 70);
    const d = l.admit([spec(1_000_000)], T0, AdmissionMode.Reserve, 30);
    store.hook = null;
    expect(d.admitted).toBe(true);
    expect(stored(store, spec(1)).reserved).toBe(100);
  });
});

/** Another worker that, once, reserves `est` on alice's counter just before the first write to it. */
class ReservesFirst extends WriteHook {
  limiter: LocalLimiter;
  done: bool = false;
  constructor(store: MemoryCounters, public est: i64) {
    super();
    this.limiter = new LocalLimiter(store, PREFIX);
  }
  beforeWrite(store: MemoryCounters, key: ArrayBuffer, writeIndex: i32): void {
    if (this.done || !describeKey(key).includes("per-user|0|#")) return;
    this.done = true;
    this.limiter.admit([spec(1_000_000)], T0, AdmissionMode.Reserve, this.est);
  }
}

describe("relative writes across reconfiguration", () => {
  it("a stream admitted under a 1m window and settled after the window became 24h adds to the new counter", () => {
    const store = new MemoryCounters();
    const before = new LocalLimiter(store, PREFIX);
    const after = new LocalLimiter(store, PREFIX);
    const d = before.admit([spec(100_000, MIN)], T0, AdmissionMode.Reserve, 500);
    // The new configuration's requests spend 14,000 in the day window meanwhile.
    const n = after.admit([spec(100_000, DAY)], T0 + 1000, AdmissionMode.Check, 0);
    after.settle(n.handles, [14_000], T0 + 1000);
    expect(before.settle(d.handles, [300], T0 + 2000)).toBe(LimitStatus.Ok);
    const c = stored(store, spec(1));
    expect(c.windowMs).toBe(DAY);
    expect(c.used).toBe(14_300);
    expect(c.reserved).toBe(0);
  });
  it("a changed window length carries what was spent into the window running at the change, once", () => {
    const store = new MemoryCounters();
    const daily = new LocalLimiter(store, PREFIX);
    const d = daily.admit([spec(20_000, DAY)], T0, AdmissionMode.Check, 0);
    daily.settle(d.handles, [19_000], T0);
    const minutely = new LocalLimiter(store, PREFIX);
    expect(minutely.admit([spec(1000, MIN)], T0 + 5, AdmissionMode.Check, 0).admitted).toBe(false);
    expect(stored(store, spec(1)).windowMs).toBe(MIN);
    expect(minutely.admit([spec(1000, MIN)], T0 + MIN, AdmissionMode.Check, 0).admitted).toBe(true);
  });
  it("an unchanged name and rate keep the budget across limiters (a reconfiguration)", () => {
    const store = new MemoryCounters();
    const first = new LocalLimiter(store, PREFIX);
    const d = first.admit([spec(1000)], T0, AdmissionMode.Check, 0);
    first.settle(d.handles, [1000], T0);
    expect(new LocalLimiter(store, PREFIX).admit([spec(2000)], T0, AdmissionMode.Check, 0).remaining).toBe(1000);
  });
});

describe("lost settlements retried", () => {
  it("a settlement that loses every compare-and-swap waits in the queue and reaches the counter on the next retry", () => {
    const store = new MemoryCounters();
    const queue = new SettlementQueue();
    const stats = new LimiterStats();
    const l = new LocalLimiter(store, PREFIX, 16, stats, queue);
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 100);
    store.hook = new Contended();
    expect(l.settle(d.handles, [60], T0)).toBe(LimitStatus.Conflict);
    expect(queue.size).toBe(1);
    expect(stats.settlementsDeferred).toBe(1);
    expect(queue.retry(T0 + 1000)).toBe(1); // still contended: kept
    store.hook = null;
    expect(queue.retry(T0 + 2000)).toBe(0);
    expect(stats.settlementsRecovered).toBe(1);
    expect(stored(store, spec(1)).used).toBe(60);
    expect(stored(store, spec(1)).reserved).toBe(0);
    expect(d.handles[0].done).toBe(true);
  });
  it("a settlement still failing maxAgeMs after its first retry is counted as lost with its tokens", () => {
    const store = new MemoryCounters();
    const queue = new SettlementQueue(2000);
    const stats = new LimiterStats();
    const l = new LocalLimiter(store, PREFIX, 16, stats, queue);
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 100);
    store.writeFailure = WasmResult.InternalFailure;
    l.settle(d.handles, [75], T0);
    queue.retry(T0 + 1000);
    queue.retry(T0 + 2000);
    expect(stats.settlementsLost).toBe(0);
    queue.retry(T0 + 3000);
    expect(queue.size).toBe(0);
    expect(stats.settlementsLost).toBe(1);
    expect(stats.tokensLost).toBe(75);
  });
  it("a full queue counts one more failed settlement as lost at once", () => {
    const store = new MemoryCounters();
    const queue = new SettlementQueue(60, 2);
    const stats = new LimiterStats();
    const l = new LocalLimiter(store, PREFIX, 0, stats, queue);
    const handles = [l.admit([spec(1000)], T0, AdmissionMode.Check, 0), l.admit([spec(1000)], T0, AdmissionMode.Check, 0),
      l.admit([spec(1000)], T0, AdmissionMode.Check, 0)];
    store.writeFailure = WasmResult.InternalFailure;
    for (let i = 0; i < 3; i++) l.settle(handles[i].handles, [10], T0);
    expect(queue.size).toBe(2);
    expect(stats.tokensLost).toBe(10);
    store.writeFailure = WasmResult.Ok;
    queue.retry(T0 + 1000);
    expect(stored(store, spec(1)).used).toBe(20);
  });
  it("a retried settlement is written relative to the counter as it is then, in the window of the retry", () => {
    const store = new MemoryCounters();
    const queue = new SettlementQueue();
    const l = new LocalLimiter(store, PREFIX, 16, new LimiterStats(), queue);
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 100);
    store.readFailure = WasmResult.InternalFailure;
    l.settle(d.handles, [40], T0 + 100);
    store.readFailure = WasmResult.Ok;
    queue.retry(T0 + MIN + 5); // the minute rolled over meanwhile: charged to the new one
    const c = stored(store, spec(1));
    expect(c.windowStart).toBe(T0 + MIN);
    expect(c.used).toBe(40);
    expect(c.reserved).toBe(0);
  });
  it("a failed release is retried too, so the reservation does not stay held", () => {
    const store = new MemoryCounters();
    const queue = new SettlementQueue();
    const stats = new LimiterStats();
    const l = new LocalLimiter(store, PREFIX, 16, stats, queue);
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 100);
    store.writeFailure = WasmResult.InternalFailure;
    l.release(d.handles, T0);
    store.writeFailure = WasmResult.Ok;
    expect(stored(store, spec(1)).reserved).toBe(100);
    queue.retry(T0 + 1000);
    expect(stored(store, spec(1)).reserved).toBe(0);
    expect(stats.lostReleases).toBe(0);
  });
});

describe("reservation TTL", () => {
  const TTL: i64 = 10 * MIN;
  it("a reservation never settled stops counting after one to two TTL periods, within the window", () => {
    const store = new MemoryCounters();
    const trapped = new LocalLimiter(store, PREFIX, 16, new LimiterStats(), new SettlementQueue(), TTL);
    const l = new LocalLimiter(store, PREFIX, 16, new LimiterStats(), new SettlementQueue(), TTL);
    const day = new CounterSpec("per-user", 0, 1000, 86_400_000, ["alice"]);
    // T0 is 13:45, so the periods start at 13:40, 13:50, 14:00.
    expect(trapped.admit([day], T0, AdmissionMode.Reserve, 1000).admitted).toBe(true);
    expect(l.admit([day], T0 + 4 * MIN, AdmissionMode.Check, 0).admitted).toBe(false); // 13:49
    expect(l.admit([day], T0 + 14 * MIN, AdmissionMode.Check, 0).admitted).toBe(false); // 13:59: the previous period
    expect(l.admit([day], T0 + 15 * MIN, AdmissionMode.Check, 0).admitted).toBe(true); // 14:00: expired
  });
  it("a request that settles within the TTL gives back exactly its reservation, across a period boundary", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX, 16, new LimiterStats(), new SettlementQueue(), TTL);
    const day = new CounterSpec("per-user", 0, 100_000, 86_400_000, ["alice"]);
    const a = l.admit([day], T0, AdmissionMode.Reserve, 300); // period 13:40
    const b = l.admit([day], T0 + 6 * MIN, AdmissionMode.Reserve, 200); // period 13:50
    expect(stored(store, day).totalReserved()).toBe(500);
    l.settle(a.handles, [10], T0 + 7 * MIN);
    expect(stored(store, day).totalReserved()).toBe(200);
    l.settle(b.handles, [20], T0 + 16 * MIN); // 14:01: b's period is now the previous one
    const c = stored(store, day);
    expect(c.totalReserved()).toBe(0);
    expect(c.used).toBe(30);
  });
  it("an expired reservation's late settlement charges its cost and gives back nothing", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX, 16, new LimiterStats(), new SettlementQueue(), TTL);
    const day = new CounterSpec("per-user", 0, 100_000, 86_400_000, ["alice"]);
    const late = l.admit([day], T0, AdmissionMode.Reserve, 300);
    const now = T0 + 30 * MIN;
    const fresh = l.admit([day], now, AdmissionMode.Reserve, 50);
    l.settle(late.handles, [80], now);
    const c = stored(store, day);
    expect(c.used).toBe(80);
    expect(c.totalReserved()).toBe(50);
    l.settle(fresh.handles, [5], now);
    expect(stored(store, day).totalReserved()).toBe(0);
  });
});

function user(name: string, limit: i64 = 1000): CounterSpec {
  return new CounterSpec("per-user", 0, limit, MIN, [name]);
}

describe("bounded keys", () => {
  it("keys of past windows are reclaimed: 20 minutes of 500 new users a minute leave at most maxCounters keys", () => {
    const store = new MemoryCounters();
    const stats = new LimiterStats();
    const l = new LocalLimiter(store, PREFIX, 16, stats, new SettlementQueue(), 600_000, 1000);
    for (let m = 0; m < 20; m++) {
      for (let i = 0; i < 500; i++) {
        const now = T0 + <i64>m * MIN;
        const d = l.admit([user("m" + m.toString() + "-u" + i.toString())], now, AdmissionMode.Reserve, 5);
        l.settle(d.handles, [3], now);
      }
    }
    expect(store.size()).toBeLessThanOrEqual(1000 + 2); // the slots, the overflow counter, the creation marker
    // Half full, eight probes: hardly anyone overflows.
    expect(stats.counterOverflows).toBeLessThan(20 * 500 / 100);
  });
  it("at the cap a new caller is counted in the rate's overflow counter; callers with a counter keep theirs", () => {
    const store = new MemoryCounters();
    const stats = new LimiterStats();
    const l = new LocalLimiter(store, PREFIX, 16, stats, new SettlementQueue(), 600_000, 16);
    let placed = 0;
    let i = 0;
    // Callers arrive until one finds every slot it probes taken (at 16 at the latest).
    while (stats.counterOverflows == 0) {
      const d = l.admit([user("u" + i.toString(), 100)], T0, AdmissionMode.Check, 0);
      if (stats.counterOverflows == 0) placed++;
      l.settle(d.handles, [10], T0);
      i++;
    }
    expect(placed).toBeLessThanOrEqual(16);
    expect(placed).toBeGreaterThan(0);
    // The first to overflow was charged 10 in the overflow counter; everyone overflowing
    // shares that budget of 100, while a caller with a counter keeps its own.
    let shared = 1;
    let refused = false;
    for (let k = 0; k < 1000 && !refused; k++) {
      const before = stats.counterOverflows;
      const d = l.admit([user("more" + k.toString(), 100)], T0, AdmissionMode.Check, 0);
      if (stats.counterOverflows == before) {
        l.settle(d.handles, [10], T0);
        continue;
      }
      if (shared < 10) {
        expect(d.admitted).toBe(true);
        l.settle(d.handles, [10], T0);
        shared++;
      } else {
        refused = !d.admitted;
        break;
      }
    }
    expect(refused).toBe(true);
    expect(l.admit([user("u0", 100)], T0, AdmissionMode.Check, 0).remaining).toBe(90);
    expect(store.size()).toBeLessThanOrEqual(16 + 1 + 1); // the slots, the overflow counter, the creation marker
    // Next minute every window has ended: a newcomer gets a slot again.
    const before = stats.counterOverflows;
    expect(l.admit([user("newcomer", 100)], T0 + MIN, AdmissionMode.Check, 0).admitted).toBe(true);
    expect(stats.counterOverflows).toBe(before);
  });
  it("a counter's slot is read only as its own: two callers with the same home slot never share counts", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX, 16, new LimiterStats(), new SettlementQueue(), 600_000, 16);
    // With 16 slots, some pair among 17 callers shares a home slot.
    for (let i = 0; i < 8; i++) {
      const d = l.admit([user("u" + i.toString())], T0, AdmissionMode.Check, 0);
      l.settle(d.handles, [<i64>(i + 1)], T0);
    }
    for (let i = 0; i < 8; i++) expect(stored(store, user("u" + i.toString()), 16).used).toBe(<i64>(i + 1));
  });
  it("a late settlement whose slot another caller took after its window ended charges a fresh counter, not the new owner", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX, 16, new LimiterStats(), new SettlementQueue(), 600_000, 1);
    const a = l.admit([user("ann")], T0, AdmissionMode.Reserve, 50);
    const next = T0 + MIN;
    const b = l.admit([user("bob")], next, AdmissionMode.Check, 0); // the one slot, reclaimed
    l.settle(b.handles, [7], next);
    l.settle(a.handles, [30], next);
    expect(stored(store, user("bob"), 1).used).toBe(7);
    expect(l.stats.counterOverflows).toBe(1); // ann's charge went to the overflow counter
  });
});

describe("upgrade from one key per counter", () => {
  it("a counter an earlier version kept under its identity key carries what it spent in the running window", () => {
    const counters = new MemoryCounters();
    const bytes = new ArrayBuffer(34); // version 1: magic, version, windowStart, windowMs, used, reserved
    const p = changetype<usize>(bytes);
    store<u8>(p, 0xc7);
    store<u8>(p + 1, 1);
    store<i64>(p + 2, T0);
    store<i64>(p + 10, MIN);
    store<u64>(p + 18, 900);
    store<u64>(p + 26, 50);
    counters.put(identityOf(user("ann")), bytes);
    const l = new LocalLimiter(counters, PREFIX);
    const d = l.admit([user("ann")], T0 + 1000, AdmissionMode.Check, 0);
    expect(d.remaining).toBe(100);
    l.settle(d.handles, [10], T0 + 1000);
    expect(stored(counters, user("ann")).used).toBe(910);
    expect(l.admit([user("ann")], T0 + MIN, AdmissionMode.Check, 0).remaining).toBe(1000);
  });
});
