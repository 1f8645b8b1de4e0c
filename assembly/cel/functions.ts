// Built-in functions: the table the planner resolves names against (name, call style,
// argument count -> function id), and the runtime dispatch on argument kinds. A name
// that is not in the table, or a known name with an argument count it does not take,
// is a compile error; a kind mismatch at runtime is a "no such overload" Error value.

import { Value, Kind } from "./value";
import { noOverload, noOverload2, typeName } from "./ops";
import { toInt, toUint, toDouble, toStringValue, toBytes, toBool } from "./convert";
import {
  codePointLength, charAt, indexOf, lastIndexOf, substring, asciiCase, trim, replace, split, join, reverse,
} from "./strings";
import { Regex, compileRegex } from "./regex";
import { formatString, quoteString } from "./format";
import { charge, budgetError } from "./budget";

// The last regular expression compiled at evaluation time, and its pattern.
let lastPattern: string | null = null;
let lastRegex: Regex | null = null;

export enum Fn {
  Size, Contains, StartsWith, EndsWith, Matches,
  Int, Uint, Double, String, Bytes, Bool, Type, Dyn,
  Split, Join, LowerAscii, UpperAscii, Trim, Replace, Substring, CharAt, IndexOf, LastIndexOf,
  Reverse, Quote, Format,
  /** `requestBodyJSON(pointer)` / `responseBodyJSON(pointer)`: planned as attribute lookups. */
  RequestBodyJson, ResponseBodyJson,
}

export const NO_FUNCTION: i32 = -1;
/** The name exists but not with this call style / argument count. */
export const BAD_ARITY: i32 = -2;

/**
 * Resolves a call. `receiver` is true for `x.f(...)`; `argc` excludes the receiver.
 * Returns a Fn, NO_FUNCTION or BAD_ARITY.
 */
export function lookupFunction(name: string, receiver: bool, argc: i32): i32 {
  if (!receiver) {
    if (name == "size") return argc == 1 ? Fn.Size : BAD_ARITY;
    if (name == "matches") return argc == 2 ? Fn.Matches : BAD_ARITY;
    if (name == "int") return argc == 1 ? Fn.Int : BAD_ARITY;
    if (name == "uint") return argc == 1 ? Fn.Uint : BAD_ARITY;
    if (name == "double") return argc == 1 ? Fn.Double : BAD_ARITY;
    if (name == "string") return argc == 1 ? Fn.String : BAD_ARITY;
    if (name == "bytes") return argc == 1 ? Fn.Bytes : BAD_ARITY;
    if (name == "bool") return argc == 1 ? Fn.Bool : BAD_ARITY;
    if (name == "type") return argc == 1 ? Fn.Type : BAD_ARITY;
    if (name == "dyn") return argc == 1 ? Fn.Dyn : BAD_ARITY;
    if (name == "strings.quote") return argc == 1 ? Fn.Quote : BAD_ARITY;
    if (name == "requestBodyJSON") return argc == 1 ? Fn.RequestBodyJson : BAD_ARITY;
    if (name == "responseBodyJSON") return argc == 1 ? Fn.ResponseBodyJson : BAD_ARITY;
    return NO_FUNCTION;
  }
  if (name == "size") return argc == 0 ? Fn.Size : BAD_ARITY;
  if (name == "contains") return argc == 1 ? Fn.Contains : BAD_ARITY;
  if (name == "startsWith") return argc == 1 ? Fn.StartsWith : BAD_ARITY;
  if (name == "endsWith") return argc == 1 ? Fn.EndsWith : BAD_ARITY;
  if (name == "matches") return argc == 1 ? Fn.Matches : BAD_ARITY;
  if (name == "split") return argc == 1 || argc == 2 ? Fn.Split : BAD_ARITY;
  if (name == "join") return argc <= 1 ? Fn.Join : BAD_ARITY;
  if (name == "lowerAscii") return argc == 0 ? Fn.LowerAscii : BAD_ARITY;
  if (name == "upperAscii") return argc == 0 ? Fn.UpperAscii : BAD_ARITY;
  if (name == "trim") return argc == 0 ? Fn.Trim : BAD_ARITY;
  if (name == "replace") return argc == 2 || argc == 3 ? Fn.Replace : BAD_ARITY;
  if (name == "substring") return argc == 1 || argc == 2 ? Fn.Substring : BAD_ARITY;
  if (name == "charAt") return argc == 1 ? Fn.CharAt : BAD_ARITY;
  if (name == "indexOf") return argc == 1 || argc == 2 ? Fn.IndexOf : BAD_ARITY;
  if (name == "lastIndexOf") return argc == 1 || argc == 2 ? Fn.LastIndexOf : BAD_ARITY;
  if (name == "reverse") return argc == 0 ? Fn.Reverse : BAD_ARITY;
  if (name == "format") return argc == 1 ? Fn.Format : BAD_ARITY;
  return NO_FUNCTION;
}

function fnName(fn: i32): string {
  switch (fn) {
    case Fn.Size: return "size";
    case Fn.Contains: return "contains";
    case Fn.StartsWith: return "startsWith";
    case Fn.EndsWith: return "endsWith";
    case Fn.Matches: return "matches";
    case Fn.Split: return "split";
    case Fn.Join: return "join";
    case Fn.Replace: return "replace";
    case Fn.Substring: return "substring";
    case Fn.CharAt: return "charAt";
    case Fn.IndexOf: return "indexOf";
    case Fn.LastIndexOf: return "lastIndexOf";
    case Fn.Format: return "format";
  }
  return "function";
}

function bad(fn: i32, argc: i32, a: Value, b: Value, c: Value): Value {
  if (argc == 1) return noOverload(fnName(fn), a);
  if (argc == 2) return noOverload2(fnName(fn), a, b);
  return Value.error("no such overload: " + fnName(fn) + "(" + typeName(a) + ", " + typeName(b) + ", " + typeName(c) + ", ...)");
}

/**
 * Calls function `fn` with `argc` arguments (receiver first). Arguments are never
 * errors here (the evaluator propagates errors before calling). `re` is the regex
 * precompiled from a constant pattern, if any.
 */
export function callFunction(fn: i32, argc: i32, a: Value, b: Value, c: Value, d: Value, re: Regex | null): Value {
  switch (fn) {
    case Fn.Size: {
      switch (a.kind) {
        case Kind.String: return Value.int(codePointLength(a.str));
        case Kind.Bytes: { const x = a.bytes; return Value.int(x === null ? 0 : x.byteLength); }
        case Kind.List: { const x = a.list; return Value.int(x === null ? 0 : x.length); }
        case Kind.Map: { const x = a.map; return Value.int(x === null ? 0 : x.entryCount()); }
      }
      return noOverload("size", a);
    }
    case Fn.Contains:
      if (a.kind == Kind.String && b.kind == Kind.String) return Value.bool(a.str.includes(b.str));
      return bad(fn, 2, a, b, c);
    case Fn.StartsWith:
      if (a.kind == Kind.String && b.kind == Kind.String) return Value.bool(a.str.startsWith(b.str));
      return bad(fn, 2, a, b, c);
    case Fn.EndsWith:
      if (a.kind == Kind.String && b.kind == Kind.String) return Value.bool(a.str.endsWith(b.str));
      return bad(fn, 2, a, b, c);
    case Fn.Matches: {
      if (a.kind != Kind.String || b.kind != Kind.String) return bad(fn, 2, a, b, c);
      let rx = re;
      if (rx === null) {
        // A pattern that comes from the request is usually the same from one call to the
        // next: keep the last one compiled instead of compiling per evaluation.
        if (lastPattern !== null && lastPattern == b.str) rx = lastRegex;
        if (rx === null) {
          const r = compileRegex(b.str);
          rx = r.regex;
          if (rx === null) return Value.error("invalid regular expression: " + r.error);
          lastPattern = b.str;
          lastRegex = rx;
        }
      }
      const m = rx.matches(a.str);
      if (m < 0) return Value.error("regular expression match exceeded its work limit");
      return Value.bool(m == 1);
    }
    case Fn.Int: return toInt(a);
    case Fn.Uint: return toUint(a);
    case Fn.Double: return toDouble(a);
    case Fn.String: {
      const raw = a.bytes;
      if (a.kind == Kind.Bytes && raw !== null && !charge(raw.byteLength)) return budgetError();
      return toStringValue(a);
    }
    case Fn.Bytes:
      if (a.kind == Kind.String && !charge(3 * a.str.length)) return budgetError();
      return toBytes(a);
    case Fn.Bool: return toBool(a);
    case Fn.Type: return Value.typeValue(typeName(a));
    case Fn.Dyn: return a;
    case Fn.Split: {
      if (a.kind != Kind.String || b.kind != Kind.String) return bad(fn, argc, a, b, c);
      if (argc == 3 && c.kind != Kind.Int) return bad(fn, argc, a, b, c);
      return split(a.str, b.str, argc == 3 ? c.i : -1);
    }
    case Fn.Join: {
      const list = a.list;
      if (a.kind != Kind.List || list === null) return bad(fn, argc, a, b, c);
      if (argc == 2 && b.kind != Kind.String) return bad(fn, argc, a, b, c);
      return join(list, argc == 2 ? b.str : "");
    }
    case Fn.LowerAscii:
      if (a.kind == Kind.String && !charge(a.str.length)) return budgetError();
      if (a.kind == Kind.String) return Value.string(asciiCase(a.str, false));
      return noOverload("lowerAscii", a);
    case Fn.UpperAscii:
      if (a.kind == Kind.String && !charge(a.str.length)) return budgetError();
      if (a.kind == Kind.String) return Value.string(asciiCase(a.str, true));
      return noOverload("upperAscii", a);
    case Fn.Trim:
      if (a.kind == Kind.String) return Value.string(trim(a.str));
      return noOverload("trim", a);
    case Fn.Reverse:
      if (a.kind == Kind.String && !charge(a.str.length)) return budgetError();
      if (a.kind == Kind.String) return Value.string(reverse(a.str));
      return noOverload("reverse", a);
    case Fn.Replace: {
      if (a.kind != Kind.String || b.kind != Kind.String || c.kind != Kind.String) return bad(fn, argc, a, b, c);
      if (argc == 4 && d.kind != Kind.Int) return bad(fn, argc, a, b, c);
      return replace(a.str, b.str, c.str, argc == 4 ? d.i : -1);
    }
    case Fn.Substring: {
      if (a.kind != Kind.String || b.kind != Kind.Int) return bad(fn, argc, a, b, c);
      if (argc == 3 && c.kind != Kind.Int) return bad(fn, argc, a, b, c);
      return substring(a.str, b.i, argc == 3 ? c.i : 0, argc == 3);
    }
    case Fn.CharAt:
      if (a.kind != Kind.String || b.kind != Kind.Int) return bad(fn, 2, a, b, c);
      return charAt(a.str, b.i);
    case Fn.IndexOf: {
      if (a.kind != Kind.String || b.kind != Kind.String) return bad(fn, argc, a, b, c);
      if (argc == 3 && c.kind != Kind.Int) return bad(fn, argc, a, b, c);
      return indexOf(a.str, b.str, argc == 3 ? c.i : 0);
    }
    case Fn.LastIndexOf: {
      if (a.kind != Kind.String || b.kind != Kind.String) return bad(fn, argc, a, b, c);
      if (argc == 3 && c.kind != Kind.Int) return bad(fn, argc, a, b, c);
      return lastIndexOf(a.str, b.str, argc == 3 ? c.i : 0, argc == 3);
    }
    case Fn.Quote:
      if (a.kind == Kind.String && !charge(2 * a.str.length)) return budgetError();
      if (a.kind == Kind.String) return Value.string(quoteString(a.str));
      return noOverload("strings.quote", a);
    case Fn.Format: {
      const list = b.list;
      if (a.kind != Kind.String || b.kind != Kind.List || list === null) return bad(fn, 2, a, b, c);
      return formatString(a.str, list);
    }
  }
  return Value.error("unknown function");
}
