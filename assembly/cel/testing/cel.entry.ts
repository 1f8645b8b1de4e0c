// Test build of the CEL module for Node (conformance, fuzzing, benchmarks):
// `node scripts/build.mjs --only testing/cel` -> build/testing/cel.js (+ .wasm).
// Values cross the boundary in the wire encoding of ./wire.ts.

import { compile, compileWith, evaluate, valueToString, CompileOptions } from "../index";
import { Program } from "../plan";
import { Value, Kind, MapValue } from "../value";
import { MapResolver, AttributeResolver } from "../resolver";
import { WireReader, encodeValue } from "./wire";
import { parse } from "../parser";
import { strEq } from "../strings";

function resolverFrom(bindings: string): MapResolver | null {
  const r = new MapResolver();
  if (bindings.length == 0) return r;
  const reader = new WireReader(bindings);
  const m = reader.value(0);
  if (reader.bad || m.kind != Kind.Map) return null;
  const map = m.map;
  if (map === null) return r;
  for (let i = 0, n = map.entryCount(); i < n; i++) {
    r.set(unchecked(map.keys[i]).str, unchecked(map.values[i]));
  }
  return r;
}

/**
 * Compiles and evaluates `expr` with `bindings` (a wire-encoded map from attribute name
 * to value). Returns "C<position>:<message>" for a compile error, "B" for malformed
 * bindings, or "V" followed by the wire-encoded result.
 */
export function celEval(expr: string, bindings: string): string {
  const c = compile(expr);
  const p = c.program;
  if (p === null) return "C" + c.position.toString() + ":" + c.error;
  const r = resolverFrom(bindings);
  if (r === null) return "B";
  const out = new Array<string>();
  out.push("V");
  encodeValue(evaluate(p, r), out);
  return out.join("");
}

/** Compiles only: "" on success, "<position>:<message>" on error. */
export function celCompile(expr: string): string {
  const c = compile(expr);
  if (c.program !== null) return "";
  return c.position.toString() + ":" + c.error;
}

/** Parses only (no planning): "" on success, "<position>:<message>" on error. */
export function celParse(expr: string): string {
  const r = parse(String.UTF8.encode(expr));
  if (r.expr !== null) return "";
  return r.position.toString() + ":" + r.error;
}

/** Evaluates `expr` and returns valueToString of the result ("C..." on compile error). */
export function celText(expr: string, bindings: string): string {
  const c = compile(expr);
  const p = c.program;
  if (p === null) return "C" + c.position.toString() + ":" + c.error;
  const r = resolverFrom(bindings);
  if (r === null) return "B";
  return valueToString(evaluate(p, r));
}

// ---- benchmark: the policy's two predicates and counter expression ----------------

let benchPrograms = new Array<Program>();
let benchPath = "";
let benchGroups = "";
let benchUser = "";
let benchPathValue = Value.null();
let benchIdentity = Value.null();

/**
 * Compiles the expressions (newline-separated) for `benchRun`. With `known` the
 * planner is told the attribute names the resolver answers. Returns "" or an error.
 */
export function benchSetup(exprs: string, path: string, groups: string, userid: string, known: bool): string {
  benchPrograms = new Array<Program>();
  const opts = new CompileOptions();
  if (known) opts.knownNames = ["request.path", "auth.identity"];
  const list = exprs.split("\n");
  for (let i = 0; i < list.length; i++) {
    const c = known ? compileWith(unchecked(list[i]), opts) : compile(unchecked(list[i]));
    const p = c.program;
    if (p === null) return c.error;
    benchPrograms.push(p);
  }
  benchPath = path;
  benchGroups = groups;
  benchUser = userid;
  benchPathValue = Value.string(path);
  benchIdentity = buildIdentity();
  return "";
}

// The identity as an attribute layer would build it from the request's auth metadata.
function buildIdentity(): Value {
  const annotations = new MapValue();
  annotations.setString("kuadrant.io/groups", Value.string(benchGroups));
  const metadata = new MapValue();
  metadata.setString("annotations", Value.map(annotations));
  const id = new MapValue();
  id.setString("userid", Value.string(benchUser));
  id.setString("metadata", Value.map(metadata));
  return Value.map(id);
}

/**
 * A request-scoped resolver shaped like the filter's attribute layer: a fixed set of
 * attributes, each produced on first use and cached for the rest of the request.
 * `build` makes it construct the attribute values itself (as decoding them from the
 * request would), otherwise it serves values decoded once up front.
 */
class BenchResolver extends AttributeResolver {
  path: Value | null = null;
  identity: Value | null = null;
  build: bool;

  constructor(build: bool) { super(); this.build = build; }

  resolve(name: string): Value | null {
    if (strEq(name, "request.path")) {
      let v = this.path;
      if (v === null) { v = this.build ? Value.string(benchPath) : benchPathValue; this.path = v; }
      return v;
    }
    if (strEq(name, "auth.identity") || strEq(name, "request.auth.identity")) {
      let v = this.identity;
      if (v === null) { v = this.build ? buildIdentity() : benchIdentity; this.identity = v; }
      return v;
    }
    return null;
  }
}

/**
 * Runs `n` simulated requests: per request a fresh resolver, then every program once.
 * Returns a checksum of the results.
 */
export function benchRun(n: i32): i32 {
  return benchRunSome(n, -1, false);
}

/**
 * benchRun over the programs selected by bit mask `which`; with `build` each request
 * also constructs its attribute values.
 */
export function benchRunSome(n: i32, which: i32, build: bool): i32 {
  let sum = 0;
  const progs = benchPrograms;
  for (let k = 0; k < n; k++) {
    const r = new BenchResolver(build);
    for (let i = 0, m = progs.length; i < m; i++) {
      if (((which >> i) & 1) == 0) continue;
      const v = evaluate(unchecked(progs[i]), r);
      if (v.kind == Kind.Bool) sum += v.b ? 1 : 0;
      else if (v.kind == Kind.String) sum += v.str.length;
      else sum += 1000;
    }
    if (build && which == 0) sum += (<Value>r.resolve("auth.identity")).kind;
  }
  return sum;
}

/** Evaluates the selected programs `n` times against one resolver (per-evaluation cost). */
export function benchEvalOnly(n: i32, which: i32): i32 {
  let sum = 0;
  const progs = benchPrograms;
  const r = new BenchResolver(false);
  for (let k = 0; k < n; k++) {
    for (let i = 0, m = progs.length; i < m; i++) {
      if (((which >> i) & 1) == 0) continue;
      const v = evaluate(unchecked(progs[i]), r);
      sum += v.kind;
    }
  }
  return sum;
}
