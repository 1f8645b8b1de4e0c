// SHA-256 (FIPS 180-4), for digests of counter values too long to keep in full. Written
// for this filter: streaming (`update` any number of times, then `digest`), no allocation
// per block, never traps. Checked against Node's crypto on random inputs
// (test/security/counter_keys.test.ts).

/** First 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new StaticArray<u32>(64);
/** First 32 bits of the fractional parts of the square roots of the first 8 primes. */
const H0 = new StaticArray<u32>(8);

/** The constants are derived from their definition rather than typed out. */
function initConstants(): void {
  let found = 0;
  for (let p = 2; found < 64; p++) {
    let prime = true;
    for (let d = 2; d * d <= p; d++) if (p % d == 0) { prime = false; break; }
    if (!prime) continue;
    if (found < 8) unchecked(H0[found] = fractionBits(Math.sqrt(<f64>p)));
    unchecked(K[found] = fractionBits(Math.cbrt(<f64>p)));
    found++;
  }
}

/** The first 32 bits of the fractional part of `x` (x < 2^20, so a double holds 32 more exact bits). */
function fractionBits(x: f64): u32 {
  return <u32>(<u64>((x - Math.floor(x)) * 4294967296.0));
}

initConstants();

// @ts-ignore: decorator
@inline function rotr(x: u32, n: u32): u32 { return (x >>> n) | (x << (32 - n)); }

export class Sha256 {
  private h: StaticArray<u32> = new StaticArray<u32>(8);
  private w: StaticArray<u32> = new StaticArray<u32>(64);
  private block: StaticArray<u8> = new StaticArray<u8>(64);
  private filled: i32 = 0;
  private total: u64 = 0;

  constructor() { this.reset(); }

  /** Starts a new message. */
  reset(): void {
    for (let i = 0; i < 8; i++) unchecked(this.h[i] = H0[i]);
    this.filled = 0;
    this.total = 0;
  }

  /** Adds `len` bytes at `ptr`. */
  update(ptr: usize, len: usize): void {
    this.total += <u64>len;
    let i: usize = 0;
    while (i < len) {
      const take = min(<usize>(64 - this.filled), len - i);
      memory.copy(changetype<usize>(this.block) + <usize>this.filled, ptr + i, take);
      this.filled += <i32>take;
      i += take;
      if (this.filled == 64) { this.compress(); this.filled = 0; }
    }
  }

  /** Adds one byte. */
  updateByte(b: u8): void {
    this.total++;
    unchecked(this.block[this.filled] = b);
    this.filled++;
    if (this.filled == 64) { this.compress(); this.filled = 0; }
  }

  /** The 32-byte digest of everything added since `reset`; the hasher must be reset before reuse. */
  digest(): ArrayBuffer {
    const bits = this.total << 3;
    this.updateByte(0x80);
    while (this.filled != 56) this.updateByte(0);
    for (let s = 56; s >= 0; s -= 8) this.updateByte(<u8>(bits >> <u64>s));
    const out = new ArrayBuffer(32);
    const p = changetype<usize>(out);
    for (let i = 0; i < 8; i++) store<u32>(p + (<usize>i << 2), bswap<u32>(unchecked(this.h[i])));
    return out;
  }

  private compress(): void {
    const w = this.w;
    const b = changetype<usize>(this.block);
    for (let t = 0; t < 16; t++) unchecked(w[t] = bswap<u32>(load<u32>(b + (<usize>t << 2))));
    for (let t = 16; t < 64; t++) {
      const x = unchecked(w[t - 15]), y = unchecked(w[t - 2]);
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
      unchecked(w[t] = unchecked(w[t - 16]) + s0 + unchecked(w[t - 7]) + s1);
    }
    const h = this.h;
    let a = unchecked(h[0]), bb = unchecked(h[1]), c = unchecked(h[2]), d = unchecked(h[3]);
    let e = unchecked(h[4]), f = unchecked(h[5]), g = unchecked(h[6]), hh = unchecked(h[7]);
    for (let t = 0; t < 64; t++) {
      const t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + unchecked(K[t]) + unchecked(w[t]);
      const t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c));
      hh = g; g = f; f = e; e = d + t1;
      d = c; c = bb; bb = a; a = t1 + t2;
    }
    unchecked(h[0] = h[0] + a); unchecked(h[1] = h[1] + bb); unchecked(h[2] = h[2] + c); unchecked(h[3] = h[3] + d);
    unchecked(h[4] = h[4] + e); unchecked(h[5] = h[5] + f); unchecked(h[6] = h[6] + g); unchecked(h[7] = h[7] + hh);
  }
}

/** Lower-case hex of `bytes`. Allocates the string. */
export function hexOf(bytes: ArrayBuffer): string {
  const n = bytes.byteLength;
  const p = changetype<usize>(bytes);
  const units = new ArrayBuffer(n << 2);
  const u = changetype<usize>(units);
  for (let i = 0; i < n; i++) {
    const v = <u32>load<u8>(p + <usize>i);
    store<u16>(u + (<usize>i << 2), <u16>hexDigit(v >> 4));
    store<u16>(u + (<usize>i << 2) + 2, <u16>hexDigit(v & 15));
  }
  return String.UTF16.decodeUnsafe(u, <usize>(n << 2));
}

// @ts-ignore: decorator
@inline function hexDigit(n: u32): u32 { return n < 10 ? 0x30 + n : 0x57 + n; }

/** SHA-256 of `len` bytes at `ptr`, as 64 lower-case hex digits. */
export function sha256Hex(ptr: usize, len: usize): string {
  const h = new Sha256();
  h.update(ptr, len);
  return hexOf(h.digest());
}
