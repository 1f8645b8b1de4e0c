// JSON written straight into one reused byte buffer: for output built on every request
// (the access log's charge), where joining strings and encoding them to UTF-8 would cost
// more than the rest of the request's bookkeeping. Never traps: the buffer grows as needed.

const HEX = "0123456789abcdef";

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

  /** Appends `v` in decimal. */
  int(v: i64): JsonByteWriter {
    this.reserve(20);
    let p = changetype<usize>(this.buf) + <usize>this.len;
    if (v < 0) {
      store<u8>(p++, 0x2d);
      this.len++;
      if (v == i64.MIN_VALUE) return this.ascii("9223372036854775808");
      v = -v;
    }
    let digits = 1;
    for (let t = v; t >= 10; t /= 10) digits++;
    for (let i = digits - 1; i >= 0; i--) {
      store<u8>(p + <usize>i, <u8>(0x30 + <i32>(v % 10)));
      v /= 10;
    }
    this.len += digits;
    return this;
  }

  /**
   * Appends `s` as a JSON string in UTF-8, escaping what JSON requires (and DEL and lone
   * surrogates as \uXXXX, so the bytes are valid UTF-8). With `max` >= 0, a longer `s` is
   * cut after `max` UTF-16 units and ends in `...`.
   */
  string(s: string, max: i32 = -1): JsonByteWriter {
    const cut = max >= 0 && s.length > max;
    const n = cut ? max : s.length;
    this.reserve(2);
    store<u8>(changetype<usize>(this.buf) + <usize>this.len, 0x22);
    this.len++;
    for (let i = 0; i < n; i++) {
      const c = <u32>s.charCodeAt(i);
      if (c == 0x22 || c == 0x5c) this.byte2(0x5c, c);
      else if (c == 0x0a) this.byte2(0x5c, 0x6e);
      else if (c == 0x0d) this.byte2(0x5c, 0x72);
      else if (c == 0x09) this.byte2(0x5c, 0x74);
      else if (c < 0x20 || c == 0x7f) this.escape(c);
      else if (c < 0x80) this.byte1(c);
      else if (c < 0x800) this.byte2(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
      else if (c >= 0xd800 && c <= 0xdbff) {
        const d = i + 1 < n ? <u32>s.charCodeAt(i + 1) : 0;
        if (d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          this.reserve(4);
          const p = changetype<usize>(this.buf) + <usize>this.len;
          store<u8>(p, <u8>(0xf0 | (cp >> 18)));
          store<u8>(p + 1, <u8>(0x80 | ((cp >> 12) & 0x3f)));
          store<u8>(p + 2, <u8>(0x80 | ((cp >> 6) & 0x3f)));
          store<u8>(p + 3, <u8>(0x80 | (cp & 0x3f)));
          this.len += 4;
          i++;
        } else this.escape(c);
      } else if (c >= 0xdc00 && c <= 0xdfff) this.escape(c);
      else {
        this.reserve(3);
        const p = changetype<usize>(this.buf) + <usize>this.len;
        store<u8>(p, <u8>(0xe0 | (c >> 12)));
        store<u8>(p + 1, <u8>(0x80 | ((c >> 6) & 0x3f)));
        store<u8>(p + 2, <u8>(0x80 | (c & 0x3f)));
        this.len += 3;
      }
    }
    if (cut) this.ascii("...");
    return this.ascii("\"");
  }

  /** The bytes written, copied into a new buffer. */
  toBuffer(): ArrayBuffer {
    const out = new ArrayBuffer(this.len);
    memory.copy(changetype<usize>(out), changetype<usize>(this.buf), <usize>this.len);
    return out;
  }

  private byte1(b: u32): void {
    this.reserve(1);
    store<u8>(changetype<usize>(this.buf) + <usize>this.len, <u8>b);
    this.len++;
  }

  private byte2(a: u32, b: u32): void {
    this.reserve(2);
    const p = changetype<usize>(this.buf) + <usize>this.len;
    store<u8>(p, <u8>a);
    store<u8>(p + 1, <u8>b);
    this.len += 2;
  }

  private escape(c: u32): void {
    this.ascii("\\u");
    this.reserve(4);
    const p = changetype<usize>(this.buf) + <usize>this.len;
    store<u8>(p, <u8>HEX.charCodeAt((c >> 12) & 0xf));
    store<u8>(p + 1, <u8>HEX.charCodeAt((c >> 8) & 0xf));
    store<u8>(p + 2, <u8>HEX.charCodeAt((c >> 4) & 0xf));
    store<u8>(p + 3, <u8>HEX.charCodeAt(c & 0xf));
    this.len += 4;
  }

  private reserve(extra: i32): void {
    this.buf = grownTo(this.buf, this.len, this.len + extra);
  }
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
