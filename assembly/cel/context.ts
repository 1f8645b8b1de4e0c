// Per-evaluation state: the resolver, a cache of attributes already resolved in this
// evaluation, comprehension variable slots, and the work counter that bounds
// comprehension iterations. One context is kept per program and reused: starting an
// evaluation bumps a generation number instead of clearing the cache, so steady-state
// evaluation allocates nothing here.

import { Value } from "./value";
import { AttributeResolver } from "./resolver";

export class EvalContext {
  resolver: AttributeResolver;
  vars: StaticArray<Value>;
  varCount: i32;
  attrVals: StaticArray<Value | null>;
  /** attrGen[slot] == gen when attrVals[slot] holds this evaluation's lookup. */
  attrGen: StaticArray<i32>;
  attrCount: i32;
  gen: i32 = 1;
  iterations: i32 = 0;
  busy: bool = false;

  constructor(resolver: AttributeResolver, varCount: i32, attrCount: i32) {
    this.resolver = resolver;
    const vars = new StaticArray<Value>(varCount);
    for (let i = 0; i < varCount; i++) unchecked(vars[i] = Value.null());
    this.vars = vars;
    this.varCount = varCount;
    this.attrVals = new StaticArray<Value | null>(attrCount);
    this.attrGen = new StaticArray<i32>(attrCount);
    this.attrCount = attrCount;
  }

  /** Prepares the context for a new evaluation with `resolver`. */
  @inline reset(resolver: AttributeResolver): void {
    this.resolver = resolver;
    this.iterations = 0;
    let g = this.gen + 1;
    if (g == i32.MAX_VALUE) {
      // wrap: forget every stamp
      for (let i = 0; i < this.attrCount; i++) unchecked(this.attrGen[i] = 0);
      g = 1;
    }
    this.gen = g;
  }

  /** The attribute `name` (cache slot `slot`), resolved at most once per evaluation. */
  @inline attribute(slot: i32, name: string): Value | null {
    if (<u32>slot >= <u32>this.attrCount) return this.resolver.resolve(name);
    const gp = changetype<usize>(this.attrGen) + (<usize>slot << 2);
    const vp = changetype<usize>(this.attrVals) + (<usize>slot << alignof<usize>());
    if (load<i32>(gp) == this.gen) return load<Value | null>(vp);
    const v = this.resolver.resolve(name);
    store<usize>(vp, changetype<usize>(v));
    __link(changetype<usize>(this.attrVals), changetype<usize>(v), true);
    store<i32>(gp, this.gen);
    return v;
  }

  /** Comprehension variable `slot` (slot < varCount, checked by the caller). */
  @inline getVar(slot: i32): Value {
    return load<Value>(changetype<usize>(this.vars) + (<usize>slot << alignof<usize>()));
  }

  @inline setVar(slot: i32, v: Value): void {
    store<usize>(changetype<usize>(this.vars) + (<usize>slot << alignof<usize>()), changetype<usize>(v));
    __link(changetype<usize>(this.vars), changetype<usize>(v), true);
  }
}
