// Binary encoding of one counter's stored value. Little-endian, 50 bytes, version 2:
//
//   offset size field
//   0      1    magic         0xC7 (not ASCII, so a stray text value never decodes)
//   1      1    version       2
//   2      8    windowStart   i64  ms since the epoch of the window the counts belong to
//   10     8    windowMs      i64  length of that window (> 0)
//   18     8    used          u64  tokens charged in that window
//   26     8    reserved      u64  tokens reserved by admitted, unsettled requests in the
//                                  reservation period starting at `reservedSince`
//   34     8    reservedPrev  u64  the same for the period before it
//   42     8    reservedSince i64  ms since the epoch: start of the current reservation period
//   50     n    identity           the counter's identity key (limits/keys.ts), whose slot
//                                  this is (limits/slots.ts); the rest of the value
//
// Reservations expire: the limiter drops those of periods older than the previous one
// (see local_limiter.ts), so a reservation whose request never settles (its VM trapped)
// stops counting after one to two periods, whatever the window.
//
// Version 1 (34 bytes: the first five fields, `reserved` unperiodised) still decodes, with
// its reservations dropped: a counter written before an upgrade keeps what it charged.
// A value of another size, magic or version, or with windowMs <= 0, does not decode: the
// reader treats the counter as fresh (0 used, 0 reserved) and counts it; the next write
// replaces it. Counts above i64.MAX_VALUE read as i64.MAX_VALUE (saturated, never negative).
import { nonNegative, satAdd } from "../limits/saturate";

export const VALUE_MAGIC: u8 = 0xc7;
export const VALUE_VERSION: u8 = 2;
export const VALUE_SIZE: i32 = 50;
/** Size of a version 1 value, still read. */
export const VALUE_V1_SIZE: i32 = 34;

/** One counter as stored: the window it counts and its totals there. */
export class CounterState {
  windowStart: i64 = 0;
  windowMs: i64 = 0;
  used: i64 = 0;
  /** Reserved in the current reservation period (starting at `reservedSince`). */
  reserved: i64 = 0;
  /** Reserved in the period before. */
  reservedPrev: i64 = 0;
  reservedSince: i64 = 0;

  /** Sets the window and counts; the reservations are all in the current period `reservedSince`. */
  set(windowStart: i64, windowMs: i64, used: i64, reserved: i64, reservedSince: i64 = 0, reservedPrev: i64 = 0): CounterState {
    this.windowStart = windowStart;
    this.windowMs = windowMs;
    this.used = nonNegative(used);
    this.reserved = nonNegative(reserved);
    this.reservedPrev = nonNegative(reservedPrev);
    this.reservedSince = reservedSince;
    return this;
  }

  /** Everything still reserved: both periods. */
  totalReserved(): i64 {
    return satAdd(this.reserved, this.reservedPrev);
  }
}

/** Reads a stored u64 count as a non-negative i64, saturating. */
// @ts-ignore: decorator
@inline function loadCount(p: usize): i64 {
  const v = load<u64>(p);
  return v > <u64>i64.MAX_VALUE ? i64.MAX_VALUE : <i64>v;
}

/**
 * Encodes `s` into `out` (at least VALUE_SIZE bytes, reused by the caller) and returns a
 * VALUE_SIZE view: `out` itself when it has exactly that size, else a copy. Negative counts
 * are written as 0.
 */
export function encodeCounter(s: CounterState, out: ArrayBuffer): ArrayBuffer {
  let buf = out;
  if (buf.byteLength != VALUE_SIZE) buf = new ArrayBuffer(VALUE_SIZE);
  writeCounterHead(changetype<usize>(buf), s);
  return buf;
}

/** Writes the VALUE_SIZE bytes of `s` at `p`. */
function writeCounterHead(p: usize, s: CounterState): void {
  store<u8>(p, VALUE_MAGIC);
  store<u8>(p + 1, VALUE_VERSION);
  store<i64>(p + 2, s.windowStart);
  store<i64>(p + 10, s.windowMs);
  store<u64>(p + 18, <u64>nonNegative(s.used));
  store<u64>(p + 26, <u64>nonNegative(s.reserved));
  store<u64>(p + 34, <u64>nonNegative(s.reservedPrev));
  store<i64>(p + 42, s.reservedSince);
}

/**
 * Encodes `s` followed by `identity` into `out` when it has exactly the size needed (the
 * caller reuses it), else into a new buffer, which is returned.
 */
export function encodeCounterOf(s: CounterState, identity: ArrayBuffer, out: ArrayBuffer): ArrayBuffer {
  const size = VALUE_SIZE + identity.byteLength;
  const buf = out.byteLength == size ? out : new ArrayBuffer(size);
  const p = changetype<usize>(buf);
  writeCounterHead(p, s);
  memory.copy(p + <usize>VALUE_SIZE, changetype<usize>(identity), <usize>identity.byteLength);
  return buf;
}

/** Whether `bytes` is a version 2 value whose identity (after the counts) is exactly `identity`. */
export function identityIs(bytes: ArrayBuffer, identity: ArrayBuffer): bool {
  const n = identity.byteLength;
  const p = changetype<usize>(bytes);
  if (bytes.byteLength != VALUE_SIZE + n || load<u8>(p) != VALUE_MAGIC || load<u8>(p + 1) != VALUE_VERSION) return false;
  return memory.compare(p + <usize>VALUE_SIZE, changetype<usize>(identity), <usize>n) == 0;
}

/**
 * Decodes `bytes` into `out`. Returns false (and zeroes `out`) when the value does not
 * decode: wrong size, magic or version, or a window length <= 0. Never traps.
 */
export function decodeCounter(bytes: ArrayBuffer, out: CounterState): bool {
  const p = changetype<usize>(bytes);
  const size = bytes.byteLength;
  const v2 = size >= VALUE_SIZE && load<u8>(p + 1) == VALUE_VERSION;
  const v1 = size == VALUE_V1_SIZE && load<u8>(p + 1) == 1;
  if ((!v1 && !v2) || load<u8>(p) != VALUE_MAGIC) {
    out.set(0, 0, 0, 0);
    return false;
  }
  const windowMs = load<i64>(p + 10);
  if (windowMs <= 0) {
    out.set(0, 0, 0, 0);
    return false;
  }
  if (v1) out.set(load<i64>(p + 2), windowMs, loadCount(p + 18), 0);
  else out.set(load<i64>(p + 2), windowMs, loadCount(p + 18), loadCount(p + 26), load<i64>(p + 42), loadCount(p + 34));
  return true;
}
