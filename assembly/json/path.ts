// JSON paths as people write them in error messages: `limits.free.when[1].predicate`.
// A key that is not a plain name (letters, digits, `_`, `-`) is written in brackets with
// JSON string quoting, `limits["a.b"]`, so that every path reads back unambiguously.

/** True for a key that can follow a `.` in a path: non-empty, only [A-Za-z0-9_-]. */
export function isPlainKey(key: string): bool {
  const n = key.length;
  if (n == 0) return false;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
      c == 0x5f || c == 0x2d;
    if (!ok) return false;
  }
  return true;
}

/** `key` appended to `path` (`a.b`, or `a["x.y"]`); the root path is "". Allocates. */
export function pathKey(path: string, key: string): string {
  if (isPlainKey(key)) return path.length == 0 ? key : path + "." + key;
  return path + "[" + quoteJson(key) + "]";
}

/** `[index]` appended to `path`. Allocates. */
export function pathIndex(path: string, index: i32): string {
  return path + "[" + index.toString() + "]";
}

/** `path`, or `(root)` for the empty path, for messages. */
export function displayPath(path: string): string {
  return path.length == 0 ? "(root)" : path;
}

/**
 * `s` as a JSON string literal, quotes included. Control characters and lone
 * surrogates are escaped as \uXXXX so a message stays one printable line. Allocates;
 * linear in the length of `s` (the pieces are joined once, not appended one by one).
 */
export function quoteJson(s: string): string {
  const out = new Array<string>();
  out.push("\"");
  let start = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let esc = "";
    if (c == 0x22) esc = "\\\"";
    else if (c == 0x5c) esc = "\\\\";
    else if (c == 0x0a) esc = "\\n";
    else if (c == 0x0d) esc = "\\r";
    else if (c == 0x09) esc = "\\t";
    else if (c < 0x20 || c == 0x7f) esc = hex4(c);
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) { i++; continue; }
      esc = hex4(c);
    } else if (c >= 0xdc00 && c <= 0xdfff) esc = hex4(c);
    else continue;
    if (i > start) out.push(s.substring(start, i));
    out.push(esc);
    start = i + 1;
  }
  out.push(s.substring(start));
  out.push("\"");
  return out.join("");
}

function hex4(c: i32): string {
  const digits = "0123456789abcdef";
  let out = "\\u";
  for (let shift = 12; shift >= 0; shift -= 4) out += digits.charAt((c >> shift) & 15);
  return out;
}
