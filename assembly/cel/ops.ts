// Operators on CEL values: heterogeneous equality and ordering, checked arithmetic,
// indexing and membership. Every function returns a Value (possibly kind Error) and
// never traps: integer division is guarded, overflow is detected, recursion into
// nested values is bounded by MAX_VALUE_DEPTH.

import { Value, Kind, MapValue } from "./value";
import { MAX_VALUE_DEPTH, MAX_STRING_LENGTH, MAX_COLLECTION_SIZE, beginValueWork, spendValueWork } from "./limits";
import { strEq } from "./strings";
import { charge, chargeElements, budgetError } from "./budget";

/** CEL type name of a value, as `type(v)` reports it. */
export function typeName(v: Value): string {
  switch (v.kind) {
    case Kind.Null: return "null_type";
    case Kind.Bool: return "bool";
    case Kind.Int: return "int";
    case Kind.Uint: return "uint";
    case Kind.Double: return "double";
    case Kind.String: return "string";
    case Kind.Bytes: return "bytes";
    case Kind.List: return "list";
    case Kind.Map: return "map";
    case Kind.Type: return "type";
    case Kind.Error: return "error";
    default: return "unknown";
  }
}

export function noOverload(op: string, a: Value): Value {
  return Value.error("no such overload: " + op + "(" + typeName(a) + ")");
}

export function noOverload2(op: string, a: Value, b: Value): Value {
  return Value.error("no such overload: " + op + "(" + typeName(a) + ", " + typeName(b) + ")");
}

@inline export function isNumber(k: Kind): bool { return k == Kind.Int || k == Kind.Uint || k == Kind.Double; }

// Result codes of compareNumbers/compareValues.
export const LESS: i32 = -1;
export const EQUAL: i32 = 0;
export const GREATER: i32 = 1;
/** NaN is involved: no order, not equal. */
export const UNORDERED: i32 = 2;
/** The two values have no ordering defined between them. */
export const NO_ORDER: i32 = 3;

const TWO_63: f64 = 9223372036854775808.0;
const TWO_64: f64 = 18446744073709551616.0;

@inline function cmpI(a: i64, b: i64): i32 { return a < b ? LESS : (a > b ? GREATER : EQUAL); }
@inline function cmpU(a: u64, b: u64): i32 { return a < b ? LESS : (a > b ? GREATER : EQUAL); }

@inline function cmpD(x: f64, y: f64): i32 {
  if (isNaN(x) || isNaN(y)) return UNORDERED;
  return x < y ? LESS : (x > y ? GREATER : EQUAL);
}

// An int or uint meets a double the way cel-go compares them: out-of-range doubles order
// outside every integer, otherwise the integer is converted to double (which may round:
// 2^63-1 compares equal to 2^63 as a double, as the conformance suite expects).
function cmpIntDouble(i: i64, d: f64): i32 {
  if (isNaN(d)) return UNORDERED;
  if (d < -TWO_63) return GREATER;
  if (d > TWO_63) return LESS;
  return cmpD(<f64>i, d);
}

function cmpUintDouble(u: u64, d: f64): i32 {
  if (isNaN(d)) return UNORDERED;
  if (d < 0) return GREATER;
  if (d > TWO_64) return LESS;
  return cmpD(<f64>u, d);
}

/** Numeric comparison across int, uint and double (both must be numbers). */
export function compareNumbers(a: Value, b: Value): i32 {
  const ka = a.kind, kb = b.kind;
  if (ka == Kind.Int) {
    if (kb == Kind.Int) return cmpI(a.i, b.i);
    if (kb == Kind.Uint) return a.i < 0 ? LESS : cmpU(<u64>a.i, <u64>b.i);
    return cmpIntDouble(a.i, b.d);
  }
  if (ka == Kind.Uint) {
    if (kb == Kind.Uint) return cmpU(<u64>a.i, <u64>b.i);
    if (kb == Kind.Int) return b.i < 0 ? GREATER : cmpU(<u64>a.i, <u64>b.i);
    return cmpUintDouble(<u64>a.i, b.d);
  }
  // a is double
  if (kb == Kind.Double) return cmpD(a.d, b.d);
  const r = kb == Kind.Int ? cmpIntDouble(b.i, a.d) : cmpUintDouble(<u64>b.i, a.d);
  return r == LESS ? GREATER : (r == GREATER ? LESS : r);
}

/** Lexicographic comparison of two byte buffers. */
export function compareBytes(a: ArrayBuffer, b: ArrayBuffer): i32 {
  const na = a.byteLength, nb = b.byteLength;
  const n = na < nb ? na : nb;
  const pa = changetype<usize>(a), pb = changetype<usize>(b);
  for (let i = 0; i < n; i++) {
    const x = load<u8>(pa + <usize>i), y = load<u8>(pb + <usize>i);
    if (x != y) return x < y ? LESS : GREATER;
  }
  return na < nb ? LESS : (na > nb ? GREATER : EQUAL);
}

/** Compares strings by code point (UTF-16 order differs for astral characters). */
export function compareStrings(a: string, b: string): i32 {
  const na = a.length, nb = b.length;
  const n = na < nb ? na : nb;
  const pa = changetype<usize>(a), pb = changetype<usize>(b);
  for (let i = 0; i < n; i++) {
    const x = <u32>load<u16>(pa + (<usize>i << 1)), y = <u32>load<u16>(pb + (<usize>i << 1));
    if (x != y) {
      // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF: they sort after
      // every other BMP unit in code point order.
      const sx = x >= 0xd800 && x <= 0xdfff, sy = y >= 0xd800 && y <= 0xdfff;
      if (sx != sy) return sx ? GREATER : LESS;
      return x < y ? LESS : GREATER;
    }
  }
  return na < nb ? LESS : (na > nb ? GREATER : EQUAL);
}

/** Ordering for <, <=, >, >=: numbers across kinds, strings, bytes, bools. */
export function compareValues(a: Value, b: Value): i32 {
  const ka = a.kind, kb = b.kind;
  if (isNumber(ka) && isNumber(kb)) return compareNumbers(a, b);
  if (ka != kb) return NO_ORDER;
  switch (ka) {
    case Kind.String: return compareStrings(a.str, b.str);
    case Kind.Bool: return a.b == b.b ? EQUAL : (a.b ? GREATER : LESS);
    case Kind.Bytes: {
      const x = a.bytes, y = b.bytes;
      if (x === null || y === null) return NO_ORDER;
      return compareBytes(x, y);
    }
  }
  return NO_ORDER;
}

/**
 * CEL equality. Numbers compare by value across int/uint/double; values of different
 * types are unequal; lists and maps compare element-wise. Returns 1, 0, or -1 when
 * the values nest deeper than MAX_VALUE_DEPTH (the caller reports an error).
 */
export function equalValues(a: Value, b: Value, depth: i32): i32 {
  if (depth == 0) beginValueWork();
  if (!spendValueWork(1)) return -1;
  const ka = a.kind, kb = b.kind;
  if (isNumber(ka) && isNumber(kb)) return compareNumbers(a, b) == EQUAL ? 1 : 0;
  if (ka != kb) return 0;
  switch (ka) {
    case Kind.Null: return 1;
    case Kind.Bool: return a.b == b.b ? 1 : 0;
    case Kind.String: return a.str == b.str ? 1 : 0;
    case Kind.Type: return a.str == b.str ? 1 : 0;
    case Kind.Bytes: {
      const x = a.bytes, y = b.bytes;
      if (x === null || y === null) return x === y ? 1 : 0;
      return compareBytes(x, y) == EQUAL ? 1 : 0;
    }
    case Kind.List: {
      const x = a.list, y = b.list;
      if (x === null || y === null) return x === y ? 1 : 0;
      const n = x.length;
      if (n != y.length) return 0;
      if (depth >= MAX_VALUE_DEPTH) return -1;
      for (let i = 0; i < n; i++) {
        const r = equalValues(unchecked(x[i]), unchecked(y[i]), depth + 1);
        if (r != 1) return r;
      }
      return 1;
    }
    case Kind.Map: {
      const x = a.map, y = b.map;
      if (x === null || y === null) return x === y ? 1 : 0;
      const n = x.entryCount();
      if (n != y.entryCount()) return 0;
      if (depth >= MAX_VALUE_DEPTH) return -1;
      for (let i = 0; i < n; i++) {
        const other = mapFind(y, unchecked(x.keys[i]));
        if (other === null) return 0;
        const r = equalValues(unchecked(x.values[i]), other, depth + 1);
        if (r != 1) return r;
      }
      return 1;
    }
  }
  return 0;
}

/** Equality as a CEL result value (errors propagate, depth overflow is an error). */
export function equalsValue(a: Value, b: Value): Value {
  if (a.kind == Kind.Error) return a;
  if (b.kind == Kind.Error) return b;
  const r = equalValues(a, b, 0);
  if (r < 0) return Value.error("value nested too deeply to compare");
  return Value.bool(r == 1);
}

/** Map keys may be int, uint, bool or string. */
export function isValidMapKey(k: Value): bool {
  const kind = k.kind;
  return kind == Kind.Int || kind == Kind.Uint || kind == Kind.Bool || kind == Kind.String;
}

/**
 * Finds the value under `key` using CEL key equality (1 == 1u == 1.0 as keys), or
 * null. A double key matches only when it is integral.
 */
export function mapFind(m: MapValue, key: Value): Value | null {
  const kk = key.kind;
  if (kk == Kind.String) return mapGetString(m, key.str);
  const keys = m.keys;
  const n = m.entryCount();
  if (isNumber(kk)) {
    for (let i = 0; i < n; i++) {
      const k = unchecked(keys[i]);
      if (isNumber(k.kind) && compareNumbers(k, key) == EQUAL) return unchecked(m.values[i]);
    }
    return null;
  }
  if (kk == Kind.Bool) {
    for (let i = 0; i < n; i++) {
      const k = unchecked(keys[i]);
      if (k.kind == Kind.Bool && k.b == key.b) return unchecked(m.values[i]);
    }
  }
  return null;
}

/** `container[index]` for lists and maps. */
export function indexValue(c: Value, idx: Value): Value {
  if (c.kind == Kind.Error) return c;
  if (idx.kind == Kind.Error) return idx;
  if (c.kind == Kind.List) {
    const list = c.list;
    if (list === null) return Value.error("invalid list");
    let i: i64;
    if (idx.kind == Kind.Int) i = idx.i;
    else if (idx.kind == Kind.Uint) {
      if (<u64>idx.i > <u64>i32.MAX_VALUE) return Value.error("index out of range: " + (<u64>idx.i).toString());
      i = idx.i;
    } else if (idx.kind == Kind.Double) {
      const d = idx.d;
      if (!(d >= -2147483648.0 && d <= 2147483647.0) || d != Math.trunc(d)) return Value.error("invalid list index: " + d.toString());
      i = <i64>d;
    } else return noOverload2("_[_]", c, idx);
    if (i < 0 || i >= <i64>list.length) return Value.error("index out of range: " + i.toString());
    return unchecked(list[<i32>i]);
  }
  if (c.kind == Kind.Map) {
    const m = c.map;
    if (m === null) return Value.error("invalid map");
    const v = mapFind(m, idx);
    if (v === null) return Value.error("no such key: " + keyText(idx));
    return v;
  }
  return noOverload2("_[_]", c, idx);
}

export function keyText(k: Value): string {
  switch (k.kind) {
    case Kind.String: return "'" + k.str + "'";
    case Kind.Int: return k.i.toString();
    case Kind.Uint: return (<u64>k.i).toString() + "u";
    case Kind.Bool: return k.b ? "true" : "false";
    case Kind.Double: return k.d.toString();
  }
  return typeName(k);
}

/** `elem in container`. */
export function inValue(e: Value, c: Value): Value {
  if (e.kind == Kind.Error) return e;
  if (c.kind == Kind.Error) return c;
  if (c.kind == Kind.List) {
    const list = c.list;
    if (list === null) return Value.bool(false);
    for (let i = 0, n = list.length; i < n; i++) {
      const r = equalValues(e, unchecked(list[i]), 0);
      if (r == 1) return Value.bool(true);
      if (r < 0) return Value.error("value nested too deeply to compare");
    }
    return Value.bool(false);
  }
  if (c.kind == Kind.Map) {
    const m = c.map;
    if (m === null) return Value.bool(false);
    return Value.bool(mapFind(m, e) !== null);
  }
  return noOverload2("@in", e, c);
}

/** Length of an Array without the out-of-line getter call. */
@inline export function arrayLength<T>(a: Array<T>): i32 {
  return load<i32>(changetype<usize>(a), offsetof<Array<T>>("length_"));
}

/** Value under string key `key`, or null (raw loads: this is the hot path of `a.b.c`). */
@inline export function mapGetString(m: MapValue, key: string): Value | null {
  const keys = m.keys, values = m.values;
  let n = arrayLength(keys);
  const nv = arrayLength(values);
  if (nv < n) n = nv;
  const kp = keys.dataStart, vp = values.dataStart;
  for (let i = 0; i < n; i++) {
    const k = load<Value>(kp + (<usize>i << alignof<usize>()));
    if (k.kind == Kind.String && strEq(k.str, key)) return load<Value>(vp + (<usize>i << alignof<usize>()));
  }
  return null;
}

/** `v.field` on a map (CEL has no other selectable values without protobuf messages). */
export function selectField(v: Value, field: string): Value {
  if (v.kind == Kind.Map) {
    const m = v.map;
    if (m !== null) {
      const r = mapGetString(m, field);
      if (r !== null) return r;
    }
    return Value.error("no such key: '" + field + "'");
  }
  if (v.kind == Kind.Error) return v;
  return Value.error("type '" + typeName(v) + "' does not support field selection");
}

/** `has(v.field)`. */
export function hasField(v: Value, field: string): Value {
  if (v.kind == Kind.Map) {
    const m = v.map;
    return Value.bool(m !== null && mapGetString(m, field) !== null);
  }
  if (v.kind == Kind.Error) return v;
  return Value.error("type '" + typeName(v) + "' does not support field selection");
}

// ---- arithmetic -------------------------------------------------------------------

export function overflow(): Value { return Value.error("integer overflow"); }

export function addValues(a: Value, b: Value): Value {
  if (a.kind == Kind.Error) return a;
  if (b.kind == Kind.Error) return b;
  const k = a.kind;
  if (k != b.kind) return noOverload2("_+_", a, b);
  switch (k) {
    case Kind.Int: {
      const x = a.i, y = b.i, r = x + y;
      if (((x ^ r) & (y ^ r)) < 0) return overflow();
      return Value.int(r);
    }
    case Kind.Uint: {
      const x = <u64>a.i, y = <u64>b.i, r = x + y;
      if (r < x) return overflow();
      return Value.uint(r);
    }
    case Kind.Double: return Value.double(a.d + b.d);
    case Kind.String: {
      if (a.str.length + b.str.length > MAX_STRING_LENGTH) return Value.error("string too long");
      if (!charge(a.str.length + b.str.length)) return budgetError();
      return Value.string(a.str + b.str);
    }
    case Kind.Bytes: {
      const x = a.bytes, y = b.bytes;
      if (x === null || y === null) return noOverload2("_+_", a, b);
      const nx = x.byteLength, ny = y.byteLength;
      if (nx + ny > MAX_STRING_LENGTH) return Value.error("bytes too long");
      if (!charge(nx + ny)) return budgetError();
      const out = new ArrayBuffer(nx + ny);
      memory.copy(changetype<usize>(out), changetype<usize>(x), <usize>nx);
      memory.copy(changetype<usize>(out) + <usize>nx, changetype<usize>(y), <usize>ny);
      return Value.bytes(out);
    }
    case Kind.List: {
      const x = a.list, y = b.list;
      if (x === null || y === null) return noOverload2("_+_", a, b);
      if (x.length + y.length > MAX_COLLECTION_SIZE) return Value.error("list too long");
      if (!chargeElements(x.length + y.length)) return budgetError();
      if (y.length == 0) return a;
      if (x.length == 0) return b;
      return Value.list(x.concat(y));
    }
  }
  return noOverload2("_+_", a, b);
}

export function subValues(a: Value, b: Value): Value {
  if (a.kind == Kind.Error) return a;
  if (b.kind == Kind.Error) return b;
  const k = a.kind;
  if (k != b.kind) return noOverload2("_-_", a, b);
  if (k == Kind.Int) {
    const x = a.i, y = b.i, r = x - y;
    if (((x ^ y) & (x ^ r)) < 0) return overflow();
    return Value.int(r);
  }
  if (k == Kind.Uint) {
    const x = <u64>a.i, y = <u64>b.i;
    if (y > x) return overflow();
    return Value.uint(x - y);
  }
  if (k == Kind.Double) return Value.double(a.d - b.d);
  return noOverload2("_-_", a, b);
}

export function mulValues(a: Value, b: Value): Value {
  if (a.kind == Kind.Error) return a;
  if (b.kind == Kind.Error) return b;
  const k = a.kind;
  if (k != b.kind) return noOverload2("_*_", a, b);
  if (k == Kind.Int) {
    const x = a.i, y = b.i;
    if (x == 0 || y == 0) return Value.int(0);
    if ((x == -1 && y == i64.MIN_VALUE) || (y == -1 && x == i64.MIN_VALUE)) return overflow();
    const r = x * y;
    // y != 0 and (r, y) != (MIN, -1) here, so the division cannot trap
    if (r / y != x) return overflow();
    return Value.int(r);
  }
  if (k == Kind.Uint) {
    const x = <u64>a.i, y = <u64>b.i;
    if (x == 0 || y == 0) return Value.uint(0);
    const r = x * y;
    if (r / y != x) return overflow();
    return Value.uint(r);
  }
  if (k == Kind.Double) return Value.double(a.d * b.d);
  return noOverload2("_*_", a, b);
}

export function divValues(a: Value, b: Value): Value {
  if (a.kind == Kind.Error) return a;
  if (b.kind == Kind.Error) return b;
  const k = a.kind;
  if (k != b.kind) return noOverload2("_/_", a, b);
  if (k == Kind.Int) {
    const x = a.i, y = b.i;
    if (y == 0) return Value.error("divide by zero");
    if (x == i64.MIN_VALUE && y == -1) return overflow();
    return Value.int(x / y);
  }
  if (k == Kind.Uint) {
    const x = <u64>a.i, y = <u64>b.i;
    if (y == 0) return Value.error("divide by zero");
    return Value.uint(x / y);
  }
  if (k == Kind.Double) return Value.double(a.d / b.d);
  return noOverload2("_/_", a, b);
}

export function modValues(a: Value, b: Value): Value {
  if (a.kind == Kind.Error) return a;
  if (b.kind == Kind.Error) return b;
  const k = a.kind;
  if (k != b.kind) return noOverload2("_%_", a, b);
  if (k == Kind.Int) {
    const x = a.i, y = b.i;
    if (y == 0) return Value.error("modulus by zero");
    if (x == i64.MIN_VALUE && y == -1) return overflow();
    return Value.int(x % y);
  }
  if (k == Kind.Uint) {
    const x = <u64>a.i, y = <u64>b.i;
    if (y == 0) return Value.error("modulus by zero");
    return Value.uint(x % y);
  }
  return noOverload2("_%_", a, b);
}

export function negValue(a: Value): Value {
  if (a.kind == Kind.Int) {
    if (a.i == i64.MIN_VALUE) return overflow();
    return Value.int(-a.i);
  }
  if (a.kind == Kind.Double) return Value.double(-a.d);
  if (a.kind == Kind.Error) return a;
  return noOverload("-_", a);
}

export function notValue(a: Value): Value {
  if (a.kind == Kind.Bool) return Value.bool(!a.b);
  if (a.kind == Kind.Error) return a;
  return noOverload("!_", a);
}

/** `<`, `<=`, `>`, `>=` selected by `which` (0..3). */
export function relValues(which: i32, a: Value, b: Value): Value {
  if (a.kind == Kind.Error) return a;
  if (b.kind == Kind.Error) return b;
  const c = compareValues(a, b);
  if (c == NO_ORDER) {
    const names = ["_<_", "_<=_", "_>_", "_>=_"];
    return noOverload2(unchecked(names[which & 3]), a, b);
  }
  if (c == UNORDERED) return Value.bool(false);
  switch (which) {
    case 0: return Value.bool(c == LESS);
    case 1: return Value.bool(c != GREATER);
    case 2: return Value.bool(c == GREATER);
    default: return Value.bool(c != LESS);
  }
}
