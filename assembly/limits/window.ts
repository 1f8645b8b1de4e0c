// Fixed windows aligned to the Unix epoch. Every replica, worker and client computes the
// same boundaries from the clock alone: a 1m window starts on every whole minute, a 24h
// window at 00:00 UTC (Unix time has no leap seconds, so days are exactly 86 400 000 ms).
import { satAddSigned } from "./saturate";

/** Shortest window; a non-positive length (rejected by config validation) is read as this. */
export const MIN_WINDOW_MS: i64 = 1;

/** `windowMs`, or MIN_WINDOW_MS when it is not positive: keeps `%` away from zero. */
// @ts-ignore: decorator
@inline export function safeWindow(windowMs: i64): i64 {
  return windowMs < MIN_WINDOW_MS ? MIN_WINDOW_MS : windowMs;
}

/**
 * Start (ms since the epoch) of the window of length `windowMs` containing `nowMs`:
 * `nowMs - nowMs % windowMs`, floored for instants before the epoch. Never traps.
 */
export function windowStart(nowMs: i64, windowMs: i64): i64 {
  const w = safeWindow(windowMs);
  let r = nowMs % w;
  if (r < 0) r += w;
  return nowMs - r;
}

/** End (exclusive) of the window starting at `start`; clamps at i64.MAX_VALUE. */
export function windowEnd(start: i64, windowMs: i64): i64 {
  return satAddSigned(start, safeWindow(windowMs));
}

/** Milliseconds from `nowMs` until the window containing it ends (>= 1). */
export function msUntilReset(nowMs: i64, windowMs: i64): i64 {
  const end = windowEnd(windowStart(nowMs, windowMs), windowMs);
  return end > nowMs ? end - nowMs : 0;
}
