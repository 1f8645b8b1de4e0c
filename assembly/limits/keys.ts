// Counter keys: the shared-data key of one counter, built from (limit name, rate index,
// counter values). The window is deliberately not part of the key: a counter keeps one
// key for the life of the proxy and the stored value says which window it counts, so the
// number of keys is bounded by the number of distinct counters, not by elapsed time.
//
// Layout (bytes):   prefix  part(limitName)  '|' decimal(rateIndex)  ( '|' part(value) )*
// part(s):          the UTF-8 bytes of s with every byte in { 0x00-0x1f, '#', '\', '|', 0x7f }
//                   written as '\' + two lower-case hex digits ('|' -> "\7c"); other bytes,
//                   including non-ASCII UTF-8, are copied as they are. A lone UTF-16
//                   surrogate is written as the three bytes of its generalized UTF-8 form,
//                   each escaped ("\ed\a0\80"), so it never meets U+FFFD.
// Values are key texts (counter_value.ts): at most MAX_KEY_TEXT_BYTES bytes, or a digest,
// so a part is at most three times that. Parts are always written in full: unescaped '|'
// only ever separates parts, so two different (name, index, values) tuples never share a
// key.
import { grownTo } from "../json/byte_writer";

const OVERFLOW_TAIL = String.UTF8.encode("overflow");

/** Byte separating the parts of a key. */
export const KEY_SEPARATOR: u8 = 0x7c; // '|'

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
  // Escaped length of the part being measured (scanPart); i64 so no string length can wrap it.
  private escapedLen: i64 = 0;

  /** `prefix` is copied in front of every key (e.g. "tokenlimit/v1/" + plugin name). */
  constructor(prefix: string) {
    this.prefix = String.UTF8.encode(prefix);
  }

  /** The key of counter (limitName, rateIndex, values). Null elements count as "". Never traps. */
  build(limitName: string, rateIndex: i32, values: string[]): ArrayBuffer {
    this.compose(limitName, rateIndex, values);
    return this.take();
  }

  /**
   * Writes the key of counter (limitName, rateIndex, values) into the scratch buffer
   * without copying it out: it is at `composedPtr()`, `composedLength()` bytes long, until
   * the next call; `take()` copies it. Allocates nothing once the buffer has grown.
   */
  compose(limitName: string, rateIndex: i32, values: string[]): void {
    this.head(limitName, rateIndex);
    const n = changetype<usize>(values) == 0 ? 0 : values.length;
    for (let i = 0; i < n; i++) {
      this.byte(KEY_SEPARATOR);
      this.part(unchecked(values[i]));
    }
  }

  /** Where the key last composed starts (valid until the next call). */
  composedPtr(): usize { return changetype<usize>(this.buf); }
  /** The length of the key last composed. */
  composedLength(): i32 { return this.len; }
  /** A copy of the key last composed. */
  take(): ArrayBuffer { return this.buf.slice(0, this.len); }

  /**
   * The key of (limitName, rateIndex) with no values followed by `|#` and the decimal
   * `slot`, or by `|#overflow` when `overflow`: the slot keys of limits/slots.ts, written
   * in one pass. Allocates only the returned key.
   */
  buildSlot(limitName: string, rateIndex: i32, slot: i32, overflow: bool = false): ArrayBuffer {
    this.head(limitName, rateIndex);
    this.byte(KEY_SEPARATOR);
    this.byte(0x23); // '#'
    if (!overflow) {
      this.decimal(<i64>slot);
    } else {
      const tail = OVERFLOW_TAIL;
      const n = tail.byteLength;
      this.ensure(n);
      memory.copy(changetype<usize>(this.buf) + <usize>this.len, changetype<usize>(tail), <usize>n);
      this.len += n;
    }
    return this.buf.slice(0, this.len);
  }

  /** Starts a key in the scratch buffer: prefix, part(limitName), '|', decimal(rateIndex). */
  private head(limitName: string, rateIndex: i32): void {
    this.len = 0;
    const pre = this.prefix;
    this.ensure(pre.byteLength);
    memory.copy(changetype<usize>(this.buf) + <usize>this.len, changetype<usize>(pre), <usize>pre.byteLength);
    this.len += pre.byteLength;
    this.part(limitName);
    this.byte(KEY_SEPARATOR);
    this.decimal(<i64>rateIndex);
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
    this.ensure(<i32>min<i64>(this.escapedLen, <i64>i32.MAX_VALUE >> 1));
    this.scanPart(s, true);
  }

  /** Walks the UTF-8 bytes of `s`: measures the escaped length, or writes the escaped bytes. */
  private scanPart(s: string, write: bool): void {
    this.escapedLen = 0;
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
        let cp: u32 = 0;
        if (c < 0xdc00 && i + 1 < n) {
          const d = <u32>load<u16>(p + (<usize>(i + 1) << 1));
          if (d >= 0xdc00 && d < 0xe000) {
            cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
          }
        }
        if (cp == 0) {
          // A lone surrogate: its generalized UTF-8 bytes, all escaped (never valid UTF-8 as is).
          this.escaped(0xe0 | (c >> 12), write);
          this.escaped(0x80 | ((c >> 6) & 0x3f), write);
          this.escaped(0x80 | (c & 0x3f), write);
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

  /** Byte `b` written as `\xx` whatever it is. */
  private escaped(b: u32, write: bool): void {
    if (write) {
      const at = changetype<usize>(this.buf) + <usize>this.len;
      store<u8>(at, 0x5c);
      store<u8>(at + 1, hexDigit(b >> 4));
      store<u8>(at + 2, hexDigit(b & 0xf));
      this.len += 3;
    } else {
      this.escapedLen += 3;
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
    this.buf = grownTo(this.buf, this.len, this.len + extra);
  }
}

/** A key as text for logs and tests: keys are valid UTF-8 (lone surrogates and control bytes are escaped). */
export function describeKey(key: ArrayBuffer): string {
  return String.UTF8.decode(key);
}
