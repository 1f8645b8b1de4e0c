// Counter keys: the shared-data key of one counter, built from (limit name, rate index,
// counter values). The window is deliberately not part of the key: a counter keeps one
// key for the life of the proxy and the stored value says which window it counts, so the
// number of keys is bounded by the number of distinct counters, not by elapsed time.
//
// Layout (bytes):   prefix  part(limitName)  '|' decimal(rateIndex)  ( '|' part(value) )*
// part(s):          the UTF-8 bytes of s with every byte in { 0x00-0x1f, '#', '\', '|', 0x7f }
//                   written as '\' + two lower-case hex digits ('|' -> "\7c"); other bytes,
//                   including non-ASCII UTF-8, are copied as they are.
//                   If that escaped form is longer than MAX_PART_BYTES, the part is instead
//                   '#' + 16 hex digits of FNV-1a 64 over the raw UTF-8 bytes + '.' + the raw
//                   byte length in decimal.
// Unescaped '|' only ever separates parts and a literal part never starts with '#', so two
// different (name, index, values) tuples give different keys, except when two long parts
// (> MAX_PART_BYTES escaped) of equal length share a 64-bit FNV-1a hash: the two counters
// are then merged. By chance that is ~n^2/2^65 for n distinct long values; FNV-1a is not
// collision resistant, so a caller who can choose a long counter value freely could craft
// one that shares another long value's counter (see README.md).
// Lone UTF-16 surrogates are written as U+FFFD, the way a UTF-8 header would carry them.

/** Byte separating the parts of a key. */
export const KEY_SEPARATOR: u8 = 0x7c; // '|'
/** A part whose escaped form is longer than this is replaced by its hash. */
export const MAX_PART_BYTES: i32 = 128;

const FNV64_OFFSET: u64 = 0xcbf29ce484222325;
const FNV64_PRIME: u64 = 0x100000001b3;

/** Whether byte `b` of a part is written as `\xx`. */
// @ts-ignore: decorator
@inline function needsEscape(b: u32): bool {
  return b < 0x20 || b == 0x7f || b == 0x7c || b == 0x5c || b == 0x23;
}

// @ts-ignore: decorator
@inline function hexDigit(n: u32): u8 {
  return <u8>(n < 10 ? 0x30 + n : 0x57 + n);
}

/**
 * Builds counter keys into a reused scratch buffer; one instance per limiter.
 * `build` allocates only the returned key (and grows the scratch buffer on first use).
 */
export class CounterKeyBuilder {
  private buf: ArrayBuffer = new ArrayBuffer(256);
  private len: i32 = 0;
  private prefix: ArrayBuffer;
  // Per-part scan state (filled by scanPart); i64 so no string length can wrap them.
  private escapedLen: i64 = 0;
  private rawLen: i64 = 0;
  private hash: u64 = 0;

  /** `prefix` is copied in front of every key (e.g. "tokenlimit/v1/" + plugin name). */
  constructor(prefix: string) {
    this.prefix = String.UTF8.encode(prefix);
  }

  /** The key of counter (limitName, rateIndex, values). Null elements count as "". Never traps. */
  build(limitName: string, rateIndex: i32, values: string[]): ArrayBuffer {
    this.len = 0;
    const pre = this.prefix;
    this.ensure(pre.byteLength);
    memory.copy(changetype<usize>(this.buf) + <usize>this.len, changetype<usize>(pre), <usize>pre.byteLength);
    this.len += pre.byteLength;
    this.part(limitName);
    this.byte(KEY_SEPARATOR);
    this.decimal(<i64>rateIndex);
    const n = changetype<usize>(values) == 0 ? 0 : values.length;
    for (let i = 0; i < n; i++) {
      this.byte(KEY_SEPARATOR);
      this.part(unchecked(values[i]));
    }
    return this.buf.slice(0, this.len);
  }

  /**
   * The bytes a key carries for counter value `s` (escaped, or hashed when long): what a
   * rate-limit service is sent for that value, so both backends tell the same callers apart.
   */
  valueBytes(s: string): ArrayBuffer {
    this.len = 0;
    this.part(s);
    return this.buf.slice(0, this.len);
  }

  private part(s: string): void {
    if (changetype<usize>(s) == 0) return;
    this.scanPart(s, false);
    if (this.escapedLen <= <i64>MAX_PART_BYTES) {
      this.ensure(<i32>this.escapedLen);
      this.scanPart(s, true);
      return;
    }
    this.byte(0x23); // '#'
    const h = this.hash;
    for (let shift: i32 = 60; shift >= 0; shift -= 4) this.byte(hexDigit(<u32>((h >> <u64>shift) & 0xf)));
    this.byte(0x2e); // '.'
    this.decimal(this.rawLen);
  }

  /** Walks the UTF-8 bytes of `s`: measures the escaped length and hash, or writes the escaped bytes. */
  private scanPart(s: string, write: bool): void {
    this.escapedLen = 0;
    this.rawLen = 0;
    this.hash = FNV64_OFFSET;
    const p = changetype<usize>(s);
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = <u32>load<u16>(p + (<usize>i << 1));
      if (c < 0x80) {
        this.visit(c, write);
      } else if (c < 0x800) {
        this.visit(0xc0 | (c >> 6), write);
        this.visit(0x80 | (c & 0x3f), write);
      } else if (c >= 0xd800 && c < 0xe000) {
        let cp: u32 = 0xfffd;
        if (c < 0xdc00 && i + 1 < n) {
          const d = <u32>load<u16>(p + (<usize>(i + 1) << 1));
          if (d >= 0xdc00 && d < 0xe000) {
            cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
          }
        }
        if (cp == 0xfffd) {
          this.visit(0xef, write); this.visit(0xbf, write); this.visit(0xbd, write);
        } else {
          this.visit(0xf0 | (cp >> 18), write);
          this.visit(0x80 | ((cp >> 12) & 0x3f), write);
          this.visit(0x80 | ((cp >> 6) & 0x3f), write);
          this.visit(0x80 | (cp & 0x3f), write);
        }
      } else {
        this.visit(0xe0 | (c >> 12), write);
        this.visit(0x80 | ((c >> 6) & 0x3f), write);
        this.visit(0x80 | (c & 0x3f), write);
      }
    }
  }

  // @ts-ignore: decorator
  @inline private visit(b: u32, write: bool): void {
    if (write) {
      // Capacity was ensured for the whole escaped part before writing.
      const at = changetype<usize>(this.buf) + <usize>this.len;
      if (needsEscape(b)) {
        store<u8>(at, 0x5c);
        store<u8>(at + 1, hexDigit(b >> 4));
        store<u8>(at + 2, hexDigit(b & 0xf));
        this.len += 3;
      } else {
        store<u8>(at, <u8>b);
        this.len += 1;
      }
    } else {
      this.rawLen++;
      this.hash = (this.hash ^ <u64>b) * FNV64_PRIME;
      this.escapedLen += needsEscape(b) ? 3 : 1;
    }
  }

  private byte(b: u8): void {
    this.ensure(1);
    store<u8>(changetype<usize>(this.buf) + <usize>this.len, b);
    this.len++;
  }

  private decimal(v: i64): void {
    if (v < 0) {
      this.byte(0x2d); // '-'
      // i64.MIN_VALUE has no positive counterpart; it cannot be a rate index (i32) anyway.
      v = v == i64.MIN_VALUE ? i64.MAX_VALUE : -v;
    }
    let div: i64 = 1;
    while (v / div >= 10) div *= 10;
    while (div > 0) {
      this.byte(<u8>(0x30 + (v / div) % 10));
      div /= 10;
    }
  }

  private ensure(extra: i32): void {
    const need = this.len + extra;
    const cap = this.buf.byteLength;
    if (need <= cap) return;
    let next = cap * 2;
    while (next < need) next *= 2;
    const grown = new ArrayBuffer(next);
    memory.copy(changetype<usize>(grown), changetype<usize>(this.buf), <usize>this.len);
    this.buf = grown;
  }
}

/** A key as text for logs and tests: keys are valid UTF-8 and control bytes are escaped. */
export function describeKey(key: ArrayBuffer): string {
  return String.UTF8.decode(key);
}
