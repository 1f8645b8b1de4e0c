// The key text of a counter value: the text that stands for one evaluated `counters`
// expression in a counter's identity. Every backend uses it (the local key, a descriptor
// entry sent to a rate-limit service), so its form is a contract, documented in
// limits/README.md ("Key text of a counter value"):
//
//   string s, not "", not starting with '#', no lone surrogate   s itself (unchanged since 1.0)
//   string starting with '#'                                      "#string:" s
//   string holding a lone UTF-16 surrogate                        "#utf16:" quoted(s)
//   int / uint / double / bool                                    "#int:" 123, "#uint:" 123, "#double:" 1.5, "#bool:" true
//   bytes                                                         "#bytes:" lower-case hex of every byte
//   type                                                          "#type:" name
//   list / map                                                    "#list:" [e,e]   "#map:" {k:v,k:v} (entries sorted by key)
//   any text longer than MAX_KEY_TEXT_BYTES UTF-8 bytes            "#sha256:" 64 hex digits of SHA-256 of that text's UTF-8
//   null, an error, "", or a value past the work bound            no key text: the counter has no value
//
// Only typed forms start with '#', and each tag ends at its ':', so two different values
// never share a text, and `123` never meets `"123"`. Inside lists and maps, elements are
// written self-delimited: strings quoted (`"`, `\` and control characters escaped as \" \\
// \u00XX, lone surrogates as \uXXXX), ints in decimal, uints with a `u`, doubles always
// with a '.', an exponent, NaN or ±Inf, bytes as b"hex", types as type(name).
//
// Rendering is bounded like equality: MAX_VALUE_WORK nodes and characters, whatever the
// sharing of sub-values; the text is written into one reused buffer and, once past 4 KiB,
// streamed into the digest, so memory stays flat whatever the value.

import { Value, Kind, MapValue } from "../cel/value";
import { formatDouble } from "../cel/convert";
import { MAX_VALUE_DEPTH, MAX_VALUE_WORK } from "../cel/limits";
import { Sha256, hexOf } from "../digest/sha256";

/** Longest key text kept in full, in UTF-8 bytes; longer texts become their digest. */
export const MAX_KEY_TEXT_BYTES: i32 = 128;

/** Chunk of text held before it is streamed into the digest. */
const CHUNK: i32 = 4096;

class KeyTextWriter {
  buf: ArrayBuffer = new ArrayBuffer(CHUNK);
  len: i32 = 0;
  hashing: bool = false;
  sha: Sha256 = new Sha256();
  work: i32 = 0;

  begin(): void {
    this.len = 0;
    this.hashing = false;
    this.sha.reset();
    this.work = MAX_VALUE_WORK;
  }

  /** Spends `n` units of the work bound; false once it is exhausted. */
  spend(n: i32): bool {
    this.work -= n;
    return this.work >= 0;
  }

  byte(b: u32): void {
    if (this.len == CHUNK) {
      this.sha.update(changetype<usize>(this.buf), <usize>this.len);
      this.hashing = true;
      this.len = 0;
    }
    store<u8>(changetype<usize>(this.buf) + <usize>this.len, <u8>b);
    this.len++;
  }

  /** ASCII text (tags, numbers). */
  ascii(s: string): void {
    for (let i = 0, n = s.length; i < n; i++) this.byte(<u32>s.charCodeAt(i));
  }

  /** The UTF-8 of code point `cp`. */
  codePoint(cp: u32): void {
    if (cp < 0x80) { this.byte(cp); return; }
    if (cp < 0x800) { this.byte(0xc0 | (cp >> 6)); this.byte(0x80 | (cp & 0x3f)); return; }
    if (cp < 0x10000) {
      this.byte(0xe0 | (cp >> 12)); this.byte(0x80 | ((cp >> 6) & 0x3f)); this.byte(0x80 | (cp & 0x3f));
      return;
    }
    this.byte(0xf0 | (cp >> 18)); this.byte(0x80 | ((cp >> 12) & 0x3f));
    this.byte(0x80 | ((cp >> 6) & 0x3f)); this.byte(0x80 | (cp & 0x3f));
  }

  /** `\uXXXX`. */
  unitEscape(u: u32): void {
    this.byte(0x5c); this.byte(0x75);
    for (let shift = 12; shift >= 0; shift -= 4) this.byte(hexDigit((u >> <u32>shift) & 0xf));
  }

  /** `s` as UTF-8; with `quoted`, between quotes with `"`, `\`, control characters and lone surrogates escaped. */
  text(s: string, quoted: bool): void {
    if (quoted) this.byte(0x22);
    const p = changetype<usize>(s);
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = <u32>load<u16>(p + (<usize>i << 1));
      if (c >= 0xd800 && c < 0xe000) {
        if (c < 0xdc00 && i + 1 < n) {
          const d = <u32>load<u16>(p + (<usize>(i + 1) << 1));
          if (d >= 0xdc00 && d < 0xe000) {
            this.codePoint(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
            i++;
            continue;
          }
        }
        this.unitEscape(c); // only reached for quoted text: plain text never holds a lone surrogate
        continue;
      }
      if (quoted && (c == 0x22 || c == 0x5c)) { this.byte(0x5c); this.byte(c); continue; }
      if (quoted && c < 0x20) { this.unitEscape(c); continue; }
      this.codePoint(c);
    }
    if (quoted) this.byte(0x22);
  }

  hex(bytes: ArrayBuffer): void {
    const p = changetype<usize>(bytes);
    for (let i = 0, n = bytes.byteLength; i < n; i++) {
      const b = <u32>load<u8>(p + <usize>i);
      this.byte(hexDigit(b >> 4));
      this.byte(hexDigit(b & 0xf));
    }
  }

  /** The key text written: in full up to MAX_KEY_TEXT_BYTES, else its digest. */
  finish(): string {
    const p = changetype<usize>(this.buf);
    if (!this.hashing && this.len <= MAX_KEY_TEXT_BYTES) return String.UTF8.decodeUnsafe(p, <usize>this.len);
    this.sha.update(p, <usize>this.len);
    return "#sha256:" + hexOf(this.sha.digest());
  }
}

// @ts-ignore: decorator
@inline function hexDigit(n: u32): u32 { return n < 10 ? 0x30 + n : 0x57 + n; }

const WRITER = new KeyTextWriter();

/**
 * The key text of counter value `v` (see the file comment), or null when `v` names no
 * counter: null, an error, "", or a value too large or too deep to render within the work
 * bound. Allocates only the returned text (nothing for a short plain string).
 */
export function counterValueText(v: Value): string | null {
  switch (v.kind) {
    case Kind.Error: case Kind.Null: return null;
    case Kind.String: {
      const s = v.str;
      if (s.length == 0) return null;
      if (isPlain(s)) return s;
      break;
    }
    case Kind.Int: return "#int:" + v.i.toString();
    case Kind.Uint: return "#uint:" + (<u64>v.i).toString();
    case Kind.Double: return "#double:" + formatDouble(v.d);
    case Kind.Bool: return v.b ? "#bool:true" : "#bool:false";
  }
  const w = WRITER;
  w.begin();
  switch (v.kind) {
    case Kind.String: {
      const s = v.str;
      if (hasLoneSurrogate(s)) { w.ascii("#utf16:"); w.text(s, true); }
      else { if (s.charCodeAt(0) == 0x23) w.ascii("#string:"); w.text(s, false); }
      break;
    }
    case Kind.Bytes: {
      w.ascii("#bytes:");
      const b = v.bytes;
      if (b !== null) { if (!w.spend(b.byteLength)) return null; w.hex(b); }
      break;
    }
    case Kind.Type: w.ascii("#type:"); w.text(v.str, false); break;
    case Kind.List: w.ascii("#list:"); if (!element(w, v, 0)) return null; break;
    case Kind.Map: w.ascii("#map:"); if (!element(w, v, 0)) return null; break;
    default: return null;
  }
  return w.finish();
}

/** A string written as itself: not starting with '#', no lone surrogate, at most MAX_KEY_TEXT_BYTES of UTF-8. */
function isPlain(s: string): bool {
  const p = changetype<usize>(s);
  const n = s.length;
  if (load<u16>(p) == 0x23) return false;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const c = <u32>load<u16>(p + (<usize>i << 1));
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xe000) {
      if (c >= 0xdc00 || i + 1 >= n) return false;
      const d = <u32>load<u16>(p + (<usize>(i + 1) << 1));
      if (d < 0xdc00 || d >= 0xe000) return false;
      bytes += 4;
      i++;
    } else bytes += 3;
    if (bytes > MAX_KEY_TEXT_BYTES) return false;
  }
  return true;
}

function hasLoneSurrogate(s: string): bool {
  const p = changetype<usize>(s);
  for (let i = 0, n = s.length; i < n; i++) {
    const c = <u32>load<u16>(p + (<usize>i << 1));
    if (c < 0xd800 || c >= 0xe000) continue;
    if (c >= 0xdc00 || i + 1 >= n) return true;
    const d = <u32>load<u16>(p + (<usize>(i + 1) << 1));
    if (d < 0xdc00 || d >= 0xe000) return true;
    i++;
  }
  return false;
}

/** Writes `v` as a self-delimited element; false when past the work or depth bound. */
function element(w: KeyTextWriter, v: Value, depth: i32): bool {
  if (!w.spend(v.kind == Kind.String ? 1 + v.str.length : 1)) return false;
  switch (v.kind) {
    case Kind.Null: w.ascii("null"); return true;
    case Kind.Bool: w.ascii(v.b ? "true" : "false"); return true;
    case Kind.Int: w.ascii(v.i.toString()); return true;
    case Kind.Uint: w.ascii((<u64>v.i).toString()); w.byte(0x75); return true;
    case Kind.Double: {
      const t = formatDouble(v.d);
      w.ascii(t);
      if (isIntegerText(t)) w.ascii(".0");
      return true;
    }
    case Kind.String: w.text(v.str, true); return true;
    case Kind.Type: w.ascii("type("); w.text(v.str, false); w.byte(0x29); return true;
    case Kind.Bytes: {
      const b = v.bytes;
      w.ascii("b\"");
      if (b !== null) { if (!w.spend(b.byteLength)) return false; w.hex(b); }
      w.byte(0x22);
      return true;
    }
    case Kind.List: {
      const list = v.list;
      if (depth >= MAX_VALUE_DEPTH) return false;
      w.byte(0x5b);
      if (list !== null) {
        for (let i = 0, n = list.length; i < n; i++) {
          if (i > 0) w.byte(0x2c);
          if (!element(w, unchecked(list[i]), depth + 1)) return false;
        }
      }
      w.byte(0x5d);
      return true;
    }
    case Kind.Map: {
      const m = v.map;
      if (depth >= MAX_VALUE_DEPTH) return false;
      w.byte(0x7b);
      if (m !== null) {
        const order = sortedEntries(m);
        for (let i = 0, n = order.length; i < n; i++) {
          if (i > 0) w.byte(0x2c);
          const at = unchecked(order[i]);
          if (!element(w, unchecked(m.keys[at]), depth + 1)) return false;
          w.byte(0x3a);
          if (!element(w, unchecked(m.values[at]), depth + 1)) return false;
        }
      }
      w.byte(0x7d);
      return true;
    }
  }
  return false;
}

/** Digits only (with an optional sign): a double's shortest text that would read as an int. */
function isIntegerText(t: string): bool {
  for (let i = 0, n = t.length; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c != 0x2d && (c < 0x30 || c > 0x39)) return false;
  }
  return true;
}

// The keys being sorted (comparators cannot capture locals).
let sortingKeys: Array<Value> = new Array<Value>();

/** Entry indexes of `m` in key order: bools, then ints, uints, strings (by code units), then others. */
function sortedEntries(m: MapValue): Array<i32> {
  const n = m.entryCount();
  const order = new Array<i32>(n);
  for (let i = 0; i < n; i++) unchecked(order[i] = i);
  sortingKeys = m.keys;
  order.sort(compareKeys);
  return order;
}

function keyRank(k: Value): i32 {
  switch (k.kind) {
    case Kind.Bool: return 0;
    case Kind.Int: return 1;
    case Kind.Uint: return 2;
    case Kind.String: return 3;
  }
  return 4;
}

function compareKeys(a: i32, b: i32): i32 {
  const x = unchecked(sortingKeys[a]), y = unchecked(sortingKeys[b]);
  const rx = keyRank(x), ry = keyRank(y);
  if (rx != ry) return rx - ry;
  if (rx == 0) return <i32>x.b - <i32>y.b;
  if (rx == 1) return x.i < y.i ? -1 : x.i > y.i ? 1 : 0;
  if (rx == 2) return <u64>x.i < <u64>y.i ? -1 : <u64>x.i > <u64>y.i ? 1 : 0;
  if (rx == 3) return x.str < y.str ? -1 : x.str > y.str ? 1 : 0;
  return a - b;
}
