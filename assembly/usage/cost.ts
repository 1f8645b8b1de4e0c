// Cost: how many units one response charges against a limit.
//
// A limit counts total, input or output tokens (TokenKind). Without weights the cost is
// that count. With weights the cost is a weighted sum of the counts on that side:
//   total:  input*w.input + output*w.output + total*w.total + cached*w.cached
//           + reasoning*w.reasoning + cacheWrite*w.cacheWrite
//   input:  input*w.input + cached*w.cached + cacheWrite*w.cacheWrite
//   output: output*w.output + reasoning*w.reasoning
// rounded up to a whole unit (a response never costs less than what it used, and 0.25
// of a token still costs one), clamped to [0, 2^63-1]. `costOf` takes any weight (a
// negative one subtracts), but `cost.weights` in the configuration accepts 0 to 1000000
// only. Remember the providers differ: Anthropic's input does not contain its cached
// tokens (so "cached: 0.1" charges cache reads at a tenth); OpenAI's does, so a cached
// weight adds to their price, and a discount is written as a cost expression instead
// (`usage.input_tokens - usage.cached_tokens / 2 + usage.output_tokens`).

import { Usage } from "./usage";
import { I64_MAX } from "./fields";

/**
 * Which tokens a limit counts ("limits.<name>.tokens" in the plugin configuration, which
 * reads it by position in TOKEN_KIND_NAMES).
 */
export enum TokenKind { Total = 0, Input = 1, Output = 2 }

/** The configuration's names of TokenKind, indexed by value. */
export const TOKEN_KIND_NAMES: Array<string> = ["total", "input", "output"];

/** The TokenKind named "total" | "input" | "output"; -1 if unknown. */
export function tokenKindByName(name: string): i32 {
  return TOKEN_KIND_NAMES.indexOf(name);
}

/** Weights per count. `weighted` false (the default) means plain counts. */
export class CostWeights {
  input: f64 = 0;
  output: f64 = 0;
  total: f64 = 0;
  cached: f64 = 0;
  reasoning: f64 = 0;
  cacheWrite: f64 = 0;
  weighted: bool = false;

  /** Weights for a weighted sum (sets `weighted`). */
  static of(input: f64, output: f64, total: f64 = 0, cached: f64 = 0, reasoning: f64 = 0, cacheWrite: f64 = 0): CostWeights {
    const w = new CostWeights();
    w.input = input;
    w.output = output;
    w.total = total;
    w.cached = cached;
    w.reasoning = reasoning;
    w.cacheWrite = cacheWrite;
    w.weighted = true;
    return w;
  }
}

/**
 * Cost of `u` for a limit counting TokenKind `kind` (unknown kinds count total), with
 * optional weights (null or unweighted: plain count). Never negative, saturates at
 * 2^63-1, never traps (NaN or infinite weights give 0 or the maximum). No allocation.
 */
export function costOf(u: Usage, w: CostWeights | null, kind: TokenKind): i64 {
  if (w == null || !w.weighted) {
    if (kind == TokenKind.Input) return clampCount(u.input);
    if (kind == TokenKind.Output) return clampCount(u.output);
    return clampCount(u.total);
  }
  let sum: f64;
  if (kind == TokenKind.Input) {
    sum = term(u.input, w.input) + term(u.cached, w.cached) + term(u.cacheWrite, w.cacheWrite);
  } else if (kind == TokenKind.Output) {
    sum = term(u.output, w.output) + term(u.reasoning, w.reasoning);
  } else {
    sum = term(u.input, w.input) + term(u.output, w.output) + term(u.total, w.total) +
      term(u.cached, w.cached) + term(u.reasoning, w.reasoning) + term(u.cacheWrite, w.cacheWrite);
  }
  return roundUpClamped(sum);
}

// A weight of 0 ignores the count even if it is huge (0 * x is 0, never NaN here).
function term(count: i64, weight: f64): f64 {
  if (weight == 0 || count == 0) return 0;
  return <f64>count * weight;
}

function clampCount(v: i64): i64 {
  return v < 0 ? 0 : v;
}

/** ceil(x) as an i64 in [0, 2^63-1]; NaN -> 0. Checked before converting: an f64 -> i64
 * conversion of NaN or an out-of-range value traps in Wasm. */
export function roundUpClamped(x: f64): i64 {
  if (!(x > 0)) return 0; // also NaN
  const c = Math.ceil(x);
  if (c >= 9223372036854775807.0) return I64_MAX;
  return <i64>c;
}

/** One name/value pair of `usageToFields`. */
export class UsageField {
  name: string;
  value: i64;
  constructor(name: string, value: i64) {
    this.name = name;
    this.value = value;
  }
}

/** Names `usageToFields` returns, in order (OpenAI and Anthropic style aliases both). */
export const USAGE_FIELD_NAMES: StaticArray<string> = [
  "prompt_tokens", "completion_tokens", "total_tokens", "input_tokens", "output_tokens",
  "cached_tokens", "reasoning_tokens", "cache_write_tokens",
];

/** Value of the i-th name in USAGE_FIELD_NAMES for `u` (0 for an unknown index). No allocation. */
export function usageFieldValue(u: Usage, i: i32): i64 {
  switch (i) {
    case 0: return u.input;
    case 1: return u.output;
    case 2: return u.total;
    case 3: return u.input;
    case 4: return u.output;
    case 5: return u.cached;
    case 6: return u.reasoning;
    case 7: return u.cacheWrite;
    default: return 0;
  }
}

/**
 * The counts as name/value pairs for a CEL cost expression over `usage.*`:
 * prompt_tokens = input_tokens, completion_tokens = output_tokens, total_tokens,
 * cached_tokens, reasoning_tokens, cache_write_tokens (0 where not found). Allocates.
 */
export function usageToFields(u: Usage): Array<UsageField> {
  const out = new Array<UsageField>(0);
  for (let i = 0; i < USAGE_FIELD_NAMES.length; i++) {
    out.push(new UsageField(unchecked(USAGE_FIELD_NAMES[i]), usageFieldValue(u, i)));
  }
  return out;
}
