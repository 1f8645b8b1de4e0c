// CEL values back to JSON text, for logs, messages and tests. Integers print without a
// fraction and doubles always with one (`2` vs `2.0`), so the two stay distinguishable.

import { Value, Kind } from "../cel/value";
import { quoteJson } from "./path";

/**
 * `v` as compact JSON. Map keys print as strings; bytes, types, errors, unknowns and
 * non-finite doubles print as `null` (JSON cannot hold them). Allocates; never traps.
 * Nesting deeper than `maxDepth` prints as `null` too.
 */
export function stringifyJson(v: Value, maxDepth: i32 = 128): string {
  const parts = new Array<string>();
  write(v, parts, maxDepth);
  return parts.join("");
}

function write(v: Value, out: Array<string>, depth: i32): void {
  switch (v.kind) {
    case Kind.Bool: out.push(v.b ? "true" : "false"); return;
    case Kind.Int: out.push(v.i.toString()); return;
    case Kind.Uint: out.push((<u64>v.i).toString()); return;
    case Kind.Double: out.push(isFinite(v.d) ? v.d.toString() : "null"); return;
    case Kind.String: out.push(quoteJson(v.str)); return;
    case Kind.List: {
      const list = v.list;
      if (list === null || depth <= 0) { out.push(depth <= 0 ? "null" : "[]"); return; }
      out.push("[");
      for (let i = 0, n = list.length; i < n; i++) {
        if (i > 0) out.push(",");
        write(unchecked(list[i]), out, depth - 1);
      }
      out.push("]");
      return;
    }
    case Kind.Map: {
      const map = v.map;
      if (map === null || depth <= 0) { out.push(depth <= 0 ? "null" : "{}"); return; }
      out.push("{");
      const keys = map.keys, values = map.values;
      const n = min(keys.length, values.length);
      for (let i = 0; i < n; i++) {
        if (i > 0) out.push(",");
        const k = unchecked(keys[i]);
        out.push(quoteJson(k.kind == Kind.String ? k.str : stringifyJson(k, 1)));
        out.push(":");
        write(unchecked(values[i]), out, depth - 1);
      }
      out.push("}");
      return;
    }
    default: out.push("null");
  }
}
