// CEL runtime values. One class with a kind tag keeps evaluation allocation-light and
// lets the attribute layer build values without knowing the evaluator.
// Errors are values too (kind Error, message in `str`): nothing here throws.

export enum Kind { Null, Bool, Int, Uint, Double, String, Bytes, List, Map, Type, Error, Unknown }

export class Value {
  kind: Kind = Kind.Null;
  b: bool = false;
  i: i64 = 0;          // Int, and Uint bits (as u64)
  d: f64 = 0;          // Double
  str: string = "";    // String, Type name, Error message
  bytes: ArrayBuffer | null = null;
  list: Array<Value> | null = null;
  map: MapValue | null = null;

  static null(): Value { return NULL_VALUE; }
  static bool(v: bool): Value { return v ? TRUE_VALUE : FALSE_VALUE; }
  static int(v: i64): Value { const x = new Value(); x.kind = Kind.Int; x.i = v; return x; }
  static uint(v: u64): Value { const x = new Value(); x.kind = Kind.Uint; x.i = <i64>v; return x; }
  static double(v: f64): Value { const x = new Value(); x.kind = Kind.Double; x.d = v; return x; }
  static string(v: string): Value { const x = new Value(); x.kind = Kind.String; x.str = v; return x; }
  static bytes(v: ArrayBuffer): Value { const x = new Value(); x.kind = Kind.Bytes; x.bytes = v; return x; }
  static list(v: Array<Value>): Value { const x = new Value(); x.kind = Kind.List; x.list = v; return x; }
  static map(v: MapValue): Value { const x = new Value(); x.kind = Kind.Map; x.map = v; return x; }
  static error(message: string): Value { const x = new Value(); x.kind = Kind.Error; x.str = message; return x; }
  /** A type value (`int`, `map`, `null_type` ...), as returned by `type(x)`. */
  static typeValue(name: string): Value { const x = new Value(); x.kind = Kind.Type; x.str = name; return x; }

  isError(): bool { return this.kind == Kind.Error; }
}

const NULL_VALUE = new Value();
const TRUE_VALUE = ((): Value => { const x = new Value(); x.kind = Kind.Bool; x.b = true; return x; })();
const FALSE_VALUE = ((): Value => { const x = new Value(); x.kind = Kind.Bool; x.b = false; return x; })();

/**
 * A CEL map. Keys are Values (string, int, uint, bool); lookups compare with CEL
 * equality (so 1 == 1u == 1.0 as keys). Insertion order is kept. Linear lookup is
 * fine for the small maps requests carry; string-keyed lookups use `getString`.
 */
export class MapValue {
  keys: Array<Value> = new Array<Value>();
  values: Array<Value> = new Array<Value>();

  get size(): i32 { return this.keys.length; }

  /** Number of complete entries (keys and values are public; never index past either). */
  entryCount(): i32 {
    const k = this.keys.length, v = this.values.length;
    return k < v ? k : v;
  }

  /** Adds or replaces a string-keyed entry. */
  setString(key: string, value: Value): void {
    for (let i = 0, n = this.entryCount(); i < n; i++) {
      const k = unchecked(this.keys[i]);
      if (k.kind == Kind.String && k.str == key) { unchecked(this.values[i] = value); return; }
    }
    this.keys.push(Value.string(key));
    this.values.push(value);
  }

  /** Value under a string key, or null when absent. */
  getString(key: string): Value | null {
    for (let i = 0, n = this.entryCount(); i < n; i++) {
      const k = unchecked(this.keys[i]);
      if (k.kind == Kind.String && k.str == key) return unchecked(this.values[i]);
    }
    return null;
  }

  /** Appends an entry without checking duplicates (the parser checks map literals). */
  push(key: Value, value: Value): void {
    this.keys.push(key);
    this.values.push(value);
  }
}
