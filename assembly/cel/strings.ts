// String functions of CEL and of its strings extension. CEL indexes strings by code
// point while AssemblyScript strings are UTF-16, so indexes are converted here; the
// common ASCII/BMP case is detected once per call and needs no conversion. Errors are
// Values with the messages cel-go uses; nothing traps.

import { Value, Kind } from "./value";
import { MAX_STRING_LENGTH, MAX_COLLECTION_SIZE } from "./limits";
import { charge, chargeElements, budgetError } from "./budget";

@inline function unitAt(s: string, i: i32): u32 {
  return <u32>load<u16>(changetype<usize>(s) + (<usize>i << 1));
}
@inline function isHigh(u: u32): bool { return u - 0xd800 < 0x400; }
@inline function isLow(u: u32): bool { return u - 0xdc00 < 0x400; }

/** String equality without a call into the runtime (hot paths). */
@inline export function strEq(a: string, b: string): bool {
  const pa = changetype<usize>(a), pb = changetype<usize>(b);
  if (pa == pb) return true;
  const la = load<u32>(pa - 4); // byte length from the object header
  if (la != load<u32>(pb - 4)) return false;
  return memory.compare(pa, pb, <usize>la) == 0;
}

/** True when every code point of `s` is one UTF-16 unit (no surrogate pairs). */
export function isSingleUnit(s: string): bool {
  for (let i = 0, n = s.length; i < n; i++) {
    if (unitAt(s, i) - 0xd800 < 0x800) return false;
  }
  return true;
}

/** Number of code points in `s` (a lone surrogate counts as one). */
export function codePointLength(s: string): i32 {
  const n = s.length;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (isHigh(unitAt(s, i)) && i + 1 < n && isLow(unitAt(s, i + 1))) i++;
    count++;
  }
  return count;
}

/** UTF-16 offset of code point index `cp` (clamped to the end of the string). */
export function unitOffset(s: string, cp: i32): i32 {
  const n = s.length;
  let i = 0;
  while (cp > 0 && i < n) {
    if (isHigh(unitAt(s, i)) && i + 1 < n && isLow(unitAt(s, i + 1))) i += 2;
    else i++;
    cp--;
  }
  return i;
}

/** Code point index of UTF-16 offset `u`. */
export function codePointIndex(s: string, u: i32): i32 {
  let cp = 0;
  let i = 0;
  while (i < u) {
    if (isHigh(unitAt(s, i)) && i + 1 < u && isLow(unitAt(s, i + 1))) i += 2;
    else i++;
    cp++;
  }
  return cp;
}

export function indexOutOfRange(i: i64): Value { return Value.error("index out of range: " + i.toString()); }

/** `s.charAt(i)`: the code point at `i`, or "" at the end. */
export function charAt(s: string, i: i64): Value {
  const len = codePointLength(s);
  if (i < 0 || i > <i64>len) return indexOutOfRange(i);
  if (i == <i64>len) return Value.string("");
  const u = unitOffset(s, <i32>i);
  const w = isHigh(unitAt(s, u)) && u + 1 < s.length && isLow(unitAt(s, u + 1)) ? 2 : 1;
  return Value.string(s.substring(u, u + w));
}

/** `s.indexOf(sub, from)` in code points, -1 when absent. */
export function indexOf(s: string, sub: string, from: i64): Value {
  const single = isSingleUnit(s);
  const len = single ? s.length : codePointLength(s);
  if (from < 0 || from > <i64>len) return indexOutOfRange(from);
  if (sub.length == 0) return Value.int(from);
  const start = single ? <i32>from : unitOffset(s, <i32>from);
  const r = s.indexOf(sub, start);
  if (r < 0) return Value.int(-1);
  return Value.int(single ? r : codePointIndex(s, r));
}

/** `s.lastIndexOf(sub, from)`: last match starting at or before `from`. */
export function lastIndexOf(s: string, sub: string, from: i64, hasFrom: bool): Value {
  const single = isSingleUnit(s);
  const len = single ? s.length : codePointLength(s);
  if (!hasFrom) from = len;
  if (from < 0 || from > <i64>len) return indexOutOfRange(from);
  if (sub.length == 0) return Value.int(from);
  const start = single ? <i32>from : unitOffset(s, <i32>from);
  const r = s.lastIndexOf(sub, start);
  if (r < 0) return Value.int(-1);
  return Value.int(single ? r : codePointIndex(s, r));
}

/** `s.substring(start, end)` in code points. */
export function substring(s: string, start: i64, end: i64, hasEnd: bool): Value {
  const single = isSingleUnit(s);
  const len = single ? s.length : codePointLength(s);
  if (!hasEnd) end = len;
  if (start < 0 || start > <i64>len) return indexOutOfRange(start);
  if (end < 0 || end > <i64>len) return indexOutOfRange(end);
  if (start > end) return Value.error("invalid substring range. start: " + start.toString() + ", end: " + end.toString());
  if (single) return Value.string(s.substring(<i32>start, <i32>end));
  const us = unitOffset(s, <i32>start);
  const ue = unitOffset(s, <i32>end);
  return Value.string(s.substring(us, ue));
}

/** ASCII-only case mapping; other characters are kept. */
export function asciiCase(s: string, upper: bool): string {
  const n = s.length;
  let i = 0;
  // Find the first character that changes; most inputs need no copy.
  for (; i < n; i++) {
    const c = unitAt(s, i);
    if (upper ? (c - 0x61 < 26) : (c - 0x41 < 26)) break;
  }
  if (i == n) return s;
  const out = changetype<string>(__new(<usize>n << 1, idof<string>()));
  const src = changetype<usize>(s), dst = changetype<usize>(out);
  memory.copy(dst, src, <usize>n << 1);
  for (; i < n; i++) {
    const c = unitAt(s, i);
    if (upper) { if (c - 0x61 < 26) store<u16>(dst + (<usize>i << 1), <u16>(c - 32)); }
    else if (c - 0x41 < 26) store<u16>(dst + (<usize>i << 1), <u16>(c + 32));
  }
  return out;
}

/** Unicode White_Space as Go's unicode.IsSpace (what cel-go's trim uses). */
export function isSpaceCode(c: u32): bool {
  if (c <= 0xff) return c == 0x20 || (c >= 0x09 && c <= 0x0d) || c == 0x85 || c == 0xa0;
  return c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
    c == 0x202f || c == 0x205f || c == 0x3000;
}

/** Removes leading and trailing Unicode whitespace (all such characters are BMP). */
export function trim(s: string): string {
  let a = 0, b = s.length;
  while (a < b && isSpaceCode(unitAt(s, a))) a++;
  while (b > a && isSpaceCode(unitAt(s, b - 1))) b--;
  if (a == 0 && b == s.length) return s;
  return s.substring(a, b);
}

/** `s.replace(old, new, n)`: n < 0 replaces all. */
export function replace(s: string, old: string, rep: string, n: i64): Value {
  if (n == 0) return Value.string(s);
  const parts = new Array<string>();
  let count: i64 = 0;
  let i = 0;
  let total: i64 = 0;
  const sl = s.length;
  if (old.length == 0) {
    // Go semantics: insert `rep` before every code point and at the end.
    let u = 0;
    while ((n < 0 || count < n) && u <= sl) {
      parts.push(rep);
      count++;
      if (u == sl) { u++; break; }
      const w = isHigh(unitAt(s, u)) && u + 1 < sl && isLow(unitAt(s, u + 1)) ? 2 : 1;
      parts.push(s.substring(u, u + w));
      u += w;
      total += <i64>rep.length + w;
      if (total > <i64>MAX_STRING_LENGTH) return Value.error("string too long");
      if (!charge(<i64>rep.length + w)) return budgetError();
    }
    if (u < sl) parts.push(s.substring(u));
    return Value.string(parts.join(""));
  }
  while (n < 0 || count < n) {
    const j = s.indexOf(old, i);
    if (j < 0) break;
    parts.push(s.substring(i, j));
    parts.push(rep);
    total += <i64>(j - i) + rep.length;
    if (total > <i64>MAX_STRING_LENGTH) return Value.error("string too long");
    if (!charge(<i64>(j - i) + rep.length)) return budgetError();
    i = j + old.length;
    count++;
  }
  if (count == 0) return Value.string(s);
  parts.push(s.substring(i));
  return Value.string(parts.join(""));
}

/** `s.split(sep, n)`: n < 0 splits all, n == 0 gives [], n == 1 gives [s]. */
export function split(s: string, sep: string, n: i64): Value {
  const out = new Array<Value>();
  if (!charge(s.length)) return budgetError();
  if (n == 0) return Value.list(out);
  if (n == 1) { out.push(Value.string(s)); return Value.list(out); }
  const sl = s.length;
  if (sep.length == 0) {
    let u = 0;
    while (u < sl) {
      if (n > 0 && <i64>out.length == n - 1) { out.push(Value.string(s.substring(u))); return Value.list(out); }
      const w = isHigh(unitAt(s, u)) && u + 1 < sl && isLow(unitAt(s, u + 1)) ? 2 : 1;
      out.push(Value.string(s.substring(u, u + w)));
      u += w;
      if (out.length > MAX_COLLECTION_SIZE) return Value.error("list too long");
      if (!chargeElements(1)) return budgetError();
    }
    return Value.list(out);
  }
  let i = 0;
  while (n < 0 || <i64>out.length < n - 1) {
    const j = s.indexOf(sep, i);
    if (j < 0) break;
    out.push(Value.string(s.substring(i, j)));
    i = j + sep.length;
    if (out.length > MAX_COLLECTION_SIZE) return Value.error("list too long");
    if (!chargeElements(1)) return budgetError();
  }
  out.push(Value.string(i == 0 ? s : s.substring(i)));
  return Value.list(out);
}

/** `list.join(sep)`: every element must be a string. */
export function join(list: Array<Value>, sep: string): Value {
  const n = list.length;
  let total: i64 = 0;
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const v = unchecked(list[i]);
    if (v.kind != Kind.String) return Value.error("join: list element " + i.toString() + " is not a string");
    unchecked(parts[i] = v.str);
    total += <i64>v.str.length + sep.length;
    if (total > <i64>MAX_STRING_LENGTH) return Value.error("string too long");
    if (!charge(<i64>v.str.length + sep.length)) return budgetError();
  }
  return Value.string(parts.join(sep));
}

/** Reverses by code point. */
export function reverse(s: string): string {
  const n = s.length;
  if (n < 2) return s;
  const out = changetype<string>(__new(<usize>n << 1, idof<string>()));
  const dst = changetype<usize>(out);
  let i = 0;
  while (i < n) {
    const c = unitAt(s, i);
    if (isHigh(c) && i + 1 < n && isLow(unitAt(s, i + 1))) {
      store<u16>(dst + (<usize>(n - i - 2) << 1), <u16>c);
      store<u16>(dst + (<usize>(n - i - 1) << 1), <u16>unitAt(s, i + 1));
      i += 2;
    } else {
      store<u16>(dst + (<usize>(n - i - 1) << 1), <u16>c);
      i++;
    }
  }
  return out;
}

/** Decodes UTF-8 bytes strictly; null when they are not valid UTF-8. */
export function decodeUtf8Strict(b: ArrayBuffer): string | null {
  const p = changetype<usize>(b);
  const n = b.byteLength;
  let i = 0;
  while (i < n) {
    const c = <u32>load<u8>(p + <usize>i);
    if (c < 0x80) { i++; continue; }
    let need = 0;
    let min: u32 = 0;
    let cp: u32 = 0;
    if ((c & 0xe0) == 0xc0) { need = 1; min = 0x80; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { need = 2; min = 0x800; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { need = 3; min = 0x10000; cp = c & 0x07; }
    else return null;
    if (i + need >= n) return null; // truncated sequence
    for (let k = 1; k <= need; k++) {
      const cc = <u32>load<u8>(p + <usize>(i + k));
      if ((cc & 0xc0) != 0x80) return null;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
    i += need + 1;
  }
  return String.UTF8.decodeUnsafe(p, <usize>n);
}

/** UTF-8 bytes of a string. */
export function encodeUtf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}
