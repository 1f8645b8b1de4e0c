// Planner: turns the syntax tree into the evaluator's Node tree, once, at configuration
// time. It
//  - resolves names: comprehension variables become slots; other identifiers and
//    dotted paths (`a.b.c`) become attribute lookups with their candidate names,
//    longest first ("a.b.c", "a.b", "a"), each with a per-evaluation cache slot. When
//    the caller declares which attribute names exist, the choice is made here and only
//    one lookup remains;
//  - resolves functions to ids (unknown names and wrong argument counts are errors),
//    including qualified global names written like receiver calls (`strings.quote(x)`);
//  - compiles constant regular expressions (an invalid one is a compile error);
//  - folds operators whose operands are all constants.

import { Expr, ExprKind, OpCode, Macro } from "./ast";
import { Node, Op, Program, seal, isTextOp } from "./plan";
import { Value, Kind } from "./value";
import { lookupFunction, NO_FUNCTION, BAD_ARITY, Fn } from "./functions";
import { compileRegex } from "./regex";
import { evalNode } from "./eval";
import { EvalContext } from "./context";
import { MapResolver } from "./resolver";

/** Options for `compileWith`. */
export class CompileOptions {
  /**
   * Attribute names the resolver answers (e.g. "request.path", "auth.identity"). When
   * set, a dotted path is bound at compile time to its longest prefix in this list.
   */
  knownNames: Array<string> | null = null;
  /** With `knownNames`: a path with no known prefix is a compile error. */
  onlyKnownNames: bool = false;
  /** `requestBodyJSON(pointer)` may be used (else a compile error naming `bodyJsonContext`). */
  requestBodyJson: bool = true;
  /** `responseBodyJSON(pointer)` may be used. */
  responseBodyJson: bool = true;
  /** Where the expression is evaluated, for the message when a body function is not available. */
  bodyJsonContext: string = "";
}

/**
 * The attribute name a body function's pointer is looked up under: the resolver answers
 * `requestBodyJSON:<pointer>` with the value at the pointer (null when absent), or an
 * Error when the body cannot be read.
 */
export const REQUEST_BODY_JSON_PREFIX = "requestBodyJSON:";
export const RESPONSE_BODY_JSON_PREFIX = "responseBodyJSON:";

const TYPE_NAMES: string[] = ["int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type"];

export class Planner {
  failed: bool = false;
  error: string = "";
  errorPos: i32 = 0;
  options: CompileOptions;
  scope: Array<string> = new Array<string>();
  varCount: i32 = 0;
  attrNames: Array<string> = new Array<string>();
  /** Constant pointers given to requestBodyJSON / responseBodyJSON, each once. */
  requestPointers: Array<string> = new Array<string>();
  responsePointers: Array<string> = new Array<string>();
  foldContext: EvalContext;

  constructor(options: CompileOptions) {
    this.options = options;
    this.foldContext = new EvalContext(new MapResolver(), 0, 0);
  }

  fail(pos: i32, msg: string): Node {
    if (!this.failed) {
      this.failed = true;
      this.error = msg;
      this.errorPos = pos;
    }
    return Node.constant(Value.error(msg), pos);
  }

  /** Plans the whole expression; check `failed` afterwards. */
  planProgram(e: Expr, source: string): Program {
    const root = this.plan(e);
    seal(root);
    const p = new Program(root, source);
    p.allocationFree = root.op == Op.Const || isTextOp(root.op);
    p.varCount = this.varCount;
    p.attrNames = this.attrNames;
    p.requestPointers = this.requestPointers;
    p.responsePointers = this.responsePointers;
    return p;
  }

  attrSlot(name: string): i32 {
    const names = this.attrNames;
    for (let i = 0, n = names.length; i < n; i++) if (unchecked(names[i]) == name) return i;
    names.push(name);
    return names.length - 1;
  }

  lookupVar(name: string): i32 {
    for (let i = this.scope.length - 1; i >= 0; i--) if (unchecked(this.scope[i]) == name) return i;
    return -1;
  }

  isKnown(name: string): bool {
    return this.knownName(name) !== null;
  }

  // The entry of `knownNames` equal to `name`, or null. Bound names are that entry, one
  // string for every program compiled with these options: a resolver comparing names
  // then finds them equal by identity, without comparing their characters.
  knownName(name: string): string | null {
    const known = this.options.knownNames;
    if (known === null) return null;
    for (let i = 0, n = known.length; i < n; i++) if (unchecked(known[i]) == name) return unchecked(known[i]);
    return null;
  }

  // The identifier parts of an Ident/Select chain (`a.b.c` -> [a, b, c]), or null when
  // `e` is not a plain dotted name. A leading-dot name keeps its dot on the first part.
  path(e: Expr): Array<string> | null {
    const rev = new Array<string>();
    let cur: Expr | null = e;
    while (cur !== null) {
      if (cur.kind == ExprKind.Ident) {
        rev.push(cur.name);
        return rev.reverse();
      }
      if (cur.kind != ExprKind.Select || cur.testOnly) return null;
      rev.push(cur.name);
      cur = cur.target;
    }
    return null;
  }

  // Plans a dotted path that starts at an identifier (not a comprehension variable).
  attribute(parts: Array<string>, pos: i32): Node {
    let first = unchecked(parts[0]);
    if (first.startsWith(".")) first = first.substring(1);
    const n = new Node(Op.Attr, pos);
    const clean = new Array<string>(parts.length);
    unchecked(clean[0] = first);
    for (let i = 1; i < parts.length; i++) unchecked(clean[i] = unchecked(parts[i]));
    n.parts = clean;
    n.str = clean.join(".");
    // Candidates longest first.
    const names = new Array<string>();
    const covers = new Array<i32>();
    for (let k = clean.length; k >= 1; k--) {
      const name = k == clean.length ? n.str : clean.slice(0, k).join(".");
      if (this.options.knownNames !== null) {
        const bound = this.knownName(name);
        if (bound === null) continue;
        names.push(bound);
        covers.push(k);
        break;
      }
      names.push(name);
      covers.push(k);
    }
    if (names.length == 0) {
      if (this.options.onlyKnownNames) return this.fail(pos, "undeclared reference to '" + n.str + "'");
      for (let k = clean.length; k >= 1; k--) {
        names.push(k == clean.length ? n.str : clean.slice(0, k).join("."));
        covers.push(k);
      }
    }
    const slots = new Array<i32>(names.length);
    for (let i = 0; i < names.length; i++) unchecked(slots[i] = this.attrSlot(unchecked(names[i])));
    n.names = names;
    n.covers = covers;
    n.slots = slots;
    return n;
  }

  // A dotted name: variable + selections, type constant, or attribute.
  name(parts: Array<string>, pos: i32): Node {
    const first = unchecked(parts[0]);
    if (!first.startsWith(".")) {
      const slot = this.lookupVar(first);
      if (slot >= 0) {
        let n = new Node(Op.Var, pos);
        n.slot = slot;
        for (let i = 1; i < parts.length; i++) {
          const s = new Node(Op.Select, pos);
          s.str = unchecked(parts[i]);
          s.args = [n];
          n = s;
        }
        return n;
      }
      if (parts.length == 1 && TYPE_NAMES.includes(first)) return Node.constant(Value.typeValue(first), pos);
    }
    return this.attribute(parts, pos);
  }

  plan(e: Expr): Node {
    if (this.failed) return Node.constant(Value.null(), e.pos);
    switch (e.kind) {
      case ExprKind.Literal: {
        const v = e.value;
        return Node.constant(v === null ? Value.null() : v, e.pos);
      }
      case ExprKind.Ident: return this.name([e.name], e.pos);
      case ExprKind.Select: return this.planSelect(e);
      case ExprKind.Call: return this.planCall(e);
      case ExprKind.Op: return this.planOp(e);
      case ExprKind.List: {
        const n = new Node(Op.List, e.pos);
        n.args = this.planAll(e.args);
        return this.fold(n);
      }
      case ExprKind.Map: {
        const n = new Node(Op.Map, e.pos);
        n.args = this.planAll(e.args);
        return this.fold(n);
      }
      case ExprKind.Comprehension: return this.planComprehension(e);
    }
    return this.fail(e.pos, "unsupported expression");
  }

  planAll(es: Array<Expr>): Array<Node> {
    const out = new Array<Node>(es.length);
    for (let i = 0, n = es.length; i < n; i++) unchecked(out[i] = this.plan(unchecked(es[i])));
    return out;
  }

  planSelect(e: Expr): Node {
    const target = e.target;
    if (target === null) return this.fail(e.pos, "invalid selection");
    if (e.testOnly) {
      const tp = this.path(target);
      const n = new Node(Op.Has, e.pos);
      n.str = e.name;
      if (tp !== null && !this.isVarRooted(tp)) {
        // has(a.b.c): an attribute named "a.b.c" itself answers first
        const full = tp.join(".") + "." + e.name;
        const clean = full.startsWith(".") ? full.substring(1) : full;
        if (this.options.knownNames === null || this.isKnown(clean)) {
          n.names = [clean];
          n.slots = [this.attrSlot(clean)];
          n.covers = [0];
          // A known attribute answers alone: present or not, there is no target to walk.
          if (this.options.knownNames !== null) return n;
        }
      }
      n.args = [this.plan(target)];
      return this.fold(n);
    }
    const p = this.path(e);
    if (p !== null) return this.name(p, e.pos);
    const n = new Node(Op.Select, e.pos);
    n.str = e.name;
    n.args = [this.plan(target)];
    return this.fold(n);
  }

  isVarRooted(parts: Array<string>): bool {
    const first = unchecked(parts[0]);
    return !first.startsWith(".") && this.lookupVar(first) >= 0;
  }

  planCall(e: Expr): Node {
    const target = e.target;
    const argc = e.args.length;
    let fn: i32 = NO_FUNCTION;
    let receiver: Node | null = null;
    let name = e.name;
    if (target !== null) {
      // `ns.f(x)` may name a global function `ns.f`.
      const tp = this.path(target);
      if (tp !== null && !this.isVarRooted(tp)) {
        let qual = tp.join(".") + "." + name;
        if (qual.startsWith(".")) qual = qual.substring(1);
        const g = lookupFunction(qual, false, argc);
        if (g >= 0) { fn = g; name = qual; }
        else if (g == BAD_ARITY) return this.fail(e.pos, "no matching overload for '" + qual + "' with " + argc.toString() + " argument(s)");
      }
      if (fn == NO_FUNCTION) {
        fn = lookupFunction(name, true, argc);
        receiver = this.plan(target);
      }
    } else {
      if (name.startsWith(".")) name = name.substring(1);
      fn = lookupFunction(name, false, argc);
    }
    if (fn == NO_FUNCTION) return this.fail(e.pos, "undeclared function '" + name + "'");
    if (fn == BAD_ARITY) return this.fail(e.pos, "no matching overload for '" + name + "' with " + argc.toString() + " argument(s)");
    if (fn == Fn.RequestBodyJson || fn == Fn.ResponseBodyJson) return this.bodyJson(fn == Fn.RequestBodyJson, e);
    const n = new Node(Op.Call, e.pos);
    n.fn = fn;
    const args = new Array<Node>();
    if (receiver !== null) args.push(receiver);
    for (let i = 0; i < argc; i++) args.push(this.plan(unchecked(e.args[i])));
    if (args.length > 4) return this.fail(e.pos, "too many arguments");
    n.args = args;
    if (fn == Fn.Matches && args.length == 2) {
      const pat = unchecked(args[1]);
      if (pat.op == Op.Const && pat.value.kind == Kind.String) {
        const r = compileRegex(pat.value.str);
        if (r.regex === null) return this.fail(pat.pos, "invalid regular expression: " + r.error);
        n.regex = r.regex;
      }
    }
    const folded = this.fold(n);
    // attr.startsWith("k"): on the attribute's bytes in place when the resolver gives them.
    if (folded === n && fn == Fn.StartsWith && args.length == 2) {
      const k = unchecked(args[1]);
      if (k.op == Op.Const && k.value.kind == Kind.String) return textComparison(n, Op.PrefixText, k.value, unchecked(args[0]));
    }
    return folded;
  }

  // `requestBodyJSON("/p")`: an attribute lookup of REQUEST_BODY_JSON_PREFIX + "/p". The
  // pointer must be a constant (the values are looked up once per request, before the
  // body is gone) and a valid RFC 6901 pointer: a typo is a configuration error.
  bodyJson(request: bool, e: Expr): Node {
    const name = request ? "requestBodyJSON" : "responseBodyJSON";
    const o = this.options;
    if (request ? !o.requestBodyJson : !o.responseBodyJson) {
      return this.fail(e.pos, name + " is not available " + (o.bodyJsonContext.length > 0 ? o.bodyJsonContext : "here"));
    }
    const arg = this.plan(unchecked(e.args[0]));
    if (arg.op != Op.Const || arg.value.kind != Kind.String) {
      return this.fail(e.pos, name + " takes a constant JSON pointer, a string literal such as \"/model\"");
    }
    const pointer = arg.value.str;
    const problem = jsonPointerProblem(pointer);
    if (problem.length > 0) return this.fail(arg.pos, "invalid JSON pointer " + quoteText(pointer) + ": " + problem);
    const list = request ? this.requestPointers : this.responsePointers;
    if (!list.includes(pointer)) list.push(pointer);
    const attr = (request ? REQUEST_BODY_JSON_PREFIX : RESPONSE_BODY_JSON_PREFIX) + pointer;
    const n = new Node(Op.Attr, e.pos);
    n.str = name + "(" + quoteText(pointer) + ")";
    n.parts = [attr];
    n.names = [attr];
    n.covers = [1];
    n.slots = [this.attrSlot(attr)];
    return n;
  }

  planOp(e: Expr): Node {
    const args = this.planAll(e.args);
    let op: Op;
    switch (e.op) {
      case OpCode.Not: op = Op.Not; break;
      case OpCode.Neg: op = Op.Neg; break;
      case OpCode.Add: op = Op.Add; break;
      case OpCode.Sub: op = Op.Sub; break;
      case OpCode.Mul: op = Op.Mul; break;
      case OpCode.Div: op = Op.Div; break;
      case OpCode.Mod: op = Op.Mod; break;
      case OpCode.Eq: op = Op.Eq; break;
      case OpCode.Ne: op = Op.Ne; break;
      case OpCode.Lt: op = Op.Lt; break;
      case OpCode.Le: op = Op.Le; break;
      case OpCode.Gt: op = Op.Gt; break;
      case OpCode.Ge: op = Op.Ge; break;
      case OpCode.In: op = Op.In; break;
      case OpCode.Index: op = Op.Index; break;
      case OpCode.And: op = Op.And; break;
      case OpCode.Or: op = Op.Or; break;
      default: op = Op.Cond; break;
    }
    const n = new Node(op, e.pos);
    n.args = args;
    const folded = this.fold(n);
    if (folded.op == Op.Const) return folded;
    // "k" in s.split(sep): a scan instead of a list of pieces
    if (op == Op.In && unchecked(args[0]).op == Op.Const && unchecked(args[0]).value.kind == Kind.String) {
      const fused = splitHas(unchecked(args[1]), unchecked(args[0]).value, e.pos);
      if (fused !== null) return fused;
    }
    if (folded.op == Op.Const) return folded;
    // attr in ["a", "b"]: on the attribute's bytes in place when the resolver gives them.
    if (op == Op.In && args.length == 2 && isStringList(unchecked(args[1]))) {
      return textComparison(n, Op.InText, unchecked(args[1]).value, unchecked(args[0]));
    }
    // `x == "literal"`: a direct string comparison on the hot path.
    if ((op == Op.Eq || op == Op.Ne) && args.length == 2) {
      const l = unchecked(args[0]), r = unchecked(args[1]);
      let constSide: Node | null = null, other: Node | null = null;
      if (r.op == Op.Const && r.value.kind == Kind.String) { constSide = r; other = l; }
      else if (l.op == Op.Const && l.value.kind == Kind.String) { constSide = l; other = r; }
      if (constSide !== null && other !== null) {
        const s = new Node(op == Op.Eq ? Op.EqStr : Op.NeStr, e.pos);
        s.value = constSide.value;
        s.args = [other];
        return textComparison(s, op == Op.Eq ? Op.EqText : Op.NeText, s.value, other);
      }
    }
    return n;
  }

  planComprehension(e: Expr): Node {
    const target = e.target;
    if (target === null) return this.fail(e.pos, "invalid macro");
    const range = this.plan(target);
    const n = new Node(Op.Comp, e.pos);
    n.fn = <i32>e.macro;
    const base = this.scope.length;
    n.slot = base;
    this.scope.push(e.iterVar);
    const two = e.iterVar2.length > 0;
    if (two) {
      n.slot2 = base + 1;
      this.scope.push(e.iterVar2);
    }
    if (this.scope.length > this.varCount) this.varCount = this.scope.length;
    const args = new Array<Node>();
    args.push(range);
    for (let i = 0, m = e.args.length; i < m; i++) args.push(this.plan(unchecked(e.args[i])));
    this.scope.length = base;
    n.args = args;
    // s.split(sep).exists(v, v == k): a scan instead of a list of pieces
    if (e.macro == Macro.Exists && args.length == 2) {
      const body = unchecked(args[1]);
      if (body.op == Op.EqStr && unchecked(body.args[0]).op == Op.Var && unchecked(body.args[0]).slot == n.slot) {
        const fused = splitHas(range, body.value, e.pos);
        if (fused !== null) return fused;
      }
    }
    return n;
  }

  // Evaluates `n` now when all its operands are constants.
  fold(n: Node): Node {
    if (this.failed) return n;
    const args = n.args;
    for (let i = 0, m = args.length; i < m; i++) {
      if (unchecked(args[i]).op != Op.Const) return n;
    }
    seal(n);
    const v = evalNode(n, this.foldContext);
    return Node.constant(v, n.pos);
  }
}

// `cmp` as the text op `op` with constant `k` when `operand` is one attribute read whole
// (one candidate name, no field selected after it): the evaluator may then compare the
// attribute's bytes in place, and falls back to `cmp` when the resolver cannot.
function textComparison(cmp: Node, op: Op, k: Value, operand: Node): Node {
  if (operand.op != Op.Attr || operand.names.length != 1 || operand.slots.length != 1 ||
      operand.covers.length != 1 || unchecked(operand.covers[0]) != operand.parts.length) return cmp;
  const n = new Node(op, cmp.pos);
  n.value = k;
  n.names = operand.names;
  n.slots = operand.slots;
  n.covers = operand.covers;
  n.args = [cmp];
  return n;
}

// Whether `n` is a constant list whose elements are all strings.
function isStringList(n: Node): bool {
  if (n.op != Op.Const || n.value.kind != Kind.List) return false;
  const list = n.value.list;
  if (list === null) return false;
  for (let i = 0, m = list.length; i < m; i++) if (unchecked(list[i]).kind != Kind.String) return false;
  return true;
}

// SplitHas for `range` when it is `s.split("non-empty constant")`, else null.
function splitHas(range: Node, k: Value, pos: i32): Node | null {
  if (range.op != Op.Call || range.fn != Fn.Split || range.args.length != 2) return null;
  const sep = unchecked(range.args[1]);
  if (sep.op != Op.Const || sep.value.kind != Kind.String || sep.value.str.length == 0) return null;
  const n = new Node(Op.SplitHas, pos);
  n.args = [unchecked(range.args[0])];
  n.str = sep.value.str;
  n.value = k;
  return n;
}

/**
 * What is wrong with `p` as an RFC 6901 JSON pointer ("" when valid): it is empty or
 * starts with `/`, and every `~` is followed by `0` or `1`.
 */
export function jsonPointerProblem(p: string): string {
  if (p.length == 0) return "";
  if (p.charCodeAt(0) != 0x2F) return "must be empty or start with '/' (RFC 6901), as in \"/" + p + "\"";
  for (let i = 0, n = p.length; i < n; i++) {
    if (p.charCodeAt(i) != 0x7E) continue;
    const next = i + 1 < n ? p.charCodeAt(i + 1) : -1;
    if (next != 0x30 && next != 0x31) return "'~' must be followed by 0 or 1 (RFC 6901: ~0 is '~', ~1 is '/')";
  }
  return "";
}

function quoteText(s: string): string {
  return "\"" + s.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"") + "\"";
}
