// Attributes (`proxy_get_property`), encoded as Envoy's serializeValue does
// (source/extensions/common/wasm/context.cc): strings and bytes raw, int64/uint64/double/
// timestamps/durations as 8 little-endian bytes, bool as 1 byte, protobuf messages as their
// serialized bytes, maps as pairs of serialized key/value, lists as pairs with empty values.
// A path is segments separated by NUL; the first segment names a top-level value, the
// rest index into maps, lists and (via explicit table entries) messages.
import { WasmResult } from "./abi.ts";
import { encodePairs, toByteString, type Pair } from "./pairs.ts";

type Kind = "string" | "bytes" | "int" | "uint" | "double" | "bool" | "timestamp" | "duration" | "map" | "list" | "message";

/** A typed attribute value. Build with `Attr.*`, or let plain JS values convert (see `toAttr`). */
export class AttrValue {
  constructor(readonly kind: Kind, readonly value: unknown) {}
}

/** A map entry list or list items of attribute values. */
type MapEntries = Array<[AttrValue, AttrValue]>;

/** What tests can write as an attribute: a typed AttrValue or a plain JS value. */
export type AttrInput = AttrValue | string | number | bigint | boolean | Uint8Array | AttrInput[] | { [k: string]: AttrInput };

/** Builders for typed attribute values. */
export const Attr = {
  string: (s: string) => new AttrValue("string", toByteString(s)),
  bytes: (b: Uint8Array) => new AttrValue("bytes", b),
  int: (n: number | bigint) => new AttrValue("int", BigInt(n)),
  uint: (n: number | bigint) => new AttrValue("uint", BigInt(n)),
  double: (x: number) => new AttrValue("double", x),
  bool: (b: boolean) => new AttrValue("bool", b),
  /** A timestamp from epoch milliseconds, a Date, or epoch nanoseconds (bigint). */
  timestamp: (t: number | Date | bigint) =>
    new AttrValue("timestamp", typeof t === "bigint" ? t : BigInt(t instanceof Date ? t.getTime() : Math.round(t)) * 1_000_000n),
  /** A duration in nanoseconds. */
  duration: (ns: number | bigint) => new AttrValue("duration", BigInt(ns)),
  map: (m: Record<string, AttrInput>) => new AttrValue("map", Object.entries(m).map(([k, v]) => [Attr.string(k), toAttr(v)]) as MapEntries),
  list: (items: AttrInput[]) => new AttrValue("list", items.map(toAttr)),
  /** A protobuf message given as its serialized bytes (e.g. `metadata`, a filter-state object). */
  message: (serialized: Uint8Array) => new AttrValue("message", serialized),
};

/** Converts plain JS: string, boolean, bigint (int64), integer number (int64), non-integer (double), bytes, arrays (list), objects (map). */
export function toAttr(v: AttrInput): AttrValue {
  if (v instanceof AttrValue) return v;
  if (typeof v === "string") return Attr.string(v);
  if (typeof v === "boolean") return Attr.bool(v);
  if (typeof v === "bigint") return Attr.int(v);
  if (typeof v === "number") return Number.isInteger(v) ? Attr.int(v) : Attr.double(v);
  if (v instanceof Uint8Array) return Attr.bytes(v);
  if (Array.isArray(v)) return Attr.list(v);
  return Attr.map(v);
}

/** Byte-string map -> attribute map (used for header maps). */
export function pairsToAttrMap(pairs: Pair[]): AttrValue {
  const seen = new Map<string, string[]>();
  for (const [k, v] of pairs) {
    if (!seen.has(k)) seen.set(k, []);
    seen.get(k)!.push(v);
  }
  // Envoy joins repeated headers with "," (HeaderUtility::getAllOfHeaderAsString).
  return new AttrValue("map", [...seen.entries()].map(([k, vs]) => [new AttrValue("string", k), new AttrValue("string", vs.join(","))]));
}

function le64(v: bigint, signed: boolean): Uint8Array {
  const out = new Uint8Array(8);
  const dv = new DataView(out.buffer);
  if (signed) dv.setBigInt64(0, BigInt.asIntN(64, v), true);
  else dv.setBigUint64(0, BigInt.asUintN(64, v), true);
  return out;
}

/** Serializes a value; null means SerializationFailure. Byte strings become bytes 1:1. */
export function serializeAttr(a: AttrValue): Uint8Array | null {
  switch (a.kind) {
    case "string":
      return Uint8Array.from(a.value as string, (c) => c.charCodeAt(0));
    case "bytes":
    case "message":
      return (a.value as Uint8Array).slice();
    case "int":
    case "timestamp":
    case "duration":
      return le64(a.value as bigint, true);
    case "uint":
      return le64(a.value as bigint, false);
    case "double": {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setFloat64(0, a.value as number, true);
      return out;
    }
    case "bool":
      return Uint8Array.of(a.value ? 1 : 0);
    case "map":
    case "list": {
      const pairs: Pair[] = [];
      const items = a.kind === "map" ? (a.value as MapEntries) : (a.value as AttrValue[]).map((v) => [v, null] as const);
      for (const [k, v] of items) {
        const ks = serializeAttr(k);
        const vs = v ? serializeAttr(v) : new Uint8Array(0);
        if (!ks || !vs) return null;
        pairs.push([Buffer.from(ks).toString("latin1"), Buffer.from(vs).toString("latin1")]);
      }
      return encodePairs(pairs);
    }
  }
}

/** Decodes an int64 attribute (8 bytes LE) for assertions. */
export function decodeInt64(b: Uint8Array): bigint {
  return new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true);
}

/** A table of attributes keyed by NUL-joined segments ("source\0address"). */
export class AttributeTable {
  private map = new Map<string, AttrValue>();

  /** Adds entries; a key with NUL is split on NUL, otherwise on ".". */
  set(entries: Record<string, AttrInput> | undefined): this {
    for (const [k, v] of Object.entries(entries ?? {})) this.map.set(normalizeKey(k), toAttr(v));
    return this;
  }

  get(segments: string[]): AttrValue | undefined {
    return this.map.get(segments.join("\0"));
  }

  has(segments: string[]): boolean {
    return this.map.has(segments.join("\0"));
  }

  /** True when some key lies strictly under `segments`. */
  hasChildren(segments: string[]): boolean {
    const prefix = segments.join("\0") + "\0";
    for (const k of this.map.keys()) if (k.startsWith(prefix)) return true;
    return false;
  }

  /** Top-level names present (first segment of every key). */
  topLevel(): Set<string> {
    return new Set([...this.map.keys()].map((k) => k.split("\0")[0]));
  }

  clone(): AttributeTable {
    const t = new AttributeTable();
    for (const [k, v] of this.map) t.map.set(k, v);
    return t;
  }
}

export function normalizeKey(k: string): string {
  return toByteString(k.includes("\0") ? k : k.split(".").join("\0"));
}

/** Result of a property lookup. */
export interface PropertyResult {
  status: number;
  value?: Uint8Array;
}

/**
 * Walks `rest` into `value`: maps by key, lists by index; messages only through explicit
 * table entries under `prefix`. Anything else is NotFound.
 */
export function navigate(value: AttrValue, rest: string[], prefix: string[], table: AttributeTable | undefined): PropertyResult {
  let v = value;
  const path = [...prefix];
  for (const seg of rest) {
    path.push(seg);
    if (v.kind === "map") {
      const hit = (v.value as MapEntries).find(([k]) => k.kind === "string" && k.value === seg);
      if (!hit) return { status: WasmResult.NotFound };
      v = hit[1];
    } else if (v.kind === "list") {
      const items = v.value as AttrValue[];
      if (!/^-?\d+$/.test(seg)) return { status: WasmResult.NotFound };
      const i = Number(seg);
      if (i < 0 || i >= items.length) return { status: WasmResult.NotFound };
      v = items[i];
    } else if (v.kind === "message") {
      const sub = table?.get(path);
      if (!sub) return { status: WasmResult.NotFound };
      v = sub;
    } else {
      return { status: WasmResult.NotFound };
    }
  }
  const bytes = serializeAttr(v);
  return bytes ? { status: WasmResult.Ok, value: bytes } : { status: WasmResult.SerializationFailure };
}

/** Splits a property path the way Context::getProperty does: NUL-separated, a trailing NUL ignored. */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < path.length) {
    let end = path.indexOf("\0", start);
    if (end < 0) end = path.length;
    out.push(path.slice(start, end));
    start = end + 1;
  }
  return out;
}
