// Plain text of values (counter keys, `%s` formatting). Strings are raw, lists and maps
// are bracketed with their elements' text; map entries are sorted by key text so the
// output does not depend on insertion order. Nesting is bounded by MAX_VALUE_DEPTH.

import { Value, Kind } from "./value";
import { formatDouble } from "./convert";
import { sortByKey } from "./format";
import { MAX_VALUE_DEPTH, beginValueWork, spendValueWork } from "./limits";

/** Set by `textOf` when the value was too large to render (its text is then incomplete). */
export let textTooLarge: bool = false;

/** Text of `v`; `depth` is the current nesting (0 at the top). */
export function textOf(v: Value, depth: i32): string {
  if (depth == 0) {
    beginValueWork();
    textTooLarge = false;
  }
  if (textTooLarge || !spendValueWork(v.kind == Kind.String ? 1 + v.str.length : 1)) {
    textTooLarge = true;
    return "";
  }
  switch (v.kind) {
    case Kind.Null: return "null";
    case Kind.Bool: return v.b ? "true" : "false";
    case Kind.Int: return v.i.toString();
    case Kind.Uint: return (<u64>v.i).toString();
    case Kind.Double: return formatDouble(v.d);
    case Kind.String: return v.str;
    case Kind.Type: return v.str;
    case Kind.Bytes: {
      const b = v.bytes;
      return b === null ? "" : String.UTF8.decode(b);
    }
    case Kind.List: {
      const list = v.list;
      if (list === null) return "[]";
      if (depth >= MAX_VALUE_DEPTH) return "[...]";
      const parts = new Array<string>(list.length);
      for (let i = 0, n = list.length; i < n; i++) unchecked(parts[i] = textOf(unchecked(list[i]), depth + 1));
      return "[" + parts.join(", ") + "]";
    }
    case Kind.Map: {
      const m = v.map;
      if (m === null) return "{}";
      if (depth >= MAX_VALUE_DEPTH) return "{...}";
      const n = m.entryCount();
      const keys = new Array<string>(n);
      const entries = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const k = textOf(unchecked(m.keys[i]), depth + 1);
        unchecked(keys[i] = k);
        unchecked(entries[i] = k + ": " + textOf(unchecked(m.values[i]), depth + 1));
      }
      sortByKey(keys, entries);
      return "{" + entries.join(", ") + "}";
    }
    case Kind.Error: return v.str;
  }
  return "";
}
