// The planned form of an expression: what the evaluator walks per request. Names are
// resolved (attribute lookups with their candidate names and cache slots, comprehension
// variables as slots), functions are picked by id, constants are folded, and constant
// regular expressions are compiled. Built once at configuration time.

import { Value } from "./value";
import { Regex } from "./regex";
import { EvalContext } from "./context";

export enum Op {
  Const, Attr, Var, Select, Has, Index,
  Not, Neg, Add, Sub, Mul, Div, Mod, Eq, Ne, Lt, Le, Gt, Ge, In,
  And, Or, Cond, List, Map, Call, Comp,
  /** `x == "const"` / `x != "const"`: compares without the generic equality dispatch. */
  EqStr, NeStr,
  /** `s.split(sep).exists(v, v == k)` and `k in s.split(sep)`: scans `s` for a piece
   *  equal to `k` without building the list (args [s]; str = sep; value = k). */
  SplitHas,
  /** `attr == "const"` / `attr != "const"` over one attribute with no selection after it:
   *  compares the attribute's bytes in place when the resolver gives them (`text`), else
   *  evaluates args[0], the EqStr/NeStr node (names/slots: the attribute; value: the constant). */
  EqText, NeText,
  /** `attr.startsWith("const")` (args[0]: the Call node) and `attr in ["a", "b"]` (args[0]:
   *  the In node; value: the constant list, strings only), the same way as EqText. */
  PrefixText, InText,
}

/** Whether `op` compares an attribute's bytes in place (see `compareText` in eval.ts). */
export function isTextOp(op: Op): bool {
  return op == Op.EqText || op == Op.NeText || op == Op.PrefixText || op == Op.InText;
}

export class Node {
  op: Op;
  pos: i32;
  /** Operands; lengths are fixed per op by the planner (unary 1, binary 2, Cond 3 ...). */
  args: Array<Node> = new Array<Node>(0);
  /** args.length, recorded by `seal` so that the evaluator reads no Array getters. */
  argc: i32 = 0;
  /** names.length and parts.length (Attr), recorded by `seal`. */
  ncand: i32 = 0;
  nparts: i32 = 0;
  /**
   * Const: the value; EqStr/NeStr: the string constant; Attr: the error it evaluates to
   * when no candidate resolves (made once, at seal time: an absent attribute is common).
   */
  value: Value = Value.null();
  /** Select/Has: the field name. */
  str: string = "";
  /** Call: function id (Fn); Comp: macro id; Var: slot. */
  fn: i32 = 0;
  slot: i32 = 0;
  slot2: i32 = 0;
  /** Attr: candidate attribute names, longest first, with their cache slots and the
   *  number of leading path parts each one covers. Has over an attribute: the full name. */
  names: Array<string> = new Array<string>(0);
  slots: Array<i32> = new Array<i32>(0);
  covers: Array<i32> = new Array<i32>(0);
  /** Attr: the dotted path split in parts. */
  parts: Array<string> = new Array<string>(0);
  /** Call to `matches` with a constant pattern: the compiled expression. */
  regex: Regex | null = null;

  constructor(op: Op, pos: i32) {
    this.op = op;
    this.pos = pos;
  }

  static constant(v: Value, pos: i32): Node {
    const n = new Node(Op.Const, pos);
    n.value = v;
    return n;
  }
}

// The evaluator's hot path reads plan arrays with raw loads: AssemblyScript's Array
// accessors are out-of-line calls that spill to the shadow stack. Every index used is
// below the count `seal` recorded, so these loads stay inside the arrays.

/** Operand `i` of `n` (i < n.argc). */
@inline export function kid(n: Node, i: i32): Node {
  return load<Node>(n.args.dataStart + (<usize>i << alignof<usize>()));
}

/** Element `i` of a sealed string array. */
@inline export function strAt(a: Array<string>, i: i32): string {
  return load<string>(a.dataStart + (<usize>i << alignof<usize>()));
}

/** Element `i` of a sealed i32 array. */
@inline export function i32At(a: Array<i32>, i: i32): i32 {
  return load<i32>(a.dataStart + (<usize>i << alignof<i32>()));
}

/** Records array lengths on every node (after planning, before evaluation). */
export function seal(n: Node): void {
  n.argc = n.args.length;
  const nn = n.names.length;
  n.ncand = nn < n.slots.length ? nn : n.slots.length;
  if (n.covers.length < n.ncand) n.ncand = n.covers.length;
  n.nparts = n.parts.length;
  if (n.op == Op.Attr) n.value = Value.error("no such attribute: '" + n.str + "'");
  for (let i = 0; i < n.argc; i++) seal(unchecked(n.args[i]));
}

/** A compiled expression. Opaque to callers; evaluate it with `evaluate`. */
export class Program {
  root: Node;
  source: string;
  /** Number of comprehension variable slots. */
  varCount: i32 = 0;
  /** Distinct attribute names looked up, indexed by cache slot. */
  attrNames: Array<string> = new Array<string>();
  /** The JSON pointers given to requestBodyJSON, each once (the request body is read for them). */
  requestPointers: Array<string> = new Array<string>();
  /** The JSON pointers given to responseBodyJSON, each once. */
  responsePointers: Array<string> = new Array<string>();
  /** Evaluating it allocates nothing (its root compares an attribute's bytes in place),
   *  unless the resolver must make a value (which the resolver counts). */
  allocationFree: bool = false;
  /** Reusable evaluation state; evaluation is not re-entrant per program, so a nested
   *  evaluation of the same program (from a resolver) gets a fresh context. */
  context: EvalContext | null = null;

  constructor(root: Node, source: string) {
    this.root = root;
    this.source = source;
  }
}
