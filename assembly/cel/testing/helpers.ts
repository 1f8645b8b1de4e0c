// Helpers for the CEL as-pect specs (assembly/__tests__/cel_*.spec.ts).

import { compile, compileWith, evaluate, valueToString, CompileOptions } from "../index";
import { Value, Kind, MapValue } from "../value";
import { AttributeResolver, MapResolver } from "../resolver";

/** A resolver that records every name it is asked for. */
export class RecordingResolver extends AttributeResolver {
  inner: MapResolver = new MapResolver();
  asked: Array<string> = new Array<string>();

  set(name: string, v: Value): RecordingResolver { this.inner.set(name, v); return this; }

  resolve(name: string): Value | null {
    this.asked.push(name);
    return this.inner.resolve(name);
  }
}

/** Compiles and evaluates; a compile error becomes an Error value "compile: ...". */
export function run(expr: string, r: AttributeResolver = new MapResolver()): Value {
  const c = compile(expr);
  const p = c.program;
  if (p === null) return Value.error("compile: " + c.error);
  return evaluate(p, r);
}

/** valueToString of the result, or "ERROR: message". */
export function show(expr: string, r: AttributeResolver = new MapResolver()): string {
  const v = run(expr, r);
  if (v.kind == Kind.Error) return "ERROR: " + v.str;
  return valueToString(v);
}

/** True when the expression evaluates to an Error value (compiles fine). */
export function evalFails(expr: string): bool {
  const c = compile(expr);
  const p = c.program;
  if (p === null) return false;
  return evaluate(p, new MapResolver()).kind == Kind.Error;
}

/** The compile error message, or "" when it compiles. */
export function compileError(expr: string): string {
  return compile(expr).error;
}

/** The compile error position, or -1 when it compiles. */
export function compilePosition(expr: string): i32 {
  const c = compile(expr);
  return c.program === null ? c.position : -1;
}

export function compileKnown(expr: string, names: Array<string>, only: bool): string {
  const o = new CompileOptions();
  o.knownNames = names;
  o.onlyKnownNames = only;
  return compileWith(expr, o).error;
}

export function map1(k: string, v: Value): Value {
  const m = new MapValue();
  m.setString(k, v);
  return Value.map(m);
}
