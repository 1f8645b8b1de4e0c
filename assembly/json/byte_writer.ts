// JSON written straight into one reused byte buffer: for output built on every request
// (the access log's charge, the body of a limited reply), where joining strings and encoding them to UTF-8 would cost
// more than the rest of the request's bookkeeping. Never traps: the buffer grows as needed.

import { MAX_DECIMAL_BYTES, writeDecimal } from "./decimal";

const HEX = "0123456789abcdef";
// UTF-16 units `string` writes per reservation.
// @ts-ignore: decorator
@inline const STRING_SLICE_UNITS: i32 = 128;

export class JsonByteWriter {
  private buf: ArrayBuffer = new ArrayBuffer(512);
  private len: i32 = 0;

  /** Empties the writer, keeping its buffer. */
  reset(): JsonByteWriter {
    this.len = 0;
    return this;
  }

  /** Start of the bytes written (valid until the next write). */
  get ptr(): usize { return changetype<usize>(this.buf); }

  /** Number of bytes written. */
  get length(): i32 { return this.len; }

  /** Appends `s`, which holds only ASCII (JSON punctuation and names written by the filter). */
  ascii(s: string): JsonByteWriter {
    const n = s.length;
    this.reserve(n);
    const p = changetype<usize>(this.buf) + <usize>this.len;
    for (let i = 0; i < n; i++) store<u8>(p + <usize>i, <u8>s.charCodeAt(i));
    this.len += n;
    return this;
  }

  /** Appends one byte (ASCII punctuation). */
  byte(b: u32): JsonByteWriter {
    this.reserve(1);
    store<u8>(changetype<usize>(this.buf) + <usize>this.len, <u8>b);
    this.len++;
    return this;
  }

  /**
   * Appends the bytes of `b` as they are: a fragment encoded once (at configure time, or
   * when the module starts), so that a record costs a copy, not an encoding, per request.
   */
  bytes(b: ArrayBuffer): JsonByteWriter {
    const n = b.byteLength;
    this.reserve(n);
    copyFragment(changetype<usize>(this.buf) + <usize>this.len, changetype<usize>(b), <usize>n);
    this.len += n;
    return this;
  }

  /** Appends the `n` bytes at `ptr` (ASCII or UTF-8 written elsewhere: digits, a duration). */
  raw(ptr: usize, n: i32): JsonByteWriter {
    if (n <= 0) return this;
    this.reserve(n);
    copyFragment(changetype<usize>(this.buf) + <usize>this.len, ptr, <usize>n);
    this.len += n;
    return this;
  }

  /** Appends `v` in decimal. Allocates nothing once the buffer holds the digits. */
  int(v: i64): JsonByteWriter {
    this.reserve(MAX_DECIMAL_BYTES);
    this.len += <i32>writeDecimal(changetype<usize>(this.buf) + <usize>this.len, v);
    return this;
  }

  /**
   * Appends `s` as a JSON string in UTF-8, escaping what JSON requires (and DEL and lone
   * surrogates as \uXXXX, so the bytes are valid UTF-8). With `max` >= 0, a longer `s` is
   * cut after `max` UTF-16 units and ends in `...`.
   */
  string(s: string, max: i32 = -1): JsonByteWriter {
    const cut = max >= 0 && s.length > max;
    this.byte(0x22);
    this.escaped(s, cut ? max : s.length);
    this.reserve(4);
    let p = changetype<usize>(this.buf) + <usize>this.len;
    if (cut) {
      store<u16>(p, 0x2e2e); // ..
      store<u8>(p + 2, 0x2e);
      p += 3;
    }
    store<u8>(p, 0x22);
    this.len = <i32>(p + 1 - changetype<usize>(this.buf));
    return this;
  }

  /**
   * Appends `s` escaped as `string` escapes it, without the quotes: a part of a JSON
   * string written in pieces (escaping is per character, so the pieces escape as the whole).
   */
  text(s: string): JsonByteWriter {
    this.escaped(s, s.length);
    return this;
  }

  /** Writes the first `n` UTF-16 units of `s` escaped, in UTF-8. */
  private escaped(s: string, n: i32): void {
    const src = changetype<usize>(s);
    // In slices with room reserved for their worst case (6 bytes a unit: \uXXXX), so the
    // loop writes without checking, and a long string does not reserve 6 bytes a unit at once.
    let i = 0;
    while (i < n) {
      const end = n - i > STRING_SLICE_UNITS ? i + STRING_SLICE_UNITS : n;
      this.reserve((end - i) * 6);
      const start = changetype<usize>(this.buf) + <usize>this.len;
      let p = start;
      while (i < end) {
        const c = <u32>load<u16>(src + (<usize>i << 1));
        i++;
        if (c >= 0x20 && c < 0x7f && c != 0x22 && c != 0x5c) {
          store<u8>(p++, <u8>c);
        } else if (c < 0x80) {
          p = writeEscapedAscii(p, c);
        } else if (c < 0x800) {
          store<u8>(p, <u8>(0xc0 | (c >> 6)));
          store<u8>(p + 1, <u8>(0x80 | (c & 0x3f)));
          p += 2;
        } else if (c >= 0xd800 && c <= 0xdbff) {
          // A pair may straddle two slices: its low half is read past `end` (still before `n`).
          const d = i < n ? <u32>load<u16>(src + (<usize>i << 1)) : 0;
          if (d >= 0xdc00 && d <= 0xdfff) {
            const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            store<u8>(p, <u8>(0xf0 | (cp >> 18)));
            store<u8>(p + 1, <u8>(0x80 | ((cp >> 12) & 0x3f)));
            store<u8>(p + 2, <u8>(0x80 | ((cp >> 6) & 0x3f)));
            store<u8>(p + 3, <u8>(0x80 | (cp & 0x3f)));
            p += 4;
            i++;
          } else p = writeUnicodeEscape(p, c);
        } else if (c >= 0xdc00 && c <= 0xdfff) {
          p = writeUnicodeEscape(p, c);
        } else {
          store<u8>(p, <u8>(0xe0 | (c >> 12)));
          store<u8>(p + 1, <u8>(0x80 | ((c >> 6) & 0x3f)));
          store<u8>(p + 2, <u8>(0x80 | (c & 0x3f)));
          p += 3;
        }
      }
      this.len += <i32>(p - start);
    }
  }

  /** The bytes written, copied into a new buffer. */
  toBuffer(): ArrayBuffer {
    const out = new ArrayBuffer(this.len);
    memory.copy(changetype<usize>(out), changetype<usize>(this.buf), <usize>this.len);
    return out;
  }

  // @ts-ignore: decorator
  @inline private reserve(extra: i32): void {
    const need = this.len + extra;
    if (need > this.buf.byteLength) this.buf = grownTo(this.buf, this.len, need);
  }
}

/**
 * Copies `n` bytes from `src` to `dst` (not overlapping). Fragments are a few dozen bytes,
 * where `memory.copy` costs a call out of the compiled code in V8 and Wasmtime: those are
 * copied in 8-byte words (the last word may overlap the one before).
 */
// @ts-ignore: decorator
@inline function copyFragment(dst: usize, src: usize, n: usize): void {
  if (n < 8) {
    for (let i: usize = 0; i < n; i++) store<u8>(dst + i, load<u8>(src + i));
  } else if (n <= 32) {
    let i: usize = 0;
    for (; i + 8 <= n; i += 8) store<u64>(dst + i, load<u64>(src + i));
    if (i < n) store<u64>(dst + n - 8, load<u64>(src + n - 8));
  } else {
    memory.copy(dst, src, n);
  }
}

/** Writes ASCII `c` (a quote, a backslash or a control character) escaped at `p`; returns the end. */
function writeEscapedAscii(p: usize, c: u32): usize {
  let e: u32 = 0;
  if (c == 0x22 || c == 0x5c) e = c;
  else if (c == 0x0a) e = 0x6e;
  else if (c == 0x0d) e = 0x72;
  else if (c == 0x09) e = 0x74;
  else return writeUnicodeEscape(p, c);
  store<u8>(p, 0x5c);
  store<u8>(p + 1, <u8>e);
  return p + 2;
}

/** Writes `\uXXXX` (6 bytes) for UTF-16 unit `c` at `p`; returns the end. */
function writeUnicodeEscape(p: usize, c: u32): usize {
  store<u8>(p, 0x5c);
  store<u8>(p + 1, 0x75);
  store<u8>(p + 2, <u8>HEX.charCodeAt((c >> 12) & 0xf));
  store<u8>(p + 3, <u8>HEX.charCodeAt((c >> 8) & 0xf));
  store<u8>(p + 4, <u8>HEX.charCodeAt((c >> 4) & 0xf));
  store<u8>(p + 5, <u8>HEX.charCodeAt(c & 0xf));
  return p + 6;
}

/**
 * `buf` when it holds `need` bytes, else a buffer of twice its size (or more) holding its
 * first `used` bytes: the growth of every reused byte builder.
 */
export function grownTo(buf: ArrayBuffer, used: i32, need: i32): ArrayBuffer {
  const cap = buf.byteLength;
  if (need <= cap) return buf;
  let next = cap < 16 ? 16 : cap * 2;
  while (next < need) next *= 2;
  const grown = new ArrayBuffer(next);
  memory.copy(changetype<usize>(grown), changetype<usize>(buf), <usize>used);
  return grown;
}
