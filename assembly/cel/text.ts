// Plain text of values (`%s` formatting, display). Strings are raw, bytes are decoded as
// UTF-8 with every run of invalid bytes replaced by one U+FFFD (as the strings
// extension's `%s` does: cel-spec's supplemental case "bytes support for string with
// invalid utf-8 encoding", b"\xF0abc\x8C\xF0xyz" -> "\ufffdabc\ufffdxyz"), lists and maps
// are bracketed with their elements' text; map entries are sorted by key text so the
// output does not depend on insertion order.
//
// The text is written into one reused buffer, and every node and character spends the
// MAX_VALUE_WORK budget, so a value whose sub-values are shared (its unshared size
// exponential in the expression) costs at most that much time and memory, like `==`.

import { Value, Kind, MapValue } from "./value";
import { formatDouble } from "./convert";
import { MAX_VALUE_DEPTH, beginValueWork, spendValueWork } from "./limits";

/** Set by `textOf` when the value was too large to render (its text is then ""). */
export let textTooLarge: bool = false;

/** UTF-16 text under construction; one per module, reused (renderings do not nest). */
class TextBuffer {
  buf: ArrayBuffer = new ArrayBuffer(256);
  len: i32 = 0; // in code units

  reserve(units: i32): void {
    const need = (this.len + units) << 1;
    let cap = this.buf.byteLength;
    if (need <= cap) return;
    while (cap < need) cap <<= 1;
    const grown = new ArrayBuffer(cap);
    memory.copy(changetype<usize>(grown), changetype<usize>(this.buf), <usize>this.len << 1);
    this.buf = grown;
  }

  unit(c: u32): void {
    this.reserve(1);
    store<u16>(changetype<usize>(this.buf) + (<usize>this.len << 1), <u16>c);
    this.len++;
  }

  append(s: string): void {
    const n = s.length;
    this.reserve(n);
    memory.copy(changetype<usize>(this.buf) + (<usize>this.len << 1), changetype<usize>(s), <usize>n << 1);
    this.len += n;
  }

  /** `bytes` decoded as UTF-8, each maximal run of bytes that are not well-formed UTF-8 becoming one U+FFFD. */
  utf8Lossy(bytes: ArrayBuffer): void {
    const p = changetype<usize>(bytes);
    const n = bytes.byteLength;
    this.reserve(n); // at most one code unit per byte
    let i = 0;
    let invalid = false;
    while (i < n) {
      const c = <u32>load<u8>(p + <usize>i);
      if (c < 0x80) { this.unit(c); i++; invalid = false; continue; }
      const width = wellFormedWidth(p, i, n);
      if (width == 0) {
        if (!invalid) this.unit(0xfffd);
        invalid = true;
        i++;
        continue;
      }
      invalid = false;
      let cp: u32 = width == 2 ? c & 0x1f : width == 3 ? c & 0x0f : c & 0x07;
      for (let k = 1; k < width; k++) cp = (cp << 6) | (<u32>load<u8>(p + <usize>(i + k)) & 0x3f);
      if (cp >= 0x10000) {
        const v = cp - 0x10000;
        this.unit(0xd800 | (v >> 10));
        this.unit(0xdc00 | (v & 0x3ff));
      } else {
        this.unit(cp);
      }
      i += width;
    }
  }

  take(): string {
    const s = String.UTF16.decodeUnsafe(changetype<usize>(this.buf), <usize>this.len << 1);
    this.len = 0;
    // Do not keep a huge buffer alive after a rare large rendering.
    if (this.buf.byteLength > 65536) this.buf = new ArrayBuffer(256);
    return s;
  }
}

/**
 * The length (2-4) of the well-formed UTF-8 sequence starting at byte `i` of [p, p+n),
 * or 0 when the byte at `i` does not start one (Unicode Table 3-7).
 */
function wellFormedWidth(p: usize, i: i32, n: i32): i32 {
  const c = <u32>load<u8>(p + <usize>i);
  let need = 0;
  let lo: u32 = 0x80, hi: u32 = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) need = 1;
  else if (c >= 0xe0 && c <= 0xef) { need = 2; if (c == 0xe0) lo = 0xa0; else if (c == 0xed) hi = 0x9f; }
  else if (c >= 0xf0 && c <= 0xf4) { need = 3; if (c == 0xf0) lo = 0x90; else if (c == 0xf4) hi = 0x8f; }
  else return 0;
  if (i + need >= n) return 0; // truncated
  for (let k = 1; k <= need; k++) {
    const b = <u32>load<u8>(p + <usize>(i + k));
    if (b < lo || b > hi) return 0;
    lo = 0x80; hi = 0xbf;
  }
  return need + 1;
}

const OUT = new TextBuffer();

/** `bytes` as text, invalid UTF-8 replaced as `%s` does. Allocates the string. */
export function bytesText(bytes: ArrayBuffer): string {
  OUT.len = 0;
  OUT.utf8Lossy(bytes);
  return OUT.take();
}

/** How doubles are written: `formatDouble` for display, a plain decimal for `%s`. */
export type DoubleText = (d: f64) => string;

/**
 * Text of `v` (display form: too-deep nesting prints `[...]`/`{...}`). "" with
 * `textTooLarge` set when the value is past the work bound. Allocates the result.
 */
export function textOf(v: Value, depth: i32 = 0): string {
  beginValueWork();
  OUT.len = 0;
  textTooLarge = !render(v, depth, formatDouble, false);
  const s = OUT.take();
  return textTooLarge ? "" : s;
}

/**
 * `%s` text of `v`, doubles written by `double`; null when the value is past the work
 * bound, nested too deep, or holds something `%s` cannot format (an error).
 */
export function renderForFormat(v: Value, double: DoubleText): string | null {
  beginValueWork();
  OUT.len = 0;
  const ok = render(v, 0, double, true);
  const s = OUT.take();
  return ok ? s : null;
}

/** Writes `v` to OUT; false when refused (work bound; in format mode also depth and errors). */
function render(v: Value, depth: i32, double: DoubleText, format: bool): bool {
  const kind = v.kind;
  if (!spendValueWork(kind == Kind.String ? 1 + v.str.length : kind == Kind.Bytes && v.bytes !== null ? 1 + v.bytes!.byteLength : 1)) return false;
  switch (kind) {
    case Kind.Null: OUT.append("null"); return true;
    case Kind.Bool: OUT.append(v.b ? "true" : "false"); return true;
    case Kind.Int: OUT.append(v.i.toString()); return true;
    case Kind.Uint: OUT.append((<u64>v.i).toString()); return true;
    case Kind.Double: OUT.append(double(v.d)); return true;
    case Kind.String: OUT.append(v.str); return true;
    case Kind.Type: OUT.append(v.str); return true;
    case Kind.Bytes: { const b = v.bytes; if (b !== null) OUT.utf8Lossy(b); return true; }
    case Kind.List: {
      const list = v.list;
      if (list === null) { OUT.append("[]"); return true; }
      if (depth >= MAX_VALUE_DEPTH) { if (format) return false; OUT.append("[...]"); return true; }
      OUT.unit(0x5b);
      for (let i = 0, n = list.length; i < n; i++) {
        if (i > 0) OUT.append(", ");
        if (!render(unchecked(list[i]), depth + 1, double, format)) return false;
      }
      OUT.unit(0x5d);
      return true;
    }
    case Kind.Map: {
      const m = v.map;
      if (m === null) { OUT.append("{}"); return true; }
      if (depth >= MAX_VALUE_DEPTH) { if (format) return false; OUT.append("{...}"); return true; }
      OUT.unit(0x7b);
      const order = entriesByKeyText(m);
      for (let i = 0, n = order.length; i < n; i++) {
        if (i > 0) OUT.append(", ");
        const at = unchecked(order[i]);
        if (!render(unchecked(m.keys[at]), depth + 1, double, format)) return false;
        OUT.append(": ");
        if (!render(unchecked(m.values[at]), depth + 1, double, format)) return false;
      }
      OUT.unit(0x7d);
      return true;
    }
    case Kind.Error: if (format) return false; OUT.append(v.str); return true;
  }
  return !format;
}

// Key texts being sorted (comparators cannot capture locals).
let sortingTexts: Array<string> = new Array<string>();

/** Entry indexes of `m` in the order of their keys' text (CEL map keys are scalars). */
function entriesByKeyText(m: MapValue): Array<i32> {
  const n = m.entryCount();
  const texts = new Array<string>(n);
  const order = new Array<i32>(n);
  for (let i = 0; i < n; i++) {
    unchecked(texts[i] = scalarText(unchecked(m.keys[i])));
    unchecked(order[i] = i);
  }
  sortingTexts = texts;
  order.sort(compareTexts);
  return order;
}

function compareTexts(a: i32, b: i32): i32 {
  const x = unchecked(sortingTexts[a]), y = unchecked(sortingTexts[b]);
  return x < y ? -1 : x > y ? 1 : a - b;
}

/** Text of a map key (string, int, uint, bool); other kinds sort by their kind name. */
function scalarText(k: Value): string {
  switch (k.kind) {
    case Kind.String: return k.str;
    case Kind.Int: return k.i.toString();
    case Kind.Uint: return (<u64>k.i).toString();
    case Kind.Bool: return k.b ? "true" : "false";
  }
  return "";
}
