// Type conversions `int`, `uint`, `double`, `string`, `bytes`, `bool`, and the text
// form of doubles. Range errors follow cel-go: a double converts to int only inside
// (-2^63, 2^63) and to uint inside [0, 2^64), checked before the wasm truncation so
// that it can never trap.

import { Value, Kind } from "./value";
import { noOverload } from "./ops";
import { decodeUtf8Strict, encodeUtf8 } from "./strings";

const TWO_63: f64 = 9223372036854775808.0;
const TWO_64: f64 = 18446744073709551616.0;

function rangeError(): Value { return Value.error("range error"); }
function conversionError(what: string, s: string): Value {
  return Value.error("type conversion error from string to " + what + ": '" + s + "'");
}

/**
 * Parses an optionally signed (when `signed`) decimal integer into out[0]; false on a
 * syntax error or overflow.
 */
export function parseDecimal(s: string, signed: bool, out: StaticArray<u64>): bool {
  const n = s.length;
  if (n == 0) return false;
  let i = 0;
  let neg = false;
  const c0 = s.charCodeAt(0);
  if (c0 == 0x2b || c0 == 0x2d) {
    if (!signed && c0 == 0x2d) return false;
    neg = c0 == 0x2d;
    i = 1;
    if (n == 1) return false;
  }
  let v: u64 = 0;
  for (; i < n; i++) {
    const d = <u32>s.charCodeAt(i) - 0x30;
    if (d > 9) return false;
    if (v > 1844674407370955161 || (v == 1844674407370955161 && d > 5)) return false;
    v = v * 10 + <u64>d;
  }
  if (signed) {
    if (neg ? v > <u64>i64.MAX_VALUE + 1 : v > <u64>i64.MAX_VALUE) return false;
    unchecked(out[0] = neg ? 0 - v : v);
  } else {
    unchecked(out[0] = v);
  }
  return true;
}

const scratch = new StaticArray<u64>(1);

export function toInt(v: Value): Value {
  switch (v.kind) {
    case Kind.Int: return v;
    case Kind.Uint:
      if (<u64>v.i > <u64>i64.MAX_VALUE) return rangeError();
      return Value.int(v.i);
    case Kind.Double: {
      const d = v.d;
      if (!(d > -TWO_63 && d < TWO_63)) return rangeError();
      return Value.int(<i64>d);
    }
    case Kind.String:
      if (!parseDecimal(v.str, true, scratch)) return conversionError("int", v.str);
      return Value.int(<i64>unchecked(scratch[0]));
    case Kind.Error: return v;
  }
  return noOverload("int", v);
}

export function toUint(v: Value): Value {
  switch (v.kind) {
    case Kind.Uint: return v;
    case Kind.Int:
      if (v.i < 0) return rangeError();
      return Value.uint(<u64>v.i);
    case Kind.Double: {
      const d = v.d;
      if (!(d > -1.0 && d < TWO_64)) return rangeError();
      return Value.uint(<u64>d);
    }
    case Kind.String:
      if (!parseDecimal(v.str, false, scratch)) return conversionError("uint", v.str);
      return Value.uint(unchecked(scratch[0]));
    case Kind.Error: return v;
  }
  return noOverload("uint", v);
}

/** Validates Go ParseFloat syntax (decimal forms and inf/infinity/nan words). */
export function parseDoubleStrict(s: string): f64 {
  const n = s.length;
  if (n == 0) return NaN;
  let i = 0;
  const c0 = s.charCodeAt(0);
  let neg = false;
  if (c0 == 0x2b || c0 == 0x2d) { neg = c0 == 0x2d; i = 1; }
  const rest = s.substring(i).toLowerCase();
  if (rest == "inf" || rest == "infinity") return neg ? -Infinity : Infinity;
  if (rest == "nan" && i == 0) return NaN;
  let digits = 0;
  while (i < n && <u32>s.charCodeAt(i) - 0x30 < 10) { i++; digits++; }
  if (i < n && s.charCodeAt(i) == 0x2e) {
    i++;
    while (i < n && <u32>s.charCodeAt(i) - 0x30 < 10) { i++; digits++; }
  }
  if (digits == 0) return NaN; // NaN marks a syntax error; the caller tells it from "nan"
  if (i < n && (s.charCodeAt(i) | 0x20) == 0x65) {
    i++;
    if (i < n && (s.charCodeAt(i) == 0x2b || s.charCodeAt(i) == 0x2d)) i++;
    let ed = 0;
    while (i < n && <u32>s.charCodeAt(i) - 0x30 < 10) { i++; ed++; }
    if (ed == 0) return NaN;
  }
  if (i != n) return NaN;
  return parseFloat(s);
}

function isNaNWord(s: string): bool {
  return s.toLowerCase() == "nan";
}

export function toDouble(v: Value): Value {
  switch (v.kind) {
    case Kind.Double: return v;
    case Kind.Int: return Value.double(<f64>v.i);
    case Kind.Uint: return Value.double(<f64><u64>v.i);
    case Kind.String: {
      const d = parseDoubleStrict(v.str);
      if (isNaN(d) && !isNaNWord(v.str)) return conversionError("double", v.str);
      return Value.double(d);
    }
    case Kind.Error: return v;
  }
  return noOverload("double", v);
}

export function toStringValue(v: Value): Value {
  switch (v.kind) {
    case Kind.String: return v;
    case Kind.Int: return Value.string(v.i.toString());
    case Kind.Uint: return Value.string((<u64>v.i).toString());
    case Kind.Double: return Value.string(formatDouble(v.d));
    case Kind.Bool: return Value.string(v.b ? "true" : "false");
    case Kind.Bytes: {
      const b = v.bytes;
      if (b === null) return Value.string("");
      const s = decodeUtf8Strict(b);
      if (s === null) return Value.error("invalid UTF-8 in bytes, cannot convert to string");
      return Value.string(s);
    }
    case Kind.Error: return v;
  }
  return noOverload("string", v);
}

export function toBytes(v: Value): Value {
  if (v.kind == Kind.Bytes) return v;
  if (v.kind == Kind.String) return Value.bytes(encodeUtf8(v.str));
  if (v.kind == Kind.Error) return v;
  return noOverload("bytes", v);
}

export function toBool(v: Value): Value {
  if (v.kind == Kind.Bool) return v;
  if (v.kind == Kind.String) {
    const s = v.str;
    if (s == "1" || s == "t" || s == "true" || s == "TRUE" || s == "True") return Value.bool(true);
    if (s == "0" || s == "f" || s == "false" || s == "FALSE" || s == "False") return Value.bool(false);
    return conversionError("bool", s);
  }
  if (v.kind == Kind.Error) return v;
  return noOverload("bool", v);
}

/**
 * Shortest decimal digits of a finite, non-zero |d| and the decimal point position:
 * |d| = 0.DIGITS x 10^point. Uses the runtime's shortest round-trip formatting.
 */
export class DecimalDigits {
  digits: string = "";
  point: i32 = 0;
}

export function shortestDigits(d: f64, out: DecimalDigits): void {
  const s = Math.abs(d).toString();
  let mant = s;
  let exp = 0;
  const e = s.indexOf("e");
  if (e >= 0) {
    mant = s.substring(0, e);
    exp = I32.parseInt(s.substring(e + 1));
  }
  const dot = mant.indexOf(".");
  const intPart = dot >= 0 ? mant.substring(0, dot) : mant;
  const frac = dot >= 0 ? mant.substring(dot + 1) : "";
  // the runtime prints integral values as "1.0"
  let all = intPart + (frac == "0" ? "" : frac);
  let point = intPart.length + exp;
  // strip leading zeros (0.0045 -> "0045", point 1 -> "45", point -1)
  let lead = 0;
  while (lead < all.length - 1 && all.charCodeAt(lead) == 0x30) { lead++; }
  all = all.substring(lead);
  point -= lead;
  // strip trailing zeros
  let end = all.length;
  while (end > 1 && all.charCodeAt(end - 1) == 0x30) end--;
  out.digits = all.substring(0, end);
  out.point = point;
}

const digitsScratch = new DecimalDigits();

/** Text of a double like Go's `%g` (shortest round-trip digits), as cel-go prints it. */
export function formatDouble(d: f64): string {
  if (isNaN(d)) return "NaN";
  if (!isFinite(d)) return d > 0 ? "+Inf" : "-Inf";
  if (d == 0) return (1.0 / d) < 0 ? "-0" : "0";
  shortestDigits(d, digitsScratch);
  const digits = digitsScratch.digits;
  const nd = digits.length;
  const dp = digitsScratch.point;
  const exp = dp - 1;
  let eprec = 6;
  if (eprec > nd && nd >= dp) eprec = nd;
  const sign = d < 0 ? "-" : "";
  if (exp < -4 || exp >= eprec) {
    let m = digits.substring(0, 1);
    if (nd > 1) m += "." + digits.substring(1);
    const ae = exp < 0 ? -exp : exp;
    return sign + m + "e" + (exp < 0 ? "-" : "+") + (ae < 10 ? "0" : "") + ae.toString();
  }
  if (dp <= 0) return sign + "0." + "0".repeat(-dp) + digits;
  if (dp >= nd) return sign + digits + "0".repeat(dp - nd);
  return sign + digits.substring(0, dp) + "." + digits.substring(dp);
}
