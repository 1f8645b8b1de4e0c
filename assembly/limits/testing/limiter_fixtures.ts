// What the local limiter's specs share: a minute window starting on a minute boundary, the
// key prefix they build limiters with, and the counter a spec left in a memory store.
import { MemoryCounters } from "../../counters/memory";
import { CounterState, decodeCounter, identityIs } from "../../counters/value";
import { CounterSpec } from "../decision";
import { CounterKeyBuilder } from "../keys";
import { DEFAULT_MAX_COUNTERS, PROBE_SLOTS, SlotKeys, homeSlot } from "../slots";

export const MIN: i64 = 60_000;
/** 2024-03-15T13:45:00Z, on a minute boundary. */
export const T0: i64 = 1710510300000;
export const PREFIX = "t/";

/** The identity key of `s`'s counter. */
export function identityOf(s: CounterSpec): ArrayBuffer {
  return new CounterKeyBuilder(PREFIX).build(s.limitName, s.rateIndex, s.values);
}

/** The key of the home slot of `s`'s counter in a table of `capacity` slots. */
export function homeSlotKey(s: CounterSpec, capacity: i32 = DEFAULT_MAX_COUNTERS): ArrayBuffer {
  return new SlotKeys(PREFIX).slot(s.limitName, s.rateIndex, homeSlot(identityOf(s), capacity));
}

/** The key `s`'s counter is stored at (its slot), or null when it is in none. */
export function slotKeyOf(store: MemoryCounters, s: CounterSpec, capacity: i32 = DEFAULT_MAX_COUNTERS): ArrayBuffer | null {
  const id = identityOf(s);
  const home = homeSlot(id, capacity);
  const keys = new SlotKeys(PREFIX);
  for (let j = 0; j < PROBE_SLOTS; j++) {
    const key = keys.slot(s.limitName, s.rateIndex, (home + j) % capacity);
    const raw = store.get(key);
    if (raw != null && identityIs(raw, id)) return key;
  }
  return null;
}

/** The counter `s` left in `store` (all zero when absent or undecodable). */
export function stored(store: MemoryCounters, s: CounterSpec, capacity: i32 = DEFAULT_MAX_COUNTERS): CounterState {
  const out = new CounterState();
  const key = slotKeyOf(store, s, capacity);
  if (key === null) return out;
  const raw = store.get(key);
  if (raw != null) decodeCounter(raw, out);
  return out;
}
