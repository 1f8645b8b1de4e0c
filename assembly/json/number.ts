// Decimal text to the nearest f64, correctly rounded (ties to even), as JSON.parse does.
// The standard library's parseFloat loses precision past 19 significant digits (it can
// be off by orders of magnitude with long mantissas and large exponents), so numbers
// are converted here: an exact fast path for the common short forms (Clinger), and an
// exact big-integer path for everything else. Only JSON number lexemes are accepted;
// the parser has validated the grammar before calling in.

import { BigNat } from "./bignat";

// Exact powers of ten representable in f64.
const POW10: StaticArray<f64> = [
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

// Significant digits kept exactly on the slow path. Any f64 halfway point has at most
// 767 significant digits, so digits beyond 800 only matter as "some nonzero follows".
const MAX_DIGITS: i32 = 800;

/**
 * The f64 nearest to the JSON number lexeme of `len` bytes at `ptr`
 * (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`). Out-of-range magnitudes give
 * ±Infinity or ±0. Allocates only on the slow path; never traps.
 */
export function parseJsonNumber(ptr: usize, len: i32): f64 {
  let i = 0;
  const negative = len > 0 && load<u8>(ptr) == 0x2d;
  if (negative) i++;
  // Mantissa: significant digits (leading zeros dropped) and the digits after the point.
  let nd = 0;              // significant digits
  let fracDigits = 0;
  let small: u64 = 0;      // first 19 significant digits
  let afterPoint = false;
  const mantissaStart = i;
  while (i < len) {
    const c = <u32>load<u8>(ptr + <usize>i);
    if (c == 0x2e) { afterPoint = true; i++; continue; }
    if (c < 0x30 || c > 0x39) break;
    if (afterPoint) fracDigits++;
    if (nd > 0 || c != 0x30) {
      if (nd < 19) small = small * 10 + <u64>(c - 0x30);
      nd++;
    }
    i++;
  }
  const mantissaEnd = i;
  // Exponent, saturated: anything past ±10^6 is far outside the f64 range anyway.
  let exp: i64 = 0;
  if (i < len) {
    i++; // e or E
    let expNegative = false;
    if (i < len && (load<u8>(ptr + <usize>i) == 0x2d || load<u8>(ptr + <usize>i) == 0x2b)) {
      expNegative = load<u8>(ptr + <usize>i) == 0x2d;
      i++;
    }
    while (i < len) {
      const c = <u32>load<u8>(ptr + <usize>i);
      if (c < 0x30 || c > 0x39) break;
      if (exp < 1000000) exp = exp * 10 + <i64>(c - 0x30);
      i++;
    }
    if (expNegative) exp = -exp;
  }
  const sign: f64 = negative ? -1.0 : 1.0;
  if (nd == 0) return sign * 0.0;
  // value = D * 10^e10, where D is the integer formed by the significant digits.
  const e10 = <i32>(exp - <i64>fracDigits);
  if (nd + e10 > 310) return sign * Infinity;
  if (nd + e10 < -324) return sign * 0.0;
  if (nd <= 15) {
    const d = <f64>small;   // exact: below 10^15 < 2^53
    if (e10 == 0) return sign * d;
    if (e10 > 0 && e10 <= 22) return sign * d * unchecked(POW10[e10]);
    if (e10 < 0 && e10 >= -22) return sign * d / unchecked(POW10[-e10]);
    if (e10 > 22 && e10 <= 22 + 15 - nd) return sign * (d * unchecked(POW10[e10 - 22])) * 1e22;
  } else if (nd <= 19 && e10 == 0) {
    return sign * <f64>small;  // u64 -> f64 conversion rounds to nearest even
  }
  return sign * slowPath(ptr, mantissaStart, mantissaEnd, nd, e10);
}

/** Exact conversion of D * 10^e10 with big integers. */
function slowPath(ptr: usize, start: i32, end: i32, nd: i32, e10: i32): f64 {
  const d = new BigNat();
  let kept = 0, chunk: u32 = 0, chunkLen = 0;
  let truncatedNonZero = false;
  let seen = false;
  for (let i = start; i < end; i++) {
    const c = <u32>load<u8>(ptr + <usize>i);
    if (c == 0x2e) continue;
    if (!seen && c == 0x30) continue;
    seen = true;
    if (kept >= MAX_DIGITS) { if (c != 0x30) truncatedNonZero = true; continue; }
    chunk = chunk * 10 + (c - 0x30);
    chunkLen++;
    kept++;
    if (chunkLen == 9) { d.mulAdd(1000000000, chunk); chunk = 0; chunkLen = 0; }
  }
  if (chunkLen > 0) d.mulAdd(<u32>pow10u32(chunkLen), chunk);
  if (truncatedNonZero) { d.mulAdd(10, 1); kept++; }
  // D now holds `kept` digits standing for `nd`.
  let e = e10 + (nd - kept);
  if (e >= 0) {
    d.mulPow10(e);
    const bits = d.bitLength();
    if (bits <= 64) return roundToDouble(d.low64(), false, 0);
    return roundToDouble(d.top64(), d.anyBitBelow(bits - 64), bits - 64);
  }
  // D / 10^-e: scale so that the quotient has 63 or 64 bits, then divide exactly.
  const den = new BigNat();
  den.mulAdd(1, 1);
  den.mulPow10(-e);
  const s = den.bitLength() + 63 - d.bitLength();
  const num = s >= 0 ? d.shiftLeft(s) : d;
  const div = s >= 0 ? den : den.shiftLeft(-s);
  const q = num.divideSmallQuotient(div);   // num becomes the remainder
  return roundToDouble(q, !num.isZero(), -s);
}

function pow10u32(n: i32): u32 {
  let p: u32 = 1;
  for (let k = 0; k < n; k++) p *= 10;
  return p;
}

/**
 * The f64 nearest to (q + ε) * 2^x, where ε is a positive amount below one unit when
 * `sticky` (bits that were cut off), rounding ties to even. Handles subnormals and
 * overflow exactly by building the bit pattern.
 */
export function roundToDouble(q: u64, sticky: bool, x: i32): f64 {
  if (q == 0) return 0.0;
  const lz = <i32>clz(q);
  q <<= <u64>lz;
  x -= lz;
  // q in [2^63, 2^64): value = q * 2^x, unbiased exponent 63 + x.
  // Keep 53 bits for normal numbers; fewer so that the unit is 2^-1074 for subnormals.
  let drop = -1074 - x;
  if (drop < 11) drop = 11;
  if (drop > 64) return 0.0;   // below half the smallest subnormal
  let m: u64, rem: u64, half: u64;
  if (drop == 64) { m = 0; rem = q; half = <u64>1 << 63; }
  else {
    m = q >> <u64>drop;
    rem = q & ((<u64>1 << <u64>drop) - 1);
    half = <u64>1 << <u64>(drop - 1);
  }
  if (rem > half || (rem == half && (sticky || (m & 1) != 0))) m++;
  if (drop > 11) {
    // Subnormal (or rounded up to the smallest normal, whose bits are the same formula).
    return reinterpret<f64>(m);
  }
  let e = 63 + x;
  if (m == (<u64>1 << 53)) { m >>= 1; e++; }
  if (e > 1023) return Infinity;
  return reinterpret<f64>((<u64>(e + 1023) << 52) | (m & ((<u64>1 << 52) - 1)));
}
