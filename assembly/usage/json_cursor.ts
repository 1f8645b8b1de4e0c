// JsonCursor: a small validating reader over a complete JSON document in memory, for the
// request side (the request body is buffered by the filter; responses use the streaming
// UsageScanner). Errors are values: a method returns false and sets `error`/`errorAt`.
// Nesting is followed iteratively (no recursion), up to MAX_DEPTH.

import { findStringSpecial, hexValue, isSimpleEscape, simpleEscapeValue } from "./swar";
import { MAX_DEPTH } from "./scanner";
import { I64_MAX } from "./fields";

export class JsonCursor {
  start: usize;
  end: usize;
  p: usize;
  error: string = "";
  /** Offset of the bad byte when `error` is set. */
  errorAt: i32 = -1;
  /** Content bounds of the last string read (between the quotes, raw). */
  strStart: usize = 0;
  strEnd: usize = 0;
  strEscaped: bool = false;
  /** Last number read: its value if a non-negative integer (x.0 allowed), else -1. */
  num: i64 = -1;
  /**
   * What `skipValue` passed over, for estimating a prompt's tokens: the bytes of its
   * string values (as written, escapes included), its attachments (a string that is the
   * value of a `data` member or starts with `data:`: base64 media, not text), and its
   * numbers (token ids in a `prompt` or `input` list). Keys are not counted.
   */
  textBytes: i64 = 0;
  attachments: i64 = 0;
  numbers: i64 = 0;
  // The member key just read was `data`: its string value is an attachment.
  private dataKey: bool = false;
  private kinds: StaticArray<u32> = new StaticArray<u32>(MAX_DEPTH >> 5);

  constructor(ptr: usize, len: usize) {
    this.start = ptr;
    this.end = ptr + len;
    this.p = ptr;
  }

  fail(why: string): bool {
    if (this.error.length == 0) {
      this.error = why;
      this.errorAt = <i32>(this.p - this.start);
    }
    return false;
  }

  ws(): void {
    let p = this.p;
    const end = this.end;
    while (p < end) {
      const b = load<u8>(p);
      if (b != 0x20 && b != 0x0A && b != 0x0D && b != 0x09) break;
      p++;
    }
    this.p = p;
  }

  /** Next byte after whitespace, or -1 at the end. Does not consume it. */
  peek(): i32 {
    this.ws();
    return this.p < this.end ? <i32>load<u8>(this.p) : -1;
  }

  /** Consumes byte `c` after whitespace, or fails with `why`. */
  expect(c: i32, why: string): bool {
    if (this.peek() != c) return this.fail(why);
    this.p++;
    return true;
  }

  /** Reads a string (cursor at its quote); sets strStart/strEnd/strEscaped. */
  string(): bool {
    if (this.peek() != 0x22) return this.fail("expected a string");
    let p = this.p + 1;
    const end = this.end;
    this.strStart = p;
    this.strEscaped = false;
    while (true) {
      p = findStringSpecial(p, end);
      if (p >= end) { this.p = end; return this.fail("unterminated string"); }
      const b = <i32>load<u8>(p);
      if (b == 0x22) break;
      if (b != 0x5C) { this.p = p; return this.fail("control character in string"); }
      this.strEscaped = true;
      if (p + 1 >= end) { this.p = end; return this.fail("unterminated string"); }
      const e = <i32>load<u8>(p + 1);
      if (isSimpleEscape(e)) { p += 2; continue; }
      if (e != 0x75) { this.p = p + 1; return this.fail("invalid escape"); }
      for (let i: usize = 2; i < 6; i++) {
        if (p + i >= end || hexValue(load<u8>(p + i)) < 0) { this.p = p + i; return this.fail("invalid \\u escape"); }
      }
      p += 6;
    }
    this.strEnd = p;
    this.p = p + 1;
    return true;
  }

  /** True if the last string read equals ASCII `s` (escapes decoded). No allocation. */
  stringIs(s: string): bool {
    const n = s.length;
    if (!this.strEscaped) {
      if (<i32>(this.strEnd - this.strStart) != n) return false;
      for (let i = 0; i < n; i++) {
        if (<i32>load<u8>(this.strStart + <usize>i) != s.charCodeAt(i)) return false;
      }
      return true;
    }
    // Escaped: decode as we compare (ASCII targets only need single-unit escapes).
    let p = this.strStart;
    let i = 0;
    while (p < this.strEnd) {
      let c = <i32>load<u8>(p);
      if (c == 0x5C) {
        const e = <i32>load<u8>(p + 1);
        if (e == 0x75) {
          c = (hexValue(load<u8>(p + 2)) << 12) | (hexValue(load<u8>(p + 3)) << 8) |
            (hexValue(load<u8>(p + 4)) << 4) | hexValue(load<u8>(p + 5));
          p += 6;
        } else {
          c = simpleEscapeValue(e);
          p += 2;
        }
      } else {
        p++;
      }
      if (i >= n || c != s.charCodeAt(i)) return false;
      i++;
    }
    return i == n;
  }

  /**
   * The last string read, decoded (a lone \u surrogate is kept as is). Allocates the result
   * only; linear in the string's length: every piece is written straight into one string
   * sized for the worst case (each input byte yields at most one UTF-16 code unit), which is
   * then shrunk to fit, as String.UTF8.decodeUnsafe itself does.
   */
  decodedString(): string {
    if (!this.strEscaped) return String.UTF8.decodeUnsafe(this.strStart, this.strEnd - this.strStart);
    // Pinned while it is filled: decoding a non-ASCII run allocates, and a collection then
    // must not take the unfinished string, which only this raw address refers to.
    const dst = __pin(__new((this.strEnd - this.strStart) << 1, idof<String>()));
    let q = dst;
    let p = this.strStart;
    let run = p;
    while (p < this.strEnd) {
      if (load<u8>(p) != 0x5C) { p++; continue; }
      if (p > run) q = decodeUtf8Run(run, p, q);
      const e = <i32>load<u8>(p + 1);
      if (e == 0x75) {
        const u = (hexValue(load<u8>(p + 2)) << 12) | (hexValue(load<u8>(p + 3)) << 8) |
          (hexValue(load<u8>(p + 4)) << 4) | hexValue(load<u8>(p + 5));
        store<u16>(q, <u16>u); // pairs of \u escapes join into one code point
        p += 6;
      } else {
        store<u16>(q, <u16>simpleEscapeValue(e));
        p += 2;
      }
      q += 2;
      run = p;
    }
    if (this.strEnd > run) q = decodeUtf8Run(run, this.strEnd, q);
    __unpin(dst);
    return changetype<string>(__renew(dst, q - dst));
  }

  /**
   * Reads a number; sets `num` (see its doc). Python's `json.loads`, which
   * OpenAI-compatible servers parse requests with, also takes `NaN`, `Infinity` and
   * `-Infinity`: so does this, as numbers that are not counts.
   */
  number(): bool {
    this.ws();
    let p = this.p;
    const end = this.end;
    let ok = true;
    let v: i64 = 0;
    if (p < end && load<u8>(p) == 0x2D) { ok = false; p++; }
    if (p < end && (load<u8>(p) == 0x4E || load<u8>(p) == 0x49)) {
      this.p = p;
      if ((ok && this.word("NaN")) || this.word("Infinity")) {
        this.num = -1;
        return true;
      }
      return this.fail("invalid number");
    }
    if (p >= end || <u32>(<i32>load<u8>(p) - 0x30) > 9) { this.p = p; return this.fail("invalid number"); }
    if (load<u8>(p) == 0x30) {
      p++;
    } else {
      while (p < end && <u32>(<i32>load<u8>(p) - 0x30) <= 9) {
        const d = <i64>load<u8>(p) - 0x30;
        v = v > 922337203685477580 || (v == 922337203685477580 && d > 7) ? I64_MAX : v * 10 + d;
        p++;
      }
    }
    if (p < end && load<u8>(p) == 0x2E) {
      p++;
      if (p >= end || <u32>(<i32>load<u8>(p) - 0x30) > 9) { this.p = p; return this.fail("invalid number"); }
      while (p < end && <u32>(<i32>load<u8>(p) - 0x30) <= 9) {
        if (load<u8>(p) != 0x30) ok = false;
        p++;
      }
    }
    if (p < end && (load<u8>(p) | 0x20) == 0x65) {
      ok = false;
      p++;
      if (p < end && (load<u8>(p) == 0x2B || load<u8>(p) == 0x2D)) p++;
      if (p >= end || <u32>(<i32>load<u8>(p) - 0x30) > 9) { this.p = p; return this.fail("invalid number"); }
      while (p < end && <u32>(<i32>load<u8>(p) - 0x30) <= 9) p++;
    }
    this.p = p;
    this.num = ok ? v : -1;
    return true;
  }

  /** Reads `true`, `false` or `null` (cursor at its first byte); returns 1, 0, -1 or -2 on error. */
  literal(): i32 {
    const b = this.peek();
    if (b == 0x74 && this.word("true")) return 1;
    if (b == 0x66 && this.word("false")) return 0;
    if (b == 0x6E && this.word("null")) return -1;
    this.fail("invalid literal");
    return -2;
  }

  private word(w: string): bool {
    const n = w.length;
    if (this.p + <usize>n > this.end) return false;
    for (let i = 0; i < n; i++) {
      if (<i32>load<u8>(this.p + <usize>i) != w.charCodeAt(i)) return false;
    }
    this.p += <usize>n;
    return true;
  }

  /** Skips one value of any kind, validating it. */
  skipValue(): bool {
    let depth = 0;
    this.dataKey = false;
    while (true) {
      // A value is expected here.
      const b = this.peek();
      if (b == 0x7B || b == 0x5B) {
        this.p++;
        const isObj = b == 0x7B;
        this.dataKey = false;
        if (this.peek() == (isObj ? 0x7D : 0x5D)) {
          this.p++;
        } else {
          if (depth >= MAX_DEPTH) return this.fail("nesting too deep");
          const w = depth >> 5;
          const bit = <u32>1 << <u32>(depth & 31);
          unchecked(this.kinds[w] = isObj ? unchecked(this.kinds[w]) | bit : unchecked(this.kinds[w]) & ~bit);
          depth++;
          if (isObj && !this.memberKey()) return false;
          continue;
        }
      } else if (b == 0x22) {
        if (!this.string()) return false;
          this.countString();
      } else if (b == 0x2D || <u32>(b - 0x30) <= 9 || b == 0x4E || b == 0x49) {
        if (!this.number()) return false;
        this.numbers++;
        this.dataKey = false;
      } else if (b == 0x74 || b == 0x66 || b == 0x6E) {
        if (this.literal() == -2) return false;
        this.dataKey = false;
      } else {
        return this.fail(b < 0 ? "unexpected end" : "expected a value");
      }
      // After a value: close containers or move to the next member/element.
      while (depth > 0) {
        const i = depth - 1;
        const isObj = (unchecked(this.kinds[i >> 5]) & (<u32>1 << <u32>(i & 31))) != 0;
        const c = this.peek();
        if (c == 0x2C) {
          this.p++;
          if (isObj && !this.memberKey()) return false;
          break;
        }
        if (c == (isObj ? 0x7D : 0x5D)) {
          this.p++;
          depth--;
          continue;
        }
        return this.fail(isObj ? "expected ',' or '}'" : "expected ',' or ']'");
      }
      if (depth == 0) return true;
    }
    return false;
  }

  // A member key and its colon.
  private memberKey(): bool {
    if (!this.string()) return false;
    this.dataKey = this.stringIs("data");
    return this.expect(0x3A, "expected ':'");
  }

  // Counts the string value just read as text or as an attachment.
  private countString(): void {
    const len = this.strEnd - this.strStart;
    const start = this.strStart;
    const dataUrl = len >= 5 && load<u8>(start) == 0x64 && load<u8>(start + 1) == 0x61 && load<u8>(start + 2) == 0x74 &&
      load<u8>(start + 3) == 0x61 && load<u8>(start + 4) == 0x3A; // "data:"
    if (this.dataKey || dataUrl) this.attachments++;
    else this.textBytes += <i64>len;
    this.dataKey = false;
  }
}

/**
 * Decodes the UTF-8 bytes [p, end) as UTF-16 code units at `q`; returns the address after
 * the last unit written (at most one unit per byte). ASCII is copied as it is; any other
 * run goes through String.UTF8.decodeUnsafe, so invalid UTF-8 reads exactly as it did
 * when the whole string was decoded that way.
 */
function decodeUtf8Run(p: usize, end: usize, q: usize): usize {
  let ascii = true;
  for (let i = p; i < end; i++) {
    if (load<u8>(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    for (let i = p; i < end; i++) {
      store<u16>(q, <u16>load<u8>(i));
      q += 2;
    }
    return q;
  }
  const text = String.UTF8.decodeUnsafe(p, end - p);
  const bytes = <usize>text.length << 1;
  memory.copy(q, changetype<usize>(text), bytes);
  return q + bytes;
}
