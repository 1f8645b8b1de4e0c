// Decoding the inside of a JSON string (between its quotes) from UTF-8 bytes into an
// AssemblyScript (UTF-16) string. Invalid UTF-8 and lone surrogate escapes become
// U+FFFD instead of failing, so a body from a sloppy encoder still reads; what RFC 8259
// forbids outright (raw control characters, bad escapes) is an error. In strict mode
// (`strictUnicode`, for identity claims) they are errors too: two claims that differ only
// in their invalid bytes must not both read as the same text and share a counter.

/** Outcome of `decodeJsonString`: the text, or an error and the byte offset it is at. */
export class DecodedString {
  text: string = "";
  error: string = "";
  position: i32 = 0;
}

// Reused output buffer (UTF-16 code units). Each input byte yields at most one code unit,
// so `end - start` units always suffice.
let scratch = new ArrayBuffer(512);

const REPLACEMENT: u16 = 0xfffd;

/** When true, invalid UTF-8 and lone surrogate escapes fail instead of becoming U+FFFD. */
let strictUnicode = false;

/** Sets strict mode for the following decodes (the parser sets and clears it per parse). */
export function setStrictUnicode(strict: bool): void { strictUnicode = strict; }

const NOT_UNICODE = "invalid UTF-8 or lone surrogate in string";

/**
 * Decodes bytes [start, end) at `base` — the content of a string whose closing quote
 * is at `end` — into `out`. Offsets in errors are relative to `base`.
 * Allocates the result string; never traps.
 */
export function decodeJsonString(base: usize, start: i32, end: i32, out: DecodedString): bool {
  const need = (end - start) << 1;
  if (scratch.byteLength < need) {
    let size = scratch.byteLength;
    while (size < need) size <<= 1;
    scratch = new ArrayBuffer(size);
  }
  const dst = changetype<usize>(scratch);
  let n: usize = 0;          // bytes written to dst
  let i = start;
  while (i < end) {
    const c = <u32>load<u8>(base + <usize>i);
    if (c < 0x80) {
      if (c < 0x20) return fail(out, "control character in string (must be escaped)", i);
      if (c != 0x5c) { store<u16>(dst + n, <u16>c); n += 2; i++; continue; }
      // Escape. The caller's scan guarantees a byte follows the backslash inside [start, end).
      if (i + 1 >= end) return fail(out, "invalid escape sequence", i);
      const e = <u32>load<u8>(base + <usize>(i + 1));
      let u: u32 = 0;
      if (e == 0x22) u = 0x22;
      else if (e == 0x5c) u = 0x5c;
      else if (e == 0x2f) u = 0x2f;
      else if (e == 0x62) u = 0x08;
      else if (e == 0x66) u = 0x0c;
      else if (e == 0x6e) u = 0x0a;
      else if (e == 0x72) u = 0x0d;
      else if (e == 0x74) u = 0x09;
      else if (e == 0x75) {
        const hi = hex4(base, i + 2, end);
        if (hi < 0) return fail(out, "invalid \\u escape (expected 4 hex digits)", i);
        i += 6;
        if (hi >= 0xd800 && hi <= 0xdbff) {
          // A high surrogate pairs only with an immediately following \u low surrogate.
          if (i + 1 < end && load<u8>(base + <usize>i) == 0x5c && load<u8>(base + <usize>(i + 1)) == 0x75) {
            const lo = hex4(base, i + 2, end);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              store<u16>(dst + n, <u16>hi); store<u16>(dst + n + 2, <u16>lo); n += 4; i += 6;
              continue;
            }
          }
          if (strictUnicode) return fail(out, NOT_UNICODE, i - 6);
          store<u16>(dst + n, REPLACEMENT); n += 2;
          continue;
        }
        const lone = hi >= 0xdc00 && hi <= 0xdfff;
        if (lone && strictUnicode) return fail(out, NOT_UNICODE, i - 6);
        store<u16>(dst + n, lone ? REPLACEMENT : <u16>hi); n += 2;
        continue;
      } else {
        return fail(out, "invalid escape sequence", i);
      }
      store<u16>(dst + n, <u16>u); n += 2; i += 2;
      continue;
    }
    // Multi-byte UTF-8: decode one well-formed sequence, or replace the maximal
    // ill-formed prefix with one U+FFFD (Unicode's "substitution of maximal subparts").
    let need2 = 0;
    let cp: u32 = 0;
    let lo: u32 = 0x80, hi: u32 = 0xbf;   // allowed range of the first continuation byte
    if (c >= 0xc2 && c <= 0xdf) { need2 = 1; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) {
      need2 = 2; cp = c & 0x0f;
      if (c == 0xe0) lo = 0xa0; else if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need2 = 3; cp = c & 0x07;
      if (c == 0xf0) lo = 0x90; else if (c == 0xf4) hi = 0x8f;
    } else {
      if (strictUnicode) return fail(out, NOT_UNICODE, i);
      store<u16>(dst + n, REPLACEMENT); n += 2; i++;
      continue;
    }
    let j = i + 1;
    let ok = true;
    for (let k = 0; k < need2; k++) {
      if (j >= end) { ok = false; break; }
      const b = <u32>load<u8>(base + <usize>j);
      if (b < lo || b > hi) { ok = false; break; }
      cp = (cp << 6) | (b & 0x3f);
      lo = 0x80; hi = 0xbf;
      j++;
    }
    if (!ok) {
      if (strictUnicode) return fail(out, NOT_UNICODE, i);
      store<u16>(dst + n, REPLACEMENT); n += 2; i = j;
      continue;
    }
    if (cp >= 0x10000) {
      const v = cp - 0x10000;
      store<u16>(dst + n, <u16>(0xd800 | (v >> 10)));
      store<u16>(dst + n + 2, <u16>(0xdc00 | (v & 0x3ff)));
      n += 4;
    } else {
      store<u16>(dst + n, <u16>cp); n += 2;
    }
    i = j;
  }
  out.text = String.UTF16.decodeUnsafe(dst, n);
  out.error = "";
  return true;
}

function fail(out: DecodedString, message: string, position: i32): bool {
  out.error = message;
  out.position = position;
  return false;
}

/** The value of 4 hex digits at [at, at+4) before `end`, or -1. */
function hex4(base: usize, at: i32, end: i32): i32 {
  if (at + 4 > end) return -1;
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const c = <i32>load<u8>(base + <usize>(at + k));
    let d = -1;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    if (d < 0) return -1;
    v = (v << 4) | d;
  }
  return v;
}
