// Clock and timer.
import { proxy_get_current_time_nanoseconds, proxy_set_tick_period_milliseconds } from "./imports";
import { WasmResult } from "./status";
import { u64Slot } from "./memory";

/** Wall-clock time in nanoseconds since the Unix epoch; 0 if the host refuses. */
export function nowNanos(): u64 {
  store<u64>(u64Slot(), 0);
  if (proxy_get_current_time_nanoseconds(u64Slot()) != WasmResult.Ok) return 0;
  return load<u64>(u64Slot());
}

/** Wall-clock time in milliseconds since the Unix epoch. */
export function nowMillis(): i64 {
  return <i64>(nowNanos() / 1_000_000);
}

/** Asks for `on_tick` every `ms` milliseconds (0 stops it). */
export function setTickPeriod(ms: u32): i32 {
  return proxy_set_tick_period_milliseconds(ms);
}
