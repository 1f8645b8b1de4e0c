// Which limits apply to a request, and the counters they charge. Pure: it reads the
// request only through the CEL attribute resolver.

import { AttributeResolver, evaluate, evaluateBool, Program } from "../cel";
import { counterValueText } from "./counter_value";
import { CounterSpec } from "./decision";
import { CompiledPolicy, CompiledLimit } from "./policy";

/** The outcome of selecting limits for one request. */
export class Selection {
  /** One spec per rate of every applicable limit, in limit (name) order. */
  specs: Array<CounterSpec> = new Array<CounterSpec>();
  /** For each spec, the index of its limit in the policy. */
  limitOfSpec: Array<i32> = new Array<i32>();
  /** For each applicable limit, the index of its first spec (its name is that spec's). */
  limitStarts: Array<i32> = new Array<i32>();
  /** Predicates that failed to evaluate (counted as false). */
  expressionErrors: i32 = 0;
  /** Applicable limits whose counter could not be determined. */
  counterErrors: i32 = 0;
  /** Name of the first limit whose counter could not be determined, for the log. */
  counterErrorLimit: string = "";
  /** Index, in the policy, of that limit (-1: none). */
  counterErrorLimitIndex: i32 = -1;
  /** Index, in that limit's `counters`, of the expression that had no value (-1: none). */
  counterErrorExpression: i32 = -1;
  /**
   * Why the credential the request presented is unusable, when an expression needed the
   * identity and it was (IdentityFailure, `isInvalidCredential`); 0 otherwise. Set by the caller
   * that knows the attributes.
   */
  invalidCredential: i32 = 0;
  /**
   * Roughly what selecting allocated (values the resolver made, expressions evaluated off
   * the allocation-free paths, counter values), for pacing garbage collection.
   */
  allocationUnits: i32 = 0;

  /** Empties the selection for another request, keeping the arrays' storage. */
  reset(): void {
    // (Emptying an empty array is still a call: most requests select nothing.)
    if (this.specs.length != 0) this.specs.length = 0;
    if (this.limitOfSpec.length != 0) this.limitOfSpec.length = 0;
    if (this.limitStarts.length != 0) this.limitStarts.length = 0;
    this.expressionErrors = 0;
    this.counterErrors = 0;
    this.counterErrorLimit = "";
    this.counterErrorLimitIndex = -1;
    this.counterErrorExpression = -1;
    this.invalidCredential = 0;
    this.allocationUnits = 0;
  }
}

/**
 * Evaluates the top-level `when`, then each limit's `when` and `counters`. A predicate
 * that errors is false. A counter expression that errors, yields null or "", or a value too large to
 * render within the work bound (counter_value.ts), means
 * the caller cannot be told apart from others: the limit is left out and counted in
 * `counterErrors` (the caller applies `onCounterError`). The result is written to `out`
 * (emptied first; by default a new Selection), so that a caller may reuse one for the
 * requests it does not keep. Never traps.
 */
export function selectLimits(policy: CompiledPolicy, resolver: AttributeResolver, out: Selection = new Selection()): Selection {
  out.reset();
  if (!allHold(policy.when, null, resolver, out)) return finish(out, resolver);
  forgetOutcomes(policy.limitPredicateCount);
  const limits = policy.limits;
  for (let i = 0, n = limits.length; i < n; i++) {
    const limit = unchecked(limits[i]);
    if (!allHold(limit.when, limit.whenIds, resolver, out)) continue;
    out.allocationUnits += 1 + limit.counters.length;
    const values = counterValues(limit, resolver);
    if (values === null) {
      if (out.counterErrors == 0) {
        out.counterErrorLimit = limit.name;
        out.counterErrorLimitIndex = i;
        out.counterErrorExpression = failedCounter;
      }
      out.counterErrors++;
      continue;
    }
    out.limitStarts.push(out.specs.length);
    for (let r = 0, rn = limit.rates.length; r < rn; r++) {
      const rate = unchecked(limit.rates[r]);
      const spec = new CounterSpec(limit.name, r, rate.limit, rate.windowMs, values);
      spec.soft = limit.soft;
      if (r < limit.rateAlerts.length) spec.alerts = unchecked(limit.rateAlerts[r]);
      out.specs.push(spec);
      out.limitOfSpec.push(i);
    }
  }
  return finish(out, resolver);
}

function finish(out: Selection, resolver: AttributeResolver): Selection {
  out.allocationUnits += resolver.allocationUnits();
  return out;
}

// What each of the policy's distinct limit predicates gave this request: 0 not evaluated
// yet, else the evaluation's result (-1 error, 0 false, 1 true) plus 2. A predicate that
// several limits share is evaluated for the first and remembered for the others.
let outcomes = new StaticArray<u8>(16);

function forgetOutcomes(count: i32): void {
  if (count > outcomes.length) outcomes = new StaticArray<u8>(count);
  if (count > 0) memory.fill(changetype<usize>(outcomes), 0, <usize>count);
}

/**
 * Whether every predicate holds. With `ids` (a limit's `whenIds`), a predicate already
 * evaluated for this request gives its remembered outcome; an error counts at every use,
 * as when each limit evaluated its own.
 */
function allHold(predicates: Array<Program>, ids: Array<i32> | null, resolver: AttributeResolver, out: Selection): bool {
  const n = predicates.length;
  const shared = ids !== null && ids.length == n;
  for (let i = 0; i < n; i++) {
    const id = shared ? unchecked(ids![i]) : -1;
    const known = id >= 0 && id < outcomes.length ? <i32>unchecked(outcomes[id]) : 0;
    let r: i32;
    if (known != 0) r = known - 2;
    else {
      const p = unchecked(predicates[i]);
      if (!p.allocationFree) out.allocationUnits++;
      r = evaluateBool(p, resolver);
      if (id >= 0 && id < outcomes.length) unchecked(outcomes[id] = <u8>(r + 2));
    }
    if (r == 1) continue;
    if (r < 0) out.expressionErrors++;
    return false;
  }
  return true;
}

// The index of the counter expression `counterValues` last failed on.
let failedCounter: i32 = -1;

function counterValues(limit: CompiledLimit, resolver: AttributeResolver): string[] | null {
  const n = limit.counters.length;
  const values = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    failedCounter = i;
    const text = counterValueText(evaluate(unchecked(limit.counters[i]), resolver));
    if (text === null) return null;
    unchecked(values[i] = text);
  }
  return values;
}
