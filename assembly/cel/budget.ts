// Per-evaluation budget for what an evaluation produces (string and bytes code units,
// collection elements), so that a comprehension cannot build gigabytes one legal
// string at a time. evaluate() and compile() reset it; producers charge it.

import { Value } from "./value";
import { MAX_PRODUCED_UNITS } from "./limits";

let produced: i64 = 0;

/** Starts a fresh budget (one evaluation, or one compilation's constant folding). */
export function resetBudget(): void { produced = 0; }

/** Charges `units`; false when the budget is exhausted (the caller returns budgetError()). */
@inline export function charge(units: i64): bool {
  produced += units;
  return produced <= MAX_PRODUCED_UNITS;
}

/** A list or map element costs as much as this many string units (a Value is ~64 bytes). */
export const ELEMENT_UNITS: i64 = 32;

/** Charges `n` collection elements. */
@inline export function chargeElements(n: i64): bool {
  return charge(n * ELEMENT_UNITS);
}

export function budgetError(): Value {
  return Value.error("evaluation exceeded its budget of " + MAX_PRODUCED_UNITS.toString() + " produced string units and elements");
}
