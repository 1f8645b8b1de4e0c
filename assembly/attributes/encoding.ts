// Envoy's serialization of attribute values for Wasm (`serializeValue` in Envoy's Wasm
// context): strings and bytes as-is, int/uint/double as their 8 little-endian bytes,
// bool as one byte, timestamps and durations as int64 nanoseconds, protobuf messages
// serialized, maps and lists as a header-pairs blob. A value whose size does not match
// its type is treated as absent, never read past.

import { Value, MapValue } from "../cel/value";
import { parsePairs, Header } from "../abi/headers";
import { decodeMetadata } from "./struct";

export enum Encoding {
  /** UTF-8 text. */
  String,
  /** Raw bytes -> CEL bytes. */
  Bytes,
  /** int64, 8 bytes little-endian. */
  Int,
  /** uint64, 8 bytes little-endian. */
  Uint,
  /** One byte, non-zero = true. */
  Bool,
  /** IEEE 754 double, 8 bytes. */
  Double,
  /**
   * int64 nanoseconds since the epoch / of elapsed time. Not resolved: CEL values here
   * have no timestamp or duration kind, and passing them off as ints would change what
   * `request.time > timestamp(...)` or `request.duration.getSeconds()` mean.
   */
  Timestamp,
  Duration,
  /** Serialized envoy.config.core.v3.Metadata -> `{filter_metadata, typed_filter_metadata}`. */
  Metadata,
  /** A map<string, string> as a header-pairs blob (response headers and trailers). */
  Pairs,
}

/** Whether values of this encoding can be turned into a CEL value at all. */
export function isResolvable(encoding: Encoding): bool {
  return encoding != Encoding.Timestamp && encoding != Encoding.Duration;
}

/**
 * The CEL value of attribute bytes in `encoding`, or null when the bytes do not fit the
 * encoding (wrong size, malformed protobuf) or the encoding has no CEL value here.
 * Allocates the value; never traps.
 */
export function decodeAttribute(bytes: ArrayBuffer, encoding: Encoding): Value | null {
  const size = bytes.byteLength;
  const ptr = changetype<usize>(bytes);
  switch (encoding) {
    case Encoding.String: return Value.string(String.UTF8.decode(bytes));
    case Encoding.Bytes: return Value.bytes(bytes);
    case Encoding.Int: return size == 8 ? Value.int(load<i64>(ptr)) : null;
    case Encoding.Uint: return size == 8 ? Value.uint(load<u64>(ptr)) : null;
    case Encoding.Bool: return size == 1 ? Value.bool(load<u8>(ptr) != 0) : null;
    case Encoding.Double: return size == 8 ? Value.double(load<f64>(ptr)) : null;
    case Encoding.Metadata: return decodeMetadata(bytes);
    case Encoding.Pairs: return headerMapValue(parsePairs(bytes));
    default: return null;
  }
}

/**
 * Nanoseconds carried by a timestamp or duration attribute, for callers that want them
 * as a number; `ok` is false when the bytes are not 8 long.
 */
export class Nanos {
  ok: bool = false;
  value: i64 = 0;
}

/** Reads Envoy's 8-byte nanosecond encoding of timestamps and durations. */
export function decodeNanos(bytes: ArrayBuffer): Nanos {
  const out = new Nanos();
  if (bytes.byteLength == 8) {
    out.ok = true;
    out.value = load<i64>(changetype<usize>(bytes));
  }
  return out;
}

/** Lower-cases ASCII letters; returns `s` itself when it has none (the usual case). */
export function asciiLower(s: string): string {
  const n = s.length;
  const base = changetype<usize>(s);
  let i = 0;
  while (i < n) {
    const c = load<u16>(base + (<usize>i << 1));
    if (c >= 65 && c <= 90) break;
    i++;
  }
  if (i == n) return s;
  return s.toLowerCase();
}

/**
 * Header entries as a CEL map<string, string> the way Envoy's `request.headers` shows
 * them: keys lower-cased, every name once, the values of a repeated name joined with ","
 * in order. Allocates the map.
 */
export function headerMapValue(headers: Header[]): Value {
  const map = new MapValue();
  const index = new Map<string, i32>();
  for (let i = 0, n = headers.length; i < n; i++) {
    const h = unchecked(headers[i]);
    const key = asciiLower(h.name);
    if (index.has(key)) {
      const at = index.get(key);
      if (at >= 0 && at < map.values.length) {
        const prev = unchecked(map.values[at]);
        unchecked(map.values[at] = Value.string(prev.str + "," + h.value));
      }
    } else {
      index.set(key, map.size);
      map.push(Value.string(key), Value.string(h.value));
    }
  }
  return Value.map(map);
}
