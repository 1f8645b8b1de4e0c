// Syntax tree produced by the parser and consumed once by the planner. Macros are
// already expanded into Comprehension nodes; operators are Op nodes with an OpCode.

import { Value } from "./value";

export enum ExprKind { Literal, Ident, Select, Call, Op, List, Map, Comprehension }

export enum OpCode {
  // unary
  Not, Neg,
  // binary
  Add, Sub, Mul, Div, Mod, Eq, Ne, Lt, Le, Gt, Ge, In, Index,
  // n-ary, short-circuit
  And, Or,
  // ternary
  Cond,
}

/** Which macro a Comprehension node came from. */
export enum Macro {
  All, Exists, ExistsOne, Map, MapFilter, Filter,
  // two-variable forms (cel-go's comprehension extension)
  All2, Exists2, ExistsOne2, TransformList, TransformListFilter, TransformMap, TransformMapFilter,
}

export class Expr {
  kind: ExprKind;
  pos: i32;
  /** Depth of this subtree (a leaf is 1). */
  depth: i32 = 1;
  /** Literal value. */
  value: Value | null = null;
  /** Identifier name, selected field, or called function name. */
  name: string = "";
  /** Select operand or receiver of a call; comprehension range. */
  target: Expr | null = null;
  /** Call arguments, list elements, map keys and values interleaved, operator operands,
   *  comprehension bodies ([predicate] / [transform] / [predicate, transform]). */
  args: Array<Expr> = new Array<Expr>();
  op: OpCode = OpCode.Not;
  /** `has(x.f)`: test for presence instead of selecting. */
  testOnly: bool = false;
  macro: Macro = Macro.All;
  iterVar: string = "";
  iterVar2: string = "";

  constructor(kind: ExprKind, pos: i32) {
    this.kind = kind;
    this.pos = pos;
  }

  /** Recomputes depth from the direct children. */
  fixDepth(): void {
    let d = 0;
    const t = this.target;
    if (t !== null) d = t.depth;
    for (let i = 0, n = this.args.length; i < n; i++) {
      const a = unchecked(this.args[i]);
      if (a.depth > d) d = a.depth;
    }
    this.depth = d + 1;
  }
}
