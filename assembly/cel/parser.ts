// Recursive-descent CEL parser with macro expansion. Grammar (CEL spec):
//
//   Expr           = ConditionalOr ["?" ConditionalOr ":" Expr] ;
//   ConditionalOr  = [ConditionalOr "||"] ConditionalAnd ;
//   ConditionalAnd = [ConditionalAnd "&&"] Relation ;
//   Relation       = [Relation Relop] Addition ;          Relop = < <= >= > == != in
//   Addition       = [Addition ("+" | "-")] Multiplication ;
//   Multiplication = [Multiplication ("*" | "/" | "%")] Unary ;
//   Unary          = Member | "!" {"!"} Member | "-" {"-"} Member ;
//   Member         = Primary | Member "." SELECTOR ["(" [ExprList] ")"] | Member "[" Expr "]" ;
//   Primary        = ["."] IDENT ["(" [ExprList] ")"] | "(" Expr ")"
//                  | "[" [ExprList] [","] "]" | "{" [MapInits] [","] "}" | LITERAL ;
//
// `||` and `&&` chains become one n-ary node. Nesting is bounded by MAX_DEPTH (checked
// on the way down, so hostile input cannot exhaust the stack) and size by MAX_NODES.
// The first error stops parsing and is reported with its byte offset.

import { Lexer, Tok, isReservedWord } from "./lexer";
import { Expr, ExprKind, OpCode, Macro } from "./ast";
import { Value } from "./value";
import { MAX_DEPTH, MAX_NODES, MAX_LITERAL_ELEMENTS } from "./limits";

export class ParseResult {
  expr: Expr | null = null;
  error: string = "";
  position: i32 = 0;
}

/** Parses UTF-8 source bytes. Never traps; errors are returned with a byte offset. */
export function parse(src: ArrayBuffer): ParseResult {
  const p = new Parser(src);
  const r = new ParseResult();
  p.lex.next();
  const e = p.parseExpr();
  if (!p.failed && p.lex.tok != Tok.EOF) p.errorAtToken("unexpected " + p.describe());
  if (p.failed) {
    r.error = p.error;
    r.position = p.errorPos;
    return r;
  }
  r.expr = e;
  return r;
}

class Parser {
  lex: Lexer;
  failed: bool = false;
  error: string = "";
  errorPos: i32 = 0;
  nesting: i32 = 0;
  nodes: i32 = 0;
  // Returned on error so that callers need no null checks; never escapes parse().
  bad: Expr = new Expr(ExprKind.Literal, 0);

  constructor(src: ArrayBuffer) { this.lex = new Lexer(src); }

  fail(pos: i32, msg: string): Expr {
    if (!this.failed) {
      this.failed = true;
      this.error = msg;
      this.errorPos = pos;
    }
    return this.bad;
  }

  errorAtToken(msg: string): Expr {
    if (this.lex.tok == Tok.Error) return this.fail(this.lex.start, this.lex.text);
    return this.fail(this.lex.start, msg);
  }

  describe(): string {
    switch (this.lex.tok) {
      case Tok.EOF: return "end of expression";
      case Tok.Ident: return "identifier '" + this.lex.text + "'";
      case Tok.Int: case Tok.Uint: case Tok.Double: return "number";
      case Tok.String: return "string";
      case Tok.Bytes: return "bytes";
      default: return "'" + this.lex.slice(this.lex.start, this.lex.end) + "'";
    }
  }

  node(kind: ExprKind, pos: i32): Expr {
    this.nodes++;
    if (this.nodes > MAX_NODES) this.fail(pos, "expression too large (more than " + MAX_NODES.toString() + " nodes)");
    return new Expr(kind, pos);
  }

  // Sets the depth of `e` from its children and enforces the depth limit.
  finish(e: Expr): Expr {
    e.fixDepth();
    if (e.depth > MAX_DEPTH) return this.fail(e.pos, "expression nested too deeply (limit " + MAX_DEPTH.toString() + ")");
    return e;
  }

  expect(t: Tok, what: string): bool {
    if (this.lex.tok != t) {
      this.errorAtToken("expected " + what + ", found " + this.describe());
      return false;
    }
    this.lex.next();
    return true;
  }

  parseExpr(): Expr {
    if (this.failed) return this.bad;
    this.nesting++;
    if (this.nesting > MAX_DEPTH) return this.fail(this.lex.start, "expression nested too deeply (limit " + MAX_DEPTH.toString() + ")");
    const cond = this.parseOr();
    let result = cond;
    if (!this.failed && this.lex.tok == Tok.Question) {
      const pos = this.lex.start;
      this.lex.next();
      const a = this.parseOr();
      if (this.expect(Tok.Colon, "':'")) {
        const b = this.parseExpr();
        const e = this.node(ExprKind.Op, pos);
        e.op = OpCode.Cond;
        e.args.push(cond);
        e.args.push(a);
        e.args.push(b);
        result = this.finish(e);
      }
    }
    this.nesting--;
    return this.failed ? this.bad : result;
  }

  parseOr(): Expr {
    const first = this.parseAnd();
    if (this.failed || this.lex.tok != Tok.Or) return first;
    const e = this.node(ExprKind.Op, this.lex.start);
    e.op = OpCode.Or;
    e.args.push(first);
    while (!this.failed && this.lex.tok == Tok.Or) {
      this.lex.next();
      e.args.push(this.parseAnd());
      if (e.args.length > MAX_LITERAL_ELEMENTS) return this.fail(e.pos, "too many operands");
    }
    return this.finish(e);
  }

  parseAnd(): Expr {
    const first = this.parseRelation();
    if (this.failed || this.lex.tok != Tok.And) return first;
    const e = this.node(ExprKind.Op, this.lex.start);
    e.op = OpCode.And;
    e.args.push(first);
    while (!this.failed && this.lex.tok == Tok.And) {
      this.lex.next();
      e.args.push(this.parseRelation());
      if (e.args.length > MAX_LITERAL_ELEMENTS) return this.fail(e.pos, "too many operands");
    }
    return this.finish(e);
  }

  binary(op: OpCode, pos: i32, l: Expr, r: Expr): Expr {
    const e = this.node(ExprKind.Op, pos);
    e.op = op;
    e.args.push(l);
    e.args.push(r);
    return this.finish(e);
  }

  parseRelation(): Expr {
    let l = this.parseAdd();
    while (!this.failed) {
      let op: OpCode;
      switch (this.lex.tok) {
        case Tok.Lt: op = OpCode.Lt; break;
        case Tok.Le: op = OpCode.Le; break;
        case Tok.Gt: op = OpCode.Gt; break;
        case Tok.Ge: op = OpCode.Ge; break;
        case Tok.Eq: op = OpCode.Eq; break;
        case Tok.Ne: op = OpCode.Ne; break;
        case Tok.In: op = OpCode.In; break;
        default: return l;
      }
      const pos = this.lex.start;
      this.lex.next();
      l = this.binary(op, pos, l, this.parseAdd());
    }
    return l;
  }

  parseAdd(): Expr {
    let l = this.parseMul();
    while (!this.failed) {
      let op: OpCode;
      if (this.lex.tok == Tok.Plus) op = OpCode.Add;
      else if (this.lex.tok == Tok.Minus) op = OpCode.Sub;
      else return l;
      const pos = this.lex.start;
      this.lex.next();
      l = this.binary(op, pos, l, this.parseMul());
    }
    return l;
  }

  parseMul(): Expr {
    let l = this.parseUnary();
    while (!this.failed) {
      let op: OpCode;
      if (this.lex.tok == Tok.Star) op = OpCode.Mul;
      else if (this.lex.tok == Tok.Slash) op = OpCode.Div;
      else if (this.lex.tok == Tok.Percent) op = OpCode.Mod;
      else return l;
      const pos = this.lex.start;
      this.lex.next();
      l = this.binary(op, pos, l, this.parseUnary());
    }
    return l;
  }

  unary(op: OpCode, pos: i32, operand: Expr): Expr {
    const e = this.node(ExprKind.Op, pos);
    e.op = op;
    e.args.push(operand);
    return this.finish(e);
  }

  parseUnary(): Expr {
    const pos = this.lex.start;
    if (this.lex.tok == Tok.Not) {
      let n = 0;
      while (this.lex.tok == Tok.Not) { n++; this.lex.next(); }
      let e = this.parseMember(this.parsePrimary(false));
      while (n-- > 0 && !this.failed) e = this.unary(OpCode.Not, pos, e);
      return e;
    }
    if (this.lex.tok == Tok.Minus) {
      let n = 0;
      while (this.lex.tok == Tok.Minus) { n++; this.lex.next(); }
      let e: Expr;
      // A minus directly before a number is part of the literal (so the smallest
      // int is writable); any further minus signs negate.
      if (this.lex.tok == Tok.Int || this.lex.tok == Tok.Double) {
        n--;
        e = this.parseMember(this.parsePrimary(true));
      } else {
        e = this.parseMember(this.parsePrimary(false));
      }
      while (n-- > 0 && !this.failed) e = this.unary(OpCode.Neg, pos, e);
      return e;
    }
    return this.parseMember(this.parsePrimary(false));
  }

  parseMember(primary: Expr): Expr {
    let e = primary;
    while (!this.failed) {
      const tok = this.lex.tok;
      if (tok == Tok.Dot) {
        const pos = this.lex.start;
        this.lex.next();
        const t = this.lex.tok;
        if (t != Tok.Ident && t != Tok.QuotedIdent) return this.errorAtToken("expected field name after '.', found " + this.describe());
        const name = this.lex.text;
        this.lex.next();
        if (t == Tok.Ident && this.lex.tok == Tok.LParen) {
          this.lex.next();
          const call = this.node(ExprKind.Call, pos);
          call.name = name;
          call.target = e;
          this.parseArgs(call.args, Tok.RParen, "')'");
          if (this.failed) return this.bad;
          e = this.expandReceiverMacro(call);
        } else {
          const sel = this.node(ExprKind.Select, pos);
          sel.name = name;
          sel.target = e;
          e = this.finish(sel);
        }
      } else if (tok == Tok.LBracket) {
        const pos = this.lex.start;
        this.lex.next();
        const idx = this.parseExpr();
        if (!this.expect(Tok.RBracket, "']'")) return this.bad;
        e = this.binary(OpCode.Index, pos, e, idx);
      } else if (tok == Tok.LBrace && (e.kind == ExprKind.Ident || e.kind == ExprKind.Select)) {
        return this.fail(this.lex.start, "message construction is not supported");
      } else {
        return e;
      }
    }
    return this.bad;
  }

  // Parses `elem, elem, ... close` (the opening token is already consumed). A trailing
  // comma is allowed.
  parseArgs(out: Array<Expr>, close: Tok, closeText: string): void {
    if (this.lex.tok == close) { this.lex.next(); return; }
    while (!this.failed) {
      out.push(this.parseExpr());
      if (out.length > MAX_LITERAL_ELEMENTS) { this.fail(this.lex.start, "too many elements"); return; }
      if (this.lex.tok == Tok.Comma) {
        this.lex.next();
        if (this.lex.tok == close && close == Tok.RBracket) { this.lex.next(); return; }
        continue;
      }
      this.expect(close, closeText);
      return;
    }
  }

  parsePrimary(negate: bool): Expr {
    if (this.failed) return this.bad;
    const lex = this.lex;
    const pos = lex.start;
    switch (lex.tok) {
      case Tok.Int: {
        const e = this.node(ExprKind.Literal, pos);
        if (negate) {
          // magnitude up to 2^63 is representable when negated
          if (lex.intVal > <u64>i64.MAX_VALUE + 1) return this.fail(pos, "int literal out of range");
          e.value = Value.int(<i64>(0 - lex.intVal));
        } else {
          if (lex.intTooBig) return this.fail(pos, "int literal out of range");
          e.value = Value.int(<i64>lex.intVal);
        }
        lex.next();
        return e;
      }
      case Tok.Uint: {
        const e = this.node(ExprKind.Literal, pos);
        e.value = Value.uint(lex.intVal);
        lex.next();
        return e;
      }
      case Tok.Double: {
        const e = this.node(ExprKind.Literal, pos);
        e.value = Value.double(negate ? -lex.dblVal : lex.dblVal);
        lex.next();
        return e;
      }
      case Tok.String: {
        const e = this.node(ExprKind.Literal, pos);
        e.value = Value.string(lex.text);
        lex.next();
        return e;
      }
      case Tok.Bytes: {
        const e = this.node(ExprKind.Literal, pos);
        e.value = Value.bytes(lex.bytesVal);
        lex.next();
        return e;
      }
      case Tok.True: case Tok.False: {
        const e = this.node(ExprKind.Literal, pos);
        e.value = Value.bool(lex.tok == Tok.True);
        lex.next();
        return e;
      }
      case Tok.Null: {
        const e = this.node(ExprKind.Literal, pos);
        e.value = Value.null();
        lex.next();
        return e;
      }
      case Tok.LParen: {
        lex.next();
        const inner = this.parseExpr();
        if (!this.expect(Tok.RParen, "')'")) return this.bad;
        return inner;
      }
      case Tok.LBracket: {
        lex.next();
        const e = this.node(ExprKind.List, pos);
        this.parseArgs(e.args, Tok.RBracket, "']'");
        return this.finish(e);
      }
      case Tok.LBrace: {
        lex.next();
        return this.parseMapBody(pos);
      }
      case Tok.Dot: {
        // Leading dot: a name resolved from the root scope only.
        lex.next();
        if (lex.tok != Tok.Ident) return this.errorAtToken("expected identifier after leading '.'");
        return this.parseIdent(pos, true);
      }
      case Tok.Ident:
        return this.parseIdent(pos, false);
      default:
        return this.errorAtToken("unexpected " + this.describe());
    }
  }

  parseIdent(pos: i32, rooted: bool): Expr {
    const lex = this.lex;
    const name = lex.text;
    const namePos = lex.start;
    if (isReservedWord(name)) return this.fail(namePos, "reserved identifier '" + name + "'");
    lex.next();
    if (lex.tok == Tok.LParen) {
      lex.next();
      const call = this.node(ExprKind.Call, pos);
      call.name = rooted ? "." + name : name;
      this.parseArgs(call.args, Tok.RParen, "')'");
      if (this.failed) return this.bad;
      if (name == "has" && !rooted) return this.expandHas(call);
      return this.finish(call);
    }
    const e = this.node(ExprKind.Ident, pos);
    e.name = rooted ? "." + name : name;
    return e;
  }

  parseMapBody(pos: i32): Expr {
    const e = this.node(ExprKind.Map, pos);
    const lex = this.lex;
    if (lex.tok == Tok.RBrace) { lex.next(); return e; }
    while (!this.failed) {
      e.args.push(this.parseExpr());
      if (!this.expect(Tok.Colon, "':'")) return this.bad;
      e.args.push(this.parseExpr());
      if (e.args.length > 2 * MAX_LITERAL_ELEMENTS) return this.fail(pos, "too many map entries");
      if (lex.tok == Tok.Comma) {
        lex.next();
        if (lex.tok == Tok.RBrace) { lex.next(); break; }
        continue;
      }
      if (!this.expect(Tok.RBrace, "'}'")) return this.bad;
      break;
    }
    return this.finish(e);
  }

  expandHas(call: Expr): Expr {
    if (call.args.length != 1) return this.fail(call.pos, "has() takes exactly one argument");
    const arg = unchecked(call.args[0]);
    if (arg.kind != ExprKind.Select || arg.testOnly) return this.fail(call.pos, "invalid argument to has() macro: must be a field selection");
    arg.testOnly = true;
    return arg;
  }

  // Expands receiver-style macros (all, exists, exists_one, map, filter and the
  // two-variable forms); any other call is returned as is.
  expandReceiverMacro(call: Expr): Expr {
    const name = call.name;
    const n = call.args.length;
    let macro: i32 = -1;
    let vars = 1;
    if (name == "all") { if (n == 2) macro = Macro.All; else if (n == 3) { macro = Macro.All2; vars = 2; } }
    else if (name == "exists") { if (n == 2) macro = Macro.Exists; else if (n == 3) { macro = Macro.Exists2; vars = 2; } }
    else if (name == "exists_one") { if (n == 2) macro = Macro.ExistsOne; else if (n == 3) { macro = Macro.ExistsOne2; vars = 2; } }
    else if (name == "existsOne") { if (n == 2) macro = Macro.ExistsOne; else if (n == 3) { macro = Macro.ExistsOne2; vars = 2; } }
    else if (name == "map") { if (n == 2) macro = Macro.Map; else if (n == 3) macro = Macro.MapFilter; }
    else if (name == "filter") { if (n == 2) macro = Macro.Filter; }
    else if (name == "transformList") { vars = 2; if (n == 3) macro = Macro.TransformList; else if (n == 4) macro = Macro.TransformListFilter; }
    else if (name == "transformMap") { vars = 2; if (n == 3) macro = Macro.TransformMap; else if (n == 4) macro = Macro.TransformMapFilter; }
    if (macro < 0) return this.finish(call);
    const v1 = unchecked(call.args[0]);
    if (v1.kind != ExprKind.Ident || v1.name.startsWith(".")) return this.fail(v1.pos, "argument to " + name + "() must be a simple name");
    if (v1.name == "__result__") return this.fail(v1.pos, "iteration variable overwrites accumulator variable");
    const e = this.node(ExprKind.Comprehension, call.pos);
    e.macro = <Macro>macro;
    e.target = call.target;
    e.iterVar = v1.name;
    if (vars == 2) {
      const v2 = unchecked(call.args[1]);
      if (v2.kind != ExprKind.Ident || v2.name.startsWith(".")) return this.fail(v2.pos, "argument to " + name + "() must be a simple name");
      if (v2.name == v1.name) return this.fail(v2.pos, "the two variables of " + name + "() must differ");
      e.iterVar2 = v2.name;
    }
    for (let i = vars; i < n; i++) e.args.push(unchecked(call.args[i]));
    return this.finish(e);
  }
}
