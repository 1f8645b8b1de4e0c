// `strings.quote(s)` and `s.format(list)` of CEL's strings extension (cel-go semantics).
// Format clauses: %s %d %f %e %b %o %x %X, precision as %.3f / %.2e, and %% for a
// percent sign. %f and %e round the exact binary value half-to-even, like Go's
// strconv, using a small exact decimal expansion (decimal.ts).

import { Value, Kind } from "./value";
import { typeName } from "./ops";
import { shortestDigits, DecimalDigits } from "./convert";
import { exactDecimal, ExactDecimal, roundDigits } from "./decimal";
import { encodeUtf8 } from "./strings";
import { MAX_STRING_LENGTH } from "./limits";
import { renderForFormat } from "./text";
import { charge, budgetError } from "./budget";

/** `strings.quote(s)`: a double-quoted CEL string literal that evaluates to `s`. */
export function quoteString(s: string): string {
  const parts = new Array<string>();
  parts.push("\"");
  let start = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let esc: string | null = null;
    switch (c) {
      case 0x07: esc = "\\a"; break;
      case 0x08: esc = "\\b"; break;
      case 0x0c: esc = "\\f"; break;
      case 0x0a: esc = "\\n"; break;
      case 0x0d: esc = "\\r"; break;
      case 0x09: esc = "\\t"; break;
      case 0x0b: esc = "\\v"; break;
      case 0x5c: esc = "\\\\"; break;
      case 0x22: esc = "\\\""; break;
    }
    if (esc !== null) {
      if (i > start) parts.push(s.substring(start, i));
      parts.push(esc);
      start = i + 1;
    }
  }
  if (start < n) parts.push(s.substring(start));
  parts.push("\"");
  return parts.join("");
}

function formatError(msg: string): Value { return Value.error("error during formatting: " + msg); }

/** `fmt.format(args)`. */
export function formatString(fmt: string, args: Array<Value>): Value {
  const out = new Array<string>();
  const n = fmt.length;
  let argi = 0;
  let start = 0;
  let total = 0;
  let i = 0;
  while (i < n) {
    if (fmt.charCodeAt(i) != 0x25) { i++; continue; }
    if (i > start) out.push(fmt.substring(start, i));
    i++;
    if (i >= n) return Value.error("could not parse formatting clause: unexpected end of string");
    if (fmt.charCodeAt(i) == 0x25) { out.push("%"); i++; start = i; continue; }
    let precision = -1;
    if (fmt.charCodeAt(i) == 0x2e) {
      i++;
      let p = 0, digits = 0;
      while (i < n && <u32>fmt.charCodeAt(i) - 0x30 < 10) {
        p = p * 10 + (fmt.charCodeAt(i) - 0x30);
        if (p > 1000) return Value.error("could not parse formatting clause: precision too large");
        i++;
        digits++;
      }
      if (digits == 0) return Value.error("could not parse formatting clause: missing precision");
      precision = p;
    }
    if (i >= n) return Value.error("could not parse formatting clause: unexpected end of string");
    const verb = fmt.charCodeAt(i);
    i++;
    start = i;
    if (argi >= args.length) return Value.error("index " + argi.toString() + " out of range");
    const arg = unchecked(args[argi++]);
    let piece: string | null = null;
    let err: Value | null = null;
    switch (verb) {
      case 0x73: { // s
        const t = textForFormat(arg, 0);
        if (t === null) err = formatError("string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given " + typeName(arg));
        else piece = t;
        break;
      }
      case 0x64: piece = formatDecimal(arg); if (piece === null) err = formatError("decimal clause can only be used on integers, was given " + typeName(arg)); break;
      case 0x66: piece = formatFixed(arg, precision < 0 ? 6 : precision); if (piece === null) err = formatError("fixed-point clause can only be used on doubles, was given " + typeName(arg)); break;
      case 0x65: piece = formatScientific(arg, precision < 0 ? 6 : precision); if (piece === null) err = formatError("scientific clause can only be used on doubles, was given " + typeName(arg)); break;
      case 0x62: piece = formatRadix(arg, 2, false); if (piece === null) err = formatError("only integers and bools can be formatted as binary, was given " + typeName(arg)); break;
      case 0x6f: piece = arg.kind == Kind.Bool ? null : formatRadix(arg, 8, false); if (piece === null) err = formatError("octal clause can only be used on integers, was given " + typeName(arg)); break;
      case 0x78: case 0x58: piece = formatHex(arg, verb == 0x58); if (piece === null) err = formatError("only integers, byte buffers, and strings can be formatted as hex, was given " + typeName(arg)); break;
      default:
        return Value.error("could not parse formatting clause: unrecognized formatting clause \"" + String.fromCharCode(verb) + "\"");
    }
    if (err !== null) return err;
    if (piece !== null) {
      total += piece.length;
      if (total > MAX_STRING_LENGTH) return Value.error("string too long");
      if (!charge(piece.length)) return budgetError();
      out.push(piece);
    }
  }
  if (start < n) out.push(fmt.substring(start));
  return Value.string(out.join(""));
}

function nonFinite(d: f64): string {
  if (isNaN(d)) return "NaN";
  return d > 0 ? "Infinity" : "-Infinity";
}

/**
 * %s text; null for values that cannot be formatted (errors, nesting past MAX_VALUE_DEPTH,
 * more than MAX_VALUE_WORK nodes and characters). Bytes keep every byte: invalid UTF-8
 * becomes U+FFFD (text.ts).
 */
export function textForFormat(v: Value, depth: i32): string | null {
  return renderForFormat(v, plainDouble);
}

/** Sorts `entries` by `keys` (insertion sort; maps are small). */
export function sortByKey(keys: Array<string>, entries: Array<string>): void {
  for (let i = 1; i < keys.length; i++) {
    const k = unchecked(keys[i]), e = unchecked(entries[i]);
    let j = i - 1;
    while (j >= 0 && unchecked(keys[j]) > k) {
      unchecked(keys[j + 1] = unchecked(keys[j]));
      unchecked(entries[j + 1] = unchecked(entries[j]));
      j--;
    }
    unchecked(keys[j + 1] = k);
    unchecked(entries[j + 1] = e);
  }
}

const digitsScratch = new DecimalDigits();

/** Shortest round-trip digits, never in exponent form ("56.8", "0.0001", "1e21" -> all digits). */
export function plainDouble(d: f64): string {
  if (!isFinite(d)) return nonFinite(d);
  if (d == 0) return (1.0 / d) < 0 ? "-0" : "0";
  shortestDigits(d, digitsScratch);
  const digits = digitsScratch.digits;
  const nd = digits.length;
  const dp = digitsScratch.point;
  const sign = d < 0 ? "-" : "";
  if (dp <= 0) return sign + "0." + "0".repeat(-dp) + digits;
  if (dp >= nd) return sign + digits + "0".repeat(dp - nd);
  return sign + digits.substring(0, dp) + "." + digits.substring(dp);
}

function formatDecimal(v: Value): string | null {
  if (v.kind == Kind.Int) return v.i.toString();
  if (v.kind == Kind.Uint) return (<u64>v.i).toString();
  if (v.kind == Kind.Double && !isFinite(v.d)) return nonFinite(v.d);
  return null;
}

function doubleOf(v: Value): f64 {
  if (v.kind == Kind.Double) return v.d;
  if (v.kind == Kind.Int) return <f64>v.i;
  return <f64><u64>v.i;
}

const exact = new ExactDecimal();

/** %.Nf with round-half-even on the exact value. */
export function formatFixed(v: Value, prec: i32): string | null {
  if (v.kind != Kind.Double && v.kind != Kind.Int && v.kind != Kind.Uint) return null;
  const d = doubleOf(v);
  if (!isFinite(d)) return nonFinite(d);
  const neg = d < 0 || (d == 0 && 1.0 / d < 0);
  exactDecimal(Math.abs(d), exact);
  // exact.digits x 10^-exact.frac; keep (len - frac + prec) digits
  const digits = exact.digits;
  const keep = digits.length - exact.frac + prec;
  const rounded = roundDigits(digits, keep);
  // rounded has `keep` digits, or keep+1 after a carry; it represents value x 10^prec
  let s = rounded;
  if (s.length <= prec) s = "0".repeat(prec + 1 - s.length) + s;
  const intLen = s.length - prec;
  let r = s.substring(0, intLen);
  if (prec > 0) r += "." + s.substring(intLen);
  const sign: string = neg ? "-" : "";
  return sign.concat(r);
}

/** %.Ne: d.ddddde+XX with round-half-even on the exact value. */
export function formatScientific(v: Value, prec: i32): string | null {
  if (v.kind != Kind.Double && v.kind != Kind.Int && v.kind != Kind.Uint) return null;
  const d = doubleOf(v);
  if (!isFinite(d)) return nonFinite(d);
  const neg = d < 0 || (d == 0 && 1.0 / d < 0);
  let mant: string;
  let exp: i32;
  if (d == 0) {
    mant = "0".repeat(prec + 1);
    exp = 0;
  } else {
    exactDecimal(Math.abs(d), exact);
    const digits = exact.digits;
    exp = digits.length - exact.frac - 1;
    mant = roundDigits(digits, prec + 1);
    if (mant.length > prec + 1) { exp++; mant = mant.substring(0, prec + 1); }
  }
  let r = mant.substring(0, 1);
  if (prec > 0) r += "." + mant.substring(1);
  const ae = exp < 0 ? -exp : exp;
  r += "e" + (exp < 0 ? "-" : "+") + (ae < 10 ? "0" : "") + ae.toString();
  const sign: string = neg ? "-" : "";
  return sign.concat(r);
}

const DIGITS = "0123456789abcdef";

function unsignedRadix(u: u64, radix: u32, upper: bool): string {
  if (u == 0) return "0";
  let s = "";
  while (u > 0) {
    s = DIGITS.charAt(<i32>(u % <u64>radix)) + s;
    u /= <u64>radix;
  }
  return upper ? s.toUpperCase() : s;
}

function formatRadix(v: Value, radix: u32, upper: bool): string | null {
  if (v.kind == Kind.Int) {
    if (v.i < 0) return "-" + unsignedRadix(<u64>(0 - v.i), radix, upper);
    return unsignedRadix(<u64>v.i, radix, upper);
  }
  if (v.kind == Kind.Uint) return unsignedRadix(<u64>v.i, radix, upper);
  if (v.kind == Kind.Bool) return v.b ? "1" : "0";
  return null;
}

function formatHex(v: Value, upper: bool): string | null {
  if (v.kind == Kind.Int || v.kind == Kind.Uint) return formatRadix(v, 16, upper);
  let b: ArrayBuffer | null = null;
  if (v.kind == Kind.String) b = encodeUtf8(v.str);
  else if (v.kind == Kind.Bytes) b = v.bytes;
  else return null;
  if (b === null) return "";
  const n = b.byteLength;
  const parts = new Array<string>(n);
  const hex = upper ? "0123456789ABCDEF" : DIGITS;
  for (let i = 0; i < n; i++) {
    const x = <i32>load<u8>(changetype<usize>(b) + <usize>i);
    unchecked(parts[i] = hex.charAt(x >> 4) + hex.charAt(x & 15));
  }
  return parts.join("");
}
