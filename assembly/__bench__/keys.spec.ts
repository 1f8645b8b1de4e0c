// How many shared-data keys, and bytes, the local limiter leaves after N distinct callers
// spread over a day, each counted by two rates (24h and 1m) of one limit. Run:
//   ASPECT_ENTRIES=assembly/__bench__/keys.spec.ts npx asp -n
// (N = 200,000 by default. Whatever N, at most 2 x (maxCounters + 1) + 1 keys remain.)
import { LocalLimiter } from "../limits/local_limiter";
import { MemoryCounters } from "../counters/memory";
import { CounterSpec, AdmissionMode } from "../limits/decision";
import { LimiterStats } from "../limits/limiter";
import { SettlementQueue } from "../limits/settlements";
import { DEFAULT_MAX_COUNTERS } from "../limits/slots";

const N: i32 = 200_000;
const DAY: i64 = 86_400_000;
const T0: i64 = 1710460800000; // 2024-03-15T00:00:00Z

describe("keys left by distinct callers", () => {
  it("N callers over a day, two rates each", () => {
    const store = new MemoryCounters();
    const stats = new LimiterStats();
    const l = new LocalLimiter(store, "tokenlimit|", 16, stats, new SettlementQueue(), 600_000, DEFAULT_MAX_COUNTERS);
    for (let i = 0; i < N; i++) {
      const now = T0 + <i64>i * (DAY / <i64>N);
      const user = "user-" + i.toString();
      const specs = [new CounterSpec("free", 0, 20_000, DAY, [user]), new CounterSpec("free", 1, 1_000, 60_000, [user])];
      const d = l.admit(specs, now, AdmissionMode.Reserve, 100);
      l.settle(d.handles, [50, 50], now);
    }
    log("callers " + N.toString() + ": keys " + store.size().toString() + ", bytes of keys and values " + store.bytes().toString() +
      ", overflowed " + stats.counterOverflows.toString());
    expect(store.size()).toBeLessThanOrEqual(2 * (DEFAULT_MAX_COUNTERS + 1) + 1);
  });
});
