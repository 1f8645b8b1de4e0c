// Hand encoding of protobuf wire bytes for tests: just enough to build Struct, Value,
// ListValue, Metadata and Any messages field by field, so test inputs spell out the
// exact bytes Envoy would send (and malformed variants of them).

/** Concatenates byte strings. */
export function concat(parts: ArrayBuffer[]): ArrayBuffer {
  let size = 0;
  for (let i = 0; i < parts.length; i++) size += parts[i].byteLength;
  const out = new ArrayBuffer(size);
  let at: usize = 0;
  for (let i = 0; i < parts.length; i++) {
    memory.copy(changetype<usize>(out) + at, changetype<usize>(parts[i]), <usize>parts[i].byteLength);
    at += <usize>parts[i].byteLength;
  }
  return out;
}

/** Bytes from a list of numbers (0..255). */
export function bytesOf(values: u8[]): ArrayBuffer {
  const out = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(out) + <usize>i, values[i]);
  return out;
}

/** A base-128 varint. */
export function varint(v: u64): ArrayBuffer {
  const tmp = new Array<u8>();
  do {
    let b = <u8>(v & 0x7F);
    v >>= 7;
    if (v != 0) b |= 0x80;
    tmp.push(b);
  } while (v != 0);
  return bytesOf(tmp);
}

export function tag(field: u32, wire: u32): ArrayBuffer {
  return varint((<u64>field << 3) | <u64>wire);
}

/** A varint field (wire type 0). */
export function varintField(field: u32, v: u64): ArrayBuffer {
  return concat([tag(field, 0), varint(v)]);
}

/** A double field (wire type 1). */
export function doubleField(field: u32, d: f64): ArrayBuffer {
  const b = new ArrayBuffer(8);
  store<f64>(changetype<usize>(b), d);
  return concat([tag(field, 1), b]);
}

/** A length-delimited field holding `body`. */
export function lenField(field: u32, body: ArrayBuffer): ArrayBuffer {
  return concat([tag(field, 2), varint(<u64>body.byteLength), body]);
}

/** A string field. */
export function stringField(field: u32, s: string): ArrayBuffer {
  return lenField(field, String.UTF8.encode(s));
}

/** An embedded message field made of `parts`. */
export function messageField(field: u32, parts: ArrayBuffer[]): ArrayBuffer {
  return lenField(field, concat(parts));
}

// google.protobuf.Value bodies.
export function vNull(): ArrayBuffer { return varintField(1, 0); }
export function vNumber(d: f64): ArrayBuffer { return doubleField(2, d); }
export function vString(s: string): ArrayBuffer { return stringField(3, s); }
export function vBool(b: bool): ArrayBuffer { return varintField(4, b ? 1 : 0); }
/** A Struct value from entries made with `entry`. */
export function vStruct(entries: ArrayBuffer[]): ArrayBuffer { return messageField(5, entries); }
/** A ListValue value from Value bodies. */
export function vList(values: ArrayBuffer[]): ArrayBuffer {
  const items = new Array<ArrayBuffer>();
  for (let i = 0; i < values.length; i++) items.push(lenField(1, values[i]));
  return messageField(6, items);
}

/** One Struct `fields` map entry: key -> Value body. */
export function entry(key: string, valueBody: ArrayBuffer): ArrayBuffer {
  return messageField(1, [stringField(1, key), lenField(2, valueBody)]);
}

/** A Struct body from entries. */
export function structBody(entries: ArrayBuffer[]): ArrayBuffer {
  return concat(entries);
}

/** A Metadata body with one filter_metadata namespace holding `struct`. */
export function metadataWith(namespace: string, struct: ArrayBuffer): ArrayBuffer {
  return messageField(1, [stringField(1, namespace), lenField(2, struct)]);
}

/** A typed_filter_metadata entry: namespace -> Any{type_url, value}. */
export function typedMetadataEntry(namespace: string, typeUrl: string, value: ArrayBuffer): ArrayBuffer {
  return messageField(2, [stringField(1, namespace), messageField(2, [stringField(1, typeUrl), lenField(2, value)])]);
}
