// `requestBodyJSON(pointer)` and `responseBodyJSON(pointer)` over a body in memory: the
// value an RFC 6901 JSON pointer names, as a CEL value (objects maps, arrays lists,
// integers that fit ints, other numbers doubles), null when the document has no such
// value, an Error when the body cannot be read. The lookup walks the bytes in place: one
// pass over the document per pointer, and only the value found is turned into a CEL value.

import { Value } from "../cel/value";
import { parseJsonBytes } from "../json/parse";
import { JsonCursor } from "./json_cursor";

/** What a body offers to the body functions. */
export enum BodyJsonState {
  /** No body (none was sent, or it is empty): every pointer is null. */
  Empty = 0,
  /** A complete JSON document: pointers are looked up in it. */
  Json = 1,
  /** Over the bound the filter reads. */
  TooLarge = 2,
  /** Not a JSON object (or not complete: it ended in trailers). */
  NotJson = 3,
}

/**
 * The value at `pointer` (a valid RFC 6901 pointer: "" or starting with `/`) in the body
 * [ptr, ptr+len) in `state`. Allocates the value; never traps.
 */
export function bodyJsonValue(state: BodyJsonState, ptr: usize, len: usize, pointer: string, what: string): Value {
  if (state == BodyJsonState.Empty) return Value.null();
  if (state == BodyJsonState.TooLarge) return Value.error(what + " is larger than the filter reads");
  if (state != BodyJsonState.Json) return Value.error(what + " is not a JSON object");
  const c = new JsonCursor(ptr, len);
  if (!walk(c, pointer)) return Value.null();
  const start = c.p;
  if (!c.skipValue()) return Value.error(what + ": " + c.error);
  const parsed = parseJsonBytes(start, c.p - start);
  const v = parsed.value;
  return v === null ? Value.error(what + ": " + parsed.error) : v;
}

// Moves `c` to the start of the value `pointer` names; false when there is none.
function walk(c: JsonCursor, pointer: string): bool {
  let from = 1;
  const n = pointer.length;
  if (n == 0) return c.peek() >= 0;
  while (from <= n) {
    let to = pointer.indexOf("/", from);
    if (to < 0) to = n;
    const token = unescapeToken(pointer.substring(from, to));
    const b = c.peek();
    if (b == 0x7B) {
      if (!member(c, token)) return false;
    } else if (b == 0x5B) {
      if (!element(c, token)) return false;
    } else {
      return false;
    }
    from = to + 1;
  }
  return true;
}

// RFC 6901: `~1` is `/`, then `~0` is `~`.
function unescapeToken(t: string): string {
  if (!t.includes("~")) return t;
  return t.replaceAll("~1", "/").replaceAll("~0", "~");
}

// In the object at `c`: moves to the value of its last member named `key` (the last one
// counts, as in the JSON parsers of the servers behind the proxy).
function member(c: JsonCursor, key: string): bool {
  c.p++;
  if (c.peek() == 0x7D) return false;
  const keyBytes = String.UTF8.encode(key);
  let found: usize = 0;
  let hit = false;
  while (true) {
    if (!c.string()) return false;
    const same = keyIs(c, keyBytes, key);
    if (!c.expect(0x3A, "expected ':'")) return false;
    c.ws();
    if (same) { found = c.p; hit = true; }
    if (!c.skipValue()) return false;
    const d = c.peek();
    if (d == 0x2C) { c.p++; continue; }
    if (d == 0x7D) break;
    return false;
  }
  if (!hit) return false;
  c.p = found;
  return true;
}

// Whether the key just read equals `key` (its UTF-8 bytes `bytes`), escapes decoded.
function keyIs(c: JsonCursor, bytes: ArrayBuffer, key: string): bool {
  if (c.strEscaped) return c.decodedString() == key;
  const len = c.strEnd - c.strStart;
  if (len != <usize>bytes.byteLength) return false;
  return memory.compare(c.strStart, changetype<usize>(bytes), len) == 0;
}

// In the array at `c`: moves to element `token` (decimal, no sign or leading zero; "-",
// the element after the last, never exists).
function element(c: JsonCursor, token: string): bool {
  const n = token.length;
  if (n == 0 || n > 9 || (n > 1 && token.charCodeAt(0) == 0x30)) return false;
  let index = 0;
  for (let i = 0; i < n; i++) {
    const d = token.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return false;
    index = index * 10 + d;
  }
  c.p++;
  if (c.peek() == 0x5D) return false;
  for (let i = 0; ; i++) {
    c.ws();
    if (i == index) return true;
    if (!c.skipValue()) return false;
    const d = c.peek();
    if (d == 0x2C) { c.p++; continue; }
    return false;
  }
  return false;
}
