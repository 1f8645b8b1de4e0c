// Envoy cannot list filter state, so the `filter_state` map holds only keys the policy
// names. This finds them: the string literals written as `filter_state["key"]` or
// `filter_state['key']` in an expression's source (keys with escapes are not found;
// `filter_state.key` needs no listing).

/** Appends to `out` each key `source` indexes `filter_state` with (no duplicates). */
export function collectFilterStateKeys(source: string, out: Array<string>): void {
  const marker = "filter_state";
  let at = source.indexOf(marker);
  while (at >= 0) {
    // Only the identifier itself (not `my_filter_state` or `x.filter_state`).
    if (at > 0 && isNamePart(source.charCodeAt(at - 1))) {
      at = source.indexOf(marker, at + marker.length);
      continue;
    }
    let i = at + marker.length;
    while (i < source.length && isSpace(source.charCodeAt(i))) i++;
    if (i < source.length && source.charCodeAt(i) == 0x5b) {
      i++;
      while (i < source.length && isSpace(source.charCodeAt(i))) i++;
      const quote = i < source.length ? source.charCodeAt(i) : 0;
      if (quote == 0x22 || quote == 0x27) {
        const end = source.indexOf(String.fromCharCode(quote), i + 1);
        if (end > i) {
          const key = source.substring(i + 1, end);
          if (!key.includes("\\") && !out.includes(key)) out.push(key);
        }
      }
    }
    at = source.indexOf(marker, at + marker.length);
  }
}

function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

function isNamePart(c: i32): bool {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2e;
}
