// Node side of the wire encoding in assembly/cel/testing/wire.ts: encodes conformance
// bindings (cel.expr.Value) for the Wasm, decodes results, and compares them with the
// expected cel.expr.Value.

import type { Value as PbValue } from "@bufbuild/cel-spec/cel/expr/value_pb.js";

export type Decoded =
  | { k: "null" } | { k: "bool"; v: boolean } | { k: "int"; v: bigint } | { k: "uint"; v: bigint }
  | { k: "double"; v: number } | { k: "string"; v: string } | { k: "bytes"; v: Uint8Array }
  | { k: "list"; v: Decoded[] } | { k: "map"; v: [Decoded, Decoded][] } | { k: "type"; v: string }
  | { k: "error"; v: string };

function text(tag: string, s: string): string { return `${tag}${s.length}:${s}`; }

function doubleBits(d: number): string {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, d);
  return b.getBigUint64(0).toString(16).padStart(16, "0");
}

/** Thrown for values the wire cannot carry (protobuf messages, enums). */
export class Unsupported extends Error {}

export function encodePb(v: PbValue): string {
  const k = v.kind;
  switch (k.case) {
    case "nullValue": return "n";
    case "boolValue": return k.value ? "t" : "f";
    case "int64Value": return `i${k.value};`;
    case "uint64Value": return `u${k.value};`;
    case "doubleValue": return `d${doubleBits(k.value)}`;
    case "stringValue": return text("s", k.value);
    case "typeValue": return text("T", k.value);
    case "bytesValue": return `b${k.value.length}:${Buffer.from(k.value).toString("hex")}`;
    case "listValue": return `l${k.value.values.length}:` + k.value.values.map(encodePb).join("");
    case "mapValue": {
      const es = k.value.entries;
      return `m${es.length}:` + es.map((e) => encodePb(e.key!) + encodePb(e.value!)).join("");
    }
    default: throw new Unsupported(k.case ?? "empty");
  }
}

export function encodeBindings(b: Record<string, PbValue>): string {
  const names = Object.keys(b);
  return `m${names.length}:` + names.map((n) => text("s", n) + encodePb(b[n])).join("");
}

/** Decodes a wire value starting at `pos`. */
export function decode(s: string, pos = { i: 0 }): Decoded {
  const c = s[pos.i++];
  const num = (): string => {
    const m = /^-?\d+/.exec(s.slice(pos.i, pos.i + 24))!;
    pos.i += m[0].length;
    return m[0];
  };
  const txt = (): string => {
    const n = Number(num());
    pos.i++; // ':'
    const t = s.slice(pos.i, pos.i + n);
    pos.i += n;
    return t;
  };
  switch (c) {
    case "n": return { k: "null" };
    case "t": return { k: "bool", v: true };
    case "f": return { k: "bool", v: false };
    case "i": { const v = BigInt(num()); pos.i++; return { k: "int", v }; }
    case "u": { const v = BigInt(num()); pos.i++; return { k: "uint", v }; }
    case "d": {
      const bits = BigInt("0x" + s.slice(pos.i, pos.i + 16));
      pos.i += 16;
      const b = new DataView(new ArrayBuffer(8));
      b.setBigUint64(0, bits);
      return { k: "double", v: b.getFloat64(0) };
    }
    case "s": return { k: "string", v: txt() };
    case "T": return { k: "type", v: txt() };
    case "e": return { k: "error", v: txt() };
    case "b": {
      const n = Number(num());
      pos.i++;
      const v = Uint8Array.from(Buffer.from(s.slice(pos.i, pos.i + 2 * n), "hex"));
      pos.i += 2 * n;
      return { k: "bytes", v };
    }
    case "l": {
      const n = Number(num());
      pos.i++;
      const v: Decoded[] = [];
      for (let i = 0; i < n; i++) v.push(decode(s, pos));
      return { k: "list", v };
    }
    case "m": {
      const n = Number(num());
      pos.i++;
      const v: [Decoded, Decoded][] = [];
      for (let i = 0; i < n; i++) { const key = decode(s, pos); v.push([key, decode(s, pos)]); }
      return { k: "map", v };
    }
  }
  throw new Error(`bad wire value at ${pos.i - 1}: ${s.slice(pos.i - 1, pos.i + 20)}`);
}

/** Whether our result equals the expected value (maps compare as unordered). */
export function equalsPb(got: Decoded, want: PbValue): boolean {
  const k = want.kind;
  switch (k.case) {
    case "nullValue": return got.k === "null";
    case "boolValue": return got.k === "bool" && got.v === k.value;
    case "int64Value": return got.k === "int" && got.v === k.value;
    case "uint64Value": return got.k === "uint" && got.v === k.value;
    case "doubleValue":
      return got.k === "double" && (Number.isNaN(k.value) ? Number.isNaN(got.v) : got.v === k.value);
    case "stringValue": return got.k === "string" && got.v === k.value;
    case "typeValue": return got.k === "type" && got.v === k.value;
    case "bytesValue":
      return got.k === "bytes" && Buffer.from(got.v).equals(Buffer.from(k.value));
    case "listValue": {
      const w = k.value.values;
      return got.k === "list" && got.v.length === w.length && w.every((x, i) => equalsPb(got.v[i], x));
    }
    case "mapValue": {
      const w = k.value.entries;
      if (got.k !== "map" || got.v.length !== w.length) return false;
      return w.every((e) => got.v.some(([gk, gv]) => equalsPb(gk, e.key!) && equalsPb(gv, e.value!)));
    }
  }
  return false;
}

/** Short text of a decoded value for failure reports. */
export function show(d: Decoded): string {
  switch (d.k) {
    case "null": return "null";
    case "list": return "[" + d.v.map(show).join(", ") + "]";
    case "map": return "{" + d.v.map(([a, b]) => show(a) + ": " + show(b)).join(", ") + "}";
    case "bytes": return "b'" + Buffer.from(d.v).toString("hex") + "'";
    case "string": return JSON.stringify(d.v);
    case "error": return "error(" + d.v + ")";
    default: return `${d.k}(${String(d.v)})`;
  }
}
