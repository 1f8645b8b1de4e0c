// google.protobuf.Struct / Value / ListValue and envoy.config.core.v3.Metadata decoded
// into CEL values. This is how dynamic metadata reaches us: jwt_authn's
// `payload_in_metadata`, ext_authz results, or anything a filter before us wrote.
//
//   Struct    { map<string, Value> fields = 1; }            map entry: key = 1, value = 2
//   Value     { oneof kind { NullValue null_value = 1; double number_value = 2;
//                 string string_value = 3; bool bool_value = 4;
//                 Struct struct_value = 5; ListValue list_value = 6; } }
//   ListValue { repeated Value values = 1; }
//   Metadata  { map<string, Struct> filter_metadata = 1;
//               map<string, google.protobuf.Any> typed_filter_metadata = 2; }
//   Any       { string type_url = 1; bytes value = 2; }
//
// Protobuf rules kept: unknown fields are skipped, a field number seen with an
// unexpected wire type is treated as unknown, the last of repeated oneof members wins,
// a later map entry with the same key replaces the earlier one, a map entry without a
// value holds the default (null for Value, an empty Struct). Hostile input (truncation,
// bad varints, lengths past the end, nesting deeper than MAX_STRUCT_DEPTH) makes the
// decoder return null; it never traps.

import { Value, MapValue } from "../cel/value";
import { ProtoReader, WireType } from "./protobuf";

/** Deepest Struct/ListValue nesting accepted (JWT payloads nest two or three levels). */
export const MAX_STRUCT_DEPTH: i32 = 32;

/** Maps past this many entries get a hash index so duplicate keys stay linear to resolve. */
const INDEX_THRESHOLD: i32 = 16;

/** Builds a string-keyed MapValue where a repeated key replaces the earlier value. */
class MapBuilder {
  map: MapValue = new MapValue();
  index: Map<string, i32> | null = null;

  put(key: string, value: Value): void {
    const map = this.map;
    let index = this.index;
    if (index === null) {
      if (map.size < INDEX_THRESHOLD) { map.setString(key, value); return; }
      index = new Map<string, i32>();
      for (let i = 0, n = map.size; i < n; i++) index.set(unchecked(map.keys[i]).str, i);
      this.index = index;
    }
    if (index.has(key)) {
      const at = index.get(key);
      if (at >= 0 && at < map.values.length) unchecked(map.values[at] = value);
      return;
    }
    index.set(key, map.size);
    map.push(Value.string(key), value);
  }
}

/**
 * Decodes a serialized google.protobuf.Struct in `buf[start, end)` (end < 0: to the end)
 * into a CEL map. Returns null when the bytes are not a well-formed Struct. Allocates.
 */
export function decodeStruct(buf: ArrayBuffer, start: i32 = 0, end: i32 = -1): Value | null {
  const r = new ProtoReader(buf, start, end);
  const map = readStructBody(r, 1);
  if (map === null || !r.ok) return null;
  return Value.map(map);
}

/**
 * Decodes a serialized envoy.config.core.v3.Metadata into a CEL map
 * `{filter_metadata: {ns: {...}}, typed_filter_metadata: {ns: {type_url, value}}}`;
 * both keys are always present. Typed entries keep the Any's packed bytes: we carry
 * no descriptors to unpack them. Returns null on malformed bytes. Allocates.
 */
export function decodeMetadata(buf: ArrayBuffer): Value | null {
  const r = new ProtoReader(buf);
  const filter = new MapBuilder();
  const typed = new MapBuilder();
  while (r.next()) {
    const which = r.field;
    if ((which == 1 || which == 2) && r.wire == WireType.Len) {
      if (!r.len()) return null;
      const outer = r.enter();
      let key = "";
      let value: Value | null = null;
      while (r.next()) {
        if (r.field == 1 && r.wire == WireType.Len) {
          if (r.len()) key = r.string();
        } else if (r.field == 2 && r.wire == WireType.Len) {
          if (!r.len()) return null;
          const inner = r.enter();
          const v = which == 1 ? structValue(readStructBody(r, 1)) : readAnyBody(r);
          r.leave(inner);
          if (v === null) return null;
          value = v;
        } else {
          r.skip();
        }
      }
      r.leave(outer);
      if (!r.ok) return null;
      if (which == 1) filter.put(key, value !== null ? value : Value.map(new MapValue()));
      else typed.put(key, value !== null ? value : anyValue("", new ArrayBuffer(0)));
    } else if (!r.skip()) {
      return null;
    }
  }
  if (!r.ok) return null;
  const out = new MapValue();
  out.setString("filter_metadata", Value.map(filter.map));
  out.setString("typed_filter_metadata", Value.map(typed.map));
  return Value.map(out);
}

function structValue(m: MapValue | null): Value | null {
  return m === null ? null : Value.map(m);
}

function anyValue(typeUrl: string, bytes: ArrayBuffer): Value {
  const m = new MapValue();
  m.setString("type_url", Value.string(typeUrl));
  m.setString("value", Value.bytes(bytes));
  return Value.map(m);
}

/** Reads a google.protobuf.Any until the current limit as `{type_url, value}`. */
function readAnyBody(r: ProtoReader): Value | null {
  let typeUrl = "";
  let bytes = new ArrayBuffer(0);
  while (r.next()) {
    if (r.field == 1 && r.wire == WireType.Len) {
      if (r.len()) typeUrl = r.string();
    } else if (r.field == 2 && r.wire == WireType.Len) {
      if (r.len()) bytes = r.bytesCopy();
    } else {
      r.skip();
    }
  }
  return r.ok ? anyValue(typeUrl, bytes) : null;
}

/** Reads Struct fields until the current limit. Null on malformed input or too deep. */
function readStructBody(r: ProtoReader, depth: i32): MapValue | null {
  if (depth > MAX_STRUCT_DEPTH) { r.fail(); return null; }
  const fields = new MapBuilder();
  while (r.next()) {
    if (r.field == 1 && r.wire == WireType.Len) {
      if (!r.len()) return null;
      const outer = r.enter();
      let key = "";
      let value: Value = Value.null();
      while (r.next()) {
        if (r.field == 1 && r.wire == WireType.Len) {
          if (r.len()) key = r.string();
        } else if (r.field == 2 && r.wire == WireType.Len) {
          if (!r.len()) return null;
          const inner = r.enter();
          const v = readValueBody(r, depth + 1);
          r.leave(inner);
          if (v === null) return null;
          value = v;
        } else {
          r.skip();
        }
      }
      r.leave(outer);
      if (!r.ok) return null;
      fields.put(key, value);
    } else if (!r.skip()) {
      return null;
    }
  }
  return r.ok ? fields.map : null;
}

/** Reads one google.protobuf.Value until the current limit; an unset kind is null. */
function readValueBody(r: ProtoReader, depth: i32): Value | null {
  if (depth > MAX_STRUCT_DEPTH) { r.fail(); return null; }
  let out: Value = Value.null();
  while (r.next()) {
    const f = r.field;
    const w = r.wire;
    if (f == 1 && w == WireType.Varint) {
      r.varint();
      out = Value.null();
    } else if (f == 2 && w == WireType.Fixed64) {
      out = Value.double(reinterpret<f64>(r.fixed64()));
    } else if (f == 3 && w == WireType.Len) {
      if (r.len()) out = Value.string(r.string());
    } else if (f == 4 && w == WireType.Varint) {
      out = Value.bool(r.varint() != 0);
    } else if ((f == 5 || f == 6) && w == WireType.Len) {
      if (!r.len()) return null;
      const outer = r.enter();
      if (f == 5) {
        const m = readStructBody(r, depth + 1);
        r.leave(outer);
        if (m === null) return null;
        out = Value.map(m);
      } else {
        const l = readListBody(r, depth + 1);
        r.leave(outer);
        if (l === null) return null;
        out = Value.list(l);
      }
    } else {
      r.skip();
    }
  }
  return r.ok ? out : null;
}

/** Reads ListValue elements until the current limit. */
function readListBody(r: ProtoReader, depth: i32): Array<Value> | null {
  if (depth > MAX_STRUCT_DEPTH) { r.fail(); return null; }
  const items = new Array<Value>();
  while (r.next()) {
    if (r.field == 1 && r.wire == WireType.Len) {
      if (!r.len()) return null;
      const outer = r.enter();
      const v = readValueBody(r, depth + 1);
      r.leave(outer);
      if (v === null) return null;
      items.push(v);
    } else if (!r.skip()) {
      return null;
    }
  }
  return r.ok ? items : null;
}
