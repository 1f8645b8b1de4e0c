// Configuration warnings found on an expression's syntax tree: mistakes that compile and
// evaluate, but make a limit mean less than it says. Runs at configure time only.
//
// `request.path` is the whole `:path` header, query string included (as in Envoy), so
// `request.path == "/v1/chat/completions"` is false for
// `/v1/chat/completions?api-version=1`: a caller who adds any query string is never
// limited and never charged. `request.url_path` is the path without the query.

import { parse } from "../cel/parser";
import { Expr, ExprKind, OpCode } from "../cel/ast";
import { Kind } from "../cel/value";
import { Expression } from "../config/limits";

/**
 * Appends one warning (`<path>: ...`) to `out` for each `request.path == "<literal>"` or
 * `!=` in `e` whose literal has no `?`. An expression that does not parse gives none
 * (its compile error is reported elsewhere). Allocates; never traps.
 */
export function queryStringWarnings(e: Expression, out: Array<string>): void {
  const parsed = parse(String.UTF8.encode(e.source));
  const root = parsed.expr;
  if (root === null) return;
  // Walk with an explicit stack: the parser bounds depth and size, this keeps no recursion.
  const stack = new Array<Expr>();
  stack.push(root);
  let warned = false;
  while (stack.length > 0) {
    const n = stack.pop();
    if (n.kind == ExprKind.Op && (n.op == OpCode.Eq || n.op == OpCode.Ne) && n.args.length == 2) {
      const a = unchecked(n.args[0]);
      const b = unchecked(n.args[1]);
      const literal = isRequestPath(a) ? stringLiteral(b) : isRequestPath(b) ? stringLiteral(a) : null;
      if (literal !== null && !literal.includes("?") && !warned) {
        warned = true;
        out.push(e.path + ": request.path includes the query string, so " + quoteText(literal + "?x=1") + " is not " +
          quoteText(literal) + " and a client who adds one escapes this predicate; compare request.url_path (the path" +
          " without the query string) instead: request.url_path " + (n.op == OpCode.Eq ? "==" : "!=") + " " + quoteText(literal));
      }
    }
    const t = n.target;
    if (t !== null) stack.push(t);
    for (let i = 0, k = n.args.length; i < k; i++) stack.push(unchecked(n.args[i]));
  }
}

/** `request.path` (or `.request.path`) as written, not a macro variable's field. */
function isRequestPath(e: Expr): bool {
  if (e.kind != ExprKind.Select || e.testOnly || e.name != "path") return false;
  const t = e.target;
  return t !== null && t.kind == ExprKind.Ident && (t.name == "request" || t.name == ".request");
}

/** The text of a string literal, or null. */
function stringLiteral(e: Expr): string | null {
  if (e.kind != ExprKind.Literal) return null;
  const v = e.value;
  if (v === null || v.kind != Kind.String) return null;
  return v.str;
}

function quoteText(s: string): string {
  const shown = s.length > 100 ? s.substring(0, 100) + "..." : s;
  return "\"" + shown + "\"";
}
