// Byte search helpers for the usage scanners. SWAR ("SIMD within a register"): a u64 load
// holds eight bytes and a few integer operations flag every byte of interest at once.
// This is where the scanners spend their time (string contents are most of an LLM
// response), so these are small, @inline and allocation-free.
//
// Flagging a byte equal to c: x = w ^ (c * LO) has a zero byte exactly where w has c, and
// (x - LO) & ~x & HI sets the high bit of the lowest zero byte of x. Bytes above the first
// hit may be flagged falsely (the borrow), so only the lowest set bit is meaningful, which
// is all a "find the first" needs: ctz(mask) >> 3 is the offset of the first hit.

// @ts-ignore: decorator
@inline const LO: u64 = 0x0101010101010101;
// @ts-ignore: decorator
@inline const HI: u64 = 0x8080808080808080;
// @ts-ignore: decorator
@inline const QUOTES: u64 = 0x2222222222222222;
// @ts-ignore: decorator
@inline const BACKSLASHES: u64 = 0x5C5C5C5C5C5C5C5C;
// @ts-ignore: decorator
@inline const SPACES: u64 = 0x2020202020202020;
// @ts-ignore: decorator
@inline const LFS: u64 = 0x0A0A0A0A0A0A0A0A;
// @ts-ignore: decorator
@inline const CRS: u64 = 0x0D0D0D0D0D0D0D0D;

/**
 * Address of the first byte in [p, end) that ends a run of plain JSON string content:
 * a quote, a backslash or a control character (< 0x20); `end` if there is none.
 * Reads only inside [p, end). No allocation.
 */
// @ts-ignore: decorator
@inline export function findStringSpecial(p: usize, end: usize): usize {
  while (p + 8 <= end) {
    const w = load<u64>(p);
    const q = w ^ QUOTES;
    const s = w ^ BACKSLASHES;
    // The high bit of ~w equals that of ~q and ~s (0x22, 0x5C and 0x20 are below 0x80),
    // so one `& ~w` serves the three tests; bytes >= 0x80 (UTF-8) are never flagged.
    const m = ((q - LO) | (s - LO) | (w - SPACES)) & ~w & HI;
    if (m != 0) return p + <usize>(ctz(m) >> 3);
    p += 8;
  }
  while (p < end) {
    const b = load<u8>(p);
    if (b == 0x22 || b == 0x5C || b < 0x20) return p;
    p++;
  }
  return end;
}

/**
 * Address of the first line feed or carriage return in [p, end); `end` if there is none.
 * Reads only inside [p, end). No allocation.
 */
// @ts-ignore: decorator
@inline export function findEol(p: usize, end: usize): usize {
  while (p + 8 <= end) {
    const w = load<u64>(p);
    const a = w ^ LFS;
    const c = w ^ CRS;
    const m = ((a - LO) | (c - LO)) & ~w & HI;
    if (m != 0) return p + <usize>(ctz(m) >> 3);
    p += 8;
  }
  while (p < end) {
    const b = load<u8>(p);
    if (b == 0x0A || b == 0x0D) return p;
    p++;
  }
  return end;
}

/** Value of an ASCII hex digit, or -1. */
// @ts-ignore: decorator
@inline export function hexValue(b: i32): i32 {
  if (<u32>(b - 0x30) < 10) return b - 0x30;
  const l = b | 0x20;
  if (<u32>(l - 0x61) < 6) return l - 0x61 + 10;
  return -1;
}

/** True for the characters that may follow a backslash in JSON, other than `u`. */
// @ts-ignore: decorator
@inline export function isSimpleEscape(b: i32): bool {
  return b == 0x22 || b == 0x5C || b == 0x2F || b == 0x62 || b == 0x66 || b == 0x6E || b == 0x72 || b == 0x74;
}

/** The byte a simple escape stands for (`n` -> LF ...); the byte itself for `"`, `\`, `/`. */
export function simpleEscapeValue(b: i32): i32 {
  switch (b) {
    case 0x62: return 0x08;
    case 0x66: return 0x0C;
    case 0x6E: return 0x0A;
    case 0x72: return 0x0D;
    case 0x74: return 0x09;
    default: return b;
  }
}

/** True if the four bytes at p are hex digits. The caller guarantees p + 4 is in bounds. */
// @ts-ignore: decorator
@inline export function isHex4(p: usize): bool {
  return hexValue(load<u8>(p)) >= 0 && hexValue(load<u8>(p + 1)) >= 0 &&
    hexValue(load<u8>(p + 2)) >= 0 && hexValue(load<u8>(p + 3)) >= 0;
}

/** True for JSON whitespace: space, tab, LF, CR. */
// @ts-ignore: decorator
@inline export function isJsonSpace(b: i32): bool {
  return b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09;
}
