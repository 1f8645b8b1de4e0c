// Strict base64url (RFC 4648 §5) as JWS compact serialization uses it (RFC 7515 §2):
// alphabet A-Z a-z 0-9 - _, padding optional. "Strict" means anything else is
// rejected rather than skipped: characters outside the alphabet (including '+', '/',
// whitespace), '=' anywhere but at the end, a wrong amount of padding, a length that
// leaves a single dangling character, and non-zero bits in the last character (so
// every byte string has exactly one accepted encoding).

/** 6-bit value of a base64url character, or -1. */
// @ts-ignore: decorator
@inline function sextet(c: u32): i32 {
  if (c >= 65 && c <= 90) return <i32>(c - 65);        // A-Z
  if (c >= 97 && c <= 122) return <i32>(c - 71);       // a-z -> 26..51
  if (c >= 48 && c <= 57) return <i32>(c + 4);         // 0-9 -> 52..61
  if (c == 45) return 62;                              // '-'
  if (c == 95) return 63;                              // '_'
  return -1;
}

/**
 * Decodes the base64url characters `s[start, end)`. Returns the bytes, or null when the
 * text is not strict base64url. Allocates the result only.
 */
export function decodeBase64Url(s: string, start: i32 = 0, end: i32 = -1): ArrayBuffer | null {
  const len = s.length;
  if (end < 0 || end > len) end = len;
  if (start < 0) start = 0;
  if (start > end) return null;
  const base = changetype<usize>(s);
  // Padding: at most two '=' and only when it completes a 4-character group.
  let stop = end;
  while (stop > start && load<u16>(base + (<usize>(stop - 1) << 1)) == 61) stop--;
  const pad = end - stop;
  if (pad > 2) return null;
  if (pad > 0 && ((end - start) & 3) != 0) return null;
  const n = stop - start;
  const rem = n & 3;
  if (rem == 1) return null;
  if (pad > 0 && pad != (4 - rem) % 4) return null;
  const outLen = (n >> 2) * 3 + (rem == 0 ? 0 : rem - 1);
  const out = new ArrayBuffer(outLen);
  const dst = changetype<usize>(out);
  let o: usize = 0;
  let i = start;
  // Whole groups of four characters -> three bytes.
  const whole = start + (n & ~3);
  while (i < whole) {
    const p = base + (<usize>i << 1);
    const a = sextet(<u32>load<u16>(p));
    const b = sextet(<u32>load<u16>(p + 2));
    const c = sextet(<u32>load<u16>(p + 4));
    const d = sextet(<u32>load<u16>(p + 6));
    if ((a | b | c | d) < 0) return null;
    const v = (<u32>a << 18) | (<u32>b << 12) | (<u32>c << 6) | <u32>d;
    store<u8>(dst + o, <u8>(v >> 16));
    store<u8>(dst + o + 1, <u8>(v >> 8));
    store<u8>(dst + o + 2, <u8>v);
    o += 3;
    i += 4;
  }
  if (rem == 2) {
    const p = base + (<usize>i << 1);
    const a = sextet(<u32>load<u16>(p));
    const b = sextet(<u32>load<u16>(p + 2));
    if ((a | b) < 0 || (b & 0xF) != 0) return null;
    store<u8>(dst + o, <u8>((a << 2) | (b >> 4)));
  } else if (rem == 3) {
    const p = base + (<usize>i << 1);
    const a = sextet(<u32>load<u16>(p));
    const b = sextet(<u32>load<u16>(p + 2));
    const c = sextet(<u32>load<u16>(p + 4));
    if ((a | b | c) < 0 || (c & 0x3) != 0) return null;
    store<u8>(dst + o, <u8>((a << 2) | (b >> 4)));
    store<u8>(dst + o + 1, <u8>(((b & 0xF) << 4) | (c >> 2)));
  }
  return out;
}
