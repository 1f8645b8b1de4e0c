// Walking parsed JSON with typed getters that never stop at the first problem: each
// getter returns a usable value (the default when the field is absent or wrong) and
// records one line per problem, `<json path>: <what was expected>, got <what was there>`.
// The section readers (limits, identity, usage ...) are written against this.

import { Value, MapValue, Kind } from "../cel/value";
import { pathKey, quoteJson, displayPath } from "../json/path";

/** Collects errors and warnings while a configuration is read. */
export class ConfigReader {
  errors: Array<string> = new Array<string>();
  warnings: Array<string> = new Array<string>();

  error(path: string, message: string): void {
    this.errors.push(displayPath(path) + ": " + message);
  }

  warn(path: string, message: string): void {
    this.warnings.push(displayPath(path) + ": " + message);
  }

  /**
   * The entries of `v` when it is an object; otherwise reports and returns null.
   * Every key not in `allowed` is reported as unknown, except those in `tolerated`
   * (accepted and ignored).
   */
  object(v: Value, path: string, allowed: Array<string>, tolerated: Array<string> = []): MapValue | null {
    const map = v.map;
    if (v.kind != Kind.Map || map === null) {
      this.error(path, "expected an object, got " + describe(v));
      return null;
    }
    const keys = map.keys;
    for (let i = 0, n = keys.length; i < n; i++) {
      const key = unchecked(keys[i]).str;
      if (!allowed.includes(key) && !tolerated.includes(key)) {
        this.error(pathKey(path, key), "unknown field (expected one of: " + allowed.join(", ") + ")");
      }
    }
    return map;
  }

  /** The value under `key`, or null when it is absent or JSON null (null means "not set"). */
  member(obj: MapValue, key: string): Value | null {
    const v = obj.getString(key);
    if (v === null || v.kind == Kind.Null) return null;
    return v;
  }

  /** Like `member`, but reports `<path>.<key>: required` when absent. */
  required(obj: MapValue, key: string, path: string): Value | null {
    const v = this.member(obj, key);
    if (v === null) this.error(pathKey(path, key), "required");
    return v;
  }

  /** A string field, or `def` when absent (or after reporting a wrong type). */
  string(obj: MapValue, key: string, path: string, def: string): string {
    const v = this.member(obj, key);
    if (v === null) return def;
    if (v.kind != Kind.String) {
      this.error(pathKey(path, key), "expected a string, got " + describe(v));
      return def;
    }
    return v.str;
  }

  /** A non-empty string field, or `def`. */
  nonEmptyString(obj: MapValue, key: string, path: string, def: string): string {
    const s = this.string(obj, key, path, def);
    if (s.length == 0) {
      this.error(pathKey(path, key), "must not be empty");
      return def;
    }
    return s;
  }

  /** A boolean field, or `def`. */
  boolean(obj: MapValue, key: string, path: string, def: bool): bool {
    const v = this.member(obj, key);
    if (v === null) return def;
    if (v.kind != Kind.Bool) {
      this.error(pathKey(path, key), "expected true or false, got " + describe(v));
      return def;
    }
    return v.b;
  }

  /**
   * The index in `choices` of a string field, or `def` when absent. Anything else is
   * reported as `expected one of "a", "b", got ...`.
   */
  oneOf(obj: MapValue, key: string, path: string, choices: Array<string>, def: i32): i32 {
    const v = this.member(obj, key);
    if (v === null) return def;
    if (v.kind == Kind.String) {
      const at = choices.indexOf(v.str);
      if (at >= 0) return at;
    }
    const quoted = new Array<string>();
    for (let i = 0; i < choices.length; i++) quoted.push(quoteJson(unchecked(choices[i])));
    this.error(pathKey(path, key), "expected one of " + quoted.join(", ") + ", got " + describe(v));
    return def;
  }

  /**
   * An integer field in [min, max], or `def`. JSON numbers written with a fraction or
   * exponent are accepted when they are integral (`2e4`, `20000.0`).
   */
  integer(obj: MapValue, key: string, path: string, def: i64, min: i64, max: i64): i64 {
    const v = this.member(obj, key);
    if (v === null) return def;
    return this.integerValue(v, pathKey(path, key), def, min, max);
  }

  /** `v` as an integer in [min, max]; reports and returns `def` otherwise. */
  integerValue(v: Value, path: string, def: i64, min: i64, max: i64): i64 {
    let ok = false;
    let n: i64 = 0;
    if (v.kind == Kind.Int) { n = v.i; ok = true; }
    else if (v.kind == Kind.Double && integralInI64Range(v.d)) { n = <i64>v.d; ok = true; }
    if (ok && n >= min && n <= max) return n;
    if (ok && n > max && max >= MAX_SAFE_INTEGER) this.error(path, "expected at most " + max.toString() + ", got " + describe(v));
    else this.error(path, expectedInteger(min, max) + ", got " + describe(v));
    return def;
  }

  /** A finite number field in [min, max], or `def`. */
  number(obj: MapValue, key: string, path: string, def: f64, min: f64, max: f64): f64 {
    const v = this.member(obj, key);
    if (v === null) return def;
    let ok = false;
    let d: f64 = 0;
    if (v.kind == Kind.Int) { d = <f64>v.i; ok = true; }
    else if (v.kind == Kind.Double) { d = v.d; ok = isFinite(d); }
    if (ok && d >= min && d <= max) return d;
    this.error(pathKey(path, key), "expected a number from " + formatNumber(min) + " to " + formatNumber(max) + ", got " + describe(v));
    return def;
  }

  /** The items of an array field, or null when absent or not an array (reported). */
  array(obj: MapValue, key: string, path: string): Array<Value> | null {
    const v = this.member(obj, key);
    if (v === null) return null;
    const list = v.list;
    if (v.kind != Kind.List || list === null) {
      this.error(pathKey(path, key), "expected an array, got " + describe(v));
      return null;
    }
    return list;
  }
}

/** The JSON type of `v` as people say it: string, number, boolean, null, array, object. */
export function typeName(v: Value): string {
  switch (v.kind) {
    case Kind.String: return "string";
    case Kind.Int:
    case Kind.Uint:
    case Kind.Double: return "number";
    case Kind.Bool: return "boolean";
    case Kind.Null: return "null";
    case Kind.List: return "array";
    case Kind.Map: return "object";
    default: return "value";
  }
}

/**
 * What a message says was found: a short quoted string, a number, true/false, or the
 * type name for null, arrays and objects.
 */
export function describe(v: Value): string {
  switch (v.kind) {
    case Kind.String: return quoteJson(v.str.length > 64 ? v.str.substring(0, 61) + "..." : v.str);
    case Kind.Int: return v.i.toString();
    case Kind.Double: return formatNumber(v.d);
    case Kind.Bool: return v.b ? "true" : "false";
    default: return typeName(v);
  }
}

/** `d` without a trailing ".0" when integral (messages quote the user's numbers). */
export function formatNumber(d: f64): string {
  if (integralInI64Range(d)) return (<i64>d).toString();
  return d.toString();
}

/** True when `d` is a whole number that converts to i64 without trapping. */
export function integralInI64Range(d: f64): bool {
  // 2^63 itself does not fit; every double below it that is integral does.
  return isFinite(d) && d == Math.floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

/** Largest integer every JSON implementation (and a double) holds exactly: 2^53 - 1. */
export const MAX_SAFE_INTEGER: i64 = 9007199254740991;

function expectedInteger(min: i64, max: i64): string {
  if (min == 1 && max >= MAX_SAFE_INTEGER) return "expected a positive integer";
  if (min == 0 && max >= MAX_SAFE_INTEGER) return "expected a non-negative integer";
  return "expected an integer from " + min.toString() + " to " + max.toString();
}

/**
 * `name` lower-cased when it is a valid HTTP header name (an RFC 9110 token; Envoy keeps
 * header names in lower case); reported otherwise. "" is accepted only when `allowEmpty`
 * (it then turns the feature off).
 */
export function headerName(r: ConfigReader, name: string, path: string, allowEmpty: bool): string {
  if (name.length == 0) {
    if (!allowEmpty) r.error(path, "must not be empty");
    return name;
  }
  for (let i = 0, n = name.length; i < n; i++) {
    if (!isTokenChar(name.charCodeAt(i))) {
      r.error(path, "invalid header name " + describe(Value.string(name)) + " (expected letters, digits and !#$%&'*+-.^_`|~)");
      return name;
    }
  }
  return name.toLowerCase();
}

function isTokenChar(c: i32): bool {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return true;
  // ! # $ % & ' * + - . ^ _ ` | ~
  return c == 0x21 || c == 0x23 || c == 0x24 || c == 0x25 || c == 0x26 || c == 0x27 || c == 0x2a ||
    c == 0x2b || c == 0x2d || c == 0x2e || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e;
}
