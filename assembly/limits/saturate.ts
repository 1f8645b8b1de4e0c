// Saturating arithmetic on token counts. Counts are i64 and never negative: a sum that
// would pass i64.MAX_VALUE stays there and a difference that would go below zero stops at
// zero, so no stored or supplied number (corrupt, huge, negative) can wrap a counter.

/** `v` clamped to [0, i64.MAX_VALUE]. */
// @ts-ignore: decorator
@inline export function nonNegative(v: i64): i64 {
  return v < 0 ? 0 : v;
}

/** `a + b` for counts: negative inputs count as 0, the sum stops at i64.MAX_VALUE. */
export function satAdd(a: i64, b: i64): i64 {
  const x = nonNegative(a);
  const y = nonNegative(b);
  return x > i64.MAX_VALUE - y ? i64.MAX_VALUE : x + y;
}

/** `a - b` for counts: negative inputs count as 0, the difference stops at 0. */
export function satSub(a: i64, b: i64): i64 {
  const x = nonNegative(a);
  const y = nonNegative(b);
  return x > y ? x - y : 0;
}

/** `a + b` for signed instants (time + duration): clamps to the i64 range instead of wrapping. */
export function satAddSigned(a: i64, b: i64): i64 {
  if (b > 0 && a > i64.MAX_VALUE - b) return i64.MAX_VALUE;
  if (b < 0 && a < i64.MIN_VALUE - b) return i64.MIN_VALUE;
  return a + b;
}

/** Whole seconds in `ms`, rounded up; 0 for `ms <= 0`. Never overflows. */
export function ceilSeconds(ms: i64): i64 {
  if (ms <= 0) return 0;
  return ms / 1000 + (ms % 1000 != 0 ? 1 : 0);
}
