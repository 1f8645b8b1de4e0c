// A strict RFC 8259 JSON parser producing CEL values: objects become maps with string
// keys in insertion order, arrays lists, integers that fit in i64 ints, other numbers
// doubles. It reads UTF-8 bytes in place, bounds-checks every load, limits nesting and
// size, and reports the first error with its byte offset — it never traps, whatever
// the input (plugin configuration, JWT claims, request bodies).

import { Value, MapValue } from "../cel/value";
import { decodeJsonString, DecodedString, setStrictUnicode } from "./strings";
import { pathKey, pathIndex } from "./path";
import { parseJsonNumber } from "./number";

/** Deepest nesting of arrays/objects accepted by default. */
export const DEFAULT_MAX_DEPTH: i32 = 128;
/**
 * Hard cap on `maxDepth`, whatever the caller asks: each level is two recursive calls
 * whose managed locals live on AssemblyScript's shadow stack (16 KiB by default, shared
 * with the caller's frames); overflowing it traps. 256 levels use about 7 KiB.
 */
export const MAX_DEPTH_LIMIT: i32 = 256;
/** Largest input accepted by default, in bytes. */
export const DEFAULT_MAX_BYTES: i32 = 8 << 20;
/**
 * Hard cap on `maxBytes`: string decoding sizes its scratch buffer in i32, which must not
 * overflow however large an input a caller allows.
 */
export const MAX_BYTES_LIMIT: i32 = 64 << 20;
/** At most this many duplicate keys are remembered in `JsonResult.duplicateKeys`. */
export const MAX_DUPLICATES_REPORTED: i32 = 16;

/** The outcome of a parse: `value` and `error == ""`, or `value == null` and an error. */
export class JsonResult {
  value: Value | null = null;
  /** "" on success; otherwise what was wrong (without the offset). */
  error: string = "";
  /** Byte offset (in the UTF-8 input) where the error was found; 0 on success. */
  position: i32 = 0;
  /**
   * Paths (`a.b[2].c`) of object keys that appeared more than once in the same object.
   * The last value wins (as in JavaScript) and keeps the first key's position.
   */
  duplicateKeys: Array<string> = new Array<string>();

  ok(): bool { return this.error.length == 0; }
}

// The buffer being parsed by `parseJsonBuffer`: parsing allocates, so the collector may
// run, and the parser holds the bytes only by address. A global is a GC root.
let parsingText: ArrayBuffer | null = null;

/**
 * Parses `text` (encoded to UTF-8 first, so positions are UTF-8 byte offsets; equal to
 * character offsets for ASCII). Allocates the values; never traps.
 */
export function parseJson(text: string, maxDepth: i32 = DEFAULT_MAX_DEPTH, maxBytes: i32 = DEFAULT_MAX_BYTES): JsonResult {
  return parseJsonBuffer(String.UTF8.encode(text), maxDepth, maxBytes);
}

/**
 * Parses the UTF-8 bytes of `buffer`, keeping it reachable while parsing (the parser
 * reads it by address and allocates). With `strictUnicode`, a string holding invalid
 * UTF-8 or a lone surrogate escape is an error instead of reading as U+FFFD.
 * Otherwise as `parseJsonBytes`.
 */
export function parseJsonBuffer(buffer: ArrayBuffer, maxDepth: i32 = DEFAULT_MAX_DEPTH, maxBytes: i32 = DEFAULT_MAX_BYTES, strictUnicode: bool = false): JsonResult {
  parsingText = buffer;
  setStrictUnicode(strictUnicode);
  const result = parseJsonBytes(changetype<usize>(buffer), <usize>buffer.byteLength, maxDepth, maxBytes);
  setStrictUnicode(false);
  parsingText = null;
  return result;
}

/**
 * Parses `len` UTF-8 bytes at `ptr` (memory the caller keeps alive for the call).
 * Inputs longer than `maxBytes` or nested deeper than `maxDepth` (at most
 * MAX_DEPTH_LIMIT) are errors.
 * Allocates the values; never traps.
 */
export function parseJsonBytes(ptr: usize, len: usize, maxDepth: i32 = DEFAULT_MAX_DEPTH, maxBytes: i32 = DEFAULT_MAX_BYTES): JsonResult {
  const result = new JsonResult();
  const limit = min(max(maxBytes, 0), MAX_BYTES_LIMIT);
  if (len > <usize>limit) {
    result.error = "input larger than " + limit.toString() + " bytes";
    return result;
  }
  const p = new JsonParser(ptr, <i32>len, min(max(maxDepth, 0), MAX_DEPTH_LIMIT), result);
  p.skipBom();
  p.skipWs();
  const v = p.value();
  if (v !== null) {
    p.skipWs();
    if (p.pos < p.end) p.fail("unexpected data after the JSON value", p.pos);
    else result.value = v;
  }
  if (!result.ok()) result.value = null;
  return result;
}

/** Recursive descent over [0, end) at `base`. The first error wins; callers stop on null. */
class JsonParser {
  pos: i32 = 0;
  depth: i32 = 0;
  // Where we are, for naming duplicate keys: one entry per open container.
  // For an object the current key; for an array the current index (key is null).
  frameKeys: Array<string | null> = new Array<string | null>();
  frameIndexes: Array<i32> = new Array<i32>();
  str: DecodedString = new DecodedString();

  constructor(public base: usize, public end: i32, public maxDepth: i32, public result: JsonResult) {}

  fail(message: string, at: i32): Value | null {
    if (this.result.error.length == 0) {
      this.result.error = message;
      this.result.position = at;
    }
    return null;
  }

  @inline byte(at: i32): u32 { return <u32>load<u8>(this.base + <usize>at); }

  skipBom(): void {
    // RFC 8259 §8.1 lets a parser ignore a leading byte order mark.
    if (this.end >= 3 && this.byte(0) == 0xef && this.byte(1) == 0xbb && this.byte(2) == 0xbf) this.pos = 3;
  }

  skipWs(): void {
    let i = this.pos;
    while (i < this.end) {
      const c = this.byte(i);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      i++;
    }
    this.pos = i;
  }

  value(): Value | null {
    if (this.pos >= this.end) return this.fail("unexpected end of input", this.pos);
    const c = this.byte(this.pos);
    if (c == 0x7b) return this.object();
    if (c == 0x5b) return this.array();
    if (c == 0x22) {
      const s = this.string();
      return s === null ? null : Value.string(s);
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c == 0x74) return this.literal("true", Value.bool(true));
    if (c == 0x66) return this.literal("false", Value.bool(false));
    if (c == 0x6e) return this.literal("null", Value.null());
    return this.unexpected(this.pos);
  }

  unexpected(at: i32): Value | null {
    if (at >= this.end) return this.fail("unexpected end of input", at);
    const c = this.byte(at);
    if (c == 0x2f) return this.fail("comments are not allowed in JSON", at);
    if (c == 0x27) return this.fail("strings must use double quotes", at);
    if (c > 0x20 && c < 0x7f) return this.fail("unexpected character '" + String.fromCharCode(c) + "'", at);
    return this.fail("unexpected byte 0x" + (c < 16 ? "0" : "") + c.toString(16), at);
  }

  literal(word: string, v: Value): Value | null {
    const n = word.length;
    for (let k = 0; k < n; k++) {
      const at = this.pos + k;
      if (at >= this.end || this.byte(at) != <u32>word.charCodeAt(k)) return this.fail("invalid literal (expected " + word + ")", this.pos);
    }
    this.pos += n;
    return v;
  }

  /** Parses a string at `pos` (an opening quote); null on error. */
  string(): string | null {
    const start = this.pos + 1;
    let i = start;
    // Find the closing quote; a backslash always escapes the next byte.
    while (i < this.end) {
      const c = this.byte(i);
      if (c == 0x22) break;
      i += c == 0x5c ? 2 : 1;
    }
    if (i >= this.end) { this.fail("unterminated string", this.pos); return null; }
    const out = this.str;
    if (!decodeJsonString(this.base, start, i, out)) { this.fail(out.error, out.position); return null; }
    this.pos = i + 1;
    return out.text;
  }

  number(): Value | null {
    const start = this.pos;
    let i = start;
    const negative = this.byte(i) == 0x2d;
    if (negative) i++;
    if (i >= this.end) return this.fail("invalid number (expected a digit)", i);
    let c = this.byte(i);
    if (c < 0x30 || c > 0x39) return this.fail("invalid number (expected a digit)", i);
    // Integer part, accumulated while it fits i64.
    const limit: u64 = negative ? <u64>0x8000000000000000 : <u64>0x7fffffffffffffff;
    let acc: u64 = 0;
    let fits = true;
    if (c == 0x30) {
      i++;
      if (i < this.end && this.byte(i) >= 0x30 && this.byte(i) <= 0x39) return this.fail("leading zeros are not allowed", start);
    } else {
      while (i < this.end) {
        c = this.byte(i);
        if (c < 0x30 || c > 0x39) break;
        const d = <u64>(c - 0x30);
        if (fits && acc > (limit - d) / 10) fits = false;
        if (fits) acc = acc * 10 + d;
        i++;
      }
    }
    let integral = true;
    if (i < this.end && this.byte(i) == 0x2e) {
      integral = false;
      i++;
      const digits = i;
      while (i < this.end && this.byte(i) >= 0x30 && this.byte(i) <= 0x39) i++;
      if (i == digits) return this.fail("invalid number (expected a digit after '.')", i);
    }
    if (i < this.end && (this.byte(i) | 0x20) == 0x65) {
      integral = false;
      i++;
      if (i < this.end && (this.byte(i) == 0x2b || this.byte(i) == 0x2d)) i++;
      const digits = i;
      while (i < this.end && this.byte(i) >= 0x30 && this.byte(i) <= 0x39) i++;
      if (i == digits) return this.fail("invalid number (expected a digit in the exponent)", i);
    }
    this.pos = i;
    if (integral && fits) return Value.int(negative ? <i64>(0 - acc) : <i64>acc);
    return Value.double(parseJsonNumber(this.base + <usize>start, i - start));
  }

  enter(at: i32): bool {
    if (this.depth >= this.maxDepth) {
      this.fail("nesting deeper than " + this.maxDepth.toString() + " levels", at);
      return false;
    }
    this.depth++;
    return true;
  }

  leave(): void {
    this.depth--;
    this.frameKeys.pop();
    this.frameIndexes.pop();
  }

  array(): Value | null {
    if (!this.enter(this.pos)) return null;
    this.frameKeys.push(null);
    this.frameIndexes.push(0);
    const top = this.frameIndexes.length - 1;
    const items = new Array<Value>();
    this.pos++;
    this.skipWs();
    if (this.pos < this.end && this.byte(this.pos) == 0x5d) { this.pos++; this.leave(); return Value.list(items); }
    while (true) {
      unchecked(this.frameIndexes[top] = items.length);
      const v = this.value();
      if (v === null) return null;
      items.push(v);
      this.skipWs();
      if (this.pos >= this.end) return this.fail("unexpected end of input (expected ',' or ']')", this.pos);
      const c = this.byte(this.pos);
      if (c == 0x5d) { this.pos++; break; }
      if (c != 0x2c) return this.fail("expected ',' or ']' after an array element", this.pos);
      const comma = this.pos;
      this.pos++;
      this.skipWs();
      if (this.pos < this.end && this.byte(this.pos) == 0x5d) return this.fail("trailing comma is not allowed", comma);
    }
    this.leave();
    return Value.list(items);
  }

  object(): Value | null {
    if (!this.enter(this.pos)) return null;
    this.frameKeys.push("");
    this.frameIndexes.push(0);
    const top = this.frameKeys.length - 1;
    const map = new MapValue();
    // Large objects get a key index so that duplicate detection stays linear.
    let index: Map<string, i32> | null = null;
    this.pos++;
    this.skipWs();
    if (this.pos < this.end && this.byte(this.pos) == 0x7d) { this.pos++; this.leave(); return Value.map(map); }
    while (true) {
      if (this.pos >= this.end) return this.fail("unexpected end of input (expected a string key)", this.pos);
      if (this.byte(this.pos) != 0x22) {
        if (this.byte(this.pos) == 0x27) return this.fail("strings must use double quotes", this.pos);
        return this.fail("expected a string key", this.pos);
      }
      const key = this.string();
      if (key === null) return null;
      this.skipWs();
      if (this.pos >= this.end) return this.fail("unexpected end of input (expected ':')", this.pos);
      if (this.byte(this.pos) != 0x3a) return this.fail("expected ':' after an object key", this.pos);
      this.pos++;
      this.skipWs();
      unchecked(this.frameKeys[top] = key);
      const v = this.value();
      if (v === null) return null;
      // Insert, last value wins.
      let existing = -1;
      if (index !== null) {
        if (index.has(key)) existing = index.get(key);
      } else {
        const keys = map.keys;
        for (let k = 0, n = keys.length; k < n; k++) {
          if (unchecked(keys[k]).str == key) { existing = k; break; }
        }
      }
      if (existing >= 0) {
        unchecked(map.values[existing] = v);
        this.duplicate(key);
      } else {
        if (index !== null) index.set(key, map.keys.length);
        map.push(Value.string(key), v);
        if (index === null && map.keys.length >= 16) index = indexKeys(map);
      }
      this.skipWs();
      if (this.pos >= this.end) return this.fail("unexpected end of input (expected ',' or '}')", this.pos);
      const c = this.byte(this.pos);
      if (c == 0x7d) { this.pos++; break; }
      if (c != 0x2c) return this.fail("expected ',' or '}' after an object member", this.pos);
      const comma = this.pos;
      this.pos++;
      this.skipWs();
      if (this.pos < this.end && this.byte(this.pos) == 0x7d) return this.fail("trailing comma is not allowed", comma);
    }
    this.leave();
    return Value.map(map);
  }

  duplicate(key: string): void {
    const dups = this.result.duplicateKeys;
    if (dups.length >= MAX_DUPLICATES_REPORTED) return;
    // The path of the object holding `key`, built from the open frames but the last.
    let path = "";
    const n = this.frameKeys.length - 1;
    for (let k = 0; k < n; k++) {
      const name = unchecked(this.frameKeys[k]);
      path = name === null ? pathIndex(path, unchecked(this.frameIndexes[k])) : pathKey(path, name);
    }
    dups.push(pathKey(path, key));
  }
}

function indexKeys(map: MapValue): Map<string, i32> {
  const index = new Map<string, i32>();
  const keys = map.keys;
  for (let k = 0, n = keys.length; k < n; k++) index.set(unchecked(keys[k]).str, k);
  return index;
}
