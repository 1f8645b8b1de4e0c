import { LocalLimiter } from "../limits/local_limiter";
import { MemoryCounters, WriteHook } from "../counters/memory";
import { WasmResult } from "../counters/store";
import { CounterSpec, LimitStatus, AdmissionMode } from "../limits/decision";
import { describeKey } from "../limits/keys";
import { MIN, T0, PREFIX, stored } from "../limits/testing/limiter_fixtures";


function spec(limit: i64, name: string = "per-user"): CounterSpec {
  return new CounterSpec(name, 0, limit, MIN, ["alice"]);
}

/** A second worker VM: before every `every`-th write of the first, it charges `cost` itself. */
class OtherWorker extends WriteHook {
  limiter: LocalLimiter;
  charged: i64 = 0;
  constructor(store: MemoryCounters, public every: i32, public cost: i64) {
    super();
    this.limiter = new LocalLimiter(store, PREFIX);
  }
  beforeWrite(store: MemoryCounters, key: ArrayBuffer, writeIndex: i32): void {
    if (writeIndex % this.every != 0) return;
    const d = this.limiter.admit([spec(i64.MAX_VALUE)], T0, AdmissionMode.Reserve, this.cost);
    if (this.limiter.settle(d.handles, [this.cost], T0) == LimitStatus.Ok) this.charged += this.cost;
  }
}

/** Another writer that bumps the key's version before every write whose key contains `match`. */
class AlwaysFirst extends WriteHook {
  constructor(public match: string) { super(); }
  beforeWrite(store: MemoryCounters, key: ArrayBuffer, writeIndex: i32): void {
    if (!describeKey(key).includes(this.match)) return;
    const cur = store.get(key);
    if (cur != null) store.put(key, cur);
  }
}

describe("compare-and-swap conflicts", () => {
  it("retries a lost write and keeps both writers' charges", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    l.admit([spec(1000)], T0, AdmissionMode.Check, 0); // nothing written yet
    // Writes 1-2 create the counter (the creation marker, then the key); write 3 settles.
    const other = new OtherWorker(store, 3, 25);
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 100);
    store.hook = other;
    expect(l.settle(d.handles, [60], T0)).toBe(LimitStatus.Ok);
    store.hook = null;
    expect(l.stats.casConflicts).toBeGreaterThan(0);
    expect(stored(store, spec(1000)).used).toBe(60 + other.charged);
    expect(other.charged).toBe(25);
    expect(stored(store, spec(1000)).reserved).toBe(0);
  });
  it("loses no charge across many interleaved writes of two workers", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const other = new OtherWorker(store, 3, 7);
    store.hook = other;
    let mine: i64 = 0;
    for (let i = 0; i < 200; i++) {
      const d = l.admit([spec(i64.MAX_VALUE)], T0, AdmissionMode.Reserve, 11);
      const cost: i64 = <i64>(i % 13);
      if (l.settle(d.handles, [cost], T0) == LimitStatus.Ok) mine += cost;
    }
    store.hook = null;
    expect(store.mismatches).toBeGreaterThan(50);
    expect(l.stats.retriesExhausted).toBe(0);
    expect(stored(store, spec(1)).used).toBe(mine + other.charged);
    expect(stored(store, spec(1)).reserved).toBe(0);
  });
  it("gives up admission after maxRetries lost writes with a Conflict error", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX, 16);
    l.settle(l.admit([spec(1000)], T0, AdmissionMode.Check, 0).handles, [1], T0); // create the key
    store.hook = new AlwaysFirst("per-user");
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 10);
    expect(d.admitted).toBe(false);
    expect(d.status).toBe(LimitStatus.Conflict);
    expect(d.error.includes("per-user")).toBe(true);
    expect(l.stats.retriesExhausted).toBe(1);
    expect(l.stats.casConflicts).toBe(17);
  });
  it("rolls back earlier reservations when a later counter exhausts its retries", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    l.settle(l.admit([spec(1000, "contended")], T0, AdmissionMode.Check, 0).handles, [1], T0);
    store.hook = new AlwaysFirst("contended");
    const d = l.admit([spec(1000, "calm"), spec(1000, "contended")], T0, AdmissionMode.Reserve, 10);
    store.hook = null;
    expect(d.status).toBe(LimitStatus.Conflict);
    expect(d.hasCounter).toBe(false);
    expect(stored(store, spec(1, "calm")).reserved).toBe(0);
    expect(d.handles.length).toBe(2);
    expect(d.handles[0].reserved).toBe(0);
  });
  it("reports Conflict from settle and leaves the handle for a later try", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX, 3);
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 10);
    store.hook = new AlwaysFirst("per-user");
    expect(l.settle(d.handles, [5], T0)).toBe(LimitStatus.Conflict);
    expect(d.handles[0].done).toBe(false);
    store.hook = null;
    expect(l.settle(d.handles, [5], T0)).toBe(LimitStatus.Ok);
    expect(stored(store, spec(1000)).used).toBe(5);
    expect(stored(store, spec(1000)).reserved).toBe(0);
  });
  it("tries once with maxRetries 0", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX, 0);
    l.settle(l.admit([spec(1000)], T0, AdmissionMode.Check, 0).handles, [1], T0);
    store.hook = new AlwaysFirst("per-user");
    const before = store.writes;
    expect(l.admit([spec(1000)], T0, AdmissionMode.Reserve, 10).status).toBe(LimitStatus.Conflict);
    expect(store.writes - before).toBe(1);
  });
});

describe("store failures", () => {
  it("reports a failed read as StoreError with unreserved handles", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    store.readFailure = WasmResult.InternalFailure;
    const d = l.admit([spec(1000), spec(1000, "other")], T0, AdmissionMode.Reserve, 10);
    expect(d.admitted).toBe(false);
    expect(d.status).toBe(LimitStatus.StoreError);
    expect(d.hasCounter).toBe(false);
    expect(d.handles.length).toBe(2);
    expect(d.handles[1].reserved).toBe(0);
    expect(l.stats.storeErrors).toBe(1);
  });
  it("reports a failed write as StoreError and rolls back", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    const first = l.admit([spec(1000, "a")], T0, AdmissionMode.Reserve, 10);
    l.release(first.handles, T0);
    // Writes 1-3 were the admit (the creation marker, then the key) and release above;
    // write 4 reserves "a", write 5 (creating "b") fails.
    store.hook = new FailFrom(5);
    const d = l.admit([spec(1000, "a"), spec(1000, "b")], T0, AdmissionMode.Reserve, 10);
    expect(d.status).toBe(LimitStatus.StoreError);
    // The rollback of "a" could not be written either: it waits for the next retry.
    expect(l.stats.settlementsDeferred).toBe(1);
    expect(d.handles[0].reserved).toBe(10);
  });
  it("lets settle charge a failed admission's handles once the store recovers", () => {
    const store = new MemoryCounters();
    const l = new LocalLimiter(store, PREFIX);
    store.readFailure = WasmResult.InternalFailure;
    const d = l.admit([spec(1000)], T0, AdmissionMode.Reserve, 10);
    store.readFailure = WasmResult.Ok;
    expect(l.settle(d.handles, [33], T0)).toBe(LimitStatus.Ok);
    expect(stored(store, spec(1000)).used).toBe(33);
  });
});

class FailFrom extends WriteHook {
  constructor(public from: i32) { super(); }
  beforeWrite(store: MemoryCounters, key: ArrayBuffer, writeIndex: i32): void {
    if (writeIndex >= this.from) store.writeFailure = WasmResult.InternalFailure;
  }
}
