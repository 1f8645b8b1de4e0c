// The encodings a request body may arrive in. OpenAI-compatible Python servers parse the
// body's bytes with `json.loads`, which detects UTF-8 (with or without a BOM), UTF-16 and
// UTF-32 from the first bytes (CPython, Lib/json/__init__.py, `detect_encoding`), so a
// body in UTF-16 is a request like any other to them. Request inspection reads such a
// body through UTF-8 and writes a rewrite back in the body's own encoding.
// Lone surrogates pass through (as `json.loads`' "surrogatepass" lets them) as 3-byte
// sequences, so that a transcoded body turns back into exactly the bytes it came from.

export const ENC_UTF8: i32 = 0;
export const ENC_UTF16LE: i32 = 1;
export const ENC_UTF16BE: i32 = 2;
export const ENC_UTF32LE: i32 = 3;
export const ENC_UTF32BE: i32 = 4;

/** An encoding and whether the body starts with its byte order mark. */
export class DetectedEncoding {
  encoding: i32 = ENC_UTF8;
  /** Bytes of byte order mark at the start (0, 2 or 4; a UTF-8 BOM is left to the reader). */
  bomBytes: i32 = 0;
}

/** The encoding of a JSON body [ptr, ptr+len), by `json.loads`' rules. Allocates the result only. */
export function detectEncoding(ptr: usize, len: usize): DetectedEncoding {
  const d = new DetectedEncoding();
  const b0: i32 = len > 0 ? load<u8>(ptr) : -1;
  const b1: i32 = len > 1 ? load<u8>(ptr + 1) : -1;
  const b2: i32 = len > 2 ? load<u8>(ptr + 2) : -1;
  const b3: i32 = len > 3 ? load<u8>(ptr + 3) : -1;
  if (b0 == 0xFF && b1 == 0xFE && b2 == 0 && b3 == 0) { d.encoding = ENC_UTF32LE; d.bomBytes = 4; }
  else if (b0 == 0 && b1 == 0 && b2 == 0xFE && b3 == 0xFF) { d.encoding = ENC_UTF32BE; d.bomBytes = 4; }
  else if (b0 == 0xFF && b1 == 0xFE) { d.encoding = ENC_UTF16LE; d.bomBytes = 2; }
  else if (b0 == 0xFE && b1 == 0xFF) { d.encoding = ENC_UTF16BE; d.bomBytes = 2; }
  else if (len >= 4) {
    if (b0 == 0) d.encoding = b1 != 0 ? ENC_UTF16BE : ENC_UTF32BE;
    else if (b1 == 0) d.encoding = b2 != 0 || b3 != 0 ? ENC_UTF16LE : ENC_UTF32LE;
  } else if (len == 2) {
    if (b0 == 0) d.encoding = ENC_UTF16BE;
    else if (b1 == 0) d.encoding = ENC_UTF16LE;
  }
  return d;
}

function unitBytes(encoding: i32): usize {
  return encoding == ENC_UTF32LE || encoding == ENC_UTF32BE ? 4 : 2;
}

function readUnit(p: usize, encoding: i32): u32 {
  if (encoding == ENC_UTF16LE) return <u32>load<u16>(p);
  if (encoding == ENC_UTF16BE) return (<u32>load<u8>(p) << 8) | <u32>load<u8>(p + 1);
  if (encoding == ENC_UTF32LE) return load<u32>(p);
  return (<u32>load<u8>(p) << 24) | (<u32>load<u8>(p + 1) << 16) | (<u32>load<u8>(p + 2) << 8) | <u32>load<u8>(p + 3);
}

function utf8Length(cp: u32): usize {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

function putUtf8(q: usize, cp: u32): usize {
  if (cp < 0x80) { store<u8>(q, <u8>cp); return q + 1; }
  if (cp < 0x800) {
    store<u8>(q, <u8>(0xC0 | (cp >> 6))); store<u8>(q + 1, <u8>(0x80 | (cp & 0x3F)));
    return q + 2;
  }
  if (cp < 0x10000) {
    store<u8>(q, <u8>(0xE0 | (cp >> 12))); store<u8>(q + 1, <u8>(0x80 | ((cp >> 6) & 0x3F)));
    store<u8>(q + 2, <u8>(0x80 | (cp & 0x3F)));
    return q + 3;
  }
  store<u8>(q, <u8>(0xF0 | (cp >> 18))); store<u8>(q + 1, <u8>(0x80 | ((cp >> 12) & 0x3F)));
  store<u8>(q + 2, <u8>(0x80 | ((cp >> 6) & 0x3F))); store<u8>(q + 3, <u8>(0x80 | (cp & 0x3F)));
  return q + 4;
}

// The code point at [p, end) in `encoding` (a surrogate pair joined), its size in `UNIT`;
// 0xFFFFFFFF when malformed (a truncated unit, or above U+10FFFF).
let UNIT: usize = 0;
function nextCodePoint(p: usize, end: usize, encoding: i32): u32 {
  const w = unitBytes(encoding);
  if (p + w > end) return 0xFFFFFFFF;
  const u = readUnit(p, encoding);
  UNIT = w;
  if (w == 4) return u > 0x10FFFF ? 0xFFFFFFFF : u;
  if (u >= 0xD800 && u < 0xDC00 && p + 4 <= end) {
    const lo = readUnit(p + 2, encoding);
    if (lo >= 0xDC00 && lo < 0xE000) {
      UNIT = 4;
      return 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
    }
  }
  return u;
}

// Where toUtf8 writes: kept and reused, grown to the largest body transcoded (Wasm memory
// never shrinks once grown, so holding the block costs no pages; allocating one per body
// would make the collector's work grow with the body).
let scratch: ArrayBuffer = new ArrayBuffer(0);

/** The buffer the last toUtf8 wrote into (valid until the next call). */
export function utf8Scratch(): ArrayBuffer {
  return scratch;
}

/**
 * Transcodes the body [ptr, ptr+len) in UTF-16 or UTF-32 `encoding`, after `skip` bytes of
 * byte order mark, into UTF-8 at the start of `utf8Scratch()`; returns its length, or -1
 * when the body is malformed. Linear; allocates only to grow the scratch buffer.
 */
export function toUtf8(ptr: usize, len: usize, encoding: i32, skip: usize): i32 {
  const end = ptr + len;
  let n: usize = 0;
  let p = ptr + skip;
  while (p < end) {
    const cp = nextCodePoint(p, end, encoding);
    if (cp == 0xFFFFFFFF) return -1;
    n += utf8Length(cp);
    p += UNIT;
  }
  if (n > 0x40000000) return -1;
  if (<usize>scratch.byteLength < n) {
    let size: usize = 4096;
    while (size < n) size <<= 1;
    scratch = new ArrayBuffer(<i32>size);
  }
  let q = changetype<usize>(scratch);
  p = ptr + skip;
  while (p < end) {
    const cp = nextCodePoint(p, end, encoding);
    q = putUtf8(q, cp);
    p += UNIT;
  }
  return <i32>n;
}

function putUnit(q: usize, u: u32, encoding: i32): usize {
  if (encoding == ENC_UTF16LE) { store<u16>(q, <u16>u); return q + 2; }
  if (encoding == ENC_UTF16BE) { store<u8>(q, <u8>(u >> 8)); store<u8>(q + 1, <u8>u); return q + 2; }
  if (encoding == ENC_UTF32LE) { store<u32>(q, u); return q + 4; }
  store<u8>(q, <u8>(u >> 24)); store<u8>(q + 1, <u8>(u >> 16)); store<u8>(q + 2, <u8>(u >> 8)); store<u8>(q + 3, <u8>u);
  return q + 4;
}

// The code point of the UTF-8 (or 3-byte surrogate) sequence at p, its size in UNIT; the
// input is what toUtf8 wrote plus ASCII insertions, so it is well-formed by construction,
// but a short tail still reads as one byte.
function nextUtf8(p: usize, end: usize): u32 {
  const b = <u32>load<u8>(p);
  let n: usize = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  if (p + n > end) n = 1;
  UNIT = n;
  if (n == 1) return b;
  if (n == 2) return ((b & 0x1F) << 6) | (<u32>load<u8>(p + 1) & 0x3F);
  if (n == 3) return ((b & 0x0F) << 12) | ((<u32>load<u8>(p + 1) & 0x3F) << 6) | (<u32>load<u8>(p + 2) & 0x3F);
  return ((b & 0x07) << 18) | ((<u32>load<u8>(p + 1) & 0x3F) << 12) | ((<u32>load<u8>(p + 2) & 0x3F) << 6) | (<u32>load<u8>(p + 3) & 0x3F);
}

// Units `encoding` takes for the UTF-8 range [p, end).
function encodedLength(p: usize, end: usize, w: usize): usize {
  let n: usize = 0;
  while (p < end) {
    const cp = nextUtf8(p, end);
    n += w == 2 && cp >= 0x10000 ? 4 : w;
    p += UNIT;
  }
  return n;
}

// Writes the UTF-8 range [p, end) in `encoding` at q; returns the address after it.
function encodeRange(p: usize, end: usize, q: usize, encoding: i32, w: usize): usize {
  while (p < end) {
    const cp = nextUtf8(p, end);
    if (w == 2 && cp >= 0x10000) {
      q = putUnit(q, 0xD800 + ((cp - 0x10000) >> 10), encoding);
      q = putUnit(q, 0xDC00 + ((cp - 0x10000) & 0x3FF), encoding);
    } else {
      q = putUnit(q, cp, encoding);
    }
    p += UNIT;
  }
  return q;
}

/**
 * A UTF-8 body (as toUtf8 writes it) spliced and written back in `encoding`: the `bom`
 * bytes at `bomPtr`, then text[0, from), the UTF-8 `insert` (ASCII), text[to, len).
 * Linear; allocates the result only.
 */
export function fromUtf8Spliced(text: usize, len: usize, from: usize, to: usize, insert: ArrayBuffer,
  encoding: i32, bomPtr: usize, bom: usize): ArrayBuffer {
  const w = unitBytes(encoding);
  const ins = changetype<usize>(insert);
  const insEnd = ins + <usize>insert.byteLength;
  const n = bom + encodedLength(text, text + from, w) + encodedLength(ins, insEnd, w) + encodedLength(text + to, text + len, w);
  const out = new ArrayBuffer(<i32>n);
  let q = changetype<usize>(out);
  memory.copy(q, bomPtr, bom);
  q += bom;
  q = encodeRange(text, text + from, q, encoding, w);
  q = encodeRange(ins, insEnd, q, encoding, w);
  encodeRange(text + to, text + len, q, encoding, w);
  return out;
}
