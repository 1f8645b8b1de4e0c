// Public CEL API for the filter: compile at configuration time, evaluate per request.
//
//   const r = compile('request.path == "/v1/chat/completions"');
//   if (r.program === null) log(r.error + " at " + r.position.toString());
//   evaluateBool(r.program, resolver)   // 1 true, 0 false, -1 error / not a bool
//
// Nothing here traps: malformed, oversized or too deeply nested sources are compile
// errors; evaluation failures are Error values.

import { Value, Kind } from "./value";
import { AttributeResolver } from "./resolver";
import { Program, Op, isTextOp } from "./plan";
import { parse } from "./parser";
import { Planner, CompileOptions } from "./planner";
import { evalNode, compareText } from "./eval";
import { EvalContext } from "./context";
import { MAX_SOURCE_BYTES } from "./limits";
import { textOf, textTooLarge } from "./text";
import { resetBudget } from "./budget";

export { Program } from "./plan";
export { CompileOptions } from "./planner";
export { Value, Kind, MapValue } from "./value";
export { AttributeResolver, MapResolver, TextView, TEXT_ASCII, TEXT_ABSENT, TEXT_UNAVAILABLE } from "./resolver";

export class CompileResult {
  program: Program | null = null;
  /** "" on success. */
  error: string = "";
  /** Byte offset in the UTF-8 source where the error was found. */
  position: i32 = 0;
}

const DEFAULT_OPTIONS = new CompileOptions();
/** Evaluations in progress (more than one when a resolver evaluates an expression). */
let evaluating = 0;

/**
 * Parses and plans `source`. Never traps; syntax errors, unknown functions, invalid
 * constant regular expressions and exceeded size/depth limits return an error with
 * its byte position. Allocates (configuration time only).
 */
export function compile(source: string): CompileResult {
  return compileWith(source, DEFAULT_OPTIONS);
}

/** `compile` with options (e.g. the attribute names the resolver will answer). */
export function compileWith(source: string, options: CompileOptions): CompileResult {
  const r = new CompileResult();
  const bytes = String.UTF8.encode(source);
  if (bytes.byteLength > MAX_SOURCE_BYTES) {
    r.error = "expression too long (" + bytes.byteLength.toString() + " bytes, limit " + MAX_SOURCE_BYTES.toString() + ")";
    r.position = MAX_SOURCE_BYTES;
    return r;
  }
  const parsed = parse(bytes);
  const expr = parsed.expr;
  if (expr === null) {
    r.error = parsed.error;
    r.position = parsed.position;
    return r;
  }
  resetBudget(); // constant folding runs expressions too
  const planner = new Planner(options);
  const program = planner.planProgram(expr, source);
  if (planner.failed) {
    r.error = planner.error;
    r.position = planner.errorPos;
    return r;
  }
  r.program = program;
  return r;
}

/**
 * Evaluates `program` against `resolver`. Never traps; failures (missing attributes,
 * type mismatches, overflow, exceeded work limits) are Values of kind Error. The
 * resolver is asked only for attributes the expression reaches, each at most once.
 */
export function evaluate(program: Program, resolver: AttributeResolver): Value {
  const root = program.root;
  if (root.op == Op.Const) return root.value;
  // A comparison on the attribute's bytes needs no evaluation state.
  if (isTextOp(root.op)) {
    const r = compareText(root, resolver);
    if (r >= 0) return Value.bool(r == 1);
  }
  let ctx = program.context;
  if (ctx === null) {
    ctx = new EvalContext(resolver, program.varCount, program.attrNames.length);
    program.context = ctx;
  } else if (ctx.busy) {
    // re-entered from a resolver: use a private context
    ctx = new EvalContext(resolver, program.varCount, program.attrNames.length);
  }
  ctx.reset(resolver);
  if (evaluating == 0) resetBudget(); // a nested evaluation shares the outer budget
  evaluating++;
  ctx.busy = true;
  const v = evalNode(root, ctx);
  ctx.busy = false;
  evaluating--;
  return v;
}

/** 1 when the result is true, 0 when false, -1 for an error or a non-bool result. */
export function evaluateBool(program: Program, resolver: AttributeResolver): i32 {
  const v = evaluate(program, resolver);
  if (v.kind != Kind.Bool) return -1;
  return v.b ? 1 : 0;
}

/**
 * Text of a value for counter keys: strings raw, ints and uints in decimal, doubles
 * in shortest round-trip form, bools "true"/"false", null "null", bytes as their
 * UTF-8 text (invalid sequences replaced), lists and maps as `[a, b]` / `{k: v}`,
 * types by name. An Error value yields "" (callers check `isError()` first).
 */
export function valueToString(v: Value): string {
  if (v.kind == Kind.String) return v.str;
  if (v.kind == Kind.Error) return "";
  const text = textOf(v, 0);
  return textTooLarge ? "" : text;
}
