// What the local limiter's specs share: a minute window starting on a minute boundary, the
// key prefix they build limiters with, and the counter a spec left in a memory store.
import { MemoryCounters } from "../../counters/memory";
import { CounterState, decodeCounter } from "../../counters/value";
import { CounterSpec } from "../decision";
import { CounterKeyBuilder } from "../keys";

export const MIN: i64 = 60_000;
/** 2024-03-15T13:45:00Z, on a minute boundary. */
export const T0: i64 = 1710510300000;
export const PREFIX = "t/";

/** The counter `s` left in `store` (all zero when absent or undecodable). */
export function stored(store: MemoryCounters, s: CounterSpec): CounterState {
  const out = new CounterState();
  const raw = store.get(new CounterKeyBuilder(PREFIX).build(s.limitName, s.rateIndex, s.values));
  if (raw != null) decodeCounter(raw, out);
  return out;
}
