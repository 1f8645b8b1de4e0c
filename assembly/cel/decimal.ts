// Exact decimal expansion of a double, for %f / %e formatting with correct rounding.
// A finite double is m x 2^e; its exact decimal value is m x 5^-e x 10^e (e < 0) or
// m x 2^e (e >= 0). The product is built in base-1e9 limbs (at most ~120 of them), so
// the cost is bounded and small; it runs only when a format string asks for it.

export class ExactDecimal {
  /** Decimal digits of the integer N, no leading zeros ("0" for zero). */
  digits: string = "0";
  /** The value is N x 10^-frac. */
  frac: i32 = 0;
}

const BASE: u64 = 1000000000;

function mulSmall(limbs: Array<u32>, k: u64): void {
  let carry: u64 = 0;
  for (let i = 0, n = limbs.length; i < n; i++) {
    const t = <u64>unchecked(limbs[i]) * k + carry;
    unchecked(limbs[i] = <u32>(t % BASE));
    carry = t / BASE;
  }
  while (carry > 0) {
    limbs.push(<u32>(carry % BASE));
    carry /= BASE;
  }
}

/** Writes the exact decimal expansion of finite, non-negative `d` into `out`. */
export function exactDecimal(d: f64, out: ExactDecimal): void {
  const bits = reinterpret<u64>(d);
  const expBits = <i32>((bits >> 52) & 0x7ff);
  let m: u64 = bits & 0xfffffffffffff;
  let e: i32;
  if (expBits == 0) e = -1074;
  else { m |= <u64>1 << 52; e = expBits - 1075; }
  if (m == 0) { out.digits = "0"; out.frac = 0; return; }
  while ((m & 1) == 0 && e < 0) { m >>= 1; e++; }
  const limbs = new Array<u32>();
  limbs.push(<u32>(m % BASE));
  if (m >= BASE) limbs.push(<u32>((m / BASE) % BASE));
  if (m >= BASE * BASE) limbs.push(<u32>(m / (BASE * BASE)));
  if (e >= 0) {
    let k = e;
    while (k >= 30) { mulSmall(limbs, <u64>1 << 30); k -= 30; }
    if (k > 0) mulSmall(limbs, <u64>1 << <u64>k);
    out.frac = 0;
  } else {
    let k = -e;
    while (k >= 13) { mulSmall(limbs, 1220703125); k -= 13; } // 5^13
    let p: u64 = 1;
    for (let i = 0; i < k; i++) p *= 5;
    if (p > 1) mulSmall(limbs, p);
    out.frac = -e;
  }
  let s = unchecked(limbs[limbs.length - 1]).toString();
  for (let i = limbs.length - 2; i >= 0; i--) {
    const part = unchecked(limbs[i]).toString();
    s += "0".repeat(9 - part.length) + part;
  }
  out.digits = s;
}

/**
 * Rounds the integer `digits` to its first `keep` digits, half to even, returning the
 * kept digits (one more on a carry, "" when the result is zero). When `keep` exceeds
 * the length, zeros are appended.
 */
export function roundDigits(digits: string, keep: i32): string {
  const n = digits.length;
  if (keep >= n) return digits + "0".repeat(keep - n);
  if (keep < 0) return "";
  // decide from the dropped part
  const first = digits.charCodeAt(keep) - 0x30;
  let restNonZero = false;
  for (let i = keep + 1; i < n; i++) if (digits.charCodeAt(i) != 0x30) { restNonZero = true; break; }
  let up = false;
  if (first > 5 || (first == 5 && restNonZero)) up = true;
  else if (first == 5) {
    const last = keep > 0 ? digits.charCodeAt(keep - 1) - 0x30 : 0;
    up = (last & 1) == 1;
  }
  let kept = digits.substring(0, keep);
  if (!up) return kept;
  // add one with carry
  const chars = new Array<i32>(keep);
  for (let i = 0; i < keep; i++) unchecked(chars[i] = kept.charCodeAt(i));
  let i = keep - 1;
  while (i >= 0) {
    if (unchecked(chars[i]) == 0x39) { unchecked(chars[i] = 0x30); i--; }
    else { unchecked(chars[i] = unchecked(chars[i]) + 1); break; }
  }
  let r = "";
  for (let k = 0; k < keep; k++) r += String.fromCharCode(unchecked(chars[k]));
  if (i < 0) r = "1" + r;
  return r;
}
