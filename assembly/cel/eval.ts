// Evaluator: walks the planned Node tree for one request. Errors are Values and
// propagate; `&&`, `||`, the conditional and the macros absorb errors the way CEL
// specifies (an error loses to a deciding value on the other side). Recursion depth is
// bounded by the parser's MAX_DEPTH, comprehension work by MAX_ITERATIONS.

import { Value, Kind, MapValue } from "./value";
import { Node, Op, kid, strAt, i32At } from "./plan";
import { EvalContext } from "./context";
import { AttributeResolver, TextView, TEXT_ASCII } from "./resolver";
import { Macro } from "./ast";
import {
  addValues, subValues, mulValues, divValues, modValues, negValue, notValue, relValues,
  equalsValue, inValue, indexValue, selectField, hasField, isValidMapKey, mapFind, noOverload,
  typeName,
} from "./ops";
import { callFunction } from "./functions";
import { strEq } from "./strings";
import { chargeElements, budgetError } from "./budget";
import { MAX_ITERATIONS, MAX_COLLECTION_SIZE } from "./limits";

function noMatchingOverload(op: string, v: Value): Value {
  return Value.error("no matching overload for '" + op + "' applied to '" + typeName(v) + "'");
}

/** Evaluates `n`. Never traps; failures are Error values. */
export function evalNode(n: Node, ctx: EvalContext): Value {
  // The common operations are handled here; everything else is in evalOther. Keeping
  // this function small keeps its shadow-stack frame small, which every level of
  // recursion pays for.
  switch (n.op) {
    case Op.Const: return n.value;
    case Op.Attr: return evalAttr(n, ctx);
    case Op.Var: {
      if (<u32>n.slot >= <u32>ctx.varCount) return Value.error("invalid variable slot");
      return ctx.getVar(n.slot);
    }
    case Op.Select: return selectField(evalNode(kid(n, 0), ctx), n.str);
    case Op.EqStr: case Op.NeStr: {
      const v = evalNode(kid(n, 0), ctx);
      if (v.kind == Kind.String) return Value.bool(strEq(v.str, n.value.str) == (n.op == Op.EqStr));
      if (v.kind == Kind.Error) return v;
      // other kinds are never equal to a string
      return Value.bool(n.op == Op.NeStr);
    }
    case Op.EqText: case Op.NeText: case Op.PrefixText: case Op.InText: return evalText(n, ctx);
    case Op.And: return evalAnd(n, ctx);
    case Op.Or: return evalOr(n, ctx);
    case Op.Not: return notValue(evalNode(kid(n, 0), ctx));
  }
  return evalOther(n, ctx);
}

function evalOther(n: Node, ctx: EvalContext): Value {
  switch (n.op) {
    case Op.Has: {
      if (n.ncand == 1) {
        const direct = ctx.attribute(i32At(n.slots, 0), strAt(n.names, 0));
        if (direct !== null) return Value.bool(true);
        if (n.argc == 0) return Value.bool(false);
      }
      return hasField(evalNode(kid(n, 0), ctx), n.str);
    }
    case Op.Index: {
      const c = evalNode(kid(n, 0), ctx);
      if (c.kind == Kind.Error) return c;
      return indexValue(c, evalNode(kid(n, 1), ctx));
    }
    case Op.SplitHas: {
      const v = evalNode(kid(n, 0), ctx);
      if (v.kind == Kind.String) return Value.bool(splitContains(v.str, n.str, n.value.str));
      if (v.kind == Kind.Error) return v;
      return noOverload("split", v);
    }
    case Op.Neg: return negValue(evalNode(kid(n, 0), ctx));
    case Op.Cond: {
      const c = evalNode(kid(n, 0), ctx);
      if (c.kind == Kind.Bool) return evalNode(kid(n, c.b ? 1 : 2), ctx);
      if (c.kind == Kind.Error) return c;
      return noMatchingOverload("_?_:_", c);
    }
    case Op.List: return evalList(n, ctx);
    case Op.Map: return evalMap(n, ctx);
    case Op.Call: return evalCall(n, ctx);
    case Op.Comp: return evalComprehension(n, ctx);
  }
  // Binary operators: both operands are evaluated (errors propagate left first).
  const a = evalNode(kid(n, 0), ctx);
  if (a.kind == Kind.Error) return a;
  const b = evalNode(kid(n, 1), ctx);
  switch (n.op) {
    case Op.Add: return addValues(a, b);
    case Op.Sub: return subValues(a, b);
    case Op.Mul: return mulValues(a, b);
    case Op.Div: return divValues(a, b);
    case Op.Mod: return modValues(a, b);
    case Op.Eq: return equalsValue(a, b);
    case Op.Ne: {
      const r = equalsValue(a, b);
      return r.kind == Kind.Bool ? Value.bool(!r.b) : r;
    }
    case Op.Lt: return relValues(0, a, b);
    case Op.Le: return relValues(1, a, b);
    case Op.Gt: return relValues(2, a, b);
    case Op.Ge: return relValues(3, a, b);
    case Op.In: return inValue(a, b);
  }
  return Value.error("invalid operation");
}

// Whether some piece of `s` split at `sep` (non-empty) equals `k`; allocates nothing.
function splitContains(s: string, sep: string, k: string): bool {
  const n = s.length, kl = k.length, sl = sep.length;
  const sp = changetype<usize>(s);
  const c0 = load<u16>(changetype<usize>(sep));
  let start = 0;
  while (true) {
    let j: i32;
    if (sl == 1) {
      // the usual case (","): a plain scan for one code unit
      j = start;
      while (j < n && load<u16>(sp + (<usize>j << 1)) != c0) j++;
    } else {
      j = s.indexOf(sep, start);
      if (j < 0) j = n;
    }
    if (j - start == kl &&
        memory.compare(changetype<usize>(s) + (<usize>start << 1), changetype<usize>(k), <usize>kl << 1) == 0) return true;
    if (j >= n) return false;
    start = j + sep.length;
  }
  return false;
}

// The bytes of the attribute EqText/NeText compares, reused by every evaluation.
const TEXT = new TextView();

// `attr == "k"` / `attr != "k"` on the attribute's ASCII bytes: each byte is the code unit
// the decoded string would hold, so comparing units to bytes is the string comparison.
function evalText(n: Node, ctx: EvalContext): Value {
  const r = compareText(n, ctx.resolver);
  return r >= 0 ? Value.bool(r == 1) : evalNode(kid(n, 0), ctx);
}

/**
 * A text op (EqText, NeText, PrefixText, InText) on the attribute's bytes: 1 true, 0 false,
 * -1 when the resolver does not give them (absent, not ASCII, not read this way): the
 * caller evaluates kid 0, the general form, then.
 */
export function compareText(n: Node, resolver: AttributeResolver): i32 {
  if (n.ncand != 1 || resolver.text(strAt(n.names, 0), TEXT) != TEXT_ASCII) return -1;
  const bp = TEXT.ptr, len = TEXT.len;
  switch (n.op) {
    case Op.EqText: return bytesEqualUnits(bp, len, n.value.str) ? 1 : 0;
    case Op.NeText: return bytesEqualUnits(bp, len, n.value.str) ? 0 : 1;
    case Op.PrefixText: {
      const k = n.value.str;
      return k.length <= len && bytesEqualUnits(bp, k.length, k) ? 1 : 0;
    }
    case Op.InText: {
      const list = n.value.list;
      if (list === null) return -1;
      for (let i = 0, m = list.length; i < m; i++) {
        if (bytesEqualUnits(bp, len, unchecked(list[i]).str)) return 1;
      }
      return 0;
    }
  }
  return -1;
}

// Whether the `len` ASCII bytes at `p` are the code units of `k`.
function bytesEqualUnits(p: usize, len: i32, k: string): bool {
  if (len != k.length) return false;
  const kp = changetype<usize>(k);
  for (let i = 0; i < len; i++) {
    if (<u32>load<u16>(kp + (<usize>i << 1)) != <u32>load<u8>(p + <usize>i)) return false;
  }
  return true;
}

function evalAttr(n: Node, ctx: EvalContext): Value {
  for (let k = 0, m = n.ncand; k < m; k++) {
    const v = ctx.attribute(i32At(n.slots, k), strAt(n.names, k));
    if (v === null) continue;
    let r: Value = v;
    for (let j = i32At(n.covers, k), np = n.nparts; j < np; j++) {
      r = selectField(r, strAt(n.parts, j));
      if (r.kind == Kind.Error) return r;
    }
    return r;
  }
  return n.value; // the "no such attribute" error, made at seal time
}

// `a && b && ...`: false wins over errors; errors win over true.
function evalAnd(n: Node, ctx: EvalContext): Value {
  let err: Value | null = null;
  for (let i = 0, m = n.argc; i < m; i++) {
    const v = evalNode(kid(n, i), ctx);
    if (v.kind == Kind.Bool) {
      if (!v.b) return v;
    } else if (err === null) {
      err = v.kind == Kind.Error ? v : noMatchingOverload("_&&_", v);
    }
  }
  return err !== null ? err : Value.bool(true);
}

// `a || b || ...`: true wins over errors; errors win over false.
function evalOr(n: Node, ctx: EvalContext): Value {
  let err: Value | null = null;
  for (let i = 0, m = n.argc; i < m; i++) {
    const v = evalNode(kid(n, i), ctx);
    if (v.kind == Kind.Bool) {
      if (v.b) return v;
    } else if (err === null) {
      err = v.kind == Kind.Error ? v : noMatchingOverload("_||_", v);
    }
  }
  return err !== null ? err : Value.bool(false);
}

function evalList(n: Node, ctx: EvalContext): Value {
  const m = n.argc;
  if (!chargeElements(m)) return budgetError();
  const out = new Array<Value>(m);
  for (let i = 0; i < m; i++) {
    const v = evalNode(kid(n, i), ctx);
    if (v.kind == Kind.Error) return v;
    unchecked(out[i] = v);
  }
  return Value.list(out);
}

function evalMap(node: Node, ctx: EvalContext): Value {
  if (!chargeElements(node.argc)) return budgetError();
  const m = new MapValue();
  for (let i = 0, n = node.argc; i + 1 < n; i += 2) {
    const k = evalNode(kid(node, i), ctx);
    if (k.kind == Kind.Error) return k;
    if (!isValidMapKey(k)) return Value.error("unsupported key type: " + typeName(k));
    const v = evalNode(kid(node, i + 1), ctx);
    if (v.kind == Kind.Error) return v;
    if (mapFind(m, k) !== null) return Value.error("Failed with repeated key");
    m.push(k, v);
  }
  return Value.map(m);
}

function evalCall(n: Node, ctx: EvalContext): Value {
  const argc = n.argc;
  const none = Value.null();
  let a = none, b = none, c = none, d = none;
  if (argc > 0) { a = evalNode(kid(n, 0), ctx); if (a.kind == Kind.Error) return a; }
  if (argc > 1) { b = evalNode(kid(n, 1), ctx); if (b.kind == Kind.Error) return b; }
  if (argc > 2) { c = evalNode(kid(n, 2), ctx); if (c.kind == Kind.Error) return c; }
  if (argc > 3) { d = evalNode(kid(n, 3), ctx); if (d.kind == Kind.Error) return d; }
  return callFunction(n.fn, argc, a, b, c, d, n.regex);
}

function iterationLimit(): Value {
  return Value.error("evaluation exceeded " + MAX_ITERATIONS.toString() + " comprehension iterations");
}

function evalComprehension(n: Node, ctx: EvalContext): Value {
  const range = evalNode(kid(n, 0), ctx);
  if (range.kind == Kind.Error) return range;
  const macro = n.fn;
  const two = macro >= Macro.All2;
  let keys: Array<Value> | null = null;
  let vals: Array<Value> | null = null;
  let isMap = false;
  if (range.kind == Kind.List) {
    vals = range.list;
  } else if (range.kind == Kind.Map) {
    const m = range.map;
    if (m !== null) { keys = m.keys; vals = m.values; }
    isMap = true;
  } else {
    return noOverload("comprehension range", range);
  }
  if (vals === null) return Value.error("invalid range");
  let count = vals.length;
  const s1 = n.slot, s2 = n.slot2;
  if (<u32>s1 >= <u32>ctx.varCount || (two && <u32>s2 >= <u32>ctx.varCount)) return Value.error("invalid variable slot");
  if (isMap) {
    if (keys === null) return Value.error("invalid range");
    if (keys.length < count) count = keys.length;
  }
  const body = kid(n, 1);
  if ((macro == Macro.MapFilter || macro == Macro.TransformListFilter || macro == Macro.TransformMapFilter) && n.argc < 3) return Value.error("invalid macro");
  let err: Value | null = null;
  let found = 0;
  let outList: Array<Value> | null = null;
  let outMap: MapValue | null = null;
  if (macro == Macro.Map || macro == Macro.MapFilter || macro == Macro.Filter ||
      macro == Macro.TransformList || macro == Macro.TransformListFilter) outList = new Array<Value>();
  if (macro == Macro.TransformMap || macro == Macro.TransformMapFilter) outMap = new MapValue();
  for (let i = 0; i < count; i++) {
    if (++ctx.iterations > MAX_ITERATIONS) return iterationLimit();
    // Bind the variables: one variable gets list elements / map keys; two get
    // (index, element) / (key, value).
    const elem = unchecked(vals[i]);
    if (two) {
      if (isMap && keys !== null) ctx.setVar(s1, unchecked(keys[i]));
      else ctx.setVar(s1, Value.int(i));
      ctx.setVar(s2, elem);
    } else {
      ctx.setVar(s1, isMap && keys !== null ? unchecked(keys[i]) : elem);
    }
    switch (macro) {
      case Macro.All: case Macro.All2: {
        const v = evalNode(body, ctx);
        if (v.kind == Kind.Bool) { if (!v.b) return v; }
        else if (err === null) err = v.kind == Kind.Error ? v : noMatchingOverload("all", v);
        break;
      }
      case Macro.Exists: case Macro.Exists2: {
        const v = evalNode(body, ctx);
        if (v.kind == Kind.Bool) { if (v.b) return v; }
        else if (err === null) err = v.kind == Kind.Error ? v : noMatchingOverload("exists", v);
        break;
      }
      case Macro.ExistsOne: case Macro.ExistsOne2: {
        const v = evalNode(body, ctx);
        if (v.kind == Kind.Bool) { if (v.b) found++; }
        else return v.kind == Kind.Error ? v : noMatchingOverload("exists_one", v);
        break;
      }
      case Macro.Map: case Macro.TransformList: {
        const v = evalNode(body, ctx);
        if (v.kind == Kind.Error) return v;
        if (outList !== null) outList.push(v);
        break;
      }
      case Macro.Filter: {
        const v = evalNode(body, ctx);
        // filter keeps the iteration value: the element of a list, the key of a map
        if (v.kind == Kind.Bool) { if (v.b && outList !== null) outList.push(ctx.getVar(s1)); }
        else return v.kind == Kind.Error ? v : noMatchingOverload("filter", v);
        break;
      }
      case Macro.MapFilter: case Macro.TransformListFilter: case Macro.TransformMapFilter: {
        const p = evalNode(body, ctx);
        if (p.kind != Kind.Bool) return p.kind == Kind.Error ? p : noMatchingOverload("map", p);
        if (!p.b) break;
        const v = evalNode(kid(n, 2), ctx);
        if (v.kind == Kind.Error) return v;
        if (outList !== null) outList.push(v);
        if (outMap !== null) outMap.push(ctx.getVar(s1), v);
        break;
      }
      case Macro.TransformMap: {
        const v = evalNode(body, ctx);
        if (v.kind == Kind.Error) return v;
        if (outMap !== null) outMap.push(ctx.getVar(s1), v);
        break;
      }
    }
    if (outList !== null && outList.length > MAX_COLLECTION_SIZE) return Value.error("list too long");
    if ((outList !== null || outMap !== null) && !chargeElements(1)) return budgetError();
  }
  switch (macro) {
    case Macro.All: case Macro.All2: return err !== null ? err : Value.bool(true);
    case Macro.Exists: case Macro.Exists2: return err !== null ? err : Value.bool(false);
    case Macro.ExistsOne: case Macro.ExistsOne2: return Value.bool(found == 1);
  }
  if (outMap !== null) return Value.map(outMap);
  if (outList !== null) return Value.list(outList);
  return Value.error("invalid macro");
}
