// Just enough unsigned big-integer arithmetic for exact decimal -> binary conversion
// (assembly/json/number.ts): multiply by a small factor, shift, compare, subtract and
// a 64-bit-quotient division. Little-endian u32 limbs with no leading zero limb; every
// index stays below `limbs.length` by construction.

export class BigNat {
  limbs: Array<u32> = new Array<u32>();

  isZero(): bool { return this.limbs.length == 0; }

  /** this = this * m + a. */
  mulAdd(m: u32, a: u32): void {
    const limbs = this.limbs;
    let carry: u64 = <u64>a;
    for (let i = 0, n = limbs.length; i < n; i++) {
      const t = <u64>unchecked(limbs[i]) * <u64>m + carry;
      unchecked(limbs[i] = <u32>t);
      carry = t >> 32;
    }
    if (carry != 0) limbs.push(<u32>carry);
    this.trim();
  }

  /** this = this * 10^e (e >= 0). */
  mulPow10(e: i32): void {
    while (e >= 9) { this.mulAdd(1000000000, 0); e -= 9; }
    let p: u32 = 1;
    for (let k = 0; k < e; k++) p *= 10;
    if (p != 1) this.mulAdd(p, 0);
  }

  bitLength(): i32 {
    const n = this.limbs.length;
    if (n == 0) return 0;
    return (n - 1) * 32 + (32 - <i32>clz(unchecked(this.limbs[n - 1])));
  }

  /** The value modulo 2^64 (the whole value when bitLength() <= 64). */
  low64(): u64 {
    const n = this.limbs.length;
    let v: u64 = 0;
    if (n > 0) v = <u64>unchecked(this.limbs[0]);
    if (n > 1) v |= <u64>unchecked(this.limbs[1]) << 32;
    return v;
  }

  /** Bits [bitLength()-64, bitLength()) as a u64; requires bitLength() >= 64. */
  top64(): u64 {
    const shift = this.bitLength() - 64;
    let v: u64 = 0;
    for (let k = 63; k >= 0; k--) v = (v << 1) | <u64>(this.bit(shift + k) ? 1 : 0);
    return v;
  }

  /** True when any bit below position `n` is set. */
  anyBitBelow(n: i32): bool {
    const limbs = this.limbs;
    const full = min(n >> 5, limbs.length);
    for (let i = 0; i < full; i++) if (unchecked(limbs[i]) != 0) return true;
    const rest = n & 31;
    if (rest != 0 && full < limbs.length) {
      if ((unchecked(limbs[full]) & ((<u32>1 << <u32>rest) - 1)) != 0) return true;
    }
    return false;
  }

  bit(k: i32): bool {
    const i = k >> 5;
    if (k < 0 || i >= this.limbs.length) return false;
    return ((unchecked(this.limbs[i]) >> <u32>(k & 31)) & 1) != 0;
  }

  /** A new BigNat equal to this * 2^s (s >= 0). */
  shiftLeft(s: i32): BigNat {
    const out = new BigNat();
    const words = s >> 5, bits = <u32>(s & 31);
    const src = this.limbs;
    const n = src.length;
    const dst = new Array<u32>(n + words + 1);
    for (let i = 0; i < n; i++) {
      const v = unchecked(src[i]);
      unchecked(dst[i + words] = unchecked(dst[i + words]) | (v << bits));
      if (bits != 0) unchecked(dst[i + words + 1] = v >> (32 - bits));
    }
    out.limbs = dst;
    out.trim();
    return out;
  }

  /** this = this / 2 (in place). */
  shiftRight1(): void {
    const limbs = this.limbs;
    const n = limbs.length;
    for (let i = 0; i < n; i++) {
      const hi: u32 = i + 1 < n ? unchecked(limbs[i + 1]) : 0;
      unchecked(limbs[i] = (unchecked(limbs[i]) >> 1) | (hi << 31));
    }
    this.trim();
  }

  /** -1, 0 or 1 as this <, ==, > other. */
  compare(other: BigNat): i32 {
    const a = this.limbs, b = other.limbs;
    if (a.length != b.length) return a.length < b.length ? -1 : 1;
    for (let i = a.length - 1; i >= 0; i--) {
      const x = unchecked(a[i]), y = unchecked(b[i]);
      if (x != y) return x < y ? -1 : 1;
    }
    return 0;
  }

  /** this = this - other; requires this >= other. */
  subtract(other: BigNat): void {
    const a = this.limbs, b = other.limbs;
    let borrow: i64 = 0;
    for (let i = 0, n = a.length; i < n; i++) {
      const y: i64 = i < b.length ? <i64>unchecked(b[i]) : 0;
      let t = <i64>unchecked(a[i]) - y - borrow;
      borrow = t < 0 ? 1 : 0;
      if (t < 0) t += <i64>0x100000000;
      unchecked(a[i] = <u32>t);
    }
    this.trim();
  }

  /**
   * floor(this / divisor), which must be below 2^64 (this < divisor * 2^64); this
   * becomes the remainder. `divisor` is left unchanged. Restoring binary division.
   */
  divideSmallQuotient(divisor: BigNat): u64 {
    if (divisor.isZero()) return 0;
    const d = divisor.shiftLeft(63);
    let q: u64 = 0;
    for (let k = 63; k >= 0; k--) {
      if (this.compare(d) >= 0) {
        this.subtract(d);
        q |= <u64>1 << <u64>k;
      }
      d.shiftRight1();
    }
    return q;
  }

  trim(): void {
    const limbs = this.limbs;
    while (limbs.length > 0 && unchecked(limbs[limbs.length - 1]) == 0) limbs.pop();
  }
}
